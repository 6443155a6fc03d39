"""The story agent: articles (re-keyed by script group) → the same articles with a story id.

Near-duplicates (the same wire story rewritten by several outlets) get one story id: a MinHash
LSH index over recent items, in two changelog-backed tables, finds the candidates. The input is
keyed by script group, so every item that could match lands on the same partition and worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime

import faust
from faust.types import StreamT, TableT

from agents.wiring import Wiring
from streams.codec import decode_article, decode_story_bucket, decode_story_signature, encode_record
from streams.kafka.topics import STORY_INDEX_CHANGELOG, STORY_ROUTE, STORY_SIGNATURES_CHANGELOG
from streams.records import StoryBucket, StorySignature
from streams.routing import Outbound, story_outputs
from streams.stories.cluster import StoryAssignment, assign_story, expired_keys, script_group

# Most band keys are written once and never read again; a sweep this often (wall-clock seconds)
# deletes what is past the horizon so the tables stay bounded.
SWEEP_INTERVAL_SECONDS = 900.0


@dataclass(frozen=True, slots=True)
class _Assigned:
    group: str
    assignment: StoryAssignment
    outputs: tuple[Outbound, ...]


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the story agent and its two tables to `app`."""
    config = wiring.stages.stories
    index = wiring.table(app, "story-index", STORY_INDEX_CHANGELOG)
    # Keyed "group|item_id", like the index's "group|..." keys: every key names the script group
    # whose partition wrote it, so a sweep deletes only keys of the partition being processed
    # (Faust writes a deletion to the changelog partition of the current event).
    signatures = wiring.table(app, "story-signatures", STORY_SIGNATURES_CHANGELOG)

    def read_bucket(key: str) -> StoryBucket | None:
        stored = index.get(key)
        return decode_story_bucket(stored) if stored is not None else None

    def step(payload: bytes, now: datetime) -> _Assigned:
        article = decode_article(payload)
        group = script_group(article)

        def read_signature(item_id: str) -> StorySignature | None:
            stored = signatures.get(f"{group}|{item_id}")
            return decode_story_signature(stored) if stored is not None else None

        # The item's own fetch time stamps it, so a replay clusters as the live run did.
        assignment = assign_story(
            article, article.fetched_at.timestamp(), read_bucket, read_signature, config
        )
        placed = replace(article, story_id=assignment.story_id)
        return _Assigned(group, assignment, story_outputs(placed))

    def sweep(group: str, now: float) -> None:
        prefix = f"{group}|"
        for table, decode in ((index, decode_story_bucket), (signatures, decode_story_signature)):
            entries = [
                (key, decode(value)) for key, value in list(table.items()) if key.startswith(prefix)
            ]
            for key in expired_keys(entries, now, config):
                del table[key]

    last_sweep: dict[str, float] = {}

    def keep(outcome: _Assigned) -> None:
        assignment, group = outcome.assignment, outcome.group
        wiring.metrics.stories_assigned.labels(
            "new" if assignment.match == "new" else "joined"
        ).inc()
        for key, bucket in assignment.index_writes.items():
            _write(index, key, bucket)
        for item_id, signature in assignment.signature_writes.items():
            _write(signatures, f"{group}|{item_id}", signature)
        swept = last_sweep.setdefault(group, time.monotonic())
        if time.monotonic() - swept > SWEEP_INTERVAL_SECONDS:
            last_sweep[group] = time.monotonic()
            sweep(group, wiring.now().timestamp())

    @app.agent(wiring.topics[STORY_ROUTE.suffix], name="story")
    async def story(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.process("story", event, step, keep)


def _write(table: TableT[str, bytes], key: str, value: StoryBucket | StorySignature | None) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = encode_record(value)
