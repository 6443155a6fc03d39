"""Round 10 of cross-language links (bench/README.md, "Round 10"): two rules for bare pairs.

A bare pair shares no number and no name that counts, so it links on its margin alone.

- LinkConfig.bare_window_min_cosine: a bare pair first seen more than a day apart (round 9's
  window) still links without a common topic or country when its cosine reaches 0.6: the English
  and Arabic reports of the New Delhi station stampede, dated two days apart, cosine 0.62.
- LinkConfig.bare_min_cosine: a bare pair below cosine 0.32 links only when both stories name a
  common country (a Polish and a Romanian presidential vote at cosine 0.30 did not).
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

HOUR = 3600.0


def bare(cosine: float, hours: float, **fields: object) -> LinkEvidence:
    """Evidence of a pair sharing no number and no name, its margin well above min_score."""
    return replace(LinkEvidence(cosine, 1.5, (), (), hours), **fields)  # type: ignore[arg-type]  # test-only keyword pass-through


def test_the_defaults() -> None:
    config = LinkConfig()
    assert config.bare_window_min_cosine == 0.6
    assert config.bare_min_cosine == 0.45  # 0.32 in round 10; raised in round 13


def test_a_close_bare_pair_links_across_the_bare_window_without_agreement() -> None:
    config = LinkConfig()
    # crosslang_links4: the Delhi station stampede, English and Arabic, two days apart.
    delhi = bare(0.62, 48.0)
    assert delhi.bare(config) and delhi.agreements == ()
    assert decide_link(delhi, config)
    assert not decide_link(delhi, replace(config, bare_window_min_cosine=0.0))  # as in round 9
    # Below the floor the round-9 window holds: no common topic or country, no link.
    assert not decide_link(bare(0.55, 48.0), config)
    assert decide_link(bare(0.55, 48.0, agreements=("topics",)), config)
    # A disagreement still refuses it (a magnitude gap under the 0.4 veto).
    assert not decide_link(bare(0.62, 48.0, conflicts=("magnitudes:0.3",)), config)
    assert decide_link(bare(0.62, 20.0, conflicts=("magnitudes:0.3",)), config)  # within a day
    # The link window itself still bounds it.
    assert not decide_link(bare(0.9, 80.0), config)


def test_a_bare_pair_near_the_cosine_floor_needs_a_common_country() -> None:
    config = LinkConfig(bare_min_cosine=0.32)  # round 10's floor (0.45 since round 13)
    # crosslang_links2: the Polish runoff ~ the Romanian runoff, both "elections", cosine 0.30.
    votes = bare(0.31, 0.0, agreements=("topics",))
    assert not decide_link(votes, config)
    assert decide_link(votes, replace(config, bare_min_cosine=0.0))  # off, as in round 9
    assert decide_link(votes, replace(config, bare_min_cosine=config.min_cosine))  # off too
    assert decide_link(bare(0.31, 0.0, agreements=("topics", "countries")), config)
    assert decide_link(bare(0.33, 0.0), config)  # above the floor the margin alone links
    # Shared evidence is not bare: a shared number, or a shared name that counts.
    assert decide_link(replace(votes, shared_numbers=("2750",)), config)
    assert decide_link(replace(votes, shared_names=("nlks",)), config)
    # ... but a three-letter skeleton of an every-word script leaves it bare (round 9).
    assert not decide_link(replace(votes, shared_names=("tlt",), weak_by_length=(1, 1, 1, 1)),
                           config)  # fmt: skip


def test_the_config_refuses_out_of_range_values() -> None:
    with pytest.raises(ValueError):
        LinkConfig(bare_window_min_cosine=1.5)
    with pytest.raises(ValueError):
        LinkConfig(bare_window_min_cosine=-0.1)
    with pytest.raises(ValueError):
        LinkConfig(bare_min_cosine=2.0)


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


def test_the_stage_reads_countries_for_the_cosine_floor_alone() -> None:
    # Every other bare rule off: only bare_min_cosine needs the stories' countries.
    links = LinkConfig(min_score=0.9, bare_country_veto=False, bare_topic_veto=False,
                       bare_window_seconds=0.0)  # fmt: skip
    poland = ("pl", "Polska: wybory prezydenckie", "druga tura wyborów", 0.0, 1.0)
    romania = ("fr", "Présidentielle en Roumanie", "le second tour du scrutin", 1.0, 0.31)
    pool = run(LinkStageConfig(links=links), [poland, romania])
    assert pool.stored("s-1").linked_stories == ()
    assert pool.stored("s-1").countries == ("RO",)
    off = replace(links, bare_min_cosine=0.0)
    pool = run(LinkStageConfig(links=off), [poland, romania])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
    # Naming one country, the same pair links.
    polish = ("fr", "Présidentielle en Pologne", "le second tour du scrutin", 1.0, 0.31)
    pool = run(LinkStageConfig(links=links), [poland, polish])
    assert [link.story_id for link in pool.stored("s-1").linked_stories] == ["s-0"]
