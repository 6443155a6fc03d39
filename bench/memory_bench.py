"""Memory of a worker's story and alert state after N items: RSS and bytes per item per structure.

Items of bench/stream.py's realistic stream (generated in chunks of `--chunk` items, each chunk a
stream of its own seed, so the whole stream never sits in memory) are stamped at `--per-day`
items a day (default 300,000, about EMM's daily volume) and run through the worker's pure steps in
time order: enrich, then the story stage's step and keep (agents/story.py: `story_step`,
`keep_story_tables`) with the `story-signatures` table as Faust's memory store holds it (a dict
of str keys and bytes values) and the in-memory index (`StoryIndex`), then the alert stage's
(agents/alert.py: `alert_step`, `keep_alert_state`) with its `alert-state` table as a dict. The
story stage's sweep runs every `--sweep-every` seconds of item time, as the agent's does (it runs
on the wall clock there, every 900 s; on the items' clock here so a run covers days quickly).
The spike stage is left out: its table holds one value per topic (and topic|language) key, a
fixed number whatever the item count.

At every `--checkpoint` items it prints the process's VmRSS and VmHWM and, per live item, the
bytes each structure holds (sys.getsizeof of every object it reaches, each counted once). With
`--rebuild`, it ends as a restarted worker would: the index dropped and rebuilt from the table.
Prints numbers; asserts nothing.

`--store rocksdb` keeps both tables in RocksDB instead (table_store = "rocksdb"): one database
per table in a temporary directory, opened as Faust opens a table partition's, with the worker's
options (agents/tablestore.py), keys JSON-encoded as Faust stores them; the sweep and the rebuild
read a group's keys through bounded iterators as the story agent does. The index stays in memory.
Checkpoints then print RocksDB's own memory (memtables, block cache, table readers) and the bytes
on disk instead of the tables' Python bytes.

`--trim-every S` calls the worker's `release_free_memory` (malloc_trim) every S seconds of item
time, as the worker's 300 s timer does on the wall clock (300 at EMM's volume), and prints its
mean time.

Usage: python bench/memory_bench.py [--items 1000000] [--per-day 300000] [--checkpoint 100000]
                                    [--store memory|rocksdb] [--trim-every 300]
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import rocksdict
from faust.stores.rocksdb import RocksDBOptions

from agents.alert import alert_step, keep_alert_state
from agents.story import (
    agent_decoded_signatures,
    group_signatures,
    keep_story_tables,
    story_step,
    sweep_story_tables,
)
from agents.tablestore import ROCKSDB_OPTIONS
from streams.codec import decode_raw_item, encode_record
from streams.errors import ContentError, DecodeError
from streams.pipeline import build_stages, enrich
from streams.records import Article
from streams.runner import release_free_memory
from streams.settings import load_settings
from streams.stories.cluster import StoryIndex

# bench/ is no package: run as a script, its folder is on sys.path (as chain_bench does).
from stream import BenchItem, realistic_stream  # isort: skip

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM of a process (this one by default), in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def timed_items(
    count: int, chunk: int, per_day: float, seed: int
) -> Iterator[tuple[datetime, BenchItem]]:
    """`count` items with their fetch times: chunks of the realistic stream, each squeezed into
    its share of the day at `per_day` (a story's outlets follow within minutes, as they do)."""
    chunk_seconds = chunk / per_day * 86_400.0
    for number in range(0, (count + chunk - 1) // chunk):
        items = realistic_stream(min(chunk, count - number * chunk), seed + number)
        span = max(item.offset_seconds for item in items) or 1.0
        start = number * chunk_seconds
        for item in items:
            at = start + item.offset_seconds / span * chunk_seconds
            yield T0 + timedelta(seconds=at), item


def table_bytes(table: dict[str, bytes]) -> int:
    return sys.getsizeof(table) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in table.items())


def deep_bytes(root: object, seen: set[int]) -> int:
    """Bytes of `root` and of every object it reaches that is not in `seen` (dicts, lists,
    tuples, slotted objects, numpy arrays with their data, arrays, str, numbers), each counted
    once: what holding it costs the process."""
    total, stack = 0, [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)  # an ndarray or array.array with its buffer
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, tuple | list | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.base is not None:
                stack.append(obj.base)
        elif isinstance(obj, memoryview):
            stack.append(obj.obj)
        else:
            for cls in type(obj).__mro__:
                for name in getattr(cls, "__slots__", ()):
                    if hasattr(obj, name):
                        stack.append(getattr(obj, name))
    return total


def slot_names(obj: object) -> list[str]:
    return [name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())]


def index_bytes(index: StoryIndex) -> dict[str, int]:
    """What the index reaches, by part: for the compact index (a `_Group` per story group) the
    bytes under each of its fields summed over the groups (`bands` by the fields of its `_Keys`:
    `arrays` the sorted keys and codes, `recent` the dicts not merged yet); for an index of
    dicts, all of it as "dicts". Each object counted once; the memos go with "other"."""
    seen: set[int] = {id(index.config), id(index._groups)}  # a bench may look inside
    parts: dict[str, int] = {"other": sys.getsizeof(index._groups)}

    def add(name: str, obj: object) -> None:
        parts[name] = parts.get(name, 0) + deep_bytes(obj, seen)

    for group, state in index._groups.items():
        add("other", group)
        if not slot_names(state):
            add("dicts", state)
            continue
        for name in slot_names(state):
            value = getattr(state, name)
            if name == "bands":
                seen.add(id(value))
                add("other", list(value))
                for keys in value.values():
                    seen.add(id(keys))
                    parts["other"] += sys.getsizeof(keys)
                    for field in slot_names(keys):
                        add(f"bands.{field}", getattr(keys, field))
            else:
                add(name, value)
    for value in vars(index).values():
        add("other", value)
    return parts


class DictTable:
    """A table as Faust's memory store holds it: a dict of str keys and bytes values."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.get = self.data.get

    def write(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value

    def pairs(self, group: str) -> Iterable[tuple[str, bytes]]:
        return list(self.data.items())  # the agent's copy (agents/story.py, table_snapshot)

    def groups(self) -> set[str]:
        return {key.rsplit("|", 1)[0] for key in self.data}

    def __len__(self) -> int:
        return len(self.data)

    def describe(self) -> str:
        return f"{table_bytes(self.data) / max(1, len(self.data)):,.0f} B/item"

    def close(self) -> None:
        self.data.clear()


class RocksTable:
    """A table as Faust's RocksDB store holds it (one partition's database): JSON keys, raw
    values, the worker's options; a group read through bounded iterators as the agent reads it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = RocksDBOptions(**ROCKSDB_OPTIONS, use_rocksdict=True).open(path)

    def get(self, key: str) -> bytes | None:
        value = self.db.get(orjson.dumps(key))
        return value if value is None else bytes(value)

    def write(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.db.delete(orjson.dumps(key))
        else:
            self.db.put(orjson.dumps(key), value)

    def pairs(self, group: str) -> Iterator[tuple[str, bytes]]:
        lower = orjson.dumps(f"{group}|")[:-1]
        options = rocksdict.ReadOptions()
        options.set_iterate_upper_bound(lower[:-1] + bytes([lower[-1] + 1]))
        options.fill_cache(False)  # type: ignore[call-arg]
        for key, value in self.db.items(from_key=lower, read_opt=options):
            if not key.startswith(lower):
                break
            yield orjson.loads(key), value

    def groups(self) -> set[str]:
        return {orjson.loads(key).rsplit("|", 1)[0] for key in self.db.keys()}  # noqa: SIM118  (an Rdict, no dict)

    def __len__(self) -> int:
        return int(self.db.property_int_value("rocksdb.estimate-num-keys") or 0)

    def memory(self) -> int:
        """RocksDB's own memory: memtables, block cache, index and filter blocks of open files."""
        names = ("rocksdb.cur-size-all-mem-tables", "rocksdb.block-cache-usage",
                 "rocksdb.estimate-table-readers-mem")  # fmt: skip
        return sum(int(self.db.property_int_value(name) or 0) for name in names)

    def disk(self) -> int:
        return sum(file.stat().st_size for file in self.path.iterdir() if file.is_file())

    def describe(self) -> str:
        return (f"RocksDB memory {self.memory() / 2**20:,.1f} MiB, "
                f"disk {self.disk() / 2**20:,.0f} MiB (~{len(self):,} keys)")  # fmt: skip

    def close(self) -> None:
        self.db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=float, default=300_000.0)
    parser.add_argument("--checkpoint", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--sweep-every", type=float, default=3_600.0, help="item-time seconds")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trim-every", type=float, default=0.0,
                        help="item-time seconds between malloc_trim calls, as the worker's "
                             "timer makes them (0: never)")  # fmt: skip
    parser.add_argument("--no-alert", action="store_true", help="leave the alert stage out")
    parser.add_argument("--rebuild", action="store_true", help="end with an index rebuild")
    parser.add_argument("--store", choices=("memory", "rocksdb"), default="memory",
                        help="where the tables live (the worker's table_store)")  # fmt: skip
    args = parser.parse_args()

    stages = build_stages(load_settings(environ={}))
    settings = load_settings(environ={})
    config = stages.stories
    scratch = Path(tempfile.mkdtemp(prefix="memory-bench-")) if args.store == "rocksdb" else None
    table: DictTable | RocksTable
    alert_table: DictTable | RocksTable
    if scratch is not None:
        table, alert_table = RocksTable(scratch / "sig.db"), RocksTable(scratch / "alert.db")
    else:
        table, alert_table = DictTable(), DictTable()
    index = StoryIndex(config)
    days = args.items / args.per_day
    print(
        f"{args.items:,} items at {args.per_day:,.0f} a day: {days:.2f} days of items, story "
        f"horizon {config.horizon_seconds / 3600:.0f} h, sweep every "
        f"{args.sweep_every:,.0f} s of item time; tables: {args.store}; start "
        f"{status()['VmRSS'] / 2**20:,.0f} MiB"
    )
    write = table.write
    done = dead = 0
    decoded = agent_decoded_signatures()  # held as the agent holds them
    last_sweep: dict[str, float] = {}
    sweep_seconds = swept = 0.0
    last_trim: float | None = None
    trim_seconds = trims = 0.0
    started = time.monotonic()
    for fetched, item in timed_items(args.items, args.chunk, args.per_day, args.seed):
        done += 1
        try:
            article = enrich(decode_raw_item(item.encode(fetched)), stages.enricher, fetched)
        except (DecodeError, ContentError):
            dead += 1
            continue
        placement = story_step(encode_record(article), index.reader, table.get, config, None,
                               decoded)  # fmt: skip
        keep_story_tables(placement, index, write, decoded)
        now = placement.seen_at
        group = placement.group
        if now - last_sweep.setdefault(group, now) > args.sweep_every:
            last_sweep[group] = now
            began = time.process_time()
            sweep_story_tables(table.pairs(group), group, now, config, index, write, decoded)
            sweep_seconds += time.process_time() - began
            swept += 1
        if args.trim_every > 0 and now - (last_trim or now) >= args.trim_every:
            began = time.perf_counter()
            release_free_memory()
            trim_seconds += time.perf_counter() - began
            trims += 1
        if last_trim is None or now - last_trim >= args.trim_every:
            last_trim = now
        if not args.no_alert:
            placed = placement.outputs[0].record
            assert isinstance(placed, Article)
            decision = alert_step(
                encode_record(placed),
                fetched,
                alert_table.get,
                stages.rules,
                settings.alert_max_items,
            )
            keep_alert_state(decision, alert_table.write)
        if done % args.checkpoint == 0 or done == args.items:
            checkpoint(done, dead, fetched, table, index, alert_table, started)
    print(f"sweeps: {swept:.0f}, {sweep_seconds / max(swept, 1):.2f} s CPU each on average")
    if trims:
        print(f"malloc_trim: {trims:.0f} calls, {1000 * trim_seconds / trims:.1f} ms each (mean)")
    if args.rebuild:
        index.clear()
        gc.collect()
        before = status()
        began = time.process_time()
        rebuilt = StoryIndex(config)
        groups = table.groups()
        for group in groups:
            rebuilt.rebuild(group, group_signatures(table.pairs(group), group))
        after = status()
        print(
            f"rebuild of {len(groups)} groups from {len(table):,} signatures: "
            f"{time.process_time() - began:.1f} s CPU; VmRSS {before['VmRSS'] / 2**20:,.0f} -> "
            f"{after['VmRSS'] / 2**20:,.0f} MiB, VmHWM {before['VmHWM'] / 2**20:,.0f} -> "
            f"{after['VmHWM'] / 2**20:,.0f} MiB"
        )
    table.close()
    alert_table.close()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def checkpoint(
    done: int,
    dead: int,
    fetched: datetime,
    table: DictTable | RocksTable,
    index: StoryIndex,
    alert_table: DictTable | RocksTable,
    started: float,
) -> None:
    memory = status()
    live = max(1, len(table))
    keys, members = index.size()
    parts = index_bytes(index)
    by_part = ", ".join(f"{name} {size / live:,.0f}" for name, size in parts.items() if size)
    print(
        f"{done:>9,} items ({dead} dead) at +{(fetched - T0).total_seconds() / 86_400:.2f} d, "
        f"{time.monotonic() - started:,.0f} s: VmRSS {memory['VmRSS'] / 2**20:,.0f} MiB, VmHWM "
        f"{memory['VmHWM'] / 2**20:,.0f} MiB; live items (signatures) {len(table):,}: table "
        f"{table.describe()}, index {sum(parts.values()) / live:,.0f} B/item "
        f"({by_part}; {keys / live:.1f} keys, {members / live:.1f} members); alert-state "
        f"{len(alert_table):,} stories, {alert_state_size(alert_table)}",
        flush=True,
    )


def alert_state_size(table: DictTable | RocksTable) -> str:
    if isinstance(table, DictTable):
        return f"{table_bytes(table.data) / 2**20:,.1f} MiB"
    return table.describe()


if __name__ == "__main__":
    main()
