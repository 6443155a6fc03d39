"""The whole chain on a real broker: raw-items in → articles, story-articles, alerts and spike
alerts out, with the real `wirewatch worker` processes, against a raw aiokafka passthrough.

Usage: python bench/chain_bench.py [--items N] [--scenario realistic|duplicates] [--workers 1,2]
       [--rate R] [--partitions P] [--seed S] [--broker host:port] [--latency-items M]

Run it in a private network namespace on a shared machine:
    unshare -n bash -c 'ip link set lo up; .venv/bin/python bench/chain_bench.py --items 5000'

Without --broker it starts the project's local Kafka 4 broker on free loopback ports. The stream
comes from bench/stream.py (see there). Each measurement gets fresh topics (its own prefix and
app id), so every count below is of that run alone:

1. **raw passthrough**: the N messages loaded into raw-items, copied by `pipeline_bench.py _raw`
   (aiokafka getmany → send, linger 5 ms, acks=all, as the worker's producer), rate from the
   output's producer timestamps.
2. **throughput**, per worker count W: W `wirewatch worker` processes are started and waited for
   (/readyz 200 twice, 3 s apart); then the N items are produced as fast as the bench can
   (fetched_at stamped at the send) and the bench polls the topics' end offsets and the
   workers' metrics until every stage has taken in everything its input holds and the articles,
   story-articles and dead letters expected are there; then it reads every output topic and
   checks that each expected item id is on `articles` and `story-articles` (bounded by
   --timeout). Whole-chain items/s = N over the span from the first raw-items message to the last
   message on any output topic (producer timestamps). CPU per item: the workers' /proc CPU over
   the run; per stage, the `wirewatch_stage_duration_seconds` sums (time inside each pure step,
   wall clock) scraped before and after; the rest is Faust, Kafka clients, encoding and sending.
   Per-partition message counts of every stage's input topic (and of the outputs), with the
   largest partition over its fair share. Peak RSS (VmHWM) of each worker.
3. **latency**, per worker count: fresh topics and workers again; --latency-items items are
   produced at --rate items/s (default: half of that worker count's measured whole-chain rate),
   then p50/p99/max of (producer timestamp of the item's first article on `articles`) −
   fetched_at, and of (the first alert message listing the item on `alerts`) − fetched_at.

It prints numbers and ratios, never pass/fail. Caveats: broker, workers and bench share the
machine (2 cores here), so a second worker competes with the first and with the broker for CPU;
the stage sums are wall time inside the steps, inflated when the process waited for a core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pipeline_bench
import stream
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.codec import decode_alert, decode_article, decode_topic_event_batch, split_records
from streams.errors import DecodeError
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import (
    free_port,
)
from streams.kafka.topics import (
    ALERTS,
    ARTICLES,
    DEAD_LETTERS,
    RAW_ITEMS,
    STORY_ARTICLES,
    STORY_ROUTE,
    TOPIC_EVENTS,
    TopicSpec,
)
from streams.runner import stop_process
from streams.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_SECONDS = 180.0  # model loading, group join, first recovery
READY_SETTLE_SECONDS = 3.0
POLL_SECONDS = 0.5
STOP_TIMEOUT_SECONDS = 20.0
LATENCY_DEFAULT_SECONDS = 60.0  # default latency load: this long at the offered rate, at most N
STAGES = ("enrich", "story", "alert", "spike")
# Each stage's input topic, whose per-partition counts show how its work spreads over workers.
STAGE_INPUTS = (
    ("enrich", RAW_ITEMS),
    ("story", STORY_ROUTE),
    ("alert", STORY_ARTICLES),
    ("spike", TOPIC_EVENTS),
)
OUTPUTS = (ARTICLES, STORY_ARTICLES, ALERTS, DEAD_LETTERS)
# A series with a stage label, wherever prometheus_client puts it among the others (it sorts them:
# `{outcome="ok",stage="story"}`).
_SAMPLE = re.compile(
    r'^(wirewatch_[a-z_]+)\{(?:[^}]*,)?stage="([a-z]+)"[^}]*\} ([0-9.e+-]+)$', re.MULTILINE
)


# --- workers -------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    metrics_port: int

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            return 0, str(exc)

    def stage_values(self) -> dict[tuple[str, str], float]:
        """(metric, stage) → value for the per-stage series (received, processed, duration),
        summed over their other labels."""
        status, text = self.get("/metrics")
        values: dict[tuple[str, str], float] = {}
        if status != 200:
            return values
        for metric, stage, value in _SAMPLE.findall(text):
            values[(metric, stage)] = values.get((metric, stage), 0.0) + float(value)
        return values

    def cpu(self) -> float:
        return pipeline_bench.read_cpu_seconds(self.popen.pid) or 0.0

    def peak_rss_mib(self) -> float | None:
        try:
            status = Path(f"/proc/{self.popen.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) / 1024 if found else None

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# Worker settings given on the command line (--table-store), on top of every worker's env.
PASS_THROUGH: dict[str, str] = {}


def worker_env(settings: Settings, name: str, data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(PASS_THROUGH)
    env.update(
        WIREWATCH_BROKER=settings.broker,
        WIREWATCH_TOPIC_PREFIX=settings.topic_prefix,
        WIREWATCH_APP_ID=settings.app_id,
        WIREWATCH_PARTITIONS=str(settings.partitions),
        WIREWATCH_DATA_DIR=str(data_dir / name),  # each its own, as separate machines would have
        WIREWATCH_WORKER_METRICS_PORT=str(port),
        WIREWATCH_WORKER_ID=name,
    )
    return env


CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")
CGROUP_V2 = Path("/sys/fs/cgroup")
CFS_PERIOD_US = 100_000


def cpu_cgroup(name: str, cores: float) -> Path:
    """A new cpu cgroup allowing `cores` CPUs (cgroup v1 `cpu` or v2 `cpu.max`; needs root)."""
    if (CGROUP_V1_CPU / "cpu.cfs_quota_us").exists():
        group = CGROUP_V1_CPU / name
        group.mkdir()
        (group / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
        (group / "cpu.cfs_quota_us").write_text(str(int(cores * CFS_PERIOD_US)))
        return group
    if "cpu" in (CGROUP_V2 / "cgroup.controllers").read_text(errors="replace").split():
        group = CGROUP_V2 / name
        group.mkdir()
        (group / "cpu.max").write_text(f"{int(cores * CFS_PERIOD_US)} {CFS_PERIOD_US}")
        return group
    raise SystemExit("--worker-cpus needs a writable cpu cgroup (cgroup v1 cpu or v2 cpu.max)")


def join_cgroup(group: Path | None) -> Callable[[], None] | None:
    """A preexec_fn putting the child in `group` before it runs anything: every thread it
    starts later (Faust's consumer thread, the encoder's) is in the group too."""
    if group is None:
        return None

    def join() -> None:
        (group / "cgroup.procs").write_text(str(os.getpid()))

    return join


@contextlib.contextmanager
def running_workers(
    settings: Settings, count: int, work_dir: Path, cpus: float | None = None
) -> Iterator[list[WorkerProcess]]:
    """`count` worker processes; with `cpus`, each in a cpu cgroup of its own allowing that many
    CPUs, as if each worker had its own (slower) machine beside the broker."""
    workers: list[WorkerProcess] = []
    groups: list[Path] = []
    try:
        for n in range(count):
            name = f"w{n + 1}"
            port = free_port()
            log_path = work_dir / f"{settings.topic_prefix}{name}.log"
            group = None
            if cpus:
                group = cpu_cgroup(f"wirewatch-bench-{settings.topic_prefix.strip('.')}-{name}",
                                   cpus)  # fmt: skip
                groups.append(group)
            with log_path.open("wb") as log:
                popen = subprocess.Popen(
                    [sys.executable, "-m", "streams.cli", "worker"],
                    env=worker_env(settings, name, work_dir, port),
                    stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                    preexec_fn=join_cgroup(group),
                )  # fmt: skip
            workers.append(WorkerProcess(name, popen, log_path, port))
        yield workers
    finally:
        for worker in workers:
            stop_process(worker.popen, STOP_TIMEOUT_SECONDS)
        for group in groups:
            with contextlib.suppress(OSError):
                group.rmdir()


async def wait_ready(workers: Sequence[WorkerProcess]) -> float:
    """Seconds until every worker's /readyz said 200, twice READY_SETTLE_SECONDS apart (a second
    worker joining makes the first rebalance); raises TimeoutError with the log tails."""
    started = time.monotonic()
    deadline = started + READY_TIMEOUT_SECONDS
    confirmed = 0
    while time.monotonic() < deadline:
        dead = [w for w in workers if w.popen.poll() is not None]
        if dead:
            raise RuntimeError(f"worker {dead[0].name} exited:\n{dead[0].log_tail()}")
        answers = [await asyncio.to_thread(w.get, "/readyz") for w in workers]
        if all(status == 200 for status, _ in answers):
            confirmed += 1
            if confirmed == 2:
                return time.monotonic() - started
            await asyncio.sleep(READY_SETTLE_SECONDS)
            continue
        confirmed = 0
        await asyncio.sleep(1.0)
    tails = "\n".join(f"--- {w.name}\n{w.log_tail()}" for w in workers)
    raise TimeoutError(f"workers not ready after {READY_TIMEOUT_SECONDS:.0f} s\n{tails}")


# --- Kafka ---------------------------------------------------------------------------------------


def partitions_of(name: str, count: int) -> list[TopicPartition]:
    return [TopicPartition(name, p) for p in range(count)]


async def end_offsets(broker: str, names: Sequence[str], partitions: int) -> dict[str, list[int]]:
    """Per topic, each partition's end offset (= message count: every topic here is new)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker)
    await consumer.start()
    try:
        tps = [tp for name in names for tp in partitions_of(name, partitions)]
        ends = await consumer.end_offsets(tps)
        return {name: [ends[tp] for tp in partitions_of(name, partitions)] for name in names}
    finally:
        await consumer.stop()


async def prefix_message_counts(broker: str, prefix: str) -> dict[str, int]:
    """Messages on every topic under `prefix` (fresh topics: end offsets are counts), by suffix:
    whatever topics the release under test creates, changelogs included."""
    admin = AIOKafkaAdminClient(bootstrap_servers=broker)
    await admin.start()
    try:
        names = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        described = await admin.describe_topics(names) if names else []
    finally:
        await admin.close()
    # Field names as the metadata response version aiokafka speaks spells them.
    tps = [TopicPartition(topic.get("topic", topic.get("name")),
                          partition.get("partition", partition.get("partition_index")))
           for topic in described for partition in topic["partitions"]]  # fmt: skip
    consumer = AIOKafkaConsumer(bootstrap_servers=broker)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(tps) if tps else {}
        counts = dict.fromkeys((name[len(prefix) :] for name in names), 0)
        for tp, end in ends.items():
            counts[tp.topic[len(prefix) :]] += end
        return counts
    finally:
        await consumer.stop()


@dataclass(frozen=True, slots=True)
class Message:
    key: bytes | None
    value: bytes
    timestamp_ms: int
    partition: int


async def read_all(broker: str, name: str, partitions: int) -> list[Message]:
    """Every message of a topic up to its current end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = partitions_of(name, partitions)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[Message] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in tps]
            if all(position >= ends[tp] for position, tp in zip(positions, tps, strict=True)):
                break
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                out.extend(Message(r.key, r.value or b"", r.timestamp, tp.partition)
                           for r in records if r.offset < ends[tp])  # fmt: skip
        return out
    finally:
        await consumer.stop()


async def produce(
    broker: str, topic: str, items: Sequence[stream.BenchItem], rate: float | None
) -> tuple[float, float]:
    """Send every item (acks=all, linger 5 ms), fetched_at stamped at the send, at `rate` items/s
    or as fast as possible; returns (first send, last acknowledgement) in epoch seconds."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    await producer.start()
    try:
        first = time.time()
        started = time.monotonic()
        pending = []
        for index, item in enumerate(items):
            value = item.encode(datetime.now(UTC))
            pending.append(await producer.send(topic, value=value, key=item.key.encode()))
            if rate:
                due = started + (index + 1) / rate
                if due > time.monotonic():
                    await asyncio.sleep(due - time.monotonic())
        await asyncio.gather(*pending)
        return first, time.time()
    finally:
        await producer.stop()


# --- one run -------------------------------------------------------------------------------------


@dataclass
class RunResult:
    workers: int
    items: int
    rate_offered: float | None
    complete: bool
    span_seconds: float = float("nan")  # first raw-items message → last output message
    load_seconds: float = float("nan")
    cpu_seconds: float = 0.0  # all workers, from ready to done
    broker_cpu_seconds: float | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_events: dict[str, float] = field(default_factory=dict)
    partitions: dict[str, list[int]] = field(default_factory=dict)
    messages: dict[str, int] = field(default_factory=dict)  # per topic suffix, all topics
    peak_rss_mib: list[float | None] = field(default_factory=list)
    outputs: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    article_latency: list[float] = field(default_factory=list)
    alert_latency: list[float] = field(default_factory=list)
    # (fetched_at, latency) of each alert_latency value: whether the tail is a transient.
    alert_latency_at: list[tuple[float, float]] = field(default_factory=list)
    # Per alert message: its time − fetched_at of the newest item it lists, the item whose
    # arrival raised or revised it (what the worker's own latency metric measures).
    trigger_latency: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.items / self.span_seconds if self.span_seconds > 0 else float("nan")


def expected_ids(items: Sequence[stream.BenchItem]) -> tuple[set[str], int, int]:
    """(item ids that must reach articles and story-articles, article messages, poison items)."""
    text = [item for item in items if item.kind is not stream.ItemKind.POISON]
    return {item.key for item in text}, len(text), len(items) - len(text)


def sum_stage(
    workers: Sequence[WorkerProcess], metric: str, snapshot: dict[str, dict[tuple[str, str], float]]
) -> dict[str, float]:
    out = dict.fromkeys(STAGES, 0.0)
    for worker in workers:
        for (name, stage), value in snapshot.get(worker.name, {}).items():
            if name == metric and stage in out:
                out[stage] += value
    return out


async def snapshot(workers: Sequence[WorkerProcess]) -> dict[str, dict[tuple[str, str], float]]:
    return {w.name: await asyncio.to_thread(w.stage_values) for w in workers}


def broker_cpu(broker_dir: Path | None) -> float | None:
    if broker_dir is None:
        return None
    try:
        pid = int((broker_dir / "broker.pid").read_text().strip())
    except (OSError, ValueError):
        return None
    return pipeline_bench.read_cpu_seconds(pid)


async def run_chain(
    settings: Settings,
    items: Sequence[stream.BenchItem],
    worker_count: int,
    rate: float | None,
    work_dir: Path,
    timeout_seconds: float,
    broker_dir: Path | None,
    cpus: float | None = None,
) -> RunResult:
    """Start the workers (each allowed `cpus` CPUs if given), wait for them, produce the items,
    wait for every output, measure."""
    await ensure_topics(settings)
    wanted, article_messages, poison = expected_ids(items)
    result = RunResult(worker_count, len(items), rate, complete=False)
    names = {spec.suffix: spec.name(settings) for spec in (*OUTPUTS, RAW_ITEMS, STORY_ROUTE,
                                                           TOPIC_EVENTS)}  # fmt: skip
    with running_workers(settings, worker_count, work_dir, cpus) as workers:
        ready_after = await wait_ready(workers)
        result.notes.append(f"workers ready after {ready_after:.1f} s")
        before = await snapshot(workers)
        cpu_before = sum(w.cpu() for w in workers)
        broker_before = broker_cpu(broker_dir)
        first_send, last_ack = await produce(settings.broker, names["raw-items"], items, rate)
        result.load_seconds = last_ack - first_send
        deadline = time.monotonic() + timeout_seconds
        while True:
            await asyncio.sleep(POLL_SECONDS)
            ends = await end_offsets(settings.broker, list(names.values()), settings.partitions)
            totals = {suffix: sum(ends[name]) for suffix, name in names.items()}
            now_values = await snapshot(workers)
            received = sum_stage(workers, "wirewatch_items_received_total", now_values)
            drained = (
                received["enrich"] >= totals["raw-items"]
                and received["story"] >= totals["story-route"]
                and received["alert"] >= totals["story-articles"]
                and received["spike"] >= totals["topic-events"]
                and totals["articles"] >= article_messages
                and totals["story-articles"] >= article_messages
                and totals["dead-letters"] >= poison
            )
            dead = [w for w in workers if w.popen.poll() is not None]
            if dead:
                result.notes.append(f"worker {dead[0].name} exited:\n{dead[0].log_tail()}")
                break
            if drained:
                seen_articles = {m.key for m in await read_all(settings.broker, names["articles"],
                                                               settings.partitions)}  # fmt: skip
                if {key.encode() for key in wanted} <= seen_articles:
                    result.complete = True
                    break
            if time.monotonic() > deadline:
                result.notes.append(f"timed out after {timeout_seconds:.0f} s: {totals}, "
                                    f"received {received}")  # fmt: skip
                for worker in workers:
                    result.notes.append(f"--- {worker.name} log tail\n{worker.log_tail()}")
                break
        after = await snapshot(workers)
        result.cpu_seconds = sum(w.cpu() for w in workers) - cpu_before
        broker_after = broker_cpu(broker_dir)
        if broker_before is not None and broker_after is not None:
            result.broker_cpu_seconds = broker_after - broker_before
        durations = [sum_stage(workers, "wirewatch_stage_duration_seconds_sum", s)
                     for s in (before, after)]  # fmt: skip
        counts = [sum_stage(workers, "wirewatch_stage_duration_seconds_count", s)
                  for s in (before, after)]  # fmt: skip
        result.stage_seconds = {s: durations[1][s] - durations[0][s] for s in STAGES}
        result.stage_events = {s: counts[1][s] - counts[0][s] for s in STAGES}
        result.peak_rss_mib = [w.peak_rss_mib() for w in workers]
    await measure_outputs(settings, names, items, wanted, first_send, result)
    return result


async def measure_outputs(
    settings: Settings,
    names: dict[str, str],
    items: Sequence[stream.BenchItem],
    wanted: set[str],
    first_send: float,
    result: RunResult,
) -> None:
    """Read every output topic: the span, missing ids, alert counts and the latencies."""
    broker, partitions = settings.broker, settings.partitions
    ends = await end_offsets(broker, list(names.values()), partitions)
    result.partitions = {suffix: ends[name] for suffix, name in names.items()}
    # Batched inputs hold several records per message: count the records, the stage's work.
    for spec in (STORY_ROUTE, TOPIC_EVENTS):
        batched = await read_all(broker, spec.name(settings), partitions)
        result.partitions[spec.suffix] = records_per_partition(spec, batched, partitions)
    result.messages = await prefix_message_counts(broker, settings.topic_prefix)
    read = {spec.suffix: await read_all(broker, spec.name(settings), partitions)
            for spec in OUTPUTS}  # fmt: skip
    last = max((m.timestamp_ms for ms in read.values() for m in ms), default=0) / 1000
    raw = await read_all(broker, names["raw-items"], partitions)
    first = min((m.timestamp_ms for m in raw), default=int(first_send * 1000)) / 1000
    result.span_seconds = last - first
    fetched: dict[str, float] = {}
    article_ids: set[str] = set()
    for message in sorted(read["articles"], key=lambda m: m.timestamp_ms):
        article = decode_article(message.value)
        article_ids.add(article.item_id)
        if article.item_id not in fetched:
            fetched[article.item_id] = article.fetched_at.timestamp()
            result.article_latency.append(message.timestamp_ms / 1000 - fetched[article.item_id])
    story_ids = Counter(decode_article(m.value).story_id for m in read["story-articles"])
    story_items = {decode_article(m.value).item_id for m in read["story-articles"]}
    result.missing = {"articles": len(wanted - article_ids),
                      "story-articles": len(wanted - story_items)}  # fmt: skip
    alerted: set[str] = set()
    kinds: Counter[str] = Counter()
    alert_ids: set[str] = set()
    undecodable = 0
    for message in sorted(read["alerts"], key=lambda m: m.timestamp_ms):
        try:
            alert = decode_alert(message.value)
        except DecodeError:
            undecodable += 1
            continue
        kinds[alert.kind] += 1
        alert_ids.add(alert.alert_id)
        for listed in alert.items:
            if listed.item_id not in alerted and listed.item_id in fetched:
                alerted.add(listed.item_id)
                seconds = message.timestamp_ms / 1000 - fetched[listed.item_id]
                result.alert_latency.append(seconds)
                result.alert_latency_at.append((fetched[listed.item_id], seconds))
        listed_times = [fetched[i.item_id] for i in alert.items if i.item_id in fetched]
        if alert.kind == "story" and listed_times:
            result.trigger_latency.append(message.timestamp_ms / 1000 - max(listed_times))
    generated = len({item.story for item in items if item.story is not None})
    result.outputs = {
        "articles": len(read["articles"]),
        "story-articles": len(read["story-articles"]),
        "stories found": len(story_ids),
        "stories generated": generated,
        "alert messages": len(read["alerts"]),
        "story alert messages": kinds["story"],
        "spike alert messages": kinds["spike"],
        "distinct alert ids": len(alert_ids),
        "items in an alert": len(alerted),
        "dead letters": len(read["dead-letters"]),
    }
    if undecodable:
        result.notes.append(f"{undecodable} undecodable alert messages")


# --- reporting -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def describe_run(result: RunResult, raw_rate: float) -> list[str]:
    n = result.items
    lines = [
        f"  whole chain {result.rate:,.0f} items/s ({n:,} items in {result.span_seconds:.1f} s, "
        f"first raw-items message to last output; load took {result.load_seconds:.2f} s); "
        f"/ raw passthrough {result.rate / raw_rate:.4f}"
        + ("" if result.complete else "  [INCOMPLETE: see notes]"),
    ]
    stage_us = {s: result.stage_seconds.get(s, 0.0) / n * 1e6 for s in STAGES}
    cpu_us = result.cpu_seconds / n * 1e6
    other = cpu_us - sum(stage_us.values())
    per_event = ", ".join(
        f"{s} {result.stage_seconds[s] / result.stage_events[s] * 1e6:,.0f} µs × "
        f"{result.stage_events[s]:,.0f}"
        for s in STAGES
        if result.stage_events.get(s)
    )
    broker = (
        f"; broker {result.broker_cpu_seconds / n * 1e6:,.0f} µs/item"
        if result.broker_cpu_seconds is not None
        else ""
    )
    lines.append(
        f"  CPU per item in: workers {cpu_us:,.0f} µs = "
        + " + ".join(f"{s} {stage_us[s]:,.0f}" for s in STAGES)
        + f" + outside the steps {other:,.0f}{broker}"
    )
    lines.append(f"  per stage event (step wall time × events): {per_event}")
    if result.messages:
        ranked = sorted(result.messages.items(), key=lambda kv: -kv[1])
        per_topic = ", ".join(f"{suffix} {count / n:.2f}" for suffix, count in ranked if count)
        lines.append(f"  messages per item in: {sum(result.messages.values()) / n:.2f} "
                     f"({per_topic})")  # fmt: skip
    rss = ", ".join(f"{r:,.0f}" if r is not None else "n/a" for r in result.peak_rss_mib)
    lines.append(f"  peak RSS per worker (MiB): {rss}")
    lines.append("  outputs: " + ", ".join(f"{k} {v:,}" for k, v in result.outputs.items()))
    if any(result.missing.values()):
        lines.append(f"  MISSING item ids: {result.missing}")
    for stage, spec in STAGE_INPUTS:
        counts = result.partitions.get(spec.suffix, [])
        lines.append(f"  {stage:<7} input {spec.suffix:<15} per partition {fair_share(counts)}"
                     + ("  (records)" if spec in (STORY_ROUTE, TOPIC_EVENTS) else ""))  # fmt: skip
    for spec in (ARTICLES, ALERTS):
        counts = result.partitions.get(spec.suffix, [])
        lines.append(f"  output        {spec.suffix:<15} per partition {fair_share(counts)}")
    return lines


def records_per_partition(
    spec: TopicSpec, messages: Sequence[Message], partitions: int
) -> list[int]:
    """Records per partition of a topic whose messages may hold several: story-route's articles
    one per line, topic-events' TopicEventBatch items."""
    counts = [0] * partitions
    for message in messages:
        if spec is STORY_ROUTE:
            counts[message.partition] += len(split_records(message.value))
        else:
            counts[message.partition] += len(decode_topic_event_batch(message.value).items)
    return counts


def fair_share(counts: Sequence[int]) -> str:
    total = sum(counts)
    if not total:
        return f"{list(counts)}"
    fair = total / len(counts)
    return f"{list(counts)}  max/fair {max(counts) / fair:.2f}"


def describe_latency(result: RunResult) -> str:
    a, b, c = result.article_latency, result.alert_latency, result.trigger_latency
    return (
        f"  latency at {result.rate_offered:,.0f} items/s offered ({result.items:,} items, chain "
        f"{result.rate:,.0f} items/s): fetched_at → article p50 {percentile(a, 0.5) * 1e3:,.0f} ms "
        f"p99 {percentile(a, 0.99) * 1e3:,.0f} ms max {max(a, default=float('nan')) * 1e3:,.0f} "
        f"ms (n {len(a):,}); → first alert listing it p50 {percentile(b, 0.5) * 1e3:,.0f} ms "
        f"p99 {percentile(b, 0.99) * 1e3:,.0f} ms max {max(b, default=float('nan')) * 1e3:,.0f} "
        f"ms (n {len(b):,}, includes waiting for a rule's second source); newest listed item → "
        f"the story alert revision it caused p50 {percentile(c, 0.5) * 1e3:,.0f} ms p99 "
        f"{percentile(c, 0.99) * 1e3:,.0f} ms (n {len(c):,})"
        + ("" if result.complete else "  [INCOMPLETE]")
        + f"\n  alert p99 by fifth of the run (by fetched_at): {latency_by_fifth(result)}"
    )


def latency_by_fifth(result: RunResult) -> str:
    """Alert p99 in each fifth of the run's items by fetch time, and the count of alerts over
    1 s in each: a tail made by a start-up transient shows in the first fifth only."""
    ordered = sorted(result.alert_latency_at)
    if len(ordered) < 5:
        return "-"
    size = len(ordered) / 5
    fifths = [ordered[round(i * size) : round((i + 1) * size)] for i in range(5)]
    parts = []
    for fifth in fifths:
        seconds = [s for _, s in fifth]
        parts.append(f"{percentile(seconds, 0.99) * 1e3:,.0f} ms ({sum(s > 1 for s in seconds)})")
    return " / ".join(parts) + " (alerts over 1 s)"


# --- main ----------------------------------------------------------------------------------------


def fresh_settings(broker: str, partitions: int, work_dir: Path, label: str) -> Settings:
    prefix = f"chain{label}{uuid.uuid4().hex[:6]}."
    return pipeline_bench.bench_settings(broker, prefix, partitions, work_dir / prefix.rstrip("."))


def raw_passthrough(
    broker: str, items: Sequence[stream.BenchItem], partitions: int, work_dir: Path
) -> pipeline_bench.HopResult:
    settings = fresh_settings(broker, partitions, work_dir, "raw")
    asyncio.run(ensure_topics(settings))
    sink = settings.topic("bench-raw-out")
    asyncio.run(pipeline_bench.create_topics(broker, [sink], partitions))
    now = datetime.now(UTC)
    messages = [(item.key.encode(), item.encode(now)) for item in items]
    asyncio.run(pipeline_bench.load_topic(broker, settings.topic("raw-items"), messages))
    argv = [sys.executable, str(ROOT / "bench" / "pipeline_bench.py"), "_raw", "--broker", broker,
            "--prefix", settings.topic_prefix, "--partitions", str(partitions),
            "--items", str(len(items))]  # fmt: skip
    env = pipeline_bench.child_env(settings, free_port())
    with pipeline_bench.child_process(argv, env, work_dir / "raw.log") as child:
        return asyncio.run(
            pipeline_bench.measure_hop("raw aiokafka passthrough", broker, sink, partitions,
                                       len(items), child, pipeline_bench.hop_timeout(len(items)))
        )  # fmt: skip


def run(args: argparse.Namespace, broker: str, broker_dir: Path | None, work_dir: Path) -> None:
    items = stream.build_stream(args.scenario, args.items, args.seed)
    print(
        f"chain_bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z  scenario {args.scenario}, seed "
        f"{args.seed}, {args.partitions} partitions, broker {broker}, {os.cpu_count()} CPUs"
        + (f", each worker capped at {args.worker_cpus:g} CPUs" if args.worker_cpus else "")
    )
    for line in stream.describe(items):
        print(f"  {line}")
    raw = raw_passthrough(broker, items, args.partitions, work_dir)
    print(pipeline_bench.describe_result(raw), flush=True)
    timeout = args.timeout or 60.0 + len(items) / 25
    results: dict[int, RunResult] = {}
    for count in args.workers:
        settings = fresh_settings(broker, args.partitions, work_dir, f"t{count}w")
        result = asyncio.run(run_chain(settings, items, count, None, work_dir, timeout,
                                       broker_dir, args.worker_cpus))  # fmt: skip
        results[count] = result
        print(f"{count} worker(s), throughput (items produced as fast as possible):")
        for line in describe_run(result, raw.rate):
            print(line)
        for note in result.notes:
            print(f"  note: {note}")
        sys.stdout.flush()
    latencies: dict[int, RunResult] = {}
    if not args.no_latency:
        for count in args.workers:
            rate = args.rate or results[count].rate / 2
            if not rate or rate != rate:  # nan: the throughput run measured nothing
                continue
            n = min(len(items), args.latency_items or int(rate * LATENCY_DEFAULT_SECONDS))
            settings = fresh_settings(broker, args.partitions, work_dir, f"l{count}w")
            result = asyncio.run(run_chain(settings, items[:n], count, rate, work_dir,
                                           timeout + n / rate, broker_dir,
                                           args.worker_cpus))  # fmt: skip
            latencies[count] = result
            print(f"{count} worker(s), latency:")
            print(describe_latency(result))
            for note in result.notes:
                print(f"  note: {note}")
            sys.stdout.flush()
    print_summary(raw.rate, results, latencies)


def print_summary(
    raw_rate: float, results: dict[int, RunResult], latencies: dict[int, RunResult]
) -> None:
    print("summary:")
    print(f"  raw aiokafka passthrough {raw_rate:,.0f} msg/s")
    for count, result in results.items():
        cpu_us = result.cpu_seconds / result.items * 1e6
        line = (f"  {count} worker(s): chain {result.rate:,.0f} items/s, ratio to raw "
                f"{result.rate / raw_rate:.4f}, worker CPU {cpu_us:,.0f} µs/item")  # fmt: skip
        lat = latencies.get(count)
        if lat is not None:
            line += (
                f"; at {lat.rate_offered:,.0f}/s article p50/p99 "
                f"{percentile(lat.article_latency, 0.5) * 1e3:,.0f}/"
                f"{percentile(lat.article_latency, 0.99) * 1e3:,.0f} ms, alert p50/p99 "
                f"{percentile(lat.alert_latency, 0.5) * 1e3:,.0f}/"
                f"{percentile(lat.alert_latency, 0.99) * 1e3:,.0f} ms, alert from the item that "
                f"caused it p50/p99 {percentile(lat.trigger_latency, 0.5) * 1e3:,.0f}/"
                f"{percentile(lat.trigger_latency, 0.99) * 1e3:,.0f} ms"
            )
        print(line)
    if 1 in results and 2 in results:
        print(f"  2 workers / 1 worker: {results[2].rate / results[1].rate:.2f}")


def story_route_plan(items: int, seed: int, partitions: int) -> str:
    """A `story_route_plan` (in its environment form) from the story groups of `items` items of
    another realistic stream: the measured stream's own volumes are not used to plan it."""
    from story_bench import story_group_loads  # bench/ is on sys.path: run as a script

    from streams.routing import plan_story_routes
    from streams.settings import story_route_plan_env

    loads, _, _, _ = story_group_loads(items, seed)
    plan = story_route_plan_env(plan_story_routes(loads, partitions))
    print(f"story_route_plan from {items:,} items of seed {seed}: {plan}")
    return plan


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--scenario", choices=stream.SCENARIOS, default="realistic")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, e.g. 1,2")
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="offered items/s of the latency runs (default: half the measured maximum)",
    )  # fmt: skip
    parser.add_argument(
        "--latency-items", type=int, default=0,
        help="items of a latency run (default: 60 s at the rate, at most --items)",
    )  # fmt: skip
    parser.add_argument("--no-latency", action="store_true", help="skip the latency runs")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument(
        "--worker-cpus", type=float, default=0.0,
        help="cap each worker process at this many CPUs (its own cpu cgroup; needs root), so "
        "that on a small machine N workers get N times the CPU of one, as on N machines",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--story-plan", type=int, default=0, metavar="ITEMS",
        help="give the workers a story_route_plan made from this many items of another stream "
        "(seed + 1), as `wirewatch story-routes` makes one from earlier traffic",
    )  # fmt: skip
    parser.add_argument("--table-store", choices=("memory", "rocksdb"), default="",
                        help="the workers' table_store (default: theirs)")  # fmt: skip
    parser.add_argument("--broker", default="", help="host:port; default: start a local broker")
    parser.add_argument(
        "--worker-setting", action="append", default=[], metavar="NAME=VALUE",
        help="a wirewatch setting for every worker, e.g. link_max_per_second=0 (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=0.0,
        help="seconds a run may take after its load (default 60 + items/25)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    return args


def main() -> None:
    args = parse_args()
    if args.table_store:
        PASS_THROUGH["WIREWATCH_TABLE_STORE"] = args.table_store
    for setting in args.worker_setting:
        name, _, value = setting.partition("=")
        PASS_THROUGH[f"WIREWATCH_{name.strip().upper()}"] = value.strip()
    if args.story_plan:
        PASS_THROUGH["WIREWATCH_STORY_ROUTE_PLAN"] = story_route_plan(
            args.story_plan, args.seed + 1, args.partitions
        )
    # Leader elections right after topic creation make the loader's producer log retries.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    with tempfile.TemporaryDirectory(prefix="wirewatch-chain-") as tmp:
        work_dir = Path(tmp)
        with pipeline_bench.bench_broker(args.broker, work_dir) as (broker, data_dir):
            run(args, broker, data_dir, work_dir)


if __name__ == "__main__":
    main()
