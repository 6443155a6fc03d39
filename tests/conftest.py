"""Shared fixtures: an isolated real Kafka broker per test session, unique topics, feed servers."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import streams.kafka.localbroker
from streams.kafka.localbroker import (
    LocalBroker,
    broker_log_tail,
    start_local_broker,
    stop_local_broker,
)
from streams.runner import serve_directory, stop_process

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SEED_DIR = ROOT.parent / "shared" / "seed"

# --- ports -----------------------------------------------------------------------------------
# The suite runs in two pytest-xdist workers (pyproject addopts). A port taken from the kernel
# (bind to port 0, then close) is free only at that moment: a broker binds it seconds later, and
# meanwhile the other worker may be handed the same number. So each worker takes ports from a
# block of its own, below Linux's ephemeral range (32768-60999, where clients' ports and other
# bind-to-0 servers land), in turn, never the same one twice in a session (until the block wraps).
PORT_BLOCK_START = 20000
PORT_BLOCK_SIZE = 2000


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # "gw0", "gw1", ...; unset: serial
    return int(worker[2:]) if worker[2:].isdigit() else 0


_block = PORT_BLOCK_START + (_worker_index() % 6) * PORT_BLOCK_SIZE
_next_ports = itertools.cycle(range(_block, _block + PORT_BLOCK_SIZE))


def free_port() -> int:
    """A loopback TCP port free right now from this worker's block; no other worker's block
    overlaps it and no port is handed out twice before the block wraps."""
    for _ in range(PORT_BLOCK_SIZE):
        port = next(_next_ports)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # taken by something outside the suite
                continue
            return port
    raise RuntimeError(f"no free port in {_block}-{_block + PORT_BLOCK_SIZE - 1}")


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports from this worker's block."""
    return [free_port() for _ in range(count)]


# Test modules, the fault harness and the local broker's own helpers (start_local_cluster with
# no ports) all take ports through streams.kafka.localbroker: they get this worker's block.
# conftest is imported before any test module, so `from ... import free_port` there sees these.
streams.kafka.localbroker.free_port = free_port
streams.kafka.localbroker.free_ports = free_ports

# The suite starts some 17 short-lived brokers (kafka.sh: two JVM tools, then the broker) on two
# shared cores. C1 only: measured per start 6.5 s -> 4.7 s to "ready" and ~2.3 s less CPU (no C2
# compiler threads warming up a broker that serves a few thousand messages). The JVM reads this
# variable itself (and says so on stderr); the brokers' own options in kafka.sh are unchanged.
# setdefault: an engineer's own JAVA_TOOL_OPTIONS wins.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")


def start_broker_or_fail(data_dir: Path) -> LocalBroker:
    """Start a real Apache Kafka 4.x broker on free loopback ports, storing its data in
    `data_dir`; fail the test with the broker's log when it does not start."""
    try:
        return start_local_broker(free_port(), free_port(), data_dir)
    except RuntimeError as exc:
        pytest.fail(f"Kafka broker did not start: {exc}\n{broker_log_tail(data_dir)}")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real Apache Kafka 4.x broker on a free loopback port, for this test session only."""
    broker = start_broker_or_fail(tmp_path_factory.mktemp("kafka"))
    yield broker
    stop_local_broker(broker)


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of this test's own, which it may kill: the session broker is shared with other
    tests."""
    broker = start_broker_or_fail(tmp_path / "kafka")
    yield broker
    stop_local_broker(broker)


@pytest.fixture
def topic_prefix() -> str:
    """A prefix no other test uses, so tests never see each other's messages."""
    return f"t{uuid.uuid4().hex[:10]}."


@dataclass
class FeedServer:
    directory: Path
    port: int

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """A real HTTP server on loopback serving the files a test writes into its directory."""
    directory = tmp_path / "served"
    directory.mkdir()
    with serve_directory("127.0.0.1", 0, directory) as port:
        yield FeedServer(directory, port)


# --- helpers for integration tests: real processes, real Kafka clients -------------------------

WORKER_START_TIMEOUT_SECONDS = 120
PROCESS_STOP_TIMEOUT_SECONDS = 20


@dataclass
class Process:
    """A wirewatch child process whose output is kept for failure messages."""

    popen: subprocess.Popen[str]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> int:
        return stop_process(self.popen, PROCESS_STOP_TIMEOUT_SECONDS)


def child_env(
    broker: LocalBroker, topic_prefix: str, tmp_path: Path, **settings: str
) -> dict[str, str]:
    """Environment for a wirewatch child process: this process's environment without any
    WIREWATCH_ setting, then `broker`, topics and app id under `topic_prefix`, two partitions,
    data under `tmp_path`, and `settings` (WIREWATCH_ names) on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        WIREWATCH_BROKER=broker.address,
        WIREWATCH_TOPIC_PREFIX=topic_prefix,
        WIREWATCH_APP_ID=f"wirewatch-{topic_prefix.rstrip('.')}",
        WIREWATCH_PARTITIONS="2",
        WIREWATCH_DATA_DIR=str(tmp_path / "var"),
    )
    env.update(settings)
    return env


@pytest.fixture
def wirewatch_env(kafka_broker: LocalBroker, topic_prefix: str, tmp_path: Path) -> dict[str, str]:
    """Environment for wirewatch child processes: the test broker, unique topics, free ports."""
    return child_env(
        kafka_broker,
        topic_prefix,
        tmp_path,
        WIREWATCH_WORKER_METRICS_PORT=str(free_port()),
        WIREWATCH_POLLER_METRICS_PORT=str(free_port()),
        WIREWATCH_RUN_METRICS_PORT=str(free_port()),
        # Test feed servers live on loopback, which the SSRF guard refuses unless allowed.
        WIREWATCH_ALLOWED_NETWORKS="127.0.0.1/32",
        WIREWATCH_MIN_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_BACKOFF_BASE_SECONDS="1",
        WIREWATCH_BACKOFF_MAX_SECONDS="5",
    )


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """Start `python -m streams.cli ARGS...` children; all are stopped at the end of the test."""
    children: list[Process] = []

    def start(args: list[str], env: dict[str, str]) -> Process:
        log_path = tmp_path / f"{args[0]}-{len(children)}.log"
        handle = log_path.open("w")
        popen = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", *args],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )
        process = Process(popen, log_path)
        children.append(process)
        return process

    yield start
    stop_all([child.popen for child in children], PROCESS_STOP_TIMEOUT_SECONDS)


def stop_all(popens: Sequence[subprocess.Popen[Any]], timeout_seconds: float) -> None:
    """SIGTERM every child still running, then wait for each (SIGKILL after `timeout_seconds`):
    they shut down side by side, a worker's ~2-3 s graceful stop no longer one after another."""
    for popen in popens:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    for popen in popens:
        try:
            popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()
