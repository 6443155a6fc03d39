"""deploy/kafka/kafka.sh starts a real Kafka 4.x broker that serves aiokafka, stops and restarts."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from conftest import free_ports

from streams.kafka.localbroker import LocalBroker

pytestmark = pytest.mark.integration

KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "kafka.sh"
FETCH_TIMEOUT_S = 600  # a cold ~/.m2 downloads ~45 MB of jars from Maven Central
BROKER_WAIT_S = 60  # kafka.sh's own readiness wait
START_TIMEOUT_S = BROKER_WAIT_S + 30  # plus the storage format on a new data dir
STOP_TIMEOUT_S = 20
CLIENT_TIMEOUT_S = 30
PORT_CLOSE_TIMEOUT_S = 10
LOG_TAIL_LINES = 40

API_KEY_FETCH = 1
API_KEY_API_VERSIONS = 18
# KIP-896: Kafka 4.0 dropped Fetch v0-v3, so a 4.x broker advertises Fetch from v4 (3.x from v0).
# Produce is no witness: 4.x still advertises v0 so that librdkafka keeps compressing (KAFKA-18659).
KAFKA_4_MIN_FETCH_VERSION = 4


def read_log_tail(data_dir: Path) -> str:
    log = data_dir / "broker.log"
    if not log.exists():
        return f"(no {log})"
    return "\n".join(log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])


def run_kafka_sh(*args: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(KAFKA_SH), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def start_broker(broker: LocalBroker) -> None:
    """Start the broker or fail the test with kafka.sh's output and the broker log tail."""
    result = run_kafka_sh(
        "start",
        "--port",
        str(broker.port),
        "--controller-port",
        str(broker.controller_port),
        "--data-dir",
        str(broker.data_dir),
        "--wait-seconds",
        str(BROKER_WAIT_S),
        timeout_s=START_TIMEOUT_S,
    )
    if result.returncode != 0:
        pytest.fail(
            f"kafka.sh start exited {result.returncode}\n{result.stderr}\n"
            f"--- broker.log tail ---\n{read_log_tail(broker.data_dir)}"
        )
    assert result.stdout.strip() == broker.address


def stop_broker(broker: LocalBroker) -> subprocess.CompletedProcess[str]:
    return run_kafka_sh(
        "stop",
        "--data-dir",
        str(broker.data_dir),
        "--timeout",
        str(STOP_TIMEOUT_S),
        timeout_s=STOP_TIMEOUT_S + 10,
    )


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_port_closed(port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not port_accepts(port):
            return True
        time.sleep(0.1)
    return False


def receive_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("broker closed the connection mid-response")
        chunks += chunk
    return bytes(chunks)


def request_api_versions(port: int) -> dict[int, tuple[int, int]]:
    """Send ApiVersions v0 by hand and return {api_key: (min_version, max_version)}."""
    client_id = b"wirewatch-test"
    correlation_id = 7
    # Request header v1: api_key, api_version, correlation_id, client_id (int16-length string).
    request = struct.pack(">hhih", API_KEY_API_VERSIONS, 0, correlation_id, len(client_id))
    request += client_id
    with socket.create_connection(("127.0.0.1", port), timeout=CLIENT_TIMEOUT_S) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", receive_exactly(sock, 4))
        body = receive_exactly(sock, size)
    answered_id, error_code, count = struct.unpack_from(">ihi", body)
    assert (answered_id, error_code) == (correlation_id, 0)
    entries = struct.iter_unpack(">hhh", body[10 : 10 + 6 * count])
    return {key: (low, high) for key, low, high in entries}


async def create_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await asyncio.wait_for(admin.start(), CLIENT_TIMEOUT_S)
    try:
        await asyncio.wait_for(
            admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)]),
            CLIENT_TIMEOUT_S,
        )
    finally:
        await admin.close()


async def produce_one(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await asyncio.wait_for(producer.start(), CLIENT_TIMEOUT_S)
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, value, key=key), CLIENT_TIMEOUT_S)
    finally:
        await producer.stop()


async def consume_first(bootstrap: str, topic: str) -> tuple[bytes | None, bytes | None]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
    )
    await asyncio.wait_for(consumer.start(), CLIENT_TIMEOUT_S)
    try:
        message = await asyncio.wait_for(consumer.getone(), CLIENT_TIMEOUT_S)
    finally:
        await consumer.stop()
    return message.key, message.value


def read_cluster_id(data_dir: Path) -> str:
    for line in (data_dir / "kraft" / "meta.properties").read_text().splitlines():
        if line.startswith("cluster.id="):
            return line.removeprefix("cluster.id=")
    raise AssertionError(f"no cluster.id in {data_dir}/kraft/meta.properties")


@pytest.fixture(scope="module")
def fetched_kafka() -> None:
    """Resolve the broker's jars once, with its own (longer) bound than a start."""
    result = run_kafka_sh("fetch", timeout_s=FETCH_TIMEOUT_S)
    if result.returncode != 0:
        pytest.fail(f"kafka.sh fetch exited {result.returncode}\n{result.stderr}")


def new_broker(data_dir: Path) -> LocalBroker:
    # From this xdist worker's own block (conftest): no other worker is handed them meanwhile.
    port, controller_port = free_ports(2)
    return LocalBroker(port=port, controller_port=controller_port, data_dir=data_dir)


@pytest.fixture(scope="module")
def running_broker(
    fetched_kafka: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalBroker]:
    broker = new_broker(tmp_path_factory.mktemp("kafka"))
    start_broker(broker)
    try:
        yield broker
    finally:
        stop_broker(broker)


@pytest.fixture
def own_broker(fetched_kafka: None, tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker this test may stop and restart; always stopped at the end."""
    broker = new_broker(tmp_path / "kafka")
    try:
        yield broker
    finally:
        stop_broker(broker)


async def test_message_round_trips_through_the_local_broker(running_broker: LocalBroker) -> None:
    topic = f"wirewatch-test-{uuid.uuid4().hex}"
    await create_topic(running_broker.address, topic)
    await produce_one(running_broker.address, topic, b"item-1", "خبر عاجل".encode())
    assert await consume_first(running_broker.address, topic) == (
        b"item-1",
        "خبر عاجل".encode(),
    )


def test_broker_logs_a_kafka_4_version(running_broker: LocalBroker) -> None:
    log = (running_broker.data_dir / "broker.log").read_text(errors="replace")
    versions = [line for line in log.splitlines() if "Kafka version: " in line]
    assert versions, "the broker log has no 'Kafka version:' line"
    assert versions[0].split("Kafka version: ")[1].startswith("4.")


def test_broker_speaks_the_kafka_4_protocol(running_broker: LocalBroker) -> None:
    api_versions = request_api_versions(running_broker.port)
    assert api_versions[API_KEY_FETCH][0] >= KAFKA_4_MIN_FETCH_VERSION


def test_status_reports_a_running_broker(running_broker: LocalBroker) -> None:
    result = run_kafka_sh("status", "--data-dir", str(running_broker.data_dir), timeout_s=10)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_stop_closes_the_port_and_restart_keeps_data_without_reformat(
    own_broker: LocalBroker,
) -> None:
    start_broker(own_broker)
    topic = f"wirewatch-test-{uuid.uuid4().hex}"
    await create_topic(own_broker.address, topic)
    await produce_one(own_broker.address, topic, b"kept", b"across a restart")
    cluster_id = read_cluster_id(own_broker.data_dir)

    stopped = stop_broker(own_broker)
    assert stopped.returncode == 0, stopped.stderr
    assert wait_port_closed(own_broker.port, PORT_CLOSE_TIMEOUT_S)
    status = run_kafka_sh("status", "--data-dir", str(own_broker.data_dir), timeout_s=10)
    assert status.returncode != 0

    start_broker(own_broker)
    assert read_cluster_id(own_broker.data_dir) == cluster_id
    assert await consume_first(own_broker.address, topic) == (b"kept", b"across a restart")


def test_stop_without_a_running_broker_succeeds(tmp_path: Path) -> None:
    result = run_kafka_sh("stop", "--data-dir", str(tmp_path), "--timeout", "1", timeout_s=10)
    assert result.returncode == 0, result.stderr
