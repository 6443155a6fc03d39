"""Round 13 of cross-language links (bench/README.md, "Round 13"): bare links in a dense pool.

Judged on the faithful replay (link_bench --stream, pruned as the agent) with ~1,500 stories in
the pool (--density 500): most false links were to same-topic stories that share nothing telling
one event from another.

- LinkConfig.common_names_bare: shared names that are all common in the pool ("Donald Trump",
  "Hezbollah") and no shared number leave the pair bare, and add nothing to its score.
- LinkConfig.bare_extra_score: a bare pair needs a margin of min_score + 0.09 (1.18), or of
  min_score + bare_agreed_extra_score (0) when both stories agree on a topic and a country.
- LinkConfig.bare_min_cosine 0.32 -> 0.45: below it a bare pair needs a common country.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    LinkConfig,
    LinkEvidence,
    StoryDigest,
    decide_link,
    link_evidence,
)

# Round 12's rules: none of this round's.
BEFORE = LinkConfig(common_names_bare=False, bare_extra_score=0.0, bare_min_cosine=0.32)


def evidence(cosine: float, margin: float, **fields: object) -> LinkEvidence:
    """Evidence of a pair first seen an hour apart, sharing nothing unless `fields` say so."""
    return replace(LinkEvidence(cosine, margin, (), (), 1.0), **fields)  # type: ignore[arg-type]  # test-only keyword pass-through


def test_the_defaults() -> None:
    config = LinkConfig()
    assert config.common_names_bare is True
    assert config.bare_extra_score == 0.09
    assert config.bare_agreed_extra_score == 0.0
    assert config.bare_min_cosine == 0.45


def test_shared_names_all_common_in_the_pool_are_no_evidence() -> None:
    config = LinkConfig()
    # Tuning part + density 500: the Butler rally shooting (es) ~ a Trump item on a US Open
    # final (ar), cosine 0.47, margin 1.05, both writing "Donald Trump", which more than five
    # pool stories write.
    trump = evidence(0.47, 1.05, shared_names=("dnld", "tlmb"), common_shared=2)
    assert decide_link(trump, BEFORE)  # 1.05 + 2 x 0.05 >= 1.09
    assert trump.bare(config) and trump.common_only(config)
    assert trump.score(config) == pytest.approx(1.05)
    assert not decide_link(trump, config)
    assert decide_link(trump, replace(config, common_names_bare=False))
    # One rare name among them is evidence again: the pair is not bare and keeps its bonus.
    rare = replace(trump, rare_names=1, common_shared=1)
    assert not rare.bare(config) and decide_link(rare, config)
    # A shared number is evidence whatever the names.
    assert decide_link(replace(trump, shared_numbers=("2750",)), config)
    # The rule reads the pool's counts: with name_max_stories 0 no name is common.
    assert decide_link(trump, replace(config, name_max_stories=0))


def test_link_evidence_counts_the_shared_names_a_story_marks_common() -> None:
    vector = np.zeros(512, dtype=np.float32)
    vector[0] = 1.0
    first = StoryDigest("a", "es", 0.0, frozenset(), frozenset({"dnld", "tlmb", "btlr"}), vector,
                        common_names=frozenset({"dnld", "tlmb"}))  # fmt: skip
    second = StoryDigest("b", "ar", 0.0, frozenset(), frozenset({"dnld", "tlmb"}), vector)
    found = link_evidence(first, second)
    assert found.shared_names == ("dnld", "tlmb")
    assert found.common_shared == 2 and found.rare_names == 0
    third = replace(second, names=frozenset({"dnld", "tlmb", "btlr"}))
    assert link_evidence(first, third).common_shared == 2
    assert link_evidence(first, third).rare_names == 1


def test_a_bare_pair_needs_a_higher_margin_unless_it_agrees_on_topic_and_country() -> None:
    config = LinkConfig()
    # Tuning part + density 500: a Japanese Noto report ~ a Korean item on the Miyazaki M7.1,
    # both "natural_disaster", the Japanese one naming no country: margin 1.12-1.20.
    noto = evidence(0.58, 1.15, agreements=("topics",))
    assert decide_link(noto, BEFORE)
    assert not decide_link(noto, config)
    assert decide_link(replace(noto, margin=1.19), config)  # above min_score + 0.09
    assert decide_link(noto, replace(config, bare_extra_score=0.0))  # off
    # Same topic and same country: the Kahramanmaraş reports in Russian and French, margin 1.11.
    quake = evidence(0.51, 1.11, agreements=("topics", "countries"))
    assert decide_link(quake, config)
    assert not decide_link(quake, replace(config, bare_agreed_extra_score=0.05))
    assert not decide_link(replace(quake, margin=1.08), config)  # min_score still holds
    # A pair with a shared number or a rare name is not bare: the margin floor is min_score.
    assert decide_link(replace(noto, shared_numbers=("7.1",)), config)
    assert decide_link(replace(noto, shared_names=("hsm",), rare_names=1), config)
    # The floor is refused for a bare pair on any path: weak names can reach the name path.
    weak = evidence(0.58, 1.0, agreements=("topics",), shared_names=("tlt",), rare_names=1,
                    weak_by_length=(1, 1, 1, 1))  # fmt: skip
    assert weak.bare(config)
    assert decide_link(weak, BEFORE)  # the name path: a rare name, cosine >= 0.35, within 12 h
    assert not decide_link(weak, config)


def test_a_bare_pair_below_the_new_cosine_floor_needs_a_common_country() -> None:
    config = LinkConfig()
    # crosslang_links2 + 3000 distractors: bare links at cosine 0.32-0.45 were mostly to
    # distractors; a common country still lets them link.
    low = evidence(0.40, 1.5, agreements=("topics",))
    assert decide_link(low, BEFORE)
    assert not decide_link(low, config)
    assert decide_link(replace(low, agreements=("topics", "countries")), config)
    assert decide_link(replace(low, cosine=0.45), config)


def test_the_config_refuses_negative_extra_scores() -> None:
    with pytest.raises(ValueError):
        LinkConfig(bare_extra_score=-0.1)
    with pytest.raises(ValueError):
        LinkConfig(bare_agreed_extra_score=-0.1)


T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def run(config: LinkStageConfig, stories: list[tuple[str, str]]) -> LinkPool:
    """Each story (language, title) an hour after the one before, all on one embedding."""
    vector = np.zeros(512, dtype=np.float32)
    vector[0] = 1.0
    pool = LinkPool()
    for index, (language, title) in enumerate(stories):
        at = T0 + timedelta(hours=index)
        started = StoryStarted(f"s-{index}", language, title, "", None, at, at)
        apply_outcome(link_step(encode_record(started), at, None, vector, pool, config), pool)
    return pool


def test_the_stage_does_not_link_on_names_every_pool_story_writes() -> None:
    # Six English stories and a German one all name Donald Trump, on one embedding: margin 1.0,
    # so before this round the two names' +0.10 linked the German story to all six.
    english = [("en", f"Donald Trump item {n}") for n in ("one", "two", "three", "four", "five",
                                                          "six")]  # fmt: skip
    german = ("de", "Donald Trump in Berlin")
    pool = run(LinkStageConfig(links=BEFORE), [*english, german])
    assert len(pool.stored("s-6").linked_stories) == 6
    pool = run(LinkStageConfig(), [*english, german])
    assert pool.stored("s-6").linked_stories == ()
    # With three English stories the names are rare (4 stories with the German one): they link.
    pool = run(LinkStageConfig(), [*english[:3], german])
    assert len(pool.stored("s-3").linked_stories) == 3


def test_the_bare_floors_exception_makes_the_stage_read_topics_and_countries() -> None:
    # Every other rule that reads topics or countries off: the exception for bare pairs that
    # agree on a topic and a country still needs both, or the agent would never tag the stories
    # nor build a country pattern and the exception would never apply in production.
    others_off = LinkConfig(topic_veto=False, bare_topic_veto=False, bare_country_veto=False,
                            bare_window_seconds=0.0, bare_min_cosine=-1.0,
                            name_country_min_cosine=0.0)  # fmt: skip
    assert others_off.bare_agreed_extra_score < others_off.bare_extra_score
    assert others_off.reads_topics and others_off.reads_countries
    no_exception = replace(others_off, bare_agreed_extra_score=others_off.bare_extra_score)
    assert not no_exception.reads_topics and not no_exception.reads_countries
