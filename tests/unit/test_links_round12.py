"""Round 12 of cross-language links (bench/README.md, "Round 12"): a faithful stage replay.

`link_bench.py --stream` kept every story in the pool forever (rounds 1-11), where the link agent
drops stories past the 72 h window and the oldest beyond `link_pool_max` (agents/link.py `keep`,
`stale_stories`). The replay now prunes as the agent does, with the agent's own stage config, and
`--density` gives the pool a stated volume of real distractor texts placed in time.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from streams.settings import Settings
from streams.stories.link_stage import LinkStageConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import link_bench  # bench/ is not a package: found through the path above

T0 = datetime(2025, 5, 4, 12, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


def vector(seed: int) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=512).astype(np.float32)
    return values / np.linalg.norm(values)


def report(name: str, lang: str, hours: float, event: str = "e") -> link_bench.Report:
    title = f"Story {name}"
    return link_bench.Report(name, event, lang, title, T0 + hours * HOUR, title, "")


def sizes_of(reports: list[link_bench.Report], config: LinkStageConfig, prune: bool) -> list[int]:
    sizes = link_bench.PoolSizes([])
    vectors = [vector(i) for i in range(len(reports))]
    link_bench.stream_links(reports, vectors, config, prune=prune, sizes=sizes)
    return sizes.sizes


def test_the_replay_drops_stories_past_the_window_as_the_agent_does() -> None:
    reports = [report("a", "en", 0), report("b", "de", 80), report("c", "fr", 81)]
    assert sizes_of(reports, LinkStageConfig(), prune=True) == [0, 1, 1]
    assert sizes_of(reports, LinkStageConfig(), prune=False) == [0, 1, 2]  # rounds 1-11


def test_the_replay_keeps_at_most_pool_max_stories() -> None:
    reports = [report(f"r{i}", ("en", "de")[i % 2], i) for i in range(6)]
    config = LinkStageConfig(pool_max=2)
    assert sizes_of(reports, config, prune=True) == [0, 1, 2, 2, 2, 2]
    assert sizes_of(reports, config, prune=False) == [0, 1, 2, 3, 4, 5]


def test_the_stream_links_a_same_event_pair_with_pruning() -> None:
    reports = [report("a", "en", 0), report("b", "de", 1)]
    same = vector(7)
    linked, _ = link_bench.stream_links(reports, [same, same], LinkStageConfig(), prune=True)
    assert linked == {frozenset(("a", "b"))}


def test_the_bench_stage_is_the_agents_config() -> None:
    links = replace(link_bench.LinkConfig(), min_score=1.2)
    stage = link_bench.agent_stage(links, None)
    assert stage.pool_max == Settings().link_pool_max
    assert stage.max_per_second == Settings().link_max_per_second
    assert stage.links == links


def test_report_spans_merge_the_time_within_72_hours_of_a_report() -> None:
    reports = [report("a", "en", 0), report("b", "de", 100), report("c", "fr", 400)]
    spans = link_bench.report_spans(reports)
    assert spans == [(T0 - 72 * HOUR, T0 + 172 * HOUR), (T0 + 328 * HOUR, T0 + 472 * HOUR)]


def test_density_distractors_stay_near_reports_and_never_meet_their_own_copy() -> None:
    reports = [report("a", "en", 0), report("b", "de", 24 * 20), report("c", "fr", 24 * 21)]
    dense = link_bench.density_distractors(400, reports)
    spans = link_bench.report_spans(reports)
    days = sum(end - start for start, end in spans) / 86400.0
    assert len(dense) == round(400 * days)
    assert all(any(s <= d.seen_at <= e for s, e in spans) for d in dense)  # type: ignore[operator]
    assert len({d.id for d in dense}) == len(dense)
    by_text: dict[str, list[float]] = {}
    for d in dense:
        by_text.setdefault(d.text, []).append(d.seen_at)  # type: ignore[arg-type]
    assert any(len(times) > 1 for times in by_text.values())  # texts are used again...
    for times in by_text.values():  # ...but never within 144 h of their own copy
        assert all(b - a > 144 * HOUR for a, b in itertools.pairwise(times))


def test_density_distractors_refuse_a_rate_that_would_bring_copies_together() -> None:
    reports = [report("a", "en", 0)]
    with pytest.raises(ValueError, match="copies"):
        link_bench.density_distractors(1000, reports)
    assert link_bench.density_distractors(0, reports) == []
