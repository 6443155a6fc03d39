"""The story agent: articles (re-keyed by story group) → the same articles with a story id.

Near-duplicates (the same wire story rewritten by several outlets) get one story id: a MinHash
LSH index over recent items finds the candidates. The input is keyed by story group (script and
detected language, `story_group`: near-duplicates are rewrites in one language), so every
item that could match lands on the same partition and worker. Only the signatures are a
changelog-backed table (one write per item); the band and link index is kept in memory, derived
from them: each group's is rebuilt from the table the first time the group is placed after a
rebalance (streams/stories/cluster.py, `StoryIndex`).
The item that starts a story also goes to story-starts, for the link stage (agents/link.py),
unless `link_max_per_second` is 0.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import faust
import rocksdict
from faust.stores.rocksdb import Store as RocksDBStore
from faust.types import StreamT, TableT

from agents.wiring import Wiring, table_reader
from streams.codec import (
    decode_article,
    decode_story_signature,
    encode_record,
    split_records,
)
from streams.errors import DecodeError
from streams.kafka.topics import STORY_ROUTE, STORY_SIGNATURES_CHANGELOG
from streams.records import Stage, StoryBucket, StorySignature
from streams.routing import Outbound, story_outputs, story_start_outputs
from streams.stories.cluster import (
    StoryAssignment,
    StoryConfig,
    StoryIndex,
    assign_story,
    expired_keys,
    story_group,
)

log = logging.getLogger(__name__)

# Most band keys are written once and never read again; a sweep this often (wall-clock seconds)
# deletes what is past the horizon so the table and the index stay bounded.
SWEEP_INTERVAL_SECONDS = 900.0

TableReader = Callable[[str], bytes | None]
TableWriter = Callable[[str, bytes | None], None]  # None deletes the key
IndexOf = Callable[[str], Callable[[str], StoryBucket | None]]  # group -> the group's buckets


# Signatures kept decoded between items. A new item's candidates are mostly the few newest
# members of its story that the buckets keep, read again for each of its variants, and a decode
# costs ~5 µs (JSON and base64). Of the reads, 76 % hit in story_bench (6,000 items, 5.3 reads an
# item) and 64 % on bench/stream.py's realistic stream (5,000 items, 3.2 reads an item), keeping
# what was read; keeping what was written too, see `DecodedSignatures`.
_DECODED_MAX = 1_024
# The agent's own, which keeps what it writes as well: the newest items are the likely
# candidates. On the realistic stream (bench/README.md, "Eighth cut"), table reads an item left
# at 20,000 / 100,000 items: none kept 9.7 / 47.2, 4,096 kept 2.9 / 28.1, 8,192 kept 1.8 / 23.0,
# 16,384 kept 1.0 / 18.8. A record is ~0.9 KB (the 512-byte MinHash and the record around it);
# 16,384 of them cost a process 24 MiB of RSS. 8,192: most of the reads saved for half that.
AGENT_DECODED_MAX = 8_192


class DecodedSignatures:
    """The last signatures `story_step` decoded or `keep_story_tables` wrote, by table key, each
    with the bytes it was decoded from or written as: a read of equal bytes gets the same record
    back without decoding (a record is a function of its bytes), any other read is decoded.
    Bounded: the oldest go first.

    `sole_writer`: every write to the table goes through `keep_story_tables` (and deletions
    through `wrote(key, None, None)`) with this cache, and `clear()` is called whenever the table
    may have been changed otherwise (a rebalance restores partitions from their changelogs). A key
    held is then answered without reading the table at all: on RocksDB the read, not the decode,
    is the cost (a quarter of a worker's CPU at 250,000 items). The story agent is the one writer
    of its table and clears this with its index. What it cannot answer is a key that is absent:
    each item's read of its own id (is it an update?) still reads the table, where RocksDB's
    Bloom filters answer most of them without reading a block."""

    __slots__ = ("_held", "_limit", "_sole_writer")

    def __init__(self, sole_writer: bool = False, limit: int = _DECODED_MAX) -> None:
        # Ordered by insertion for dropping the oldest: popitem(last=False) is O(1), where
        # next(iter(dict)) walks over every slot deleted before it (3 % of a worker's CPU).
        self._held: OrderedDict[str, tuple[bytes, StorySignature]] = OrderedDict()
        self._sole_writer = sole_writer
        self._limit = limit

    def __len__(self) -> int:
        return len(self._held)

    def held(self, key: str) -> StorySignature | None:
        """The table's record under `key` without reading the table, if this is the sole
        writer's cache and holds it; else None (read the table)."""
        if not self._sole_writer:
            return None
        held = self._held.get(key)
        return None if held is None else held[1]

    def decode(self, key: str, stored: bytes) -> StorySignature:
        held = self._held.get(key)
        if held is not None and held[0] == stored:
            return held[1]
        signature = decode_story_signature(stored)
        self._keep(key, stored, signature, held is not None)
        return signature

    def wrote(self, key: str, stored: bytes | None, signature: StorySignature | None) -> None:
        """The table's value under `key` is now `stored`, encoded from `signature` (None: the key
        was deleted)."""
        if stored is None or signature is None:
            self._held.pop(key, None)
        else:
            self._keep(key, stored, signature, key in self._held)

    def clear(self) -> None:
        self._held.clear()

    def _keep(self, key: str, stored: bytes, signature: StorySignature, replacing: bool) -> None:
        if not replacing and len(self._held) >= self._limit:
            self._held.popitem(last=False)
        # The sole writer answers its keys with `held`, never comparing bytes: it keeps none (on
        # RocksDB they would be a copy the size of the record).
        self._held[key] = (b"" if self._sole_writer else stored, signature)


@dataclass(frozen=True, slots=True)
class StoryPlacement:
    """An article placed in a story: its story group, the assignment and the article to send."""

    group: str
    assignment: StoryAssignment
    outputs: tuple[Outbound, ...]
    seen_at: float  # the item's fetch time, epoch seconds: the stage's clock


def story_step(
    payload: bytes,
    index_of: IndexOf,
    read_signatures: TableReader,
    config: StoryConfig,
    announce_at: datetime | None = None,
    decoded: DecodedSignatures | None = None,
) -> StoryPlacement:
    """An article's bytes → its story (a match in the index, else a new one) and the article with
    its story id. Signature keys are "group|item_id": every key names the story group whose
    partition wrote it. With `announce_at` (the link stage is on), the item that starts a story
    is also sent to story-starts, stamped with that time. `index_of(group)` gives the group's
    index (built from the signatures first if the worker has not placed the group yet).
    `decoded`, kept from item to item, saves decoding signatures read before."""
    article = decode_article(payload)
    # The story-route key the enrich stage sent it under (streams/routing.py calls the same).
    group = story_group(article)

    def read_signature(item_id: str) -> StorySignature | None:
        key = f"{group}|{item_id}"
        known = None if decoded is None else decoded.held(key)
        if known is not None:
            return known
        stored = read_signatures(key)
        if stored is None:
            return None
        return decode_story_signature(stored) if decoded is None else decoded.decode(key, stored)

    # The item's own fetch time stamps it, so a replay clusters as the live run did.
    seen_at = article.fetched_at.timestamp()
    assignment = assign_story(article, seen_at, index_of(group), read_signature, config, group)
    placed = replace(article, story_id=assignment.story_id)
    outputs = story_outputs(placed)
    if announce_at is not None and assignment.match == "new":
        outputs += story_start_outputs(placed, announce_at)
    return StoryPlacement(group, assignment, outputs, seen_at)


def keep_story_tables(
    placement: StoryPlacement,
    index: StoryIndex,
    write_signatures: TableWriter,
    decoded: DecodedSignatures | None = None,
) -> None:
    """Apply the assignment's index writes to the in-memory index and write its signatures to
    the table (None values delete their keys): the table's one write per item is the state a
    restarted worker rebuilds the index from. `decoded` (the one `story_step` reads with) keeps
    what was written."""
    assignment = placement.assignment
    index.apply(placement.group, assignment.index_writes)
    for item_id, signature in assignment.signature_writes.items():
        key = f"{placement.group}|{item_id}"
        value = encode_record(signature) if signature is not None else None
        write_signatures(key, value)
        if decoded is not None:
            decoded.wrote(key, value, signature)


def group_signatures(
    signatures: Iterable[tuple[str, bytes]], group: str
) -> Iterator[tuple[str, StorySignature]]:
    """(item_id, signature) of `group` in the table's (key, value) pairs. A value that does not
    decode is left out (it could only have been written by another release) rather than stopping
    the agent; the sweep deletes it with the rest once it is old enough to be unreadable anyway."""
    prefix = f"{group}|"
    for key, value in signatures:
        if key.startswith(prefix):
            try:
                yield key[len(prefix) :], decode_story_signature(value)
            except DecodeError:
                continue


def expired_story_keys(
    signatures: Iterable[tuple[str, bytes]], group: str, now: float, config: StoryConfig
) -> list[str]:
    """Keys of `group` in the signatures table past the story horizon at `now`. The pairs are
    read one at a time (a RocksDB table's are never all in memory)."""
    signed = ((f"{group}|{item_id}", s) for item_id, s in group_signatures(signatures, group))
    return expired_keys(signed, now, config)


def sweep_story_tables(
    signatures: Iterable[tuple[str, bytes]],
    group: str,
    now: float,
    config: StoryConfig,
    index: StoryIndex,
    write_signatures: TableWriter,
    decoded: DecodedSignatures | None = None,
) -> None:
    """Delete `group`'s keys past the story horizon at `now` from the table (`signatures`: its
    pairs, read one at a time), from `decoded` and from the index."""
    for key in expired_story_keys(signatures, group, now, config):
        write_signatures(key, None)
        if decoded is not None:
            decoded.wrote(key, None, None)
    index.sweep(group, now)


def agent_decoded_signatures() -> DecodedSignatures:
    """The story agent's cache: the one writer of its table, AGENT_DECODED_MAX records."""
    return DecodedSignatures(sole_writer=True, limit=AGENT_DECODED_MAX)


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the story agent, its signatures table and its in-memory index to `app`."""
    config = wiring.stages.stories
    # Keyed "group|item_id", so a sweep deletes only keys of the partition being processed
    # (Faust writes a deletion to the changelog partition of the current event).
    signatures = wiring.table(app, "story-signatures", STORY_SIGNATURES_CHANGELOG)
    read_signature_bytes = table_reader(signatures)
    index = StoryIndex(config)
    # The agent is its table's one writer (keep, the sweep) and clears this with the index.
    decoded = agent_decoded_signatures()
    stale = {"index": True}
    last_sweep: dict[str, float] = {}
    announce = wiring.settings.link_max_per_second > 0

    def on_rebalance(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        # The partitions (and so the groups) this worker owns may change, and the table is
        # restored from the changelog: every group's index is rebuilt on its next item.
        stale["index"] = True

    for signal in (app.on_partitions_assigned, app.on_partitions_revoked,
                   app.on_rebalance_complete):  # fmt: skip
        signal.connect(on_rebalance)  # type: ignore[arg-type]  # mode's mypy_extensions type

    def index_of(group: str) -> Callable[[str], StoryBucket | None]:
        # The agent has built the message's group (ensure_index); this builds another group in
        # place only for a line whose group is not its message's key (a message of an earlier
        # release, keyed by script alone).
        if stale["index"]:
            index.clear()
            decoded.clear()
            stale["index"] = False
        if group not in index:
            began = time.perf_counter()
            index.rebuild(group, group_signatures(table_snapshot(signatures, group), group))
            log_rebuilt(group, began)
        return index.reader(group)

    async def ensure_index(group: str) -> None:
        """Build `group`'s index before its items are placed, in a thread: at 500,000 items
        within the horizon a rebuild takes tens of seconds, which on the event loop would stop
        every other agent, the commits and the heartbeats. The table is snapshotted first, on
        the loop (the only writer of it is this agent, which waits here; a rebalance meanwhile
        marks the index stale and it is built again): the memory store copied, RocksDB's
        iterators opened (`table_snapshot`)."""
        while stale["index"] or group not in index:
            if stale["index"]:
                index.clear()
                decoded.clear()
                stale["index"] = False
            began = time.perf_counter()
            snapshot = table_snapshot(signatures, group)
            await asyncio.to_thread(index.rebuild, group, group_signatures(snapshot, group))
            log_rebuilt(group, began)

    def log_rebuilt(group: str, began: float) -> None:
        keys, members = index.size()
        log.info("story index of %s rebuilt from the signatures table in %.2f s "
                 "(%d keys, %d members in all groups)", group,
                 time.perf_counter() - began, keys, members)  # fmt: skip

    def step(payload: bytes, now: datetime) -> StoryPlacement:
        return story_step(payload, index_of, read_signature_bytes, config,
                          now if announce else None, decoded)  # fmt: skip

    def keep(placement: StoryPlacement) -> None:
        match = placement.assignment.match
        wiring.metrics.stories_assigned.labels("new" if match == "new" else "joined").inc()
        write = table_writer(signatures)
        keep_story_tables(placement, index, write, decoded)
        group = placement.group
        swept = last_sweep.setdefault(group, time.monotonic())
        if time.monotonic() - swept > SWEEP_INTERVAL_SECONDS:
            last_sweep[group] = time.monotonic()
            # By the items' own clock, as everything else here: a replay of older items keeps
            # what the live run kept.
            sweep_story_tables(table_snapshot(signatures, group), group, placement.seen_at,
                               config, index, write, decoded)  # fmt: skip

    @app.agent(wiring.topics[STORY_ROUTE.suffix], name="story")
    async def story(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            # One message holds one enrich batch's articles of one key, one per line; the new
            # stories among them go to the link stage as one message.
            starts: list[Outbound] = []
            if isinstance(event.key, bytes):
                await ensure_index(event.key.decode("utf-8", "replace"))
            for payload in split_records(event.value):
                await wiring.process(Stage.STORY, event, step, keep, payload, starts)
            await wiring.send_lines(starts, {})


def table_snapshot(table: TableT[str, bytes], group: str) -> Iterable[tuple[str, bytes]]:
    """The (key, value) pairs of `table` holding `group`'s keys as they are now, to read later,
    in a thread while the loop goes on if need be. The memory store's are copied (a list of
    references: its dict changes as the loop writes). RocksDB's are not copied: each active
    partition's database gets an iterator over the keys that begin with the group, opened here
    (a RocksDB iterator reads the database as it was when it was opened, whatever is written
    after) and read key by key, so a rebuild or a sweep holds one value at a time, not the table."""
    store = table.data
    if not isinstance(store, RocksDBStore):
        return list(table.items())
    return _rocksdb_pairs(store, group)


def _rocksdb_pairs(store: RocksDBStore, group: str) -> Iterator[tuple[str, bytes]]:
    # Keys are stored as the table serializes them (JSON strings: b'"Latin|en|item"'), so the
    # group's keys are the ones from the encoded prefix without its closing quote up to that
    # prefix with "|" raised by one. Only the active partitions' databases, as table.items().
    encoded = store._encode_key(f"{group}|")
    lower = encoded[:-1] if encoded.endswith(b'"') else encoded
    upper = lower[:-1] + bytes([lower[-1] + 1])
    iterators = []
    for db in list(store._dbs_for_actives()):
        options = rocksdict.ReadOptions()
        options.set_iterate_upper_bound(upper)
        # A scan: keep the block cache for reads by key. (rocksdict 0.3.29's stub omits the bool.)
        options.fill_cache(False)  # type: ignore[call-arg]
        # The options live as long as their iterator (RocksDB keeps a pointer to the bound),
        # and the prefix is checked too: before both, a rebuild was seen reading past its group
        # to Faust's offset key, whose decoding crashed the agent (and lost its event).
        iterators.append((db.items(from_key=lower, read_opt=options), options))
    return _decoded_pairs(store, iterators, lower)


def _decoded_pairs(
    store: RocksDBStore, iterators: list[tuple[Any, Any]], prefix: bytes
) -> Iterator[tuple[str, bytes]]:
    for items, _options in iterators:
        for key, value in items:
            if not key.startswith(prefix):  # past the group (whatever the bound did)
                break
            yield store._decode_key(key), value


def table_writer(table: MutableMapping[str, bytes]) -> TableWriter:
    """`keep_story_tables`'s writer over a table: the agent's Faust table, or a dict in tests and
    benchmarks that run the step without Kafka."""

    def write(key: str, value: bytes | None) -> None:
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value

    return write
