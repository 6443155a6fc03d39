"""Consumer-group lag as the broker sees it: per partition, the log end minus the group's
committed offset, read every 15 s and exported as wirewatch_consumer_group_lag.

The worker's own `wirewatch_partition_lag` only covers the partitions a worker holds, and dies
with it; this reads the group's committed offsets from the group coordinator (the admin client's
`list_consumer_group_offsets`) and the log ends from the partition leaders, so the lag of every
partition the group reads shows on every member, also while none of them makes progress. It is
a few requests every 15 s on the event loop, never on the path of a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from streams.kafka.security import client_options
from streams.settings import Settings

log = logging.getLogger(__name__)

LAG_INTERVAL_SECONDS = 15.0
# One read (metadata, coordinator, committed offsets, log starts and ends) must end within this;
# a broker that does not answer leaves the last values, and wirewatch_broker_connected says why.
LAG_READ_TIMEOUT_SECONDS = 10.0

PartitionKey = tuple[str, int]  # (topic, partition)


def compute_lag(
    ends: Mapping[PartitionKey, int],
    committed: Mapping[PartitionKey, int | None],
    starts: Mapping[PartitionKey, int],
) -> dict[PartitionKey, int]:
    """Lag per partition of `ends` (the log end offsets): end - committed offset; a partition the
    group never committed (None, negative or absent) lags from its log start, where a new member
    starts reading (auto_offset_reset=earliest). Never below 0: a committed offset can run ahead
    of a log end read a moment earlier."""
    lag: dict[PartitionKey, int] = {}
    for key, end in ends.items():
        offset = committed.get(key)
        if offset is None or offset < 0:
            offset = starts.get(key, 0)
        lag[key] = max(0, end - offset)
    return lag


class GroupLagReader:
    """Reads one consumer group's lag over its own admin client and consumer (no group), with
    the same TLS and SASL options as every other client (streams.kafka.security)."""

    def __init__(self, settings: Settings, group: str) -> None:
        self.settings = settings
        self.group = group
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            options = client_options(self.settings)
            admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.broker, **options)
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.settings.broker,
                group_id=None,
                enable_auto_commit=False,
                **options,
            )
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                await _close(admin, consumer)
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def read(self, topics: Iterable[str]) -> dict[PartitionKey, int]:
        """The group's lag on every partition of `topics` (topics the broker lacks are left out)."""
        admin, consumer = await self._clients()
        partitions = [
            TopicPartition(meta["topic"], part["partition"])
            for meta in await admin.describe_topics(sorted(set(topics)))
            if meta["error_code"] == 0
            for part in meta["partitions"]
        ]
        if not partitions:
            return {}
        offsets = await admin.list_consumer_group_offsets(self.group, partitions=partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        return compute_lag(
            {(tp.topic, tp.partition): int(end) for tp, end in ends.items()},
            {(tp.topic, tp.partition): int(meta.offset) for tp, meta in offsets.items()},
            {(tp.topic, tp.partition): int(start) for tp, start in starts.items()},
        )

    async def close(self) -> None:
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        await _close(admin, consumer)


async def _close(admin: AIOKafkaAdminClient | None, consumer: AIOKafkaConsumer | None) -> None:
    # Closing a client of a dead broker must not hide the error that made us close it.
    if consumer is not None:
        try:
            await consumer.stop()
        except Exception:
            log.debug("closing the lag consumer failed", exc_info=True)
    if admin is not None:
        try:
            await admin.close()
        except Exception:
            log.debug("closing the lag admin client failed", exc_info=True)


def set_lag_gauge(
    gauge: Gauge, group: str, lag: Mapping[PartitionKey, int], labelled: set[PartitionKey]
) -> set[PartitionKey]:
    """Set one series per partition of `lag`, remove the series of partitions no longer read
    (`labelled`: the ones set last time); return the partitions now set."""
    for topic, partition in labelled - lag.keys():
        gauge.remove(group, topic, str(partition))
    for (topic, partition), value in lag.items():
        gauge.labels(group, topic, str(partition)).set(value)
    return set(lag)


async def watch_group_lag(
    settings: Settings,
    group: str,
    topics: Callable[[], Iterable[str]],
    gauge: Gauge,
    stop: asyncio.Event | None = None,
    interval_seconds: float = LAG_INTERVAL_SECONDS,
) -> None:
    """Export `group`'s lag on `topics()` every `interval_seconds` until `stop` (or until
    cancelled). A failed read keeps the last values and is logged (rate-limited by the log
    handlers); the next read starts over with new clients."""
    reader = GroupLagReader(settings, group)
    labelled: set[PartitionKey] = set()
    stop = stop or asyncio.Event()
    try:
        while not stop.is_set():
            try:
                lag = await asyncio.wait_for(reader.read(topics()), LAG_READ_TIMEOUT_SECONDS)
                labelled = set_lag_gauge(gauge, group, lag, labelled)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A broker outage, a rebalance of the coordinator: the gauge keeps its last
                # values; a bug must not stop the process, only this reading.
                log.warning("consumer group %s: lag not read: %s", group, _describe(exc))
                await reader.close()
            await _wait(stop, interval_seconds)
    finally:
        await reader.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
