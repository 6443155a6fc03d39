"""Fault injection: known item ids in, faults on the processes around them, every id counted.

It writes distinct RawItems (the bundled sample feeds' entries, each repeated with its own guid and
id) into `raw-items` at a steady rate while wirewatch workers run as real child processes, kills and
restarts them (`kill -9`), adds and removes workers, or kills the broker, then waits until every
consumer group has committed the end of every input partition and reads each output topic from the
start. An item is *lost* when its id never reaches `articles` or `story-articles`; a *duplicate*
is a second message for the same id (a re-send under the same key, which an idempotent consumer
absorbs). Alerts are compared with a fault-free run of the same input by their final state per
alert id (see `alert_fingerprints`).

Used by `tests/faults/test_faults.py` (the short form, in the README's test command) and by
`tests/faults/fault_matrix.py` (the full table). Every wait is bounded; every server is on loopback.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.codec import decode_alert, decode_article, decode_raw_item, encode_record
from streams.feeds.identity import derive_item_id
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import free_port
from streams.kafka.topics import (
    ALERTS,
    ARTICLES,
    DEAD_LETTERS,
    RAW_ITEMS,
    STORY_ARTICLES,
    STORY_LINKS,
    STORY_ROUTE,
    STORY_STARTS,
    TOPIC_EVENTS,
)
from streams.runner import sample_feed_items, stop_process
from streams.settings import Settings, load_settings

# tests/ holds what the harness shares with the other tests (replay.py). pytest puts it on the
# path itself; `python tests/faults/fault_matrix.py` starts with tests/faults only.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parents[1]))
from replay import fingerprint, replay_story_alerts  # after the path above

ROOT = Path(__file__).resolve().parents[2]
# The worker's input topics: a group is done when it has committed the end of each of these.
INPUT_TOPICS = (RAW_ITEMS, STORY_ROUTE, STORY_ARTICLES, TOPIC_EVENTS, STORY_STARTS, STORY_LINKS)
WORKER_STOP_TIMEOUT_SECONDS = 20.0
SETTLE_POLL_SECONDS = 0.5


def build_items(count: int) -> list[tuple[str, bytes]]:
    """`count` (item id, encoded RawItem): the samples repeated, each copy with its own id.

    Copies of one sample are near-duplicates, so the story stage joins them and the alert stage
    revises one alert per rule and story: a lost item shows as a missing article and as an alert
    whose final revision lacks it.
    """
    samples = sample_feed_items(datetime.now(UTC))
    fetched_at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    out = []
    for index in range(count):
        item = samples[index % len(samples)]
        guid = f"{item.guid or item.link or 'entry'}#fault-{index}"
        item_id = derive_item_id(item.feed_id, guid, item.link, item.title, item.summary)
        # One fixed fetch time: the story stage stamps items with it, so runs compare.
        item = dataclasses.replace(item, guid=guid, item_id=item_id, fetched_at=fetched_at)
        out.append((item_id, encode_record(item)))
    return out


def harness_settings(
    broker: str, prefix: str, data_dir: Path, partitions: int = 3, replicas: int = 1
) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "broker": broker,
            "topic_prefix": prefix,
            "app_id": f"wirewatch-{prefix.rstrip('.')}",
            "partitions": partitions,
            "replication_factor": replicas,
            "data_dir": str(data_dir),
        },
    )


@dataclass
class Worker:
    """One `wirewatch worker` child process and the log it writes."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float
    metrics_port: int

    def readiness(self) -> tuple[int, str]:
        """The worker's /readyz answer: (HTTP status, body); (0, error) when it did not answer."""
        url = f"http://127.0.0.1:{self.metrics_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return 0, str(exc)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Cluster:
    """The workers of one run: start, kill -9, stop gracefully, all against one settings."""

    settings: Settings
    work_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    # Each worker named by WIREWATCH_WORKER_ID (static group membership); False for code that
    # predates the setting.
    static_members: bool = True
    workers: dict[str, Worker] = field(default_factory=dict)
    started: int = 0

    def env(self, name: str, metrics_port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
        env.update(
            WIREWATCH_BROKER=self.settings.broker,
            WIREWATCH_TOPIC_PREFIX=self.settings.topic_prefix,
            WIREWATCH_APP_ID=self.settings.app_id,
            WIREWATCH_PARTITIONS=str(self.settings.partitions),
            WIREWATCH_REPLICATION_FACTOR=str(self.settings.replication_factor),
            # Each worker its own data dir, as separate machines would have.
            WIREWATCH_DATA_DIR=str(self.work_dir / name),
            WIREWATCH_WORKER_METRICS_PORT=str(metrics_port),
        )
        if self.static_members:
            env["WIREWATCH_WORKER_ID"] = name
        env.update(self.extra_env)
        return env

    def start(self, name: str) -> Worker:
        self.started += 1
        log_path = self.work_dir / f"{name}.{self.started}.log"
        handle = log_path.open("wb")
        metrics_port = free_port()
        popen = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=self.env(name, metrics_port),
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        handle.close()
        worker = Worker(name, popen, log_path, time.monotonic(), metrics_port)
        self.workers[name] = worker
        return worker

    def kill(self, name: str) -> None:
        worker = self.workers.pop(name)
        worker.popen.send_signal(signal.SIGKILL)
        worker.popen.wait(timeout=WORKER_STOP_TIMEOUT_SECONDS)

    def stop(self, name: str) -> None:
        stop_process(self.workers.pop(name).popen, WORKER_STOP_TIMEOUT_SECONDS)

    def freeze(self, name: str) -> None:
        """SIGSTOP: the process keeps its sockets and state but runs nothing, as in a long GC
        pause, a VM stall or a laptop lid; `thaw` lets it run on from where it stopped."""
        self.workers[name].popen.send_signal(signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        self.workers[name].popen.send_signal(signal.SIGCONT)

    async def wait_exit(self, name: str, timeout_seconds: float) -> int | None:
        """The worker's exit status once it has exited, or None if it still runs after the
        timeout; an exited worker is forgotten, as by `kill`."""
        deadline = time.monotonic() + timeout_seconds
        worker = self.workers[name]
        while worker.popen.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        status = worker.popen.poll()
        if status is not None:
            del self.workers[name]
        return status

    def stop_all(self) -> None:
        """SIGTERM every worker, then wait for each: they shut down side by side (each takes
        ~2-3 s), not one after another; SIGKILL for one still running after the timeout."""
        workers = [self.workers.pop(name) for name in list(self.workers)]
        for worker in workers:
            if worker.alive():
                worker.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + WORKER_STOP_TIMEOUT_SECONDS
        for worker in workers:
            try:
                worker.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.popen.kill()
                worker.popen.wait()

    def dead_workers(self) -> list[Worker]:
        return [worker for worker in self.workers.values() if not worker.alive()]

    async def wait_ready(self, timeout_seconds: float) -> None:
        """Wait until every worker's /readyz says 200 (joined, tables restored, processing)."""
        failing = await self.not_ready(timeout_seconds)
        if failing:
            raise TimeoutError(f"workers not ready after {timeout_seconds:.0f} s: {failing}")

    async def not_ready(self, timeout_seconds: float) -> list[str]:
        """Workers whose /readyz is not 200 within `timeout_seconds` (a rebalance may be ending)."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            answers = {w.name: await asyncio.to_thread(w.readiness) for w in self.workers.values()}
            failing = [f"{name}: {status} {body[:80]}" for name, (status, body) in answers.items()
                       if status != 200]  # fmt: skip
            if not failing or time.monotonic() >= deadline:
                return failing
            await asyncio.sleep(SETTLE_POLL_SECONDS)


async def create_topics(settings: Settings) -> None:
    await ensure_topics(settings)


async def produce_items(
    broker: str,
    topic: str,
    items: list[tuple[str, bytes]],
    rate_per_second: float,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Send every item (acks=all) at about `rate_per_second`; returns once all are acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.monotonic()
        pending = []
        for index, (item_id, value) in enumerate(items):
            pending.append(await producer.send(topic, value=value, key=item_id.encode()))
            due = started + (index + 1) / rate_per_second
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            if on_progress is not None:
                on_progress(index + 1)
        # A broker outage mid-load: the producer retries; each send must end acknowledged.
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def group_lag(settings: Settings) -> dict[str, int]:
    """Per input topic, the end offsets minus the group's committed offsets (uncommitted = 0)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.broker)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.broker)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(settings.app_id)
        lag: dict[str, int] = {}
        for spec in INPUT_TOPICS:
            name = spec.name(settings)
            tps = [TopicPartition(name, p) for p in range(settings.partitions)]
            ends = await consumer.end_offsets(tps)
            total = 0
            for tp in tps:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                total += max(0, ends[tp] - done)
            lag[spec.suffix] = total
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def wait_caught_up(settings: Settings, timeout_seconds: float, quiet_seconds: float) -> float:
    """Wait until every input partition is committed to its end and stays so; returns the time."""
    deadline = time.monotonic() + timeout_seconds
    started = time.monotonic()
    zero_since: float | None = None
    last: dict[str, int] = {}
    while time.monotonic() < deadline:
        try:
            last = await group_lag(settings)
        except Exception as exc:  # the broker may be restarting under a fault
            last = {"error": 1}
            print(f"lag check failed: {exc!r}", file=sys.stderr)
        if sum(last.values()) == 0:
            zero_since = zero_since or time.monotonic()
            if time.monotonic() - zero_since >= quiet_seconds:
                return zero_since - started
        else:
            zero_since = None
        await asyncio.sleep(SETTLE_POLL_SECONDS)
    raise TimeoutError(f"consumer group still behind after {timeout_seconds:.0f} s: lag {last}")


async def end_offsets(settings: Settings, suffix: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.broker)
    await consumer.start()
    try:
        name = f"{settings.topic_prefix}{suffix}"
        tps = [TopicPartition(name, p) for p in range(settings.partitions)]
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


async def read_topic(settings: Settings, suffix: str) -> list[tuple[bytes | None, bytes]]:
    """Every message of a topic from the start to its current end (read_committed)."""
    return [(key, value) for _, _, _, key, value in await read_topic_records(settings, suffix)]


async def read_topic_records(
    settings: Settings, suffix: str
) -> list[tuple[int, int, int, bytes | None, bytes]]:
    """Every message of a topic as (partition, offset, timestamp ms, key, value)."""
    name = f"{settings.topic_prefix}{suffix}"
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.broker,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        tps = [TopicPartition(name, p) for p in range(settings.partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[tuple[int, int, int, bytes | None, bytes]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(position >= ends[tp] for position, tp in zip(positions, tps, strict=True)):
                break
            for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                out.extend((tp.partition, record.offset, record.timestamp, record.key,
                            record.value or b"") for record in batch)  # fmt: skip
        return out
    finally:
        await consumer.stop()


@dataclass
class Counted:
    """What reached each output topic, by item id."""

    items_in: int
    articles: collections.Counter[str]
    story_articles: collections.Counter[str]
    dead_letters: int
    alerts: dict[str, tuple[object, ...]]  # alert id -> fingerprint of its latest revision
    alert_messages: int
    spike_alerts: int

    def lost(self, expected: Iterable[str]) -> tuple[set[str], set[str]]:
        wanted = set(expected)
        return wanted - set(self.articles), wanted - set(self.story_articles)

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.articles.values()) + sum(
            n - 1 for n in self.story_articles.values()
        )


async def describe_duplicates(settings: Settings, suffix: str, limit: int = 5) -> list[str]:
    """Where an article topic's duplicates sit: per partition, how many item ids were sent more
    than once, the offsets of the first and second copies and the seconds between them (from the
    topic's first message). A run of second copies right after a rebalance, starting at a
    partition's first offsets, is work done again from a commit that came too early or too late.
    """
    records = await read_topic_records(settings, suffix)
    if not records:
        return []
    start = min(timestamp for _, _, timestamp, _, _ in records)
    copies: dict[str, list[tuple[int, int, int]]] = collections.defaultdict(list)
    for partition, offset, timestamp, _, value in records:
        copies[decode_article(value).item_id].append((partition, offset, timestamp))
    by_partition: dict[int, list[list[tuple[int, int, int]]]] = collections.defaultdict(list)
    for sent in copies.values():
        if len(sent) > 1:
            by_partition[sent[0][0]].append(sorted(sent, key=lambda copy: copy[2]))
    lines = []
    for partition, duplicated in sorted(by_partition.items()):
        first_offsets = [sent[0][1] for sent in duplicated]
        again_at = sorted((sent[1][2] - start) / 1000 for sent in duplicated)
        lines.append(
            f"{suffix} partition {partition}: {len(duplicated)} ids sent again; first copies at "
            f"offsets {min(first_offsets)}-{max(first_offsets)}, second copies "
            f"{again_at[0]:.1f}-{again_at[-1]:.1f} s after the topic's first message"
        )
    return lines[:limit]


def alert_fingerprint(value: bytes) -> tuple[str, tuple[object, ...]] | None:
    """The final state of a story alert that does not depend on arrival order, or None (spike).

    `linked_stories` is left out on purpose: the link stage is rate limited and skips stories
    that reach it late, and an alert names the links known when its last revision was sent, so
    two correct runs (a restart that delays the link stage, or none) may name different links.
    The revision numbers do not depend on links: a link alone never revises an alert.
    """
    alert = decode_alert(value)
    if alert.kind != "story":
        return None
    return alert.alert_id, fingerprint(alert)


def replay_alerts(
    settings: Settings, items: list[tuple[str, bytes]]
) -> dict[str, tuple[object, ...]]:
    """The final story alerts the worker's steps give for `items` in process, in order: what a
    fault-free run must end with (tests/replay.py), as `count_outputs` reads a run's."""
    replayed = replay_story_alerts(settings, (decode_raw_item(value) for _, value in items))
    return dict(replayed)


async def count_outputs(settings: Settings, items_in: int) -> Counted:
    articles = collections.Counter(
        decode_article(value).item_id for _, value in await read_topic(settings, ARTICLES.suffix)
    )
    story_articles = collections.Counter(
        decode_article(value).item_id
        for _, value in await read_topic(settings, STORY_ARTICLES.suffix)
    )
    dead = len(await read_topic(settings, DEAD_LETTERS.suffix))
    alerts: dict[str, tuple[object, ...]] = {}
    spikes = 0
    alert_messages = await read_topic(settings, ALERTS.suffix)
    for _, value in alert_messages:
        fingerprint = alert_fingerprint(value)
        if fingerprint is None:
            spikes += 1
            continue
        alerts[fingerprint[0]] = fingerprint[1]  # later offsets are later revisions
    return Counted(items_in, articles, story_articles, dead, alerts, len(alert_messages), spikes)


def compare_alerts(
    baseline: dict[str, tuple[object, ...]], faulty: dict[str, tuple[object, ...]]
) -> tuple[int, int]:
    """(baseline alerts with no equal final state in the faulty run, faulty alerts left over).

    Compared by content, not by alert id: a story's id comes from the item that opened it, which
    can differ when two items of one story arrive in another order.
    """
    remaining = collections.Counter(faulty.values())
    differ = 0
    for state in baseline.values():
        if remaining[state] > 0:
            remaining[state] -= 1
        else:
            differ += 1
    return differ, sum(remaining.values())


def _item_ids(state: tuple[object, ...]) -> set[str]:
    """The item ids of an alert state (`alert_fingerprint`'s fourth field)."""
    return set(cast(tuple[str, ...], state[3]))


def describe_alert_differences(
    baseline: dict[str, tuple[object, ...]],
    faulty: dict[str, tuple[object, ...]],
    names: tuple[str, str] = ("baseline", "faulty"),
) -> list[str]:
    """One line per alert state without an equal in the other run, paired by rule and most items
    in common, naming the items each side has alone: enough to tell a story grouped differently
    (items moved between two alerts) from an item missing from an alert. `names`: what the two
    sides are called in the lines.
    """
    first, second = names
    only_baseline = collections.Counter(baseline.values()) - collections.Counter(faulty.values())
    only_faulty = collections.Counter(faulty.values()) - collections.Counter(baseline.values())
    unmatched = list(only_faulty.elements())
    lines = []
    for state in only_baseline.elements():
        items = _item_ids(state)
        same_rule = [other for other in unmatched if other[0] == state[0]]
        if not same_rule:
            lines.append(f"{first} {state[0]} ({state[2]} items): no {second} alert of that rule")
            continue
        other = max(same_rule, key=lambda candidate: len(items & _item_ids(candidate)))
        unmatched.remove(other)
        other_items = _item_ids(other)
        lines.append(
            f"{state[0]}: {first} {state[2]} items, {second} {other[2]};"
            f" only {first} {sorted(items - other_items)};"
            f" only {second} {sorted(other_items - items)};"
            f" sources {state[4]} vs {other[4]}"
        )
    lines.extend(f"{second} {left[0]} ({left[2]} items): no {first} alert" for left in unmatched)
    return lines


async def watch_resume(settings: Settings, since: float, timeout_seconds: float) -> float | None:
    """Seconds from `since` until the `articles` topic grows, or None if it did not in time.

    When every input partition is already committed to its end there is nothing to resume, and
    the time until that was seen counts instead.
    """
    start = await end_offsets(settings, ARTICLES.suffix)
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        try:
            if await end_offsets(settings, ARTICLES.suffix) > start:
                return time.monotonic() - since
            if sum((await group_lag(settings)).values()) == 0:
                return time.monotonic() - since
        except Exception:  # the broker may be down in a broker fault
            continue
    return None


def random_delays(seed: int, count: int, low: float, high: float) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(count)]
