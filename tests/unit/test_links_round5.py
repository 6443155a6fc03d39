"""Round 5 of cross-language links: a name path on rare names, inflected Cyrillic names.

A pair that shares a name few stories of the pool write (`name_max_stories`), and no number,
links at cosine 0.35 when first seen at most 12 h apart (`name_min_cosine`); a line written
wholly in capitals gives no names. Ukrainian and Russian reports inflect place names ("по
Кривому Рогу"), which lose the nominative's skeleton; `slavic_endings` (off: no change measured)
strips the case ending first (bench/README.md, "Round 5").
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
    Embedding,
    LinkConfig,
    StoryDigest,
    common_names,
    consonant_skeleton,
    decide_link,
    extract_names,
    extract_numbers,
    link_evidence,
    strip_slavic_ending,
)
from tests.unit.link_cases import vectors

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
STRIKE_UK = "Ракетний удар по Кривому Рогу: загинули діти"
STRIKE_EN = "Missile strike on Kryvyi Rih kills children"
PORT_DE = "Explosion im Hafen Shahid Rajaee bei Bandar Abbas"
PORT_EN = "Blast at Shahid Rajaee port near Bandar Abbas"


def digest(language: str, text: str, vector: Embedding, seen_at: float | None) -> StoryDigest:
    # Neighbour cosine 1.0: the margin is the plain cosine, far under min_score 1.09.
    return StoryDigest(language + text[:4], language, seen_at, extract_numbers(text),
                       extract_names(text), vector)  # fmt: skip


@pytest.mark.parametrize("word", ["Кривому", "Кривого", "Кривий", "Кривой"])
def test_inflected_cyrillic_names_keep_the_nominative_skeleton(word: str) -> None:
    assert consonant_skeleton("Krivi") == "klb"
    assert strip_slavic_ending(word) == "Крив"


def test_a_short_stem_keeps_its_ending() -> None:
    assert strip_slavic_ending("Киев") == "Киев"  # "ев" would leave two letters
    assert strip_slavic_ending("Суми") == "Сум"


def test_the_endings_option_makes_an_inflected_name_shared() -> None:
    assert "klb" not in extract_names(STRIKE_UK)  # "Кривому" gives "klbm"
    assert "klb" in extract_names(STRIKE_UK, endings=True) & extract_names(STRIKE_EN)
    assert extract_names(STRIKE_EN, endings=True) == extract_names(STRIKE_EN)  # Latin untouched


def test_shared_names_link_only_inside_the_name_window() -> None:
    near, far = vectors(0.4)
    names = LinkConfig()
    same_day = link_evidence(digest("de", PORT_DE, near, 0.0), digest("en", PORT_EN, far, 0.0))
    assert same_day.shared_names and not same_day.shared_numbers
    assert not decide_link(same_day, LinkConfig(name_min_cosine=0))  # the path off
    assert decide_link(same_day, names)
    assert not decide_link(replace(same_day, hours_apart=24.0), names)  # 12 h at most
    two_days = replace(same_day, hours_apart=48.0)
    assert not decide_link(two_days, names)
    assert not decide_link(replace(same_day, hours_apart=None), names)  # undated: no window
    assert not decide_link(same_day, replace(names, name_min_shared=len(same_day.shared_names) + 1))
    assert not decide_link(replace(same_day, cosine=0.3), names)
    assert not decide_link(replace(same_day, shared_script=True), names)


def test_a_line_all_in_capitals_gives_no_names() -> None:
    title = "PASSENGER PLANE CARRYING 49 PERSON'S CRASHES IN RUSSIA, NO SURVIVOR"
    lead = "All 49 people aboard an Antonov An-24 passenger plane were killed"
    assert extract_names(title) == frozenset()
    assert extract_names(f"{title}\n{lead}") == extract_names(lead) == {"ntnb"}
    assert "bsnh" in extract_names("Крушение в Вашингтоне")  # what "PASSENGER" used to match
    assert "kdk" in extract_names("Hackers hit CDK Global, car dealers say")  # a mixed line


def test_a_bad_name_path_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="name_min"):
        LinkConfig(name_min_cosine=1.5)
    with pytest.raises(ValueError, match="name_min"):
        LinkConfig(name_min_shared=0)


def started(story_id: str, language: str, text: str, at: datetime) -> StoryStarted:
    return StoryStarted(story_id, language, text, "", None, at, at)


@pytest.mark.parametrize(
    ("links", "hours", "expected"),
    # min_score 1.5: with one story in the pool its own cosine is the margin's scale (margin 1).
    [(LinkConfig(min_score=1.5, name_min_cosine=0), 0, 0), (LinkConfig(min_score=1.5), 0, 1),
     (LinkConfig(min_score=1.5), 30, 0)],
)  # fmt: skip
def test_the_stage_links_on_shared_names_inside_the_window(
    links: LinkConfig, hours: int, expected: int
) -> None:
    near, far = vectors(0.4)
    pool, config = LinkPool(), LinkStageConfig(links=links)
    first = link_step(encode_record(started("s-1", "de", PORT_DE, T0)), T0, None, near, pool,
                      config)  # fmt: skip
    apply_outcome(first, pool)
    later = T0 + timedelta(hours=hours)
    outcome = link_step(encode_record(started("s-2", "en", PORT_EN, later)), later, None, far,
                        pool, config)  # fmt: skip
    assert outcome.links_made == expected


def test_common_names_are_those_more_stories_of_the_pool_write() -> None:
    near, far = vectors(0.4)
    port = [digest("de", PORT_DE, near, 0.0), digest("en", PORT_EN, far, 0.0)]
    crowd = [digest("fr", f"Bandar Abbas, jour {day}", far, 0.0) for day in range(3)]
    marked = common_names([*port, *crowd], max_stories=4)
    assert marked[0].common_names == {consonant_skeleton("Bandar")}  # in 5 stories
    assert marked[2].common_names == {consonant_skeleton("Bandar")}


def test_the_name_path_can_count_only_rare_names() -> None:
    near, far = vectors(0.4)
    first, second = digest("de", PORT_DE, near, 0.0), digest("en", PORT_EN, far, 0.0)
    shared = first.names & second.names
    rare = LinkConfig(name_min_cosine=0.35, name_max_stories=5)
    assert decide_link(link_evidence(first, second), rare)
    everywhere = replace(first, common_names=frozenset(shared))
    evidence = link_evidence(everywhere, second)
    assert evidence.rare_names == 0 and evidence.shared_names
    assert not decide_link(evidence, rare)
    assert decide_link(evidence, replace(rare, name_max_stories=0))  # every name counts


def test_the_stage_does_not_link_on_a_name_many_pool_stories_write() -> None:
    near, far = vectors(0.4)
    elsewhere = np.zeros(512, dtype=np.float32)
    elsewhere[2] = 1.0  # cosine 0 to both: the French story only adds to the names' counts
    for max_stories, expected in ((5, 1), (2, 0)):
        # min_score 9: the zero-cosine story halves the neighbour means, so margins reach 2.
        links = LinkConfig(min_score=9.0, name_min_cosine=0.35, name_max_stories=max_stories)
        pool, config = LinkPool(), LinkStageConfig(links=links)
        crowd = "Shahid Rajaee, Bandar Abbas"
        texts = (("s-1", "de", PORT_DE, near), ("s-2", "fr", crowd, elsewhere))
        for story_id, language, text, vector in texts:
            apply_outcome(link_step(encode_record(started(story_id, language, text, T0)), T0,
                                    None, vector, pool, config), pool)  # fmt: skip
        outcome = link_step(encode_record(started("s-3", "en", PORT_EN, T0)), T0, None, far,
                            pool, config)  # fmt: skip
        assert outcome.links_made == expected
