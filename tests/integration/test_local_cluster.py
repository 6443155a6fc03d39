"""kafka.sh's 3-node KRaft cluster keeps every acked write through a kill -9 and a restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from streams.kafka.localbroker import (
    LocalCluster,
    kill_node,
    start_local_cluster,
    start_node,
    stop_local_cluster,
)

pytestmark = pytest.mark.integration

T = TypeVar("T")

NODES = 3
PARTITIONS = 3
MESSAGES_BEFORE_KILL = 300
MESSAGES_AFTER_KILL = 300
TOTAL = MESSAGES_BEFORE_KILL + MESSAGES_AFTER_KILL
# The kill must land while the second half is being produced: at the latest before this message.
KILL_BY_MESSAGE = MESSAGES_BEFORE_KILL + MESSAGES_AFTER_KILL // 2
SEND_WINDOW = 10  # messages in flight at once; TOTAL and both halves are multiples of it

CLUSTER_WAIT_S = 90  # cluster-start's readiness wait (3 formats + 3 JVMs on 2 cores: 15-21 s)
NODE_WAIT_S = 60  # kafka.sh node-start's readiness wait (5-12 s seen)
CLIENT_TIMEOUT_S = 30  # one client start or admin request
TOPIC_READY_TIMEOUT_S = 30  # every partition led and fully in sync after the create
# All 600 sends, including the stall until the controller fences the killed node
# (broker.session.timeout.ms=5000 in cluster.properties) and moves its leaderships.
PRODUCE_TIMEOUT_S = 60
KILL_TIMEOUT_S = 30
FENCE_TIMEOUT_S = 15  # the killed node out of every ISR (it already is once the produce is done)
ISR_TIMEOUT_S = 30  # the restarted node back in every partition's ISR
CONSUME_TIMEOUT_S = 30
SETTLE_S = 1.0  # keep reading after the 600th message so a late duplicate would be seen
RETRY_PAUSE_S = 0.3


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A 3-node cluster on free loopback ports, always stopped at the end."""
    try:
        started = start_local_cluster(None, tmp_path / "cluster", NODES, CLUSTER_WAIT_S)
    except RuntimeError as exc:
        pytest.fail(f"the 3-node Kafka cluster did not start:\n{exc}", pytrace=False)
    try:
        yield started
    finally:
        stop_local_cluster(started)


def key_of(index: int) -> bytes:
    return f"item-{index:04d}".encode()


def value_of(index: int) -> bytes:
    return f"message {index} of {TOTAL}".encode()


async def retry(
    action: Callable[[], Awaitable[T]], timeout_s: float, what: str, cluster: LocalCluster
) -> T:
    """Run `action` until it returns without a Kafka error; fail with the node logs at the end."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await asyncio.wait_for(action(), max(deadline - time.monotonic(), 0.1))
        except (KafkaError, TimeoutError, OSError) as exc:
            if time.monotonic() >= deadline:
                pytest.fail(f"{what} within {timeout_s} s: {exc!r}\n{cluster.log_tail(20)}")
        await asyncio.sleep(RETRY_PAUSE_S)


async def describe_partitions(cluster: LocalCluster, topic: str) -> list[dict[str, Any]]:
    """The topic's partitions (partition, leader, replicas, isr) as a broker's metadata has them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=5_000)
    await asyncio.wait_for(admin.start(), CLIENT_TIMEOUT_S)
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions: list[dict[str, Any]] = described["partitions"]
    return sorted(partitions, key=lambda p: int(p["partition"]))


async def wait_partitions(
    cluster: LocalCluster,
    topic: str,
    holds: Callable[[dict[str, Any]], bool],
    timeout_s: float,
    what: str,
) -> list[dict[str, Any]]:
    """Wait until all PARTITIONS partitions satisfy `holds`; fail with what was seen last."""
    deadline = time.monotonic() + timeout_s
    partitions: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            partitions = await describe_partitions(cluster, topic)
        except (KafkaError, TimeoutError, OSError, ValueError):
            partitions = []
        if len(partitions) == PARTITIONS and all(holds(p) for p in partitions):
            return partitions
        await asyncio.sleep(RETRY_PAUSE_S)
    pytest.fail(f"{topic}: {what} within {timeout_s} s: {partitions}\n{cluster.log_tail(20)}")


def fully_in_sync(partition: dict[str, Any]) -> bool:
    return int(partition["leader"]) >= 0 and len(partition["isr"]) == NODES


async def create_topic(cluster: LocalCluster, topic: str) -> None:
    async def create() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=cluster.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            # A retry after a timed-out create may find the topic made by the first attempt.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(topic, num_partitions=PARTITIONS, replication_factor=NODES)]
                )
        finally:
            await admin.close()

    await retry(create, CLIENT_TIMEOUT_S, f"creating {topic}", cluster)


async def send_window(producer: AIOKafkaProducer, topic: str, indexes: range) -> float:
    """Send a few messages at once and wait for every ack; return how long that took."""
    began = time.monotonic()
    acks = [await producer.send(topic, value_of(i), key=key_of(i)) for i in indexes]
    await asyncio.gather(*acks)
    return time.monotonic() - began


async def produce_through_a_kill(
    cluster: LocalCluster, topic: str, victim: int
) -> tuple[int, float]:
    """Produce all TOTAL messages, SIGKILLing `victim` once the first half is acked.

    Messages go SEND_WINDOW at a time, each window acked before the next. Returns the index of
    the first message sent after the node had exited, and the longest a window waited for its
    acks (the fail-over stall).
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=cluster.bootstrap,
        acks="all",
        # Retries after the kill must not write a message twice.
        enable_idempotence=True,
        request_timeout_ms=PRODUCE_TIMEOUT_S * 1000,
    )
    await asyncio.wait_for(producer.start(), CLIENT_TIMEOUT_S)
    first_after_kill = -1
    slowest = 0.0
    try:
        for start in range(0, MESSAGES_BEFORE_KILL, SEND_WINDOW):
            await send_window(producer, topic, range(start, start + SEND_WINDOW))
        # The kill runs in a thread while this loop keeps sending: it lands mid-stream.
        kill = asyncio.create_task(asyncio.to_thread(kill_node, cluster, victim))
        for start in range(MESSAGES_BEFORE_KILL, TOTAL, SEND_WINDOW):
            if start >= KILL_BY_MESSAGE and not kill.done():
                await asyncio.wait_for(kill, KILL_TIMEOUT_S)
            if kill.done() and first_after_kill < 0:
                kill.result()  # raises if kafka.sh node-kill failed
                first_after_kill = start
            window = await send_window(producer, topic, range(start, start + SEND_WINDOW))
            slowest = max(slowest, window)
        await asyncio.wait_for(kill, KILL_TIMEOUT_S)
    finally:
        await producer.stop()
    return first_after_kill, slowest


async def read_all(cluster: LocalCluster, topic: str) -> list[tuple[int, bytes, bytes]]:
    """Every message of `topic` from the beginning: (partition, key, value), in partition order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=cluster.bootstrap, enable_auto_commit=False, group_id=None
    )
    await asyncio.wait_for(consumer.start(), CLIENT_TIMEOUT_S)
    records: list[tuple[int, bytes, bytes]] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        settled_at: float | None = None
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for tp, batch in batches.items():
                records.extend((tp.partition, m.key or b"", m.value or b"") for m in batch)
            if len(records) >= TOTAL:
                settled_at = settled_at or time.monotonic() + SETTLE_S
                if time.monotonic() >= settled_at:
                    break
    finally:
        await consumer.stop()
    return records


async def test_every_acked_message_survives_a_kill_9_and_restart(cluster: LocalCluster) -> None:
    phases: dict[str, float] = {}
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        phases[name] = time.monotonic() - mark
        mark = time.monotonic()

    topic = f"wirewatch-cluster-{uuid.uuid4().hex[:12]}"
    await create_topic(cluster, topic)
    partitions = await wait_partitions(
        cluster, topic, fully_in_sync, TOPIC_READY_TIMEOUT_S, "not led and fully in sync"
    )
    assert all(sorted(p["replicas"]) == [1, 2, 3] for p in partitions), partitions
    # Kill the leader of partition 0: its writes must fail over, not merely keep going elsewhere.
    victim = int(partitions[0]["leader"])
    phase("create")

    first_after_kill, slowest = await asyncio.wait_for(
        produce_through_a_kill(cluster, topic, victim), PRODUCE_TIMEOUT_S + CLIENT_TIMEOUT_S
    )
    assert MESSAGES_BEFORE_KILL <= first_after_kill <= KILL_BY_MESSAGE, first_after_kill
    phase("produce")
    # The controller fenced the dead node: out of every ISR, leader of nothing, and the two
    # others are the min.insync.replicas=2 that took the acks=all writes.
    await wait_partitions(
        cluster,
        topic,
        lambda p: victim not in p["isr"] and p["leader"] != victim and len(p["isr"]) == NODES - 1,
        FENCE_TIMEOUT_S,
        f"node {victim} still a leader or in an ISR after its kill",
    )

    phase("fenced")
    await asyncio.to_thread(start_node, cluster, victim, NODE_WAIT_S)
    phase("restart")
    await wait_partitions(
        cluster, topic, fully_in_sync, ISR_TIMEOUT_S, f"node {victim} not back in every ISR"
    )

    phase("in sync")
    records = await read_all(cluster, topic)
    phase("consume")
    counts = Counter(key for _, key, _ in records)
    missing = [i for i in range(TOTAL) if key_of(i) not in counts]
    duplicated = sorted(key for key, n in counts.items() if n > 1)
    assert not missing, f"{len(missing)} acked messages lost, first {missing[:10]}"
    assert not duplicated, f"{len(duplicated)} messages read twice, first {duplicated[:10]}"
    assert len(records) == TOTAL
    assert all(value == value_of(int(key[5:])) for _, key, value in records)
    # One producer, idempotent: within a partition the messages keep the order they were sent in.
    for partition in range(PARTITIONS):
        order = [int(key[5:]) for p, key, _ in records if p == partition]
        assert order == sorted(order), f"partition {partition} out of order"
    timings = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    print(
        f"killed node {victim} before message {first_after_kill}; "
        f"longest send {slowest:.1f} s; {timings}"
    )
