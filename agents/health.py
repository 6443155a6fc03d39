"""The worker's health, Faust side: probe the broker, sample each input partition's progress,
publish the readiness that streams/health.py decides, read the group's lag, put Faust's own
Prometheus sensor on the worker's registry, and install the worker's log filters and format.

Faust offers no public view of what it has processed per partition, nor a broker check, so this
module reads a few of Faust's and aiokafka's attributes (named where used) and keeps the rest in
`WorkerHealth`, which the agents update through `Wiring.run_step`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition
from faust.sensors.monitor import Monitor
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP, CollectionT, EventT, Message, PendingMessage, ProducerT, StreamT
from prometheus_client import CollectorRegistry

from agents.wiring import Wiring
from streams.health import (
    BROKER_PROBE_INTERVAL_SECONDS,
    BROKER_PROBE_TIMEOUT_SECONDS,
    SAMPLE_INTERVAL_SECONDS,
    PartitionKey,
    PartitionProgress,
    Readiness,
    WorkerHealth,
    WorkerPhase,
    decide_readiness,
    is_stalled,
    track_progress,
)
from streams.kafka.admin import probe_brokers
from streams.kafka.lag import watch_group_lag
from streams.logfilters import ChangelogIdleAlarmFilter
from streams.logjson import apply_log_format
from streams.lograte import RateLimitFilter
from streams.settings import Settings

log = logging.getLogger(__name__)

# The logger of faust's AIOKafkaConsumerThread, whose livelock check logs the changelog alarm.
FAUST_CONSUMER_LOGGER = "faust.transport.drivers.aiokafka"
# One warning or error line of a kind per this many seconds: against a stopped broker aiokafka
# logged ~75 ERROR lines a second (1,660 in 23 s), four kinds repeated every ~0.1 s.
LOG_REPEAT_SECONDS = 5.0
# The name prefix of Faust's own metric families on the worker's page.
FAUST_METRICS_PREFIX = "wirewatch_faust"


def register(app: faust.App, wiring: Wiring) -> None:
    """Start probing and sampling once the worker is first assigned partitions."""
    monitor = _Monitor(app, wiring)

    # App timers and tasks start only after the first table recovery; the first assignment comes
    # before it, so a long recovery already shows as "recovering" and the broker gauge is live.
    def on_assigned(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        if not monitor.started:
            monitor.started = True
            app.add_future(monitor.run())

    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]  # mode's mypy_extensions type


def install_faust_sensor(app: faust.App, registry: CollectorRegistry) -> None:
    """Faust's Prometheus sensor (messages in and out, commits, rebalances, assignment and send
    latencies, per-partition end and committed offsets), on the worker's registry.

    What faust.sensors.prometheus.setup_prometheus_sensors does, without the page it adds to
    Faust's web server (off here: /metrics is ours) and without the two web families, which
    would stay at zero.
    """
    metrics = FaustMetrics.create(registry, FAUST_METRICS_PREFIX)
    registry.unregister(metrics.http_status_codes)
    registry.unregister(metrics.http_latency)
    app.monitor = CachedPrometheusMonitor(metrics=metrics)


class CachedPrometheusMonitor(PrometheusMonitor):
    """Faust's Prometheus sensor with each labelled child looked up once.

    Faust calls these hooks for every message in, event, table read or write and send (about
    ten calls an item in this pipeline), and its sensor calls prometheus_client's `labels()` in
    each: validation, a lock and string formatting every time. Measured at ~6% of a worker's
    samples (py-spy, bench/chain_bench.py). The series and their values are the same as
    PrometheusMonitor's (tests/unit/test_metrics.py compares both on the same calls)."""

    def __init__(self, metrics: FaustMetrics, **kwargs: Any) -> None:
        super().__init__(metrics=metrics, **kwargs)
        self._label_children: dict[tuple[str, Any], Any] = {}

    def _child(self, family: str, labels: Any, make: Callable[[], Any]) -> Any:
        key = (family, labels)
        found = self._label_children.get(key)
        if found is None:
            found = self._label_children[key] = make()
        return found

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        Monitor.on_message_in(self, tp, offset, message)
        metrics = self._metrics
        metrics.messages_received.inc()
        metrics.active_messages.inc()
        self._child("topic", tp.topic, lambda: metrics.messages_received_per_topics.labels(
            topic=tp.topic)).inc()  # fmt: skip
        self._child("tp", tp, lambda: metrics.messages_received_per_topics_partition.labels(
            topic=tp.topic, partition=tp.partition)).set(offset)  # fmt: skip

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT[Any], event: EventT[Any]
    ) -> dict[Any, Any] | None:
        state = Monitor.on_stream_event_in(self, tp, offset, stream, event)
        metrics = self._metrics
        metrics.total_events.inc()
        metrics.total_active_events.inc()
        self._child("stream", stream, lambda: metrics.total_events_per_stream.labels(
            stream=f"stream.{self._stream_label(stream)}.events")).inc()  # fmt: skip
        return state

    def on_table_get(self, table: CollectionT, key: Any) -> None:
        Monitor.on_table_get(self, table, key)
        self._table_child(table, self.KEYS_RETRIEVED).inc()

    def on_table_set(self, table: CollectionT, key: Any, value: Any) -> None:
        Monitor.on_table_set(self, table, key, value)
        self._table_child(table, self.KEYS_UPDATED).inc()

    def on_table_del(self, table: CollectionT, key: Any) -> None:
        Monitor.on_table_del(self, table, key)
        self._table_child(table, self.KEYS_DELETED).inc()

    def _table_child(self, table: CollectionT, operation: str) -> Any:
        return self._child("table", (table.name, operation), lambda: (
            self._metrics.table_operations.labels(table=f"table.{table.name}",
                                                  operation=operation)))  # fmt: skip

    def on_send_initiated(
        self, producer: ProducerT, topic: str, message: PendingMessage, keysize: int,
        valsize: int,
    ) -> Any:  # fmt: skip
        self._child("sent", topic, lambda: self._metrics.topic_messages_sent.labels(
            topic=f"topic.{topic}")).inc()  # fmt: skip
        return Monitor.on_send_initiated(self, producer, topic, message, keysize, valsize)


async def probe_broker(app: faust.App, timeout_seconds: float) -> bool:
    """Whether a broker answers a metadata request in time.

    It goes through the producer's aiokafka client, which lives on this event loop; the
    consumer's client runs in Faust's consumer thread and must not be called from here.
    """
    producer = getattr(app.producer, "_producer", None)  # faust's aiokafka driver: the client
    if producer is None:
        return False
    return await probe_brokers(producer.client, timeout_seconds)


class _Monitor:
    """The probe and sample loops of one worker, and what they remember between samples."""

    def __init__(self, app: faust.App, wiring: Wiring) -> None:
        self.app = app
        self.health: WorkerHealth = wiring.health
        self.settings = wiring.settings
        self.prefix = wiring.settings.topic_prefix
        self.started = False
        self.broker_connected = False
        self.progress: dict[PartitionKey, PartitionProgress] = {}
        self.labelled: set[tuple[str, str]] = set()  # (topic suffix, partition) series set

    async def run(self) -> None:
        await self.probe()
        lag = watch_group_lag(
            self.settings, self.app.conf.id, self._input_topics, self.health.metrics.group_lag
        )
        await asyncio.gather(self._probe_forever(), self._sample_forever(), lag)

    async def probe(self) -> None:
        try:
            connected = await probe_broker(self.app, BROKER_PROBE_TIMEOUT_SECONDS)
        except Exception:
            # An exception escaping a future of the app crashes the worker: a probe bug must
            # only show as a broker it could not reach.
            log.warning("broker probe failed", exc_info=True)
            connected = False
        self.broker_connected = connected
        self.health.metrics.broker.record_probe(connected)

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(BROKER_PROBE_INTERVAL_SECONDS)
            await self.probe()

    async def _sample_forever(self) -> None:
        while True:
            now = time.monotonic()
            try:
                readiness = self.sample(now)
            except Exception as exc:
                # A broken health check must not stop the worker: it reports itself as the
                # reason the worker is not ready, and the log (rate-limited) keeps the traceback.
                log.warning("health sample failed", exc_info=True)
                readiness = Readiness(False, (f"health sample failed: {exc!r}",), (), now)
            self.health.readiness = readiness
            self.health.metrics.worker_ready.set(1 if readiness.ready else 0)
            await asyncio.sleep(SAMPLE_INTERVAL_SECONDS)

    def sample(self, now: float) -> Readiness:
        """Read phase and partitions from Faust, decide, and set the partition gauges."""
        phase = self.phase()
        inputs = self._input_topics()
        observed = {
            (tp.topic, tp.partition): (self._highwater(tp), self._position(tp))
            for tp in self.app.consumer.assignment()
            if tp.topic in inputs
        }
        self.progress = track_progress(
            self.progress, observed, now, settled=phase is WorkerPhase.RUNNING
        )
        partitions = [
            PartitionProgress(self._suffix(p.topic), p.partition, p.highwater, p.position,
                              p.last_advance)
            for p in self.progress.values()
        ]  # fmt: skip
        readiness = decide_readiness(
            partitions, broker_connected=self.broker_connected, phase=phase, now=now
        )
        self._set_partition_gauges(partitions, now)
        return readiness

    def phase(self) -> WorkerPhase:
        app = self.app
        if app.in_recovery:
            return WorkerPhase.RECOVERING
        if app.rebalancing:
            return WorkerPhase.REBALANCING
        # faust.tables.TableManager.recovery (not on TableManagerT): set once the first
        # recovery has handed over to the agents.
        if not cast(Any, app.tables).recovery.completed.is_set():
            return WorkerPhase.STARTING
        return WorkerPhase.RUNNING

    def _input_topics(self) -> set[str]:
        # The agents' channels: table changelogs are assigned too but never processed by a stream.
        return {
            name
            for agent in self.app.agents.values()
            for name in getattr(agent.channel, "topics", ())
        }

    def _highwater(self, tp: TP) -> int | None:
        # aiokafka's highwater from its last fetch response for tp (no request is made); None
        # until the first fetch, so a partition never fetched shows as such.
        try:
            highwater = self.app.consumer.highwater(tp)
        except (AssertionError, KafkaError):  # revoked since assignment() was read
            return None
        return int(highwater) if highwater is not None else None

    def _position(self, tp: TP) -> int | None:
        """The next offset to process: what the agents processed, or what the group committed,
        whichever is further; else where aiokafka will fetch (a group that never committed)."""
        processed = self.health.processed.get((tp.topic, tp.partition))
        # faust.transport.consumer.Consumer._committed_offset: set by the seek to the committed
        # offsets after recovery and by each commit.
        committed = getattr(self.app.consumer, "_committed_offset", {}).get(tp)
        known = [offset for offset in (processed, committed) if offset is not None]
        return max(known) if known else self._fetch_position(tp)

    def _fetch_position(self, tp: TP) -> int | None:
        # The same aiokafka subscription state Faust's own livelock check reads.
        try:
            consumer = self.app.consumer._thread._consumer  # type: ignore[attr-defined]  # faust's aiokafka thread
            assignment = consumer._fetcher._subscriptions.subscription.assignment
            state = assignment.state_value(TopicPartition(tp.topic, tp.partition))
        except AttributeError:
            return None
        if state is None or not state.has_valid_position:
            return None
        return int(state.position)

    def _suffix(self, topic: str) -> str:
        return topic.removeprefix(self.prefix)

    def _set_partition_gauges(self, partitions: list[PartitionProgress], now: float) -> None:
        metrics = self.health.metrics
        current = {(p.topic, str(p.partition)): p for p in partitions}
        for labels in self.labelled - current.keys():
            metrics.partition_lag.remove(*labels)
            metrics.partition_stalled.remove(*labels)
        for labels, p in current.items():
            lag = p.lag
            metrics.partition_lag.labels(*labels).set(float("nan") if lag is None else lag)
            metrics.partition_stalled.labels(*labels).set(1 if is_stalled(p, now) else 0)
        self.labelled = set(current)


class Worker(faust.Worker):
    """faust.Worker with wirewatch's log filters and log format, added once Faust has configured
    logging (it replaces the root handlers at start, so filters added earlier would be lost)."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        *,
        repeat_seconds: float = LOG_REPEAT_SECONDS,
        **kwargs: Any,
    ) -> None:
        # JSON logs: nothing but log records on the console (no spinner, no "OK ^").
        quiet = settings.log_format == "json"
        super().__init__(app, quiet=quiet, **kwargs)
        self.settings = settings
        self.repeat_seconds = repeat_seconds

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        if self.settings.log_format == "json":
            self.spinner = None  # its handler would write spinner frames between the lines
        super().on_setup_root_logger(logger, level)
        apply_log_format(logger.handlers, self.settings, "worker")
        # On each handler, not a logger: aiokafka logs from a dozen modules and a logger's
        # filter misses its children's records. One filter per handler: each keeps its counts.
        for handler in logger.handlers:
            handler.addFilter(RateLimitFilter(self.repeat_seconds))
        changelogs = ChangelogIdleAlarmFilter(self.app.tables.changelog_topics)
        logging.getLogger(FAUST_CONSUMER_LOGGER).addFilter(changelogs)
