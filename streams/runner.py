"""The long-running processes: the Faust worker, the feed poller, and `run`, which starts them all.

`run` is the embedded default: with no broker configured it starts the project's local Kafka
broker, with no feeds configured it serves the bundled sample feeds over local HTTP, then it starts
a worker and a poller as child processes and prints each alert as it arrives. Ctrl-C stops
everything it started, in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import functools
import gc
import http.server
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TextIO

from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from streams.codec import decode_alert
from streams.errors import DecodeError, SettingsError
from streams.feeds.poller import run_poller_service
from streams.feeds.registry import register_missing
from streams.health import PollerHealth
from streams.kafka.admin import ensure_topics
from streams.kafka.connect import check_broker
from streams.kafka.localbroker import start_local_broker, stop_local_broker
from streams.kafka.security import client_options, describe_security
from streams.kafka.topics import ALERTS
from streams.logjson import apply_log_format
from streams.lograte import RateLimitFilter
from streams.metrics import (
    PollerHealthMetrics,
    PollerMetrics,
    register_process_metrics,
    serve_metrics,
)
from streams.records import Alert, AlertKind, RawItem
from streams.settings import Settings

log = logging.getLogger(__name__)

CHILD_STOP_TIMEOUT_SECONDS = 15
RECENT_ALERTS_PER_PARTITION = 20
POLLER_LOG_REPEAT_SECONDS = 5.0
SAMPLE_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")


# glibc's mallopt parameter for the most malloc arenas a process may create (malloc.h).
M_ARENA_MAX = -8
# glibc gives every thread that allocates an arena of its own (up to 8 per core), and memory freed
# in one arena is never reused by another. A worker's threads (the event loop, the metrics server,
# the consumer, the story index rebuild, the link encoder, RocksDB's) then hold memory each: a
# worker's peak RSS after 20,000 items was 667 and 669 MiB, and 627 and 603 MiB with two arenas
# (bench/chain_bench.py --items 20000 --workers 1 --no-latency --table-store rocksdb).
WORKER_MALLOC_ARENAS = 2


def limit_malloc_arenas(count: int = WORKER_MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas at `count` for the threads this process starts from now on.

    Call it before any thread is started. Left alone when MALLOC_ARENA_MAX is set (glibc reads it
    itself: the operator's choice wins) and where the C library is not glibc (musl has no
    arenas); returns whether the cap was set."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_ARENA_MAX, count))


# OpenBLAS (numpy's BLAS) starts a thread per core and, between calls, keeps them spinning for
# work. The worker's only BLAS user is the link stage (one story's embedding and its cosines at a
# time, where a second thread saves nothing), so the pool only burns the cores the other stages
# and the broker need. Measured (bench/README.md, "Ninth cut"): on a busy 2-core machine the
# worker spent 7,040-7,156 us of CPU per item with the pool and 2,375-2,623 with one thread, most
# of the difference in OpenBLAS's own spin loop (perf: inner_thread, blas_thread_server).
WORKER_BLAS_THREADS = 1
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads(count: int = WORKER_BLAS_THREADS) -> bool:
    """Cap the BLAS libraries numpy loaded at `count` threads for the rest of the process.

    Left alone when one of BLAS_THREAD_VARIABLES is set (the operator's choice wins); returns
    whether a cap was set."""
    if any(name in os.environ for name in BLAS_THREAD_VARIABLES):
        return False
    import numpy  # noqa: F401  (loads OpenBLAS, so that threadpoolctl finds it)
    from threadpoolctl import threadpool_limits

    # Not used as a context manager: the limit stays for the life of the process.
    threadpool_limits(limits=count, user_api="blas")
    return True


def freeze_startup_objects() -> int:
    """Leave the objects alive now (the language models, the compiled taxonomy, the libraries)
    out of every later garbage collection; returns how many were frozen.

    A worker holds millions of objects from start-up that live as long as it does. Python's
    full collections walked all of them each time: ~150 ms each, a few times a minute in a
    burst, about 4 % of the worker's CPU, and every one a 150 ms stall of every stage
    (bench/README.md, "Fourteenth cut"). Frozen objects are still freed when their last
    reference goes; only cycles among them would stay, and these objects never become garbage.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


# Allocations less deallocations between young-generation collections, and young collections per
# older one. Python's 700 ran ~70 young collections a second in a burst: a worker allocates and
# drops a few hundred objects per message (records, Faust events, futures), almost all freed by
# their reference counts, so each collection found little. With 20,000 a burst ran ~2 a second,
# and the collector's share of the worker's CPU fell from ~5 % to under 2 % together with the
# freeze (bench/README.md, "Fourteenth cut"). The older generations keep Python's factors.
WORKER_GC_THRESHOLDS = (20_000, 10, 10)


def collect_less_often(thresholds: tuple[int, int, int] = WORKER_GC_THRESHOLDS) -> None:
    """Run the cyclic garbage collector less often (gc.set_threshold) for the rest of the
    process."""
    gc.set_threshold(*thresholds)


def release_free_memory() -> bool:
    """Return the memory glibc's malloc holds free to the operating system (`malloc_trim(0)`).

    Freed blocks stay in the process until the top of a heap is free, and a long-lived worker
    frees in the middle: swept story keys, replaced table values, each batch's articles. glibc
    then keeps the free pages resident; malloc_trim gives back every whole free page
    (MADV_DONTNEED). Returns whether it ran (False off glibc, where there is nothing to trim)."""
    try:
        malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim.argtypes = (ctypes.c_size_t,)
    malloc_trim(0)
    return True


def process_registry() -> CollectorRegistry:
    """A registry with what every process exports about itself (build info, process_*)."""
    registry = CollectorRegistry()
    register_process_metrics(registry)
    return registry


def require_broker(settings: Settings, command: str) -> None:
    if not settings.broker:
        raise SettingsError(
            f"`wirewatch {command}` needs a broker: set WIREWATCH_BROKER=host:port "
            "(or use `wirewatch run`, which starts a local one)"
        )


async def poll_forever(settings: Settings, stop: asyncio.Event) -> None:
    """Register configured feeds, then poll this process's share of the registry until `stop`."""
    require_broker(settings, "poll")
    await check_broker(settings)
    log.info("poller connecting to %s (%s)", settings.broker, describe_security(settings))
    registry = process_registry()
    metrics = PollerMetrics.create(registry)
    health = PollerHealth(PollerHealthMetrics.create(registry), loop=asyncio.get_running_loop())
    # /healthz is the older name of /livez, kept for probes configured with it.
    checks = {"/livez": health.live, "/healthz": health.live, "/readyz": health.ready}
    port = serve_metrics(registry, settings.metrics_host, settings.poller_metrics_port, checks)
    log.info("poller metrics on http://%s:%d/metrics", settings.metrics_host, port)
    await ensure_topics(settings)
    if settings.feeds:
        written = await register_missing(settings, settings.feeds, datetime.now(UTC))
        log.info("registered %d configured feeds", len(written))
    await run_poller_service(settings, metrics, stop, health)


def configure_logging(settings: Settings, role: str) -> None:
    """Log lines to stderr in the `log_format` the settings ask for: text in the same shape as
    Faust's worker, or one JSON object per line (streams/logjson.py); warnings rate-limited."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
    )
    apply_log_format(logging.getLogger().handlers, settings, role)
    # On the handlers, not the loggers: a logger's filter misses its children's records, and
    # aiokafka logs from a dozen modules. One warning of a kind per interval, with a count of
    # the ones held back, keeps an outage's log readable (it was 25 MB in 30 minutes).
    limiter = RateLimitFilter(POLLER_LOG_REPEAT_SECONDS)
    for handler in logging.getLogger().handlers:
        handler.addFilter(limiter)
    # httpx logs every request at INFO: with thousands of feeds that was most of the log, and
    # each fetch's outcome is already in the feed's status and the fetch metrics.
    if logging.getLogger().level <= logging.INFO:
        logging.getLogger("httpx").setLevel(logging.WARNING)


def run_poller(settings: Settings) -> None:
    """Run the poller until SIGINT/SIGTERM."""
    configure_logging(settings, "poller")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await poll_forever(settings, stop)

    asyncio.run(main())


def format_alert_line(alert: Alert) -> str:
    """One readable line: time, severity, rule, topics, language, title, sources or the spike."""
    when = alert.raised_at.strftime("%Y-%m-%d %H:%M:%SZ")
    topics = ",".join(tag.id for tag in alert.topics)
    if alert.kind == AlertKind.SPIKE:
        detail = alert.reason
    else:
        update = f" (update {alert.revision})" if alert.revision > 1 else ""
        plural = "s" if alert.source_count != 1 else ""
        detail = f"{alert.source_count} source{plural}: {', '.join(alert.sources[:3])}{update}"
    return (
        f"{when}  {alert.severity.upper():<8} {alert.rule_id:<22} {topics:<24} "
        f"[{alert.language.code}] {alert.title}  — {detail}"
    )


async def print_alerts(settings: Settings, stop: asyncio.Event, out: TextIO) -> None:
    """Consume the alerts topic and print each alert as one line, until `stop`."""
    # The terminal is for alerts: leader elections right after topic creation make aiokafka log
    # transient errors that the worker's and poller's own logs already carry.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    # No consumer group: every run shows the most recent alerts again, then follows new ones.
    consumer = AIOKafkaConsumer(
        settings.topic(ALERTS.suffix),
        bootstrap_servers=settings.broker,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **client_options(settings),
    )
    await consumer.start()
    try:
        partitions = list(consumer.assignment())
        beginnings = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, max(beginnings[tp], ends[tp] - RECENT_ALERTS_PER_PARTITION))
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    try:
                        line = format_alert_line(decode_alert(record.value or b""))
                    except DecodeError as exc:
                        line = f"(undecodable alert at offset {record.offset}: {exc})"
                    print(line, file=out, flush=True)
    finally:
        await consumer.stop()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_directory(host: str, port: int, directory: Path) -> Iterator[int]:
    """Serve the files of `directory` over HTTP on host:port (0: a free port); yield the port."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_sample_feeds(host: str, port: int) -> Iterator[list[str]]:
    """Serve the bundled sample feeds over HTTP; yield their URLs."""
    folder = resources.files("streams") / "data" / "feeds"
    with resources.as_file(folder) as directory, serve_directory(host, port, directory) as bound:
        names = sorted(
            p.name for p in Path(directory).iterdir() if p.suffix in SAMPLE_FEED_SUFFIXES
        )
        yield [f"http://{host}:{bound}/{name}" for name in names]


def sample_feed_items(now: datetime, base_url: str = "http://127.0.0.1:8765") -> list[RawItem]:
    """The bundled sample feeds' entries, as a poller would see them served from `base_url`:
    what benchmarks and fault runs load, in the same order every time."""
    from streams.feeds.parse import FeedSource, parse_feed

    items: list[RawItem] = []
    folder = resources.files("streams") / "data" / "feeds"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if Path(entry.name).suffix in SAMPLE_FEED_SUFFIXES:
            source = FeedSource.from_url(f"{base_url}/{entry.name}")
            items.extend(parse_feed(entry.read_bytes(), source, now).items)
    return items


def _spawn(command: str, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start `wirewatch COMMAND` with its output in `log_path`, so the terminal shows alerts."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "streams.cli", command], env=env, stdout=log, stderr=log
        )


def stop_process(
    child: subprocess.Popen[bytes] | subprocess.Popen[str],
    timeout_seconds: float = CHILD_STOP_TIMEOUT_SECONDS,
) -> int:
    """SIGTERM a child, SIGKILL it if it outlives `timeout_seconds`; return its exit code."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    return int(child.returncode)


def _alive() -> tuple[int, bytes]:
    return 200, b"ok\n"


def run_all(settings: Settings, out: TextIO = sys.stdout) -> int:
    """The main job: broker (if none configured), sample feeds (if none), worker, poller, alerts.

    Returns the exit status: 0 when stopped by Ctrl-C or SIGTERM, 1 when the worker or the poller
    died (a supervisor must see that the job failed; its log names the cause).
    """
    configure_logging(settings, "run")
    with contextlib.ExitStack() as stack:
        if settings.broker:
            asyncio.run(check_broker(settings))
        else:
            data_dir = Path(settings.data_dir) / "kafka"
            print(f"starting local Kafka broker (data in {data_dir}) ...", file=out, flush=True)
            broker = start_local_broker(
                settings.local_broker_port, settings.local_controller_port, data_dir
            )
            stack.callback(stop_local_broker, broker)
            settings = dataclasses.replace(settings, broker=broker.address)
            print(f"broker ready on {broker.address}", file=out, flush=True)
        env = dict(os.environ, WIREWATCH_BROKER=settings.broker)
        if not settings.feeds:
            urls = stack.enter_context(
                serve_sample_feeds(settings.metrics_host, settings.sample_feeds_port)
            )
            env["WIREWATCH_FEEDS"] = ",".join(urls)
            # The sample server is on loopback, which the SSRF guard refuses unless allowed.
            allowed = [*settings.allowed_networks, f"{settings.metrics_host}/32"]
            env["WIREWATCH_ALLOWED_NETWORKS"] = ",".join(allowed)
            print(f"serving {len(urls)} bundled sample feeds on local HTTP", file=out, flush=True)
        # `run` itself only supervises: its page has its build and process metrics and answers
        # /livez; the pipeline's metrics are on the worker's and the poller's pages.
        checks = {"/livez": _alive, "/healthz": _alive}
        serve_metrics(process_registry(), settings.metrics_host, settings.run_metrics_port, checks)
        asyncio.run(ensure_topics(settings))
        logs = Path(settings.data_dir) / "logs"
        # A stable name: a worker restarted after a crash rejoins its group at once.
        worker_env = {"WIREWATCH_WORKER_ID": settings.worker_id or "run-worker", **env}
        worker = _spawn("worker", worker_env, logs / "worker.log")
        stack.callback(stop_process, worker)
        poller = _spawn("poll", env, logs / "poller.log")
        stack.callback(stop_process, poller)
        print(f"worker and poller logs in {logs}/", file=out, flush=True)
        print(
            f"worker metrics http://{settings.metrics_host}:{settings.worker_metrics_port}/metrics"
            f", poller metrics http://{settings.metrics_host}:{settings.poller_metrics_port}"
            "/metrics; alerts follow (Ctrl-C stops everything)",
            file=out,
            flush=True,
        )
        children = {
            "worker": (worker, logs / "worker.log"),
            "poller": (poller, logs / "poller.log"),
        }
        died = asyncio.run(_print_until_signal(settings, out, children))
        print("stopping ...", file=out, flush=True)
    return 0 if died is None else 1


async def _print_until_signal(
    settings: Settings, out: TextIO, children: dict[str, tuple[subprocess.Popen[bytes], Path]]
) -> str | None:
    """Print alerts until a signal (returns None) or until a child exits (returns its name)."""
    stop = asyncio.Event()
    died: list[str] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def watch_children() -> None:
        while not stop.is_set():
            for name, (child, log_path) in children.items():
                if child.poll() is not None:
                    print(
                        f"wirewatch: the {name} (pid {child.pid}) exited with status "
                        f"{child.returncode}; its log: {log_path}",
                        file=sys.stderr,
                        flush=True,
                    )
                    died.append(name)
                    stop.set()
            await asyncio.sleep(1.0)

    await asyncio.gather(print_alerts(settings, stop, out), watch_children())
    return died[0] if died else None
