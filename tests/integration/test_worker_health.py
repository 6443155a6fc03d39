"""A worker's health on a real broker of its own: ready once it processes, not ready and quiet
while the broker is dead (kill -9), ready again when the broker comes back on the same data."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka_io import produce
from test_pipeline import ITEMS, raw_item

from streams.codec import encode_record
from streams.localbroker import (
    LocalBroker,
    broker_log_tail,
    free_port,
    start_local_broker,
    stop_local_broker,
)

pytestmark = pytest.mark.integration

READY_TIMEOUT_SECONDS = 180  # worker start (models, group join, recovery) and the first items
BROKER_DOWN_TIMEOUT_SECONDS = 20  # the probe runs every 3 s and gives up after 4 s
OUTAGE_LOG_WINDOW_SECONDS = 15
# Four kinds of aiokafka error repeat every ~0.1 s while the broker is gone (~75 lines a second
# before the rate limit); at one line per kind per 5 s, plus the one-off lines at the start of
# the outage, 15 s stay near 20 lines.
MAX_OUTAGE_LOG_LINES = 30
RECOVER_TIMEOUT_SECONDS = 180
POLL_SECONDS = 1.0


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker this test may kill: the session broker is shared with other tests."""
    data_dir = tmp_path / "kafka"
    try:
        broker = start_local_broker(free_port(), free_port(), data_dir)
    except RuntimeError as exc:
        pytest.fail(f"Kafka broker did not start: {exc}\n{broker_log_tail(data_dir)}")
    yield broker
    stop_local_broker(broker)


def worker_env(broker: LocalBroker, tmp_path: Path) -> dict[str, str]:
    prefix = f"h{os.getpid()}x{int(time.time())}."
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        WIREWATCH_BROKER=broker.address,
        WIREWATCH_TOPIC_PREFIX=prefix,
        WIREWATCH_APP_ID=f"wirewatch-{prefix.rstrip('.')}",
        WIREWATCH_PARTITIONS="2",
        WIREWATCH_DATA_DIR=str(tmp_path / "var"),
        WIREWATCH_WORKER_METRICS_PORT=str(free_port()),
    )
    return env


def get(port: str, path: str) -> tuple[int | None, str]:
    """Status and body; None when nothing answers (the server is not up yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except OSError:
        return None, ""


def sample_value(port: str, name: str) -> float | None:
    _status, text = get(port, "/metrics")
    for line in text.splitlines():
        if line.startswith(f"{name} ") or line.startswith(f"{name}{{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def enriched(port: str) -> float:
    _status, text = get(port, "/metrics")
    prefix = 'wirewatch_items_processed_total{outcome="ok",stage="enrich"} '
    values = [float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


def wait_until(condition: Callable[[], bool], timeout_seconds: float, what: str, log: Any) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"not within {timeout_seconds} s: {what}\n--- worker log ---\n{log()}")


def test_worker_turns_unready_and_quiet_while_broker_is_dead_then_recovers(
    private_broker: LocalBroker, tmp_path: Path, spawn: Callable[..., Any]
) -> None:
    env = worker_env(private_broker, tmp_path)
    port, prefix = env["WIREWATCH_WORKER_METRICS_PORT"], env["WIREWATCH_TOPIC_PREFIX"]
    worker = spawn(["worker"], env)
    items = [raw_item(i, *item[:3]) for i, item in enumerate(ITEMS)]

    wait_until(lambda: get(port, "/healthz")[0] == 200, READY_TIMEOUT_SECONDS, "/healthz 200",
               worker.output)  # fmt: skip
    asyncio.run(
        produce(private_broker.address, f"{prefix}raw-items",
                [(i.item_id.encode(), encode_record(i)) for i in items])
    )  # fmt: skip
    wait_until(
        lambda: enriched(port) >= len(items) and get(port, "/readyz")[0] == 200,
        READY_TIMEOUT_SECONDS, "items enriched and /readyz 200", worker.output,
    )  # fmt: skip
    assert sample_value(port, "wirewatch_broker_connected") == 1.0
    assert (sample_value(port, "wirewatch_broker_last_contact_timestamp_seconds") or 0) > 0

    lines_before = len(worker.log_path.read_text(errors="replace").splitlines())
    pid = int((private_broker.data_dir / "broker.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    broker_gauge = "wirewatch_broker_connected"
    wait_until(lambda: sample_value(port, broker_gauge) == 0.0, BROKER_DOWN_TIMEOUT_SECONDS,
               f"{broker_gauge} 0", worker.output)  # fmt: skip
    wait_until(lambda: get(port, "/readyz")[0] == 503, BROKER_DOWN_TIMEOUT_SECONDS,
               "/readyz 503", worker.output)  # fmt: skip
    status, body = get(port, "/readyz")
    assert status == 503
    assert "broker unreachable" in json.loads(body)["reasons"]
    assert get(port, "/healthz")[0] == 200  # alive: the event loop still answers

    time.sleep(max(0.0, OUTAGE_LOG_WINDOW_SECONDS - (time.monotonic() - killed_at)))
    outage_lines = worker.log_path.read_text(errors="replace").splitlines()[lines_before:]
    assert len(outage_lines) < MAX_OUTAGE_LOG_LINES, "\n".join(outage_lines)
    assert any("suppressed" in line for line in outage_lines), "\n".join(outage_lines)

    restarted = start_local_broker(
        private_broker.port, private_broker.controller_port, private_broker.data_dir
    )
    assert restarted.address == private_broker.address
    wait_until(lambda: sample_value(port, broker_gauge) == 1.0, RECOVER_TIMEOUT_SECONDS,
               f"{broker_gauge} 1 again", worker.output)  # fmt: skip
    late = raw_item(len(items), "en", "Ransomware attack shuts down port systems", "Cyberattack.")
    asyncio.run(produce(private_broker.address, f"{prefix}raw-items",
                        [(late.item_id.encode(), encode_record(late))]))  # fmt: skip
    wait_until(
        lambda: enriched(port) >= len(items) + 1 and get(port, "/readyz")[0] == 200,
        RECOVER_TIMEOUT_SECONDS, "a new item enriched and /readyz 200 after the restart",
        worker.output,
    )  # fmt: skip
    worker.stop()  # before the broker fixture stops the broker: a clean leave
