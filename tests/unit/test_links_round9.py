"""Round 9 of cross-language links (bench/README.md, "Round 9"): two rules for bare pairs.

A pair that shares no number and no name links on its margin alone. Two rules make that rarer
where it is least trustworthy:

- LinkConfig.weak_name_length: when either language writes a script in which every word is read
  as a name (Arabic, Thai, Hangul, kana...), a shared skeleton of three letters does not make the
  pair "not bare" for the bare vetoes: the Arabic verb تحولت ("it turned into") and the Thai
  district ธารโต both read "tlt", and joined a Hurricane Helene report to a roadside bomb.
- LinkConfig.bare_window_seconds: a bare pair first seen more than a day apart links only when
  both stories agree on a topic or a country (LinkEvidence.agreements) and disagree on nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from streams.codec import decode_story_digest, encode_record
from streams.records import StoryStarted
from streams.stories.countries import extract_countries
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    LinkConfig,
    LinkEvidence,
    StoryDigest,
    decide_link,
    detail_agreements,
    extract_names,
    extract_numbers,
    link_evidence,
)

VECTOR = np.ones(512, dtype=np.float32) / np.sqrt(512.0)
HOUR = 3600.0
# crosslang_links6 w004 (Arabic, Helene's landfall) and news_eval_asia_en th-news-045 (a
# roadside bomb in Yala's Than To district), their opening words.
HELENE_AR = (
    "وصلت هيلين إلى اليابسة في منطقة بيج بيند بفلوريدا بعد أن تحولت إلى إعصار من الفئة الرابعة"
)
BOMB_TH = "ยะลา - คนร้ายลอบวางระเบิดเส้นทาง อ.ธารโต"


def digest(
    story_id: str,
    language: str,
    text: str,
    seen_at: float = 0.0,
    topics: frozenset[str] | None = None,
) -> StoryDigest:
    return StoryDigest(story_id, language, seen_at, extract_numbers(text), extract_names(text),
                       VECTOR, topics=topics,
                       countries=extract_countries(text, language))  # fmt: skip


def linked(first: StoryDigest, second: StoryDigest, **config: object) -> bool:
    # min_score 0.9: the plain cosine of 1.0 passes, so only a veto can refuse the link. Round
    # 10's bare_window_min_cosine would let that cosine across the bare window: off here.
    config = {"bare_window_min_cosine": 0.0, **config}
    return decide_link(link_evidence(first, second), LinkConfig(min_score=0.9, **config))  # type: ignore[arg-type]  # test-only keyword pass-through


def test_a_three_letter_skeleton_of_an_every_word_script_leaves_the_pair_bare() -> None:
    helene = digest("a", "ar", HELENE_AR, topics=frozenset({"natural_disaster"}))
    bomb = digest("b", "th", BOMB_TH, topics=frozenset({"terrorism"}))
    evidence = link_evidence(helene, bomb)
    assert evidence.shared_names == ("tlt",) and not evidence.shared_numbers
    assert "topics" in evidence.conflicts
    assert evidence.bare(LinkConfig())
    assert not linked(helene, bomb)  # the bare topic veto applies
    assert linked(helene, bomb, weak_name_length=0)  # as before round 9: "tlt" counted


def test_weak_names_need_an_every_word_language_and_a_short_skeleton() -> None:
    config = LinkConfig()

    def evidence(first: str, second: str, name: str) -> LinkEvidence:
        a = replace(digest("a", first, ""), names=frozenset({name}))
        b = replace(digest("b", second, ""), names=frozenset({name}))
        return link_evidence(a, b)

    assert evidence("ar", "en", "tlt").bare(config)
    assert evidence("en", "ja", "snm").bare(config)
    assert not evidence("ar", "en", "hlnt").bare(config)  # four letters count
    assert not evidence("en", "de", "tlt").bare(config)  # two cased scripts: a capitalised word
    assert not evidence("ar", "en", "tlt").bare(replace(config, weak_name_length=0))
    assert evidence("ar", "en", "hlnt").bare(replace(config, weak_name_length=4))
    # A shared number is never bare.
    numbered = replace(evidence("ar", "en", "tlt"), shared_numbers=("215",))
    assert not numbered.bare(config)
    # Evidence built without the field (older callers) counts every shared name, as before.
    assert not LinkEvidence(0.5, 1.2, (), ("tlt",), 1.0).bare(config)


def test_weak_names_still_count_for_the_score() -> None:
    helene = digest("a", "ar", HELENE_AR)
    bomb = digest("b", "th", BOMB_TH)
    evidence = link_evidence(helene, bomb)
    assert evidence.score(LinkConfig()) == pytest.approx(evidence.margin + 0.05)


def test_a_bare_pair_more_than_a_day_apart_needs_a_shared_topic_or_country() -> None:
    # crosslang_links (tuning): a Philadelphia medical-jet crash two days after the Washington
    # mid-air collision; no number, no name, nothing both texts state alike.
    jet = digest("a", "en", "medical jet crash in philadelphia kills six mexican nationals",
                 seen_at=48 * HOUR)  # fmt: skip
    collision = digest("b", "zh", "一架喷气式飞机在华盛顿郊外与一架军用直升机相撞", seen_at=0.0)
    evidence = link_evidence(jet, collision)
    assert evidence.bare(LinkConfig()) and evidence.agreements == ()
    assert not linked(jet, collision)
    assert linked(jet, collision, bare_window_seconds=0.0)  # off
    assert linked(jet, collision, bare_window_seconds=72 * HOUR)
    # Within a day the margin alone still links it.
    assert linked(replace(jet, seen_at=20 * HOUR), collision)
    # A shared topic, or a shared country, lets it link across the gap.
    air = frozenset({"transport_accident"})
    assert linked(replace(jet, topics=air), replace(collision, topics=air))
    korea_ar = digest("c", "ar", "فاز مرشح الحزب الديمقراطي في انتخابات كوريا الجنوبية", 48 * HOUR)
    korea_en = digest("d", "en", "the democratic party's candidate has won south korea's vote", 0.0)
    assert link_evidence(korea_ar, korea_en).bare(LinkConfig())
    assert link_evidence(korea_ar, korea_en).agreements == ("countries",)
    assert linked(korea_ar, korea_en)
    # ... and no disagreement: a magnitude gap under the veto's 0.4 refuses the late bare pair
    # (crosslang_links6: a Campi Flegrei M4.4 and, a day later, a Marche M4.1).
    naples = digest("e", "de", "ein erdbeben der stärke 4,4 bei neapel", 0.0, frozenset({"quake"}))
    marche = digest("f", "it", "terremoto nelle marche: scossa di magnitudo 4.1", 27 * HOUR,
                    frozenset({"quake"}))  # fmt: skip
    evidence = link_evidence(naples, marche)
    assert evidence.agreements == ("topics",) and evidence.conflicts == ("magnitudes:0.3",)
    assert not linked(naples, marche)
    assert linked(replace(naples, seen_at=20 * HOUR), marche)  # within a day: the 0.4 veto only
    # Shared evidence is not bare: the window does not apply.
    assert linked(replace(jet, numbers=frozenset({"5342"})),
                  replace(collision, numbers=frozenset({"5342"})))  # fmt: skip
    # An unknown time never vetoes.
    assert linked(replace(jet, seen_at=None), collision)


def test_agreements_need_both_sides_to_state_the_detail() -> None:
    known = frozenset({"elections"})
    a = replace(digest("a", "en", ""), topics=known, countries=frozenset({"KR"}))
    assert detail_agreements(a, replace(a, story_id="b")) == ("topics", "countries")
    assert detail_agreements(a, replace(a, topics=None, countries=frozenset())) == ()
    assert detail_agreements(a, replace(a, topics=frozenset({"protest"}), countries=None)) == ()


def test_the_config_refuses_negative_values() -> None:
    with pytest.raises(ValueError):
        LinkConfig(bare_window_seconds=-1.0)
    with pytest.raises(ValueError):
        LinkConfig(weak_name_length=-1)


T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def run(config: LinkStageConfig, stories: list[tuple[str, str, str, float]]) -> LinkPool:
    """Each story (language, title, lead, hours after T0) through the stage, in order; after
    the first a restart rebuilds the pool from the table's value."""
    pool = LinkPool()
    for index, (language, title, lead, hours) in enumerate(stories):
        at = T0 + timedelta(hours=hours)
        started = StoryStarted(f"s-{index}", language, title, lead, None, at, at)
        outcome = link_step(encode_record(started), at, None, VECTOR, pool, config)
        apply_outcome(outcome, pool)
        if index == 0:
            pool.rebuild([decode_story_digest(encode_record(pool.stored("s-0")))])
    return pool


def test_the_stage_refuses_a_bare_link_across_more_than_a_day_without_agreement() -> None:
    # Round 10's bare_window_min_cosine off: every story here has the same vector (cosine 1).
    links = LinkConfig(min_score=0.9, bare_window_min_cosine=0.0)
    crash = ("en", "Medical jet crash in Philadelphia", "six people were killed", 0.0)
    later = ("fr", "Un avion s'écrase", "plusieurs morts selon la police", 30.0)
    pool = run(LinkStageConfig(links=links), [crash, later])
    assert pool.stored("s-1").linked_stories == ()
    # Off: the margin alone links them, as before round 9.
    off = replace(links, bare_window_seconds=0.0)
    pool = run(LinkStageConfig(links=off), [crash, later])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
    # The same reports within a day, or naming one country, link.
    pool = run(LinkStageConfig(links=links), [crash, (*later[:3], 20.0)])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
    usa = ("fr", "Un avion s'écrase aux États-Unis", "plusieurs morts selon la police", 30.0)
    crash_usa = ("en", "Medical jet crash in the United States", "six killed", 0.0)
    pool = run(LinkStageConfig(links=links), [crash_usa, usa])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
