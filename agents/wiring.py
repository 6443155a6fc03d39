"""What every agent is given (`Wiring`): settings, metrics, start-up objects, topics, a clock.

`Wiring` runs a stage's pure step on an event (failures become dead letters), sends its outputs
and counts them; the agents in this package are a loop of a few lines around it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import faust
from faust.types import EventT, TableT, TopicT
from prometheus_client.metrics import MetricWrapperBase

from agents.faust_patches import watch_delivery
from agents.tablestore import table_options
from streams.codec import (
    NDJSON_CONTENT_TYPE,
    Headers,
    encode_record,
    join_records,
    message_headers,
)
from streams.deadletter import SourcePosition, guarded, record_outcome
from streams.health import WorkerHealth
from streams.kafka.topics import ARTICLES, DEAD_LETTERS, STORY_ROUTE, STORY_STARTS, TopicSpec
from streams.latency import latency_seconds, latency_start
from streams.metrics import WorkerMetrics
from streams.pipeline import StageConfig
from streams.records import Alert, Article, DeadLetter, Stage
from streams.routing import Outbound, by_key
from streams.settings import Settings

T = TypeVar("T")
M = TypeVar("M", bound=MetricWrapperBase)
# id(record) -> the record's encoded bytes, for records alive while the map is used.
Encoded = dict[int, bytes]
# One message of records one per line at most this long: well under the producer's and the
# broker's default message limit (1 MB), whatever a batch holds.
MAX_LINES_BYTES = 256 * 1024
# Internal topics whose messages hold several records, one per line: what one input message or
# batch sends there goes out as one message per key (docs/topics.md, "Batches").
LINES_TOPICS = frozenset({STORY_ROUTE.suffix, STORY_STARTS.suffix})


class StepOutcome(Protocol):
    """What a stateful stage's step returns: the messages to send (and state for `keep`)."""

    @property
    def outputs(self) -> tuple[Outbound, ...]: ...


S = TypeVar("S", bound=StepOutcome)


def table_reader(table: TableT[str, bytes]) -> Callable[[str], bytes | None]:
    """`table.get` with one store lookup instead of two.

    Faust's `table.get(key)` asks the store whether it holds the key and then for its value: two
    RocksDB reads and two key encodings for every key that is there (mode's `FastUserDict`). The
    story step reads a few candidate signatures an item this way (3.2 on the benchmark's stream);
    in a RocksDB worker's profile the first of the two reads was a tenth of its main thread at
    75,000 items, and more as its tables grew. The store's own `[]` reads once
    and raises KeyError for a missing key (these tables have no default). Faust's sensor still
    hears of every read (`table_operations_total`), as with `table[key]`."""

    def get(key: str) -> bytes | None:
        table.on_key_get(key)
        try:
            return table.data[key]
        except KeyError:
            return None

    return get


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Wiring:
    """What agents are given: settings, metrics, start-up objects, topics and a clock."""

    settings: Settings
    metrics: WorkerMetrics
    stages: StageConfig
    now: Callable[[], datetime] = utc_now
    topics: dict[str, TopicT] = field(default_factory=dict)
    # Offsets the agents reached, for readiness (agents.health); the worker passes its own.
    health: WorkerHealth = field(default_factory=WorkerHealth)
    _children: dict[tuple[int, tuple[str, ...]], Any] = field(default_factory=dict, repr=False)

    def run_step(
        self,
        stage: Stage,
        event: EventT[bytes],
        step: Callable[[bytes, datetime], T],
        payload: bytes | None = None,
    ) -> T | DeadLetter:
        """Run a stage's pure step on an event's raw value (or on `payload`, one record of a
        message of several), timed, failures as dead letters."""
        now = self.now()
        started = time.perf_counter()
        outcome = guarded(stage, event.value if payload is None else payload,
                          lambda value: step(value, now), now, self.position(event))  # fmt: skip
        self.child(self.metrics.stage_duration, stage).observe(time.perf_counter() - started)
        self.health.record_processed(event.message.topic, event.message.partition,
                                     event.message.offset)  # fmt: skip
        return outcome

    def child(self, metric: M, *values: str) -> M:
        """`metric.labels(*values)`, remembered: prometheus_client's `labels()` validates and
        locks on every call, measured at ~3% of a worker's CPU when called for every event."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return cast(M, found)

    def position(self, event: EventT[bytes]) -> SourcePosition:
        message = event.message
        key = event.key.decode("utf-8", "replace") if isinstance(event.key, bytes) else None
        return SourcePosition(message.topic, message.partition, message.offset, key)

    async def emit(
        self,
        stage: Stage,
        key: bytes | None,
        outcome: tuple[Outbound, ...] | DeadLetter,
        encoded: Encoded | None = None,
        deferred: list[Outbound] | None = None,
    ) -> None:
        """Count one input of `stage` and send its outputs to their topics, or its dead letter to
        the dead-letter topic. `encoded`, `deferred`: as for `send`."""
        self.child(self.metrics.items_received, stage).inc()
        if isinstance(outcome, DeadLetter):
            record_outcome(self.metrics, stage, outcome)
            await self._send(
                DEAD_LETTERS.suffix, key, encode_record(outcome), message_headers(outcome)
            )
            return
        record_outcome(self.metrics, stage)
        await self.send(outcome, encoded, deferred)

    async def send(
        self,
        outputs: tuple[Outbound, ...],
        encoded: Encoded | None = None,
        deferred: list[Outbound] | None = None,
    ) -> None:
        """Send messages to their topics, counted, with their end-to-end latency observed.
        `encoded` keeps each record's bytes for a later `send_lines` of the same records. With
        `deferred`, outputs to a LINES_TOPICS topic are put there instead, for the agent to
        `send_lines` before its input is acknowledged."""
        for outbound in outputs:
            self._count(outbound)
            if deferred is not None and outbound.topic in LINES_TOPICS:
                deferred.append(outbound)
                continue
            record = outbound.record
            value = encode_record(record)
            if encoded is not None:
                encoded[id(record)] = value
            await self._send(
                outbound.topic, outbound.key.encode(), value, message_headers(record),
                outbound.partition,
            )  # fmt: skip
            self._observe_latency(outbound)

    async def send_lines(self, outputs: Iterable[Outbound], encoded: Encoded) -> None:
        """Send records in as few messages as their keys allow: one message per topic and key,
        holding the records one per line (split at MAX_LINES_BYTES). `encoded` holds the bytes
        of records already encoded for another topic (an article for `articles`)."""
        for (topic, key), same in by_key(outputs).items():
            lines = [encoded.get(id(o.record)) or encode_record(o.record) for o in same]
            headers = message_headers(same[0].record, NDJSON_CONTENT_TYPE)
            # One key, one partition: the plan places a key, not a record.
            partition = same[0].partition
            for value in join_records(lines, MAX_LINES_BYTES):
                await self._send(topic, key.encode(), value, headers, partition)

    async def _send(
        self,
        suffix: str,
        key: bytes | None,
        value: bytes,
        headers: Headers,
        partition: int | None = None,
    ) -> None:
        topic = self.topics[suffix]
        delivery = await topic.send(key=key, value=value, headers=headers, partition=partition)
        # The send returns once the message is queued; a delivery that fails later must stop
        # the input offset from being committed (agents.faust_patches, point 5).
        watch_delivery(topic.app, delivery)

    async def process(
        self,
        stage: Stage,
        event: EventT[bytes],
        step: Callable[[bytes, datetime], S],
        keep: Callable[[S], None],
        payload: bytes | None = None,
        deferred: list[Outbound] | None = None,
    ) -> None:
        """A stateful stage's event (or `payload`, one record of a message of several): the
        step's outputs are sent, then `keep` writes its state.

        Outputs go first: a crash between the two re-sends them under the same keys (alerts and
        articles have stable ids) instead of recording state for outputs never sent.
        """
        outcome = self.run_step(stage, event, step, payload)
        if isinstance(outcome, DeadLetter):
            await self.emit(stage, event.key, outcome)
            return
        await self.emit(stage, event.key, outcome.outputs, deferred=deferred)
        keep(outcome)

    def table(self, app: faust.App, name: str, changelog: TopicSpec) -> TableT[str, bytes]:
        """A changelog-backed table (the `table_store`'s store) keyed by str, holding encoded
        records.

        Keys are JSON so they read back as str when a worker rebuilds the table; values are our
        codec's bytes. The changelog is our own topic (created with its retention by
        ensure_topics), with the partition count of the topic its agent reads, as Faust requires.
        Its serializers must be the table's: the changelog topic's are used when reading it back.
        """
        topic = app.topic(
            changelog.name(self.settings),
            key_type=str,
            value_type=bytes,
            key_serializer="json",
            value_serializer="raw",
        )
        return app.Table(
            name,
            partitions=self.settings.partitions,
            changelog_topic=topic,
            key_type=str,
            value_type=bytes,
            # The RocksDB store's sizes (agents/tablestore.py); None with the memory store.
            options=table_options(self.settings),
        )

    def _observe_latency(self, outbound: Outbound) -> None:
        start = latency_start(outbound.topic, outbound.record, outbound.fetched_at)
        if start is not None:
            output, since = start
            seconds = latency_seconds(since, self.now())
            self.child(self.metrics.end_to_end_latency, output).observe(seconds)

    def _count(self, outbound: Outbound) -> None:
        record, metrics = outbound.record, self.metrics
        if isinstance(record, Article) and outbound.topic == ARTICLES.suffix:
            self.child(metrics.languages_detected, record.language.code).inc()
            for tag in record.topics:
                self.child(metrics.topics_tagged, tag.id).inc()
        elif isinstance(record, Alert):
            if record.revision > 1:
                self.child(metrics.alert_updates, record.severity).inc()
                return
            for tag in record.topics:
                self.child(metrics.alerts_raised, record.kind, tag.id, record.severity).inc()
