"""Whether a worker or a poller can make progress: the readiness decisions and the state they
are made from, and what `/livez` and `/readyz` answer.

The worker's decision is pure (`decide_readiness`, `track_progress`): it is given each assigned
input partition's highwater, the position its agent has processed up to and when that position
last moved, plus the broker's reachability and the worker's phase, and it returns a ready flag
with the reasons against. `agents/health.py` samples Faust for these values; the metrics server
thread answers `/readyz` from the last `Readiness` published in `WorkerHealth`. The poller's
(`decide_poller_readiness`) needs the broker and its place in the pollers' group; its
`PollerHealth` is updated by the poller's broker probe and rebalance listener.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from prometheus_client import CollectorRegistry

from streams.metrics import HealthMetrics, PollerHealthMetrics

# A partition with lag whose processed position has not moved for this long is stalled. A
# healthy agent takes milliseconds per item; Faust's own livelock warning waits 300 s
# (stream_processing_timeout), far too long for the restarted-worker stall seen in the issue.
STALL_AFTER_SECONDS = 30.0
SAMPLE_INTERVAL_SECONDS = 2.0
# Probe every 3 s, give up after 4 s: a dead broker shows within ~7 s, under the 10 s asked for.
BROKER_PROBE_INTERVAL_SECONDS = 3.0
BROKER_PROBE_TIMEOUT_SECONDS = 4.0
# /readyz answers from the last sample; one older than this means the loop stopped sampling.
SAMPLE_STALE_SECONDS = 15.0
LIVENESS_TIMEOUT_SECONDS = 5.0
# Reasons name at most this many stalled partitions, so a 500-partition worker stays readable.
MAX_LISTED_PARTITIONS = 10

PartitionKey = tuple[str, int]


class WorkerPhase(StrEnum):
    STARTING = "starting"  # the consumer has not finished its first assignment
    REBALANCING = "rebalancing"
    RECOVERING = "recovering"  # rebuilding tables from their changelogs
    RUNNING = "running"


@dataclass(frozen=True, slots=True)
class PartitionProgress:
    """One assigned input partition: its end, how far it is processed, and since when."""

    topic: str  # the topic's suffix, e.g. "raw-items"
    partition: int
    highwater: int | None  # the next offset the broker will write; None when not known yet
    position: int | None  # the next offset to process; None when not known yet
    last_advance: float  # monotonic time the position last moved (or the partition was assigned)

    @property
    def lag(self) -> int | None:
        if self.highwater is None or self.position is None:
            return None
        return max(0, self.highwater - self.position)


@dataclass(frozen=True, slots=True)
class Readiness:
    """The verdict: ready, or the reasons why not; with the stalled partitions named."""

    ready: bool
    reasons: tuple[str, ...]
    stalled: tuple[PartitionProgress, ...] = ()
    sampled_at: float | None = None  # monotonic time of the sample; None before the first one


def track_progress(
    previous: Mapping[PartitionKey, PartitionProgress],
    observed: Mapping[PartitionKey, tuple[int | None, int | None]],
    now: float,
    settled: bool,
) -> dict[PartitionKey, PartitionProgress]:
    """The partitions of `observed` ((highwater, position) per topic and partition) with the
    time each position last moved; an unsettled worker (rebalancing, recovering) restarts the
    clocks, since paused partitions are not stalled ones."""
    progress: dict[PartitionKey, PartitionProgress] = {}
    for key, (highwater, position) in observed.items():
        before = previous.get(key)
        moved = before is None or before.position != position
        last_advance = now if moved or not settled or before is None else before.last_advance
        progress[key] = PartitionProgress(key[0], key[1], highwater, position, last_advance)
    return progress


def is_stalled(
    progress: PartitionProgress, now: float, stall_after_seconds: float = STALL_AFTER_SECONDS
) -> bool:
    """Not processed for longer than `stall_after_seconds` while messages wait, or while the
    partition has never been fetched (no highwater: aiokafka learns it from every fetch, even an
    empty one, so only a partition nobody fetches stays without)."""
    if now - progress.last_advance <= stall_after_seconds:
        return False
    lag = progress.lag
    return progress.highwater is None or (lag is not None and lag > 0)


def decide_readiness(
    partitions: Iterable[PartitionProgress],
    *,
    broker_connected: bool,
    phase: WorkerPhase,
    now: float,
    stall_after_seconds: float = STALL_AFTER_SECONDS,
) -> Readiness:
    """Ready when the broker answers, the worker runs, and no partition with lag stands still."""
    reasons: list[str] = []
    if not broker_connected:
        reasons.append("broker unreachable")
    if phase is not WorkerPhase.RUNNING:
        reasons.append(f"worker {phase}")
    stalled = tuple(
        sorted(
            (p for p in partitions if is_stalled(p, now, stall_after_seconds)),
            key=lambda p: (p.topic, p.partition),
        )
    )
    if stalled:
        listed = ", ".join(
            f"{p.topic}[{p.partition}] "
            + ("never fetched" if p.highwater is None else f"lag {p.lag}")
            + f" idle {now - p.last_advance:.0f}s"
            for p in stalled[:MAX_LISTED_PARTITIONS]
        )
        more = len(stalled) - MAX_LISTED_PARTITIONS
        reasons.append(
            f"{len(stalled)} stalled partition(s): {listed}"
            + (f" and {more} more" if more > 0 else "")
        )
    return Readiness(not reasons, tuple(reasons), stalled, now)


def render_readiness(readiness: Readiness, now: float) -> tuple[int, bytes]:
    """The HTTP status and JSON body `/readyz` answers; a stale sample is not ready."""
    reasons = list(readiness.reasons)
    ready = readiness.ready
    if readiness.sampled_at is None:
        ready, reasons = False, reasons or ["not sampled yet"]
    elif now - readiness.sampled_at > SAMPLE_STALE_SECONDS:
        ready = False
        reasons.append(f"health not sampled for {now - readiness.sampled_at:.0f}s")
    body = {"ready": ready, "reasons": reasons}
    return (200 if ready else 503), json.dumps(body).encode() + b"\n"


def loop_answers(loop: asyncio.AbstractEventLoop | None, timeout_seconds: float) -> bool:
    """Whether `loop` runs a callback within `timeout_seconds` (call from another thread)."""
    if loop is None or loop.is_closed():
        return False
    answered = threading.Event()
    try:
        loop.call_soon_threadsafe(answered.set)
    except RuntimeError:  # closed between the check and the call
        return False
    return answered.wait(timeout_seconds)


@dataclass
class WorkerHealth:
    """A worker's health as last sampled: written on the event loop, read by the metrics server
    thread (a whole `Readiness` is swapped in at once, so a reader never sees half a sample)."""

    metrics: HealthMetrics = field(
        default_factory=lambda: HealthMetrics.create(CollectorRegistry())
    )
    processed: dict[PartitionKey, int] = field(default_factory=dict)
    readiness: Readiness = field(default_factory=lambda: Readiness(False, ("worker starting",)))
    loop: asyncio.AbstractEventLoop | None = None

    def record_processed(self, topic: str, partition: int, offset: int) -> None:
        """Note that an agent processed `offset` (the next position is the one after it)."""
        self.processed[(topic, partition)] = offset + 1

    def live(self) -> tuple[int, bytes]:
        """The HTTP status and body `/livez` (and `/healthz`) answers: does the event loop
        still run?"""
        loop = self.loop
        if loop is not None and not loop.is_running() and not loop.is_closed():
            # Start-up work before the worker runs the loop (loading the language models) is
            # synchronous: the process is alive, and /readyz says it is not ready yet.
            return 200, b"ok (starting)\n"
        if loop_answers(loop, LIVENESS_TIMEOUT_SECONDS):
            return 200, b"ok\n"
        return 503, b"event loop not answering\n"

    def ready(self) -> tuple[int, bytes]:
        return render_readiness(self.readiness, time.monotonic())


def decide_poller_readiness(*, broker_connected: bool, joined: bool, now: float) -> Readiness:
    """Ready when the broker answers and the poller holds its place in the pollers' group (it has
    been given its share of the feed partitions, maybe none when pollers outnumber them)."""
    reasons: list[str] = []
    if not broker_connected:
        reasons.append("broker unreachable")
    if not joined:
        reasons.append("not in the pollers' consumer group (joining or rebalancing)")
    return Readiness(not reasons, tuple(reasons), (), now)


@dataclass
class PollerHealth:
    """A poller's health: written by its broker probe and its rebalance listener on the event
    loop, read by the metrics server thread."""

    metrics: PollerHealthMetrics = field(
        default_factory=lambda: PollerHealthMetrics.create(CollectorRegistry())
    )
    loop: asyncio.AbstractEventLoop | None = None
    broker_connected: bool = False
    joined: bool = False
    probed_at: float | None = None  # monotonic time of the last probe; None before the first

    def record_probe(self, connected: bool, now: float) -> None:
        self.broker_connected, self.probed_at = connected, now
        self.metrics.broker.record_probe(connected)
        self._publish(now)

    def record_membership(self, joined: bool, now: float) -> None:
        """Partitions assigned (joined, maybe with none) or revoked (a rebalance began)."""
        self.joined = joined
        self._publish(now)

    def readiness(self) -> Readiness:
        """The verdict as of the last probe: a probe loop that stopped makes it stale."""
        decided = decide_poller_readiness(
            broker_connected=self.broker_connected, joined=self.joined, now=0.0
        )
        return Readiness(decided.ready, decided.reasons, (), self.probed_at)

    def _publish(self, now: float) -> None:
        status, _ = render_readiness(self.readiness(), now)
        self.metrics.poller_ready.set(1 if status == 200 else 0)

    def live(self) -> tuple[int, bytes]:
        """`/livez` (and `/healthz`): does the poller's event loop still run a callback?"""
        if loop_answers(self.loop, LIVENESS_TIMEOUT_SECONDS):
            return 200, b"ok\n"
        return 503, b"event loop not answering\n"

    def ready(self) -> tuple[int, bytes]:
        now = time.monotonic()
        status, body = render_readiness(self.readiness(), now)
        self.metrics.poller_ready.set(1 if status == 200 else 0)
        return status, body
