"""Throughput of one Kafka hop on a real broker: raw aiokafka, a naive Faust agent, the worker.

Usage: python bench/pipeline_bench.py [--items N] [--broker host:port] [--partitions P]

Without --broker it starts the project's local Kafka 4 broker on free loopback ports in a temp dir.
N RawItems (the bundled sample feeds' entries, repeated with distinct guids and item ids) are
loaded once into a raw-items topic, then three consumers of it run one after the other, each in its
own child process: (1) a raw aiokafka getmany → send loop, (2) a Faust agent that awaits
`topic.send` per message, both copying bytes to an output topic, and (3) the real wirewatch worker
(`python -m streams.cli worker`). Each rate is N-1 over the span between the first and the N-th
output message's producer timestamps, so start-up and consumer-group joins are excluded. CPU per
message comes from /proc/PID/stat of the child. The in-process enrich and alert steps on the same
payloads are measured too, so the Kafka and Faust share of the worker's cost is visible.
It prints numbers and ratios; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.alerts.rule_file import load_configured_rules
from streams.alerts.story import decide_story_alerts
from streams.codec import decode_article, encode_record
from streams.feeds.identity import derive_item_id
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import (
    broker_log_tail,
    free_port,
    start_local_broker,
    stop_local_broker,
)
from streams.pipeline import build_enricher, enrich_payload
from streams.runner import sample_feed_items, stop_process
from streams.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
FIRST_OUTPUT_TIMEOUT_SECONDS = 120.0  # child start-up, group join, first message out
ALERT_DRAIN_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0
WATCH_INTERVAL_SECONDS = 0.05
IN_PROCESS_MAX_ITEMS = 5_000  # enough for a stable rate; the enrich step runs ~1k items/s
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ALERT_PROCESSED = re.compile(
    r'^wirewatch_items_processed_total\{[^}]*stage="alert"[^}]*\} ([0-9.e+]+)$', re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One look at a running child: wall time, messages on its output topic, its CPU seconds."""

    at: float
    count: int
    cpu: float | None


@dataclass(frozen=True, slots=True)
class HopResult:
    """What one consumer did with the N messages."""

    label: str
    expected: int
    received: int  # messages on the output topic (duplicates included)
    distinct_keys: int
    span_seconds: float  # first to last output producer timestamp
    samples: tuple[Sample, ...]
    extra: str = ""

    @property
    def rate(self) -> float:
        return (self.received - 1) / self.span_seconds if self.span_seconds > 0 else float("nan")

    @property
    def cpu_per_message_us(self) -> float | None:
        """CPU of the child per output message, between the first and last sample with output."""
        busy = [s for s in self.samples if s.count > 0 and s.cpu is not None]
        if len(busy) < 2 or busy[-1].count == busy[0].count:
            return None
        assert busy[-1].cpu is not None and busy[0].cpu is not None
        return (busy[-1].cpu - busy[0].cpu) / (busy[-1].count - busy[0].count) * 1e6

    @property
    def cores_used(self) -> float | None:
        busy = [s for s in self.samples if s.count > 0 and s.cpu is not None]
        if len(busy) < 2 or busy[-1].at == busy[0].at:
            return None
        assert busy[-1].cpu is not None and busy[0].cpu is not None
        return (busy[-1].cpu - busy[0].cpu) / (busy[-1].at - busy[0].at)


def read_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process from /proc/PID/stat; None where /proc is missing."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after its closing ")" are fixed.
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def build_messages(count: int) -> list[tuple[bytes, bytes]]:
    """`count` (key, value) RawItem messages: the samples repeated, each with its own guid/id."""
    samples = sample_feed_items(datetime.now(UTC))
    messages = []
    for index in range(count):
        item = samples[index % len(samples)]
        guid = f"{item.guid or item.link or 'entry'}#bench-{index}"
        item_id = derive_item_id(item.feed_id, guid, item.link, item.title, item.summary)
        item = dataclasses.replace(item, guid=guid, item_id=item_id)
        messages.append((item_id.encode(), encode_record(item)))
    return messages


async def create_topics(broker: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=broker)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


async def load_topic(broker: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Produce every message (acks=all, linger 5 ms) and return the producer's messages/s."""
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        for key, value in messages:
            await producer.send(topic, value=value, key=key)  # enqueues; delivery is batched
        await producer.flush()
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def count_messages(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> int:
    offsets = await consumer.end_offsets(partitions)
    return sum(offsets.values())


def topic_partitions(topic: str, partitions: int) -> list[TopicPartition]:
    return [TopicPartition(topic, p) for p in range(partitions)]


async def watch_output(
    broker: str, topic: str, partitions: int, expected: int, pid: int, timeout_seconds: float
) -> list[Sample]:
    """Sample the output topic's size and the child's CPU until `expected` messages or timeout."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker)
    await consumer.start()
    parts = topic_partitions(topic, partitions)
    samples: list[Sample] = []
    first_deadline = time.monotonic() + FIRST_OUTPUT_TIMEOUT_SECONDS
    deadline = first_deadline + timeout_seconds
    try:
        while True:
            count = await count_messages(consumer, parts)
            now = time.monotonic()
            samples.append(Sample(now, count, read_cpu_seconds(pid)))
            if count >= expected or now > deadline or (count == 0 and now > first_deadline):
                return samples
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
    finally:
        await consumer.stop()


async def read_output(
    broker: str, topic: str, partitions: int
) -> tuple[list[int], set[bytes | None]]:
    """Every message's producer timestamp (ms) and the distinct keys on `topic`."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, enable_auto_commit=False)
    await consumer.start()
    parts = topic_partitions(topic, partitions)
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        timestamps: list[int] = []
        keys: set[bytes | None] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            positions = {tp: await consumer.position(tp) for tp in parts}
            if all(positions[tp] >= ends[tp] for tp in parts):
                break
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    timestamps.append(record.timestamp)
                    keys.add(record.key)
        return timestamps, keys
    finally:
        await consumer.stop()


async def measure_hop(
    label: str,
    broker: str,
    topic: str,
    partitions: int,
    expected: int,
    child: subprocess.Popen[bytes],
    timeout_seconds: float,
) -> HopResult:
    samples = await watch_output(broker, topic, partitions, expected, child.pid, timeout_seconds)
    timestamps, keys = await read_output(broker, topic, partitions)
    span = (max(timestamps) - min(timestamps)) / 1000 if len(timestamps) > 1 else 0.0
    return HopResult(label, expected, len(timestamps), len(keys), span, tuple(samples))


@contextlib.contextmanager
def child_process(
    argv: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child with its output in `log`; SIGTERM it (then SIGKILL) when the block ends."""
    with log.open("wb") as out:
        child = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield child
        finally:
            stop_process(child, STOP_TIMEOUT_SECONDS)


def log_tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# --- the children ------------------------------------------------------------------------------


async def copy_raw(broker: str, source: str, sink: str, count: int, timeout_seconds: float) -> None:
    """The baseline: getmany → send (enqueue only), linger 5 ms, acks=all as the worker uses."""
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=broker,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all", linger_ms=5)
    await consumer.start()
    await producer.start()
    copied = 0
    deadline = time.monotonic() + timeout_seconds
    try:
        while copied < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    await producer.send(sink, value=record.value, key=record.key)
                    copied += 1
        await producer.flush()
        print(f"raw passthrough copied {copied}", flush=True)
        # Stay alive so the parent reads this process's CPU like the others', then is stopped.
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout_seconds)
    finally:
        await producer.stop()
        await consumer.stop()


def run_faust_passthrough(settings: Settings, source: str, sink: str) -> None:
    """A naive Faust agent with the worker's own Faust settings: one message, one awaited send."""
    import faust
    from faust.types import StreamT

    from agents.app import faust_config

    Path(settings.data_dir, "faust").mkdir(parents=True, exist_ok=True)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = faust.App(settings.app_id, **faust_config(settings))
    source_topic = app.topic(source, key_serializer="raw", value_serializer="raw")
    sink_topic = app.topic(sink, key_serializer="raw", value_serializer="raw")

    @app.agent(source_topic, name="passthrough")
    async def passthrough(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await sink_topic.send(key=event.key, value=event.value)

    sys.argv = [sys.argv[0], "worker"]  # Faust's Worker reads argv
    faust.Worker(app, loglevel="info", loop=loop).execute_from_commandline()


# --- the parent --------------------------------------------------------------------------------


def measure_in_process(
    messages: list[tuple[bytes, bytes]], settings: Settings
) -> tuple[float, float]:
    """Items/s of the enrich step and of the alert step, in this process, with no Kafka."""
    enricher = build_enricher(settings)
    now = datetime.now(UTC)
    payloads = [value for _, value in messages[:IN_PROCESS_MAX_ITEMS]]
    started = time.perf_counter()
    articles = [encode_record(enrich_payload(p, enricher, now)) for p in payloads]
    enrich_rate = len(payloads) / (time.perf_counter() - started)
    rules = load_configured_rules(settings.alert_rules_path, settings.watch, enricher.taxonomy)
    started = time.perf_counter()
    for article in articles:
        # Each article as its own story: the rule match and the alert, without a table read.
        decoded = decode_article(article)
        placed = dataclasses.replace(decoded, story_id=decoded.item_id)
        for alert in decide_story_alerts(None, placed, rules, now).alerts:
            encode_record(alert)
    alert_rate = len(articles) / (time.perf_counter() - started)
    return enrich_rate, alert_rate


def scrape_alert_processed(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    return sum(float(value) for value in ALERT_PROCESSED.findall(text))


async def wait_alert_stage(port: int, expected: int) -> float | None:
    """Monotonic time at which the alert agent had handled `expected` articles, or None."""
    deadline = time.monotonic() + ALERT_DRAIN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if await asyncio.to_thread(scrape_alert_processed, port) >= expected:
            return time.monotonic()
        await asyncio.sleep(0.1)
    return None


def bench_settings(broker: str, prefix: str, partitions: int, data_dir: Path) -> Settings:
    return load_settings(
        environ={},
        overrides={
            "broker": broker,
            "topic_prefix": prefix,
            "app_id": f"wirewatch-{prefix.rstrip('.')}",
            "partitions": partitions,
            "data_dir": str(data_dir),
        },
    )


def child_env(settings: Settings, metrics_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        WIREWATCH_BROKER=settings.broker,
        WIREWATCH_TOPIC_PREFIX=settings.topic_prefix,
        WIREWATCH_APP_ID=settings.app_id,
        WIREWATCH_PARTITIONS=str(settings.partitions),
        WIREWATCH_DATA_DIR=settings.data_dir,
        WIREWATCH_WORKER_METRICS_PORT=str(metrics_port),
    )
    return env


def hop_timeout(count: int) -> float:
    # Bounded but generous: 100 items/s is 10x below the slowest rate measured so far.
    return 30.0 + count / 100


def run_benchmark(broker: str, count: int, partitions: int, work_dir: Path) -> list[HopResult]:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    settings = bench_settings(broker, prefix, partitions, work_dir / "var")
    raw_items = settings.topic("raw-items")
    raw_sink, faust_sink = settings.topic("bench-raw-out"), settings.topic("bench-faust-out")
    asyncio.run(ensure_topics(settings))
    asyncio.run(create_topics(broker, [raw_sink, faust_sink], partitions))

    messages = build_messages(count)
    size = sum(len(v) for _, v in messages) / count
    load_rate = asyncio.run(load_topic(broker, raw_items, messages))
    print(f"{count:,} RawItems, mean value {size:,.0f} bytes, {partitions} partitions, on {broker}")
    print(f"loaded {raw_items} at {load_rate:,.0f} msg/s (producer only)")
    enrich_rate, alert_rate = measure_in_process(messages, settings)
    print(
        f"in-process, no Kafka, {min(count, IN_PROCESS_MAX_ITEMS):,} items: "
        f"enrich {enrich_rate:,.0f} items/s, alert {alert_rate:,.0f} items/s"
    )

    results = []
    env = child_env(settings, free_port())
    script = [sys.executable, str(Path(__file__).resolve())]
    timeout = hop_timeout(count)
    common = ["--broker", broker, "--prefix", prefix, "--partitions", str(partitions)]
    hops = [
        ("raw aiokafka passthrough", raw_sink, [*script, "_raw", *common, "--items", str(count)]),
        ("faust passthrough (await send)", faust_sink, [*script, "_faust", *common]),
        ("wirewatch worker (articles)", settings.topic("articles"),
         [sys.executable, "-m", "streams.cli", "worker"]),
    ]  # fmt: skip
    for label, sink, argv in hops:
        log = work_dir / f"{label.split()[0]}.log"
        with child_process(argv, env, log) as child:
            result = asyncio.run(
                measure_hop(label, broker, sink, partitions, count, child, timeout)
            )
            if label.startswith("wirewatch"):
                result = finish_worker(result, settings, env, child.pid)
        if result.received < count:
            print(f"! {label}: only {result.received} of {count} arrived; log tail:\n"
                  f"{log_tail(log)}")  # fmt: skip
        results.append(result)
        print(describe_result(result), flush=True)
    print_summary(results, enrich_rate, alert_rate)
    return results


def finish_worker(
    result: HopResult, settings: Settings, env: dict[str, str], pid: int
) -> HopResult:
    """Wait for the alert agent to handle every article, then count the alerts raised."""
    port = int(env["WIREWATCH_WORKER_METRICS_PORT"])
    done_at = asyncio.run(wait_alert_stage(port, result.expected))
    cpu = read_cpu_seconds(pid)
    alerts, _ = asyncio.run(
        read_output(settings.broker, settings.topic("alerts"), settings.partitions)
    )
    letters, _ = asyncio.run(
        read_output(settings.broker, settings.topic("dead-letters"), settings.partitions)
    )
    started = next((s for s in result.samples if s.count > 0), None)
    if done_at is None or started is None:
        stage = "alert stage did not finish in time"
    else:
        wall = done_at - started.at
        stage = f"enrich+alert done {result.expected / wall:,.0f} items/s wall (±0.1 s polling)"
        if cpu is not None and started.cpu is not None:
            stage += f", {(cpu - started.cpu) / result.expected * 1e6:,.0f} µs CPU/item"
    extra = f"{len(alerts):,} alerts, {len(letters):,} dead letters; {stage}"
    return dataclasses.replace(result, extra=extra)


def describe_result(result: HopResult) -> str:
    cpu = result.cpu_per_message_us
    cores = result.cores_used
    cpu_text = (
        f"{cpu:,.0f} µs CPU/msg at {cores:.2f} cores" if cpu is not None and cores else "CPU n/a"
    )
    line = (
        f"{result.label:<32} {result.rate:>9,.0f} msg/s  "
        f"({result.received:,} out, {result.distinct_keys:,} keys, {result.span_seconds:.2f} s; "
        f"{cpu_text})"
    )
    return line + (f"\n{'':<33}{result.extra}" if result.extra else "")


def print_summary(results: list[HopResult], enrich_rate: float, alert_rate: float) -> None:
    raw, faust_hop, worker = results
    print("ratios (throughput):")
    print(f"  faust / raw       {faust_hop.rate / raw.rate:.4f}")
    print(f"  wirewatch / raw   {worker.rate / raw.rate:.4f}")
    print(f"  wirewatch / faust {worker.rate / faust_hop.rate:.4f}")
    print(f"  wirewatch / in-process enrich {worker.rate / enrich_rate:.4f}")
    # Per-item wall cost: what one Faust hop adds beside the enrich step it carries.
    hop_us = 1e6 / faust_hop.rate
    print(
        f"per item: faust hop {hop_us:,.0f} µs, raw hop {1e6 / raw.rate:,.0f} µs, "
        f"enrich step {1e6 / enrich_rate:,.0f} µs, alert step {1e6 / alert_rate:,.0f} µs, "
        f"worker {1e6 / worker.rate:,.0f} µs"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="bench", choices=("bench", "_raw", "_faust"))
    parser.add_argument("--items", type=int, default=20_000, help="messages per hop (20,000)")
    parser.add_argument("--broker", default="", help="host:port; default: start a local broker")
    parser.add_argument("--partitions", type=int, default=3, help="partitions per topic (3)")
    parser.add_argument("--prefix", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


@contextlib.contextmanager
def bench_broker(given: str | None, work_dir: Path) -> Iterator[tuple[str, Path | None]]:
    """The broker a bench runs against: `given` (host:port) as is, else a local broker started
    in `work_dir` and stopped on the way out. Yields its address and its data dir (None when
    given), whose process a bench may measure."""
    if given:
        yield given, None
        return
    data_dir = work_dir / "kafka"
    try:
        broker = start_local_broker(free_port(), free_port(), data_dir)
    except RuntimeError as exc:
        sys.exit(f"local Kafka broker did not start: {exc}\n{broker_log_tail(data_dir)}")
    try:
        yield broker.address, data_dir
    finally:
        stop_local_broker(broker)


def main() -> None:
    args = parse_args()
    if args.role == "_raw":
        settings = bench_settings(args.broker, args.prefix, args.partitions, Path("."))
        source, sink = settings.topic("raw-items"), settings.topic("bench-raw-out")
        asyncio.run(copy_raw(args.broker, source, sink, args.items, hop_timeout(args.items)))
        return
    with tempfile.TemporaryDirectory(prefix="wirewatch-bench-") as tmp:
        work_dir = Path(tmp)
        if args.role == "_faust":
            settings = bench_settings(args.broker, args.prefix, args.partitions, work_dir)
            settings = dataclasses.replace(settings, app_id=f"{settings.app_id}-faust")
            run_faust_passthrough(
                settings, settings.topic("raw-items"), settings.topic("bench-faust-out")
            )
            return
        with bench_broker(args.broker, work_dir) as (broker, _data_dir):
            run_benchmark(broker, args.items, args.partitions, work_dir)


if __name__ == "__main__":
    main()
