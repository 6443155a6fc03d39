"""Round 11 of cross-language links (bench/README.md, "Round 11"): a place and its country.

A pair sharing a rare name links on it from cosine 0.35 (LinkConfig.name_min_cosine, round 5).
Round 11 lowers that floor to 0.25 (LinkConfig.name_country_min_cosine) when both stories also
name a common country: reports in languages the encoder leaves apart (an Ukrainian and an English
report of the Poltava strike at cosine 0.29, both naming Poltava and Ukraine) link on the place
and its country, within the name path's 12-hour window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import LinkConfig, LinkEvidence, decide_link


def named(cosine: float, hours: float, **fields: object) -> LinkEvidence:
    """Evidence of a pair sharing one rare name and no number, its margin far below min_score."""
    evidence = LinkEvidence(cosine, 0.8, (), ("bltb",), hours, rare_names=1)
    return replace(evidence, **fields)  # type: ignore[arg-type]  # test-only keyword pass-through


def test_the_default() -> None:
    config = LinkConfig()
    assert config.name_country_min_cosine == 0.25
    assert config.name_min_cosine == 0.35  # unchanged without a common country


def test_a_shared_place_and_country_link_a_distant_pair() -> None:
    config = LinkConfig()
    # crosslang_links6: the Poltava strike, Ukrainian and English, cosine 0.29, same day.
    poltava = named(0.29, 0.0, agreements=("countries",))
    assert decide_link(poltava, config)
    assert not decide_link(poltava, replace(config, name_country_min_cosine=0.0))  # round 10
    # Without a common country the round-5 floor holds.
    assert not decide_link(named(0.29, 0.0), config)
    assert not decide_link(named(0.29, 0.0, agreements=("topics",)), config)
    assert decide_link(named(0.36, 0.0), config)
    # Below the new floor, past the name window, or a name that is not rare: no link.
    assert not decide_link(named(0.24, 0.0, agreements=("countries",)), config)
    assert not decide_link(named(0.29, 13.0, agreements=("countries",)), config)
    assert not decide_link(named(0.29, 0.0, agreements=("countries",), rare_names=0), config)
    # Two languages of one uncased script share common words as names: never on names alone.
    assert not decide_link(named(0.29, 0.0, agreements=("countries",), shared_script=True),
                           config)  # fmt: skip
    # The name path off turns this off too.
    assert not decide_link(poltava, replace(config, name_min_cosine=0.0))
    # A floor at or above name_min_cosine changes nothing.
    assert not decide_link(poltava, replace(config, name_country_min_cosine=0.4))


def test_the_config_refuses_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        LinkConfig(name_country_min_cosine=1.5)
    with pytest.raises(ValueError):
        LinkConfig(name_country_min_cosine=-0.1)


T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def unit(cosine: float) -> np.ndarray:
    """A 512-d unit vector at `cosine` to the first axis."""
    vector = np.zeros(512, dtype=np.float32)
    vector[0], vector[1] = cosine, np.sqrt(1.0 - cosine * cosine)
    return vector


def run(config: LinkStageConfig, stories: list[tuple[str, str, str, float, float]]) -> LinkPool:
    """Each story (language, title, lead, hours after T0, cosine to the first axis) in order."""
    pool = LinkPool()
    for index, (language, title, lead, hours, cosine) in enumerate(stories):
        at = T0 + timedelta(hours=hours)
        started = StoryStarted(f"s-{index}", language, title, lead, None, at, at)
        outcome = link_step(encode_record(started), at, None, unit(cosine), pool, config)
        apply_outcome(outcome, pool)
    return pool


ENGLISH = ("en", "Black day in Poltava", "A missile strike on Poltava, Ukraine", 0.0, 1.0)
UKRAINIAN = ("uk", "Удар по Полтаві", "Ракетний удар по Полтаві, Україна", 1.0, 0.29)


def test_the_stage_links_a_place_and_its_country_at_a_low_cosine() -> None:
    pool = run(LinkStageConfig(), [ENGLISH, UKRAINIAN])
    assert pool.stored("s-0").countries == ("UA",)
    assert pool.stored("s-1").countries == ("UA",)
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
    off = LinkStageConfig(links=LinkConfig(name_country_min_cosine=0.0))
    assert run(off, [ENGLISH, UKRAINIAN]).stored("s-1").linked_stories == ()
    # No common country named: the Ukrainian report of another country's strike stays apart.
    other = ("uk", "Удар по Полтаві", "Ракети влучили в Полтаву, Молдова", 1.0, 0.29)
    assert run(LinkStageConfig(), [ENGLISH, other]).stored("s-1").linked_stories == ()


def test_the_stage_takes_pairs_below_both_old_floors_as_candidates() -> None:
    # With the evidence path off, only the new floor makes the 0.29 pair a candidate.
    links = LinkConfig(evidence_min_cosine=0.0)
    pool = run(LinkStageConfig(links=links), [ENGLISH, UKRAINIAN])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
    off = replace(links, name_country_min_cosine=0.0)
    assert run(LinkStageConfig(links=off), [ENGLISH, UKRAINIAN]).stored("s-1").linked_stories == ()
