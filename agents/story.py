"""The story agent: articles (re-keyed by script group) → the same articles with a story id.

Near-duplicates (the same wire story rewritten by several outlets) get one story id: a MinHash
LSH index over recent items, in two changelog-backed tables, finds the candidates. The input is
keyed by script group, so every item that could match lands on the same partition and worker.
The item that starts a story also goes to story-starts, for the link stage (agents/link.py),
unless `link_max_per_second` is 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import faust
from faust.types import StreamT, TableT

from agents.wiring import Wiring
from streams.codec import decode_article, decode_story_bucket, decode_story_signature, encode_record
from streams.kafka.topics import STORY_INDEX_CHANGELOG, STORY_ROUTE, STORY_SIGNATURES_CHANGELOG
from streams.records import Stage, StoryBucket, StorySignature
from streams.routing import Outbound, story_outputs, story_start_outputs
from streams.stories.cluster import (
    StoryAssignment,
    StoryConfig,
    assign_story,
    expired_keys,
    script_group,
)

# Most band keys are written once and never read again; a sweep this often (wall-clock seconds)
# deletes what is past the horizon so the tables stay bounded.
SWEEP_INTERVAL_SECONDS = 900.0

TableReader = Callable[[str], bytes | None]
TableWriter = Callable[[str, bytes | None], None]  # None deletes the key


@dataclass(frozen=True, slots=True)
class StoryPlacement:
    """An article placed in a story: its script group, the assignment and the article to send."""

    group: str
    assignment: StoryAssignment
    outputs: tuple[Outbound, ...]


def story_step(
    payload: bytes,
    read_index: TableReader,
    read_signatures: TableReader,
    config: StoryConfig,
    announce_at: datetime | None = None,
) -> StoryPlacement:
    """An article's bytes → its story (a match in the index, else a new one) and the article with
    its story id. Signature keys are "group|item_id": every key names the script group whose
    partition wrote it. With `announce_at` (the link stage is on), the item that starts a story
    is also sent to story-starts, stamped with that time."""
    article = decode_article(payload)
    group = script_group(article)

    def read_bucket(key: str) -> StoryBucket | None:
        stored = read_index(key)
        return decode_story_bucket(stored) if stored is not None else None

    def read_signature(item_id: str) -> StorySignature | None:
        stored = read_signatures(f"{group}|{item_id}")
        return decode_story_signature(stored) if stored is not None else None

    # The item's own fetch time stamps it, so a replay clusters as the live run did.
    assignment = assign_story(
        article, article.fetched_at.timestamp(), read_bucket, read_signature, config
    )
    placed = replace(article, story_id=assignment.story_id)
    outputs = story_outputs(placed)
    if announce_at is not None and assignment.match == "new":
        outputs += story_start_outputs(placed, announce_at)
    return StoryPlacement(group, assignment, outputs)


def keep_story_tables(
    placement: StoryPlacement, write_index: TableWriter, write_signatures: TableWriter
) -> None:
    """Write what the assignment changed in both tables (None values delete their keys)."""
    assignment = placement.assignment
    for key, bucket in assignment.index_writes.items():
        write_index(key, encode_record(bucket) if bucket is not None else None)
    for item_id, signature in assignment.signature_writes.items():
        key = f"{placement.group}|{item_id}"
        write_signatures(key, encode_record(signature) if signature is not None else None)


def expired_story_keys(
    index: Iterable[tuple[str, bytes]],
    signatures: Iterable[tuple[str, bytes]],
    group: str,
    now: float,
    config: StoryConfig,
) -> tuple[list[str], list[str]]:
    """Keys of `group` past the story horizon in the index and in the signatures."""
    prefix = f"{group}|"
    buckets = [(k, decode_story_bucket(v)) for k, v in index if k.startswith(prefix)]
    signed = [(k, decode_story_signature(v)) for k, v in signatures if k.startswith(prefix)]
    return expired_keys(buckets, now, config), expired_keys(signed, now, config)


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the story agent and its two tables to `app`."""
    config = wiring.stages.stories
    index = wiring.table(app, "story-index", STORY_INDEX_CHANGELOG)
    # Keyed "group|item_id", like the index's "group|..." keys, so a sweep deletes only keys of
    # the partition being processed (Faust writes a deletion to the changelog partition of the
    # current event).
    signatures = wiring.table(app, "story-signatures", STORY_SIGNATURES_CHANGELOG)
    last_sweep: dict[str, float] = {}
    announce = wiring.settings.link_max_per_second > 0

    def step(payload: bytes, now: datetime) -> StoryPlacement:
        return story_step(payload, index.get, signatures.get, config, now if announce else None)

    def keep(placement: StoryPlacement) -> None:
        match = placement.assignment.match
        wiring.metrics.stories_assigned.labels("new" if match == "new" else "joined").inc()
        keep_story_tables(placement, _writer(index), _writer(signatures))
        group = placement.group
        swept = last_sweep.setdefault(group, time.monotonic())
        if time.monotonic() - swept > SWEEP_INTERVAL_SECONDS:
            last_sweep[group] = time.monotonic()
            expired = expired_story_keys(
                list(index.items()), list(signatures.items()), group, wiring.now().timestamp(),
                config,
            )  # fmt: skip
            for table, keys in zip((index, signatures), expired, strict=True):
                for key in keys:
                    del table[key]

    @app.agent(wiring.topics[STORY_ROUTE.suffix], name="story")
    async def story(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.process(Stage.STORY, event, step, keep)


def _writer(table: TableT[str, bytes]) -> TableWriter:
    def write(key: str, value: bytes | None) -> None:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value

    return write
