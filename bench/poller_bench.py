"""One poll round of N feeds through the real PollerService against a local HTTP server.

Usage: python bench/poller_bench.py [--feeds N] [--broker host:port] [--concurrency C]
                                    [--per-host H] [--partitions P] [--profile FILE]

A separate process (aiohttp, 127.0.0.1 only) serves /feed/{n}.xml: RSS 2.0 with 20 entries whose
guids depend on n and on a generation counter, with ETag and Last-Modified, answering 304 to a
matching conditional request. Without --broker the project's local Kafka broker is started on free
loopback ports in a temp dir. N feeds are registered through the feeds topic and this process runs
the real PollerService (registry consumer, scheduler, Fetcher, parser, producer). Round 1 polls
every feed once (all 200, warms the validators); then the server bumps the generation of every
fifth feed (n % 5 == 0) and round 2, the measured round, makes every feed due at once and waits
until each feed's state shows a poll after that moment: about 80 % answer 304 and 20 % bring 20
new entries each. It prints wall time, requests/s, entries/s, this process's CPU seconds and peak
RSS per round, and whether round 2 met the goal (60 s for the whole round). It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import dataclasses
import json
import logging
import os
import pstats
import random
import resource
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
from email.utils import format_datetime
from pathlib import Path

import pipeline_bench
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from streams.feeds.http import Fetcher
from streams.feeds.poller import PollerService, fetch_config, follow_registry, parser_pool
from streams.feeds.registry import registration_for, write_registrations
from streams.kafka.admin import ensure_topics
from streams.metrics import PollerMetrics
from streams.runner import stop_process
from streams.settings import FeedConfig, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
GOAL_SECONDS = 60.0  # the goal for one whole round of 10,000 feeds on this 2-core machine
ENTRIES_PER_FEED = 20
CHANGED_EVERY = 5  # feeds with n % 5 == 0 change between the rounds: 20 %
SERVER_START_TIMEOUT_SECONDS = 30.0
CONTROL_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 20.0
# Each look scans the feeds still pending in this process: every 0.2 s costs ~1 % of a round
# of 10,000 feeds (at 0.05 s it was ~4 %) and bounds the measured time's error to 0.2 s.
WATCH_INTERVAL_SECONDS = 0.2
PROFILE_LINES = 30
# Long enough that no feed becomes due again on its own while the benchmark runs (jitter is ±20 %).
BENCH_POLL_INTERVAL_SECONDS = 6 * 3600.0
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
TAKE_MARK = "registry partitions"  # PollerService.take logs it on every assignment


# --- the feed server (child process) ------------------------------------------------------------


def render_feed(n: int, generation: int) -> bytes:
    """RSS 2.0 for feed `n` at `generation`: 20 entries whose guids change with the generation."""
    published = format_datetime(BASE_TIME.replace(hour=generation % 24), usegmt=True)
    items = "".join(
        f"<item><title>Feed {n} story {generation}-{i}: council votes on the harbour plan"
        f"</title><link>http://127.0.0.1/story/{n}/{generation}/{i}</link>"
        f'<guid isPermaLink="false">bench-{n}-{generation}-{i}</guid>'
        f"<pubDate>{published}</pubDate><description>Story {i} of feed {n}, generation "
        f"{generation}. The council met on Tuesday to debate the plan for the old harbour, "
        f"with a vote expected next week.</description></item>"
        for i in range(ENTRIES_PER_FEED)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Bench feed {n}</title><link>http://127.0.0.1/feed/{n}</link>"
        f"<description>Benchmark feed {n}</description><language>en</language>"
        f"{items}</channel></rss>"
    ).encode()


def feed_generation(n: int, generation: int) -> int:
    """The generation feed `n` is at: only every fifth feed follows the bumped counter."""
    return generation if n % CHANGED_EVERY == 0 else 0


def feed_validators(n: int, generation: int) -> tuple[str, str]:
    """ETag and Last-Modified of feed `n` at its own generation."""
    own = feed_generation(n, generation)
    modified = BASE_TIME.replace(hour=own % 24)
    return f'"f{n}-g{own}"', format_datetime(modified, usegmt=True)


async def serve_feeds(feeds: int, port_file: Path) -> None:
    """Serve /feed/{n}.xml and the control endpoints on 127.0.0.1 until SIGTERM."""
    from aiohttp import web

    state = {"generation": 0}
    counts = {"200": 0, "304": 0, "404": 0}

    async def feed(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        n = int(name) if name.isdigit() else -1
        if not 0 <= n < feeds:
            counts["404"] += 1
            raise web.HTTPNotFound()
        etag, modified = feed_validators(n, state["generation"])
        headers = {"ETag": etag, "Last-Modified": modified}
        match = request.headers.get("If-None-Match")
        # RFC 9110 §13.1.3: If-Modified-Since only counts when no If-None-Match was sent.
        since = request.headers.get("If-Modified-Since")
        if match == etag or (match is None and since == modified):
            counts["304"] += 1
            return web.Response(status=304, headers=headers)
        counts["200"] += 1
        body = render_feed(n, feed_generation(n, state["generation"]))
        return web.Response(body=body, content_type="application/rss+xml", headers=headers)

    async def bump(request: web.Request) -> web.Response:
        state["generation"] += 1
        changed = len(range(0, feeds, CHANGED_EVERY))
        return web.json_response({"generation": state["generation"], "changed": changed})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({"generation": state["generation"], **counts})

    app = web.Application()
    app.router.add_get("/feed/{name}.xml", feed)
    app.router.add_post("/control/bump", bump)
    app.router.add_get("/control/stats", stats)
    runner = web.AppRunner(app, access_log=None)  # a log line per request would cost the server
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    port_file.write_text(str(port))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


# --- helpers of the parent ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What one poll round did, measured in this (the poller) process."""

    label: str
    feeds: int
    polled: int  # feeds whose state shows a poll after the round started
    wall_seconds: float
    flush_seconds: float  # after the last state changed, until the producer had every ack
    cpu_seconds: float  # this process, all threads (the parser runs in a thread pool)
    server_cpu_seconds: float | None
    peak_rss_mib: float  # this process's peak since it started
    fetches: dict[tuple[str, str], float]  # (outcome, status) -> count in this round
    entries_emitted: float
    entries_parsed: float
    assignments: int  # partition assignments (rebalances) the service logged during the round

    @property
    def requests(self) -> float:
        return sum(self.fetches.values())

    def count(self, outcome: str, status: str) -> int:
        return int(self.fetches.get((outcome, status), 0))


def count_log_lines(path: Path, mark: str) -> int:
    if not path.exists():
        return 0
    with path.open(errors="replace") as handle:
        return sum(1 for line in handle if mark in line)


def read_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process from /proc/PID/stat; None where /proc is missing."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def read_counter(registry: CollectorRegistry, name: str) -> dict[tuple[str, ...], float]:
    """Every `_total` sample of counter `name`, keyed by its label values."""
    values: dict[tuple[str, ...], float] = {}
    for family in registry.collect():
        if family.name != name:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                values[tuple(sample.labels.values())] = sample.value
    return values


def counter_delta(
    after: dict[tuple[str, ...], float], before: dict[tuple[str, ...], float]
) -> dict[tuple[str, ...], float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0)}


@contextlib.contextmanager
def feed_server(feeds: int, work_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """Run the feed server as a child process; SIGTERM (then SIGKILL) it when the block ends."""
    port_file = work_dir / "server.port"
    log = work_dir / "server.log"
    argv = [sys.executable, str(Path(__file__).resolve()), "_serve", "--feeds", str(feeds),
            "--port-file", str(port_file)]  # fmt: skip
    with log.open("wb") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
            while not port_file.exists() or not port_file.read_text().strip():
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"feed server did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.05)
            yield child, int(port_file.read_text())
        finally:
            stop_process(child, STOP_TIMEOUT_SECONDS)


def call_server(port: int, path: str, method: str = "GET") -> dict[str, int]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None)
    with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
        answer: dict[str, int] = json.loads(response.read())
        return answer


def bench_settings(
    broker: str, partitions: int, concurrency: int, per_host: int, data_dir: Path
) -> Settings:
    prefix = f"pbench{uuid.uuid4().hex[:8]}."
    return load_settings(
        environ={
            "WIREWATCH_BROKER": broker,
            "WIREWATCH_TOPIC_PREFIX": prefix,
            "WIREWATCH_APP_ID": f"wirewatch-{prefix.rstrip('.')}",
            "WIREWATCH_ALLOWED_NETWORKS": "127.0.0.1/32",
        },
        overrides={
            "partitions": partitions,
            "data_dir": str(data_dir),
            "max_concurrent_fetches": concurrency,
            "max_fetches_per_host": per_host,
            "poll_interval_seconds": BENCH_POLL_INTERVAL_SECONDS,
            "min_poll_interval_seconds": BENCH_POLL_INTERVAL_SECONDS,
        },
    )


def polled_since(service: PollerService, feed_id: str, moment: datetime) -> bool:
    """True when the feed's state records a success or a failure at or after `moment`."""
    state = service.states.get(feed_id)
    if state is None:
        return False
    moments = (state.last_success_at, state.last_error_at)
    return any(at is not None and at >= moment for at in moments)


async def wait_polled(
    service: PollerService, feed_ids: list[str], moment: datetime, timeout: float
) -> tuple[int, float]:
    """Wait until every feed shows a poll after `moment`; return how many did and when (monotonic).

    Only the still-pending feeds are looked at each time, so the watching costs little CPU.
    """
    pending = set(feed_ids)
    deadline = time.monotonic() + timeout
    done_at = time.monotonic()
    while pending and time.monotonic() < deadline:
        finished = {f for f in pending if polled_since(service, f, moment)}
        if finished:
            done_at = time.monotonic()
            pending -= finished
        if pending:
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)
    return len(feed_ids) - len(pending), done_at


async def wait_registered(service: PollerService, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while len(service.feeds) < count and time.monotonic() < deadline:
        await asyncio.sleep(WATCH_INTERVAL_SECONDS)
    return len(service.feeds) >= count


async def wait_idle(service: PollerService, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while service.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(WATCH_INTERVAL_SECONDS)


def make_all_due(service: PollerService, now: float) -> None:
    """Set every owned feed's next poll to `now` and wake the scheduler."""
    for feed_id, state in list(service.states.items()):
        service.states[feed_id] = dataclasses.replace(state, next_due_at=now)
    service.wake.set()


# --- one benchmark run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoundContext:
    """What both rounds share: the service under test and how to measure around it."""

    service: PollerService
    producer: AIOKafkaProducer
    registry: CollectorRegistry
    feed_ids: list[str]
    server_pid: int
    timeout: float
    log_path: Path


async def measure_round(
    context: RoundContext, label: str, make_due: bool, profile: cProfile.Profile | None
) -> RoundResult:
    """Poll every feed once and measure it; round 2 starts the clock by making every feed due."""
    service, registry = context.service, context.registry
    fetches_before = read_counter(registry, "wirewatch_feed_fetches")
    emitted_before = read_counter(registry, "wirewatch_feed_items_emitted")
    parsed_before = read_counter(registry, "wirewatch_items_received")
    server_cpu_before = read_cpu_seconds(context.server_pid)
    cpu_before = time.process_time()
    moment = datetime.now(UTC)
    started = time.monotonic()
    if profile is not None:
        profile.enable()
    takes_before = count_log_lines(context.log_path, TAKE_MARK)
    if make_due:
        make_all_due(service, service.clock())
    polled, done_at = await wait_polled(service, context.feed_ids, moment, context.timeout)
    if profile is not None:
        profile.disable()
    wall = done_at - started
    await context.producer.flush()
    flush = time.monotonic() - done_at
    cpu = time.process_time() - cpu_before
    server_cpu_after = read_cpu_seconds(context.server_pid)
    server_cpu = (
        server_cpu_after - server_cpu_before
        if server_cpu_after is not None and server_cpu_before is not None
        else None
    )
    takes = count_log_lines(context.log_path, TAKE_MARK) - takes_before
    fetches = counter_delta(read_counter(registry, "wirewatch_feed_fetches"), fetches_before)
    emitted = counter_delta(read_counter(registry, "wirewatch_feed_items_emitted"), emitted_before)
    parsed = counter_delta(read_counter(registry, "wirewatch_items_received"), parsed_before)
    return RoundResult(
        label=label,
        feeds=len(context.feed_ids),
        polled=polled,
        wall_seconds=wall,
        flush_seconds=flush,
        cpu_seconds=cpu,
        server_cpu_seconds=server_cpu,
        peak_rss_mib=peak_rss_mib(),
        fetches={(k[0], k[1]): v for k, v in fetches.items()},
        entries_emitted=sum(emitted.values()),
        entries_parsed=parsed.get(("poll",), 0.0),
        assignments=takes,
    )


def describe_round(result: RoundResult) -> str:
    wall = result.wall_seconds or float("nan")
    others = {k: v for k, v in result.fetches.items() if k not in (("ok", "200"),
              ("not_modified", "304"))}  # fmt: skip
    server = (
        f", feed server {result.server_cpu_seconds:.1f} s"
        if result.server_cpu_seconds is not None
        else ""
    )
    lines = [
        f"{result.label}: {result.polled:,}/{result.feeds:,} feeds polled in {wall:.2f} s "
        f"(+{result.flush_seconds:.2f} s until the producer had every ack)",
        f"  {result.requests / wall:,.0f} requests/s, {result.entries_emitted / wall:,.0f} "
        f"entries emitted/s ({result.entries_emitted:,.0f} emitted, "
        f"{result.entries_parsed:,.0f} parsed)",
        f"  HTTP 200: {result.count('ok', '200'):,}, 304: {result.count('not_modified', '304'):,}"
        + (f", other: {dict(others)}" if others else "")
        + f"; {result.requests / max(result.polled, 1):.2f} fetches per feed, "
        f"{result.assignments} partition assignments",
        f"  CPU of the poller process {result.cpu_seconds:.1f} s "
        f"({result.cpu_seconds / wall:.2f} cores){server}; peak RSS {result.peak_rss_mib:,.0f} MiB",
    ]
    return "\n".join(lines)


async def run_rounds(
    settings: Settings,
    feeds: int,
    port: int,
    server_pid: int,
    timeout: float,
    profile_path: str,
    log_path: Path,
) -> list[RoundResult]:
    await ensure_topics(settings)
    now = datetime.now(UTC)
    registrations = [
        registration_for(FeedConfig(url=f"http://127.0.0.1:{port}/feed/{n}.xml"), now)
        for n in range(feeds)
    ]
    await write_registrations(settings, registrations)
    registry = CollectorRegistry()
    metrics = PollerMetrics.create(registry)
    # What run_poller_service does, with the service kept in hand so the bench can watch it.
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.broker, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    fetcher = Fetcher(fetch_config(settings))
    parser = parser_pool(settings.parse_workers)  # as run_poller_service does
    service = PollerService(
        settings, fetcher, producer, metrics, rng=random.Random(1), parser=parser
    )
    stop = asyncio.Event()
    running = asyncio.gather(follow_registry(service, stop), service.run_scheduler(stop))
    feed_ids = [r.feed_id for r in registrations]
    context = RoundContext(service, producer, registry, feed_ids, server_pid, timeout, log_path)
    results: list[RoundResult] = []
    try:
        # Round 1 counts from the service's start: group join and registry read are in it.
        round1 = await measure_round(context, "round 1 (all 200, cold)", False, None)
        print(describe_round(round1), flush=True)
        results.append(round1)
        # A round that timed out leaves polls running; round 2 must not count them.
        await wait_idle(service, timeout)
        bumped = await asyncio.to_thread(call_server, port, "/control/bump", "POST")
        print(f"server: generation {bumped['generation']}, {bumped['changed']:,} feeds changed")
        profile = cProfile.Profile() if profile_path else None
        round2 = await measure_round(context, "round 2 (measured: ~80 % 304, ~20 % new)", True,
                                     profile)  # fmt: skip
        print(describe_round(round2), flush=True)
        results.append(round2)
        if profile is not None:
            profile.dump_stats(profile_path)
            stats = pstats.Stats(profile).sort_stats("cumulative")
            stats.print_stats(PROFILE_LINES)
            stats.sort_stats("tottime").print_stats(PROFILE_LINES)
        served = await asyncio.to_thread(call_server, port, "/control/stats")
        print(f"server counted: {served}")
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running, STOP_TIMEOUT_SECONDS)
        for task in list(service.in_flight.values()):
            task.cancel()
        await asyncio.gather(*service.in_flight.values(), return_exceptions=True)
        await fetcher.aclose()
        if parser is not None:
            parser.shutdown(wait=False, cancel_futures=True)
        await producer.stop()
    return results


def print_verdict(result: RoundResult, settings: Settings) -> None:
    complete = result.polled == result.feeds
    met = complete and result.wall_seconds <= GOAL_SECONDS
    print(
        f"goal (whole round in ≤ {GOAL_SECONDS:.0f} s): {'met' if met else 'NOT met'} — "
        f"{result.wall_seconds:.1f} s for {result.polled:,}/{result.feeds:,} feeds "
        f"(max_concurrent_fetches={settings.max_concurrent_fetches}, "
        f"max_fetches_per_host={settings.max_fetches_per_host})"
    )


def run_benchmark(args: argparse.Namespace, broker: str, work_dir: Path) -> None:
    settings = bench_settings(
        broker, args.partitions, args.concurrency, args.per_host, work_dir / "var"
    )
    print(
        f"{args.feeds:,} feeds on one local host (127.0.0.1), {args.partitions} partitions, "
        f"broker {broker}; max_concurrent_fetches={settings.max_concurrent_fetches}, "
        f"max_fetches_per_host={settings.max_fetches_per_host} (the default is 4; "
        f"every feed here shares one host)",
        flush=True,
    )
    log_path = Path(args.log) if args.log else work_dir / "poller.log"
    configure_logging(log_path)
    with feed_server(args.feeds, work_dir) as (server, port):
        results = asyncio.run(
            run_rounds(
                settings, args.feeds, port, server.pid, args.round_timeout, args.profile, log_path
            )
        )
    if args.log:
        print(f"service log (INFO): {log_path}")
    if len(results) == 2:
        print_verdict(results[1], settings)


def configure_logging(log_path: Path) -> None:
    """Warnings to stderr; the service's and the consumer group's INFO lines to `log_path`."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("streams.feeds.poller", "aiokafka.consumer.group_coordinator"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False  # the root handler would print the INFO lines too


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="bench", choices=("bench", "_serve"))
    parser.add_argument("--feeds", type=int, default=10_000, help="feeds to poll (10,000)")
    parser.add_argument("--broker", default="", help="host:port; default: start a local broker")
    parser.add_argument("--partitions", type=int, default=3, help="partitions per topic (3)")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="max_concurrent_fetches (64, the default setting)")  # fmt: skip
    parser.add_argument("--per-host", type=int, default=64,
                        help="max_fetches_per_host (64; the setting's default is 4)")  # fmt: skip
    parser.add_argument("--round-timeout", type=float, default=600.0,
                        help="seconds a round may take before it counts as unfinished")  # fmt: skip
    parser.add_argument("--profile", default="", help="write a cProfile of round 2 here")
    parser.add_argument("--log", default="", help="service log file (default: in the temp dir)")
    parser.add_argument("--port-file", default="", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.role == "_serve":
        asyncio.run(serve_feeds(args.feeds, Path(args.port_file)))
        return
    with tempfile.TemporaryDirectory(prefix="wirewatch-pbench-") as tmp:
        work_dir = Path(tmp)
        with pipeline_bench.bench_broker(args.broker, work_dir) as (address, _):
            run_benchmark(args, address, work_dir)


if __name__ == "__main__":
    main()
