"""The link stage across restarts: the same replay as `link_bench.py --stream`, with the pool
rebuilt from its table every N stories, as a worker restart or a rebalance rebuilds it.

The replay keeps a table as the link agent does (agents/link.py `keep`): each state the step
writes, encoded, under its story id, and a stale story deleted from both. Every `--every`
stories the pool is rebuilt from that table's values (decode_story_digest), or, with `--source
pool`, from the pool's own states (`LinkPool.stored`, which also hold the in-memory neighbour
updates the table gets only with a story's next write). A rebuild that loses nothing links
exactly as the replay without restarts. Stale stories leave the pool and the table as in the
agent (`stale_stories`), which `link_bench.py --stream` did not do before round 12 (now its
`--no-prune`): the numbers here differed from that replay's (on crosslang_links --set all, 26
false links here against 12 there), not between the two replays here. Never asserts on time.

    .venv/bin/python bench/link_restart_bench.py --every 1
    .venv/bin/python bench/link_restart_bench.py --data bench/data/crosslang_links2.jsonl --set all
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from link_bench import DATA, Report, Score, load_reports, tagged

from streams.codec import decode_story_digest, encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import (
    LinkPool,
    LinkStageConfig,
    apply_outcome,
    link_step,
    stale_stories,
)
from streams.stories.links import Embedding, LinkConfig, load_encoder
from streams.tagging.taxonomy import load_default_taxonomy


def replay(
    reports: list[Report],
    vectors: list[Embedding],
    config: LinkStageConfig,
    every: int,
    source: str,
) -> tuple[set[frozenset[str]], int]:
    """Pairs of report ids linked when the reports arrive in first-seen order and the pool is
    rebuilt every `every` stories (0: never); and how many rebuilds there were."""
    order = sorted(range(len(reports)), key=lambda i: (reports[i].seen_at or 0.0, reports[i].id))
    pool = LinkPool(neighbours=config.links.neighbours)
    table: dict[str, bytes] = {}
    ids = {f"s-{index:016x}": reports[index].id for index in range(len(reports))}
    linked: set[frozenset[str]] = set()
    rebuilds = 0
    for count, index in enumerate(order):
        if every and count and count % every == 0:
            values = (
                table.values()
                if source == "table"
                else [encode_record(pool.stored(story_id)) for story_id in pool.states]
            )
            pool.rebuild(decode_story_digest(value) for value in values)
            rebuilds += 1
        report = reports[index]
        at = datetime.fromtimestamp(report.seen_at or 0.0, UTC)  # as link_bench.stream_links
        started = StoryStarted(f"s-{index:016x}", report.lang, report.title, report.lead, None,
                               at, at)  # fmt: skip
        outcome = link_step(encode_record(started), at, None, vectors[index], pool, config)
        for state in apply_outcome(outcome, pool):
            table[state.story_id] = encode_record(state)
        for story_id in stale_stories(pool, config):
            pool.remove(story_id)
            table.pop(story_id, None)
        assert outcome.added is not None
        for link in outcome.added.linked_stories:
            linked.add(frozenset((report.id, ids[link.story_id])))
    return linked, rebuilds


def scored(reports: list[Report], linked: set[frozenset[str]]) -> Score:
    total = Score()
    for a, ra in enumerate(reports):
        for rb in reports[a + 1 :]:
            if ra.lang != rb.lang:
                total.add(frozenset((ra.id, rb.id)) in linked, ra.event_id == rb.event_id)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tuning", "heldout", "all"), default="tuning")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--every", type=int, default=1, help="rebuild the pool every N stories")
    parser.add_argument("--source", choices=("table", "pool"), default="table")
    parser.add_argument("--vetoes", default="years,magnitudes",
                        help="the detail vetoes to apply (comma list; '' for none)")  # fmt: skip
    args = parser.parse_args()

    taxonomy = load_default_taxonomy()
    reports = [tagged(r, taxonomy) for r in load_reports(args.set, args.data)]
    vectors = list(load_encoder(threads=1).encode([r.text for r in reports]))
    vetoes = set(filter(None, args.vetoes.split(",")))
    links = replace(LinkConfig(), topic_veto="topics" in vetoes, year_veto="years" in vetoes,
                    max_magnitude_gap=LinkConfig().max_magnitude_gap
                    if "magnitudes" in vetoes else 0.0)  # fmt: skip
    config = LinkStageConfig(links=links, taxonomy=taxonomy)
    fresh, _ = replay(reports, vectors, config, 0, args.source)
    rebuilt, rebuilds = replay(reports, vectors, config, args.every, args.source)
    print(f"set {args.set} of {args.data.name}: {len(reports)} reports, vetoes {sorted(vetoes)}")
    print(f"no restart          : {scored(reports, fresh).line()}")
    print(f"{rebuilds:3d} rebuilds ({args.source}): {scored(reports, rebuilt).line()}")
    print(f"links only without restarts {len(fresh - rebuilt)}, only with them "
          f"{len(rebuilt - fresh)}")  # fmt: skip


if __name__ == "__main__":
    main()
