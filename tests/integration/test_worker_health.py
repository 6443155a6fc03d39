"""A worker's health on a real broker of its own: ready once it processes, not ready and quiet
while the broker is dead (kill -9), ready again when the broker comes back on the same data.

On the way, what an operator sees: the metrics page parses, carries the worker's metrics and no
poller's, its consumer group's lag per input partition (from the backlog down to 0), end-to-end
latency, build and process metrics and Faust's own sensor; and every log line is JSON."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env
from http_probe import get, sample_value, wait_until
from kafka_io import produce
from metrics_page import assert_own_metrics_only, families, group_lag, json_log_problems, sample
from test_pipeline import ITEMS, raw_item

from streams.codec import encode_record
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import LocalBroker, free_port, start_local_broker
from streams.settings import load_settings

pytestmark = pytest.mark.integration

READY_TIMEOUT_SECONDS = 180  # worker start (models, group join, recovery) and the first items
BROKER_DOWN_TIMEOUT_SECONDS = 20  # the probe runs every 3 s and gives up after 4 s
OUTAGE_LOG_WINDOW_SECONDS = 15
# Four kinds of aiokafka error repeat every ~0.1 s while the broker is gone (~75 lines a second
# before the rate limit); at one line per kind per 5 s, plus the one-off lines at the start of
# the outage, 15 s stay near 20 lines.
MAX_OUTAGE_LOG_LINES = 30
RECOVER_TIMEOUT_SECONDS = 180
# The group's lag is read every 15 s, the offsets committed every 2.8 s.
LAG_TIMEOUT_SECONDS = 60
INPUT_TOPICS = ("raw-items", "story-route", "story-articles", "topic-events", "story-starts",
                "story-links")  # fmt: skip


def worker_env(broker: LocalBroker, tmp_path: Path) -> dict[str, str]:
    prefix = f"h{os.getpid()}x{int(time.time())}."
    return child_env(
        broker, prefix, tmp_path,
        WIREWATCH_WORKER_METRICS_PORT=str(free_port()), WIREWATCH_LOG_FORMAT="json",
    )  # fmt: skip


def enriched(port: str) -> float:
    _status, text = get(port, "/metrics")
    prefix = 'wirewatch_items_processed_total{outcome="ok",stage="enrich"} '
    values = [float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)]
    return values[0] if values else 0.0


def test_worker_turns_unready_and_quiet_while_broker_is_dead_then_recovers(
    private_broker: LocalBroker, tmp_path: Path, spawn: Callable[..., Any]
) -> None:
    env = worker_env(private_broker, tmp_path)
    port, prefix = env["WIREWATCH_WORKER_METRICS_PORT"], env["WIREWATCH_TOPIC_PREFIX"]
    now = datetime.now(UTC)
    items = [dataclasses.replace(raw_item(i, *item[:3]), fetched_at=now)
             for i, item in enumerate(ITEMS)]  # fmt: skip
    # A backlog before the worker starts: its group's first lag reading has something to show.
    asyncio.run(ensure_topics(load_settings(environ=env)))
    asyncio.run(
        produce(private_broker.address, f"{prefix}raw-items",
                [(i.item_id.encode(), encode_record(i)) for i in items])
    )  # fmt: skip
    worker = spawn(["worker"], env)

    wait_until(lambda: get(port, "/livez")[0] == 200, READY_TIMEOUT_SECONDS, "/livez 200",
               worker.output)  # fmt: skip
    assert get(port, "/healthz")[0] == 200  # the older name of /livez
    group = env["WIREWATCH_APP_ID"]
    raw_lag = [(group, f"{prefix}raw-items", str(p)) for p in range(2)]
    wait_until(
        lambda: sum(group_lag(port).get(key, 0) for key in raw_lag) > 0,
        READY_TIMEOUT_SECONDS, "the backlog in wirewatch_consumer_group_lag", worker.output,
    )  # fmt: skip
    wait_until(
        lambda: enriched(port) >= len(items) and get(port, "/readyz")[0] == 200,
        READY_TIMEOUT_SECONDS, "items enriched and /readyz 200", worker.output,
    )  # fmt: skip
    assert sample_value(port, "wirewatch_broker_connected") == 1.0
    assert (sample_value(port, "wirewatch_broker_last_contact_timestamp_seconds") or 0) > 0
    check_operator_view(port, group, prefix, len(items), worker.output)

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
    problems = json_log_problems(worker.log_path.read_text(errors="replace"), "worker")
    assert not problems, "\n".join(problems[:20])


def check_operator_view(
    port: str, group: str, prefix: str, items: int, output: Callable[[], str]
) -> None:
    """The worker's page, once its items are processed: lag back to 0 on every input partition,
    latency observed for articles and alerts, its own families only, Faust's sensor."""
    expected = {(group, f"{prefix}{topic}", str(p)) for topic in INPUT_TOPICS for p in range(2)}
    wait_until(
        lambda: set(group_lag(port)) == expected and not any(group_lag(port).values()),
        LAG_TIMEOUT_SECONDS, f"wirewatch_consumer_group_lag 0 on {sorted(expected)}", output,
    )  # fmt: skip
    latency = "wirewatch_end_to_end_latency_seconds"
    wait_until(
        lambda: sample(families(port), latency, f"{latency}_count", output="alert") > 0,
        LAG_TIMEOUT_SECONDS, "an alert's end-to-end latency observed", output,
    )  # fmt: skip
    page = families(port)
    assert sample(page, latency, f"{latency}_count", output="article") == items
    # Fetched just before the test produced them: well within the top bucket (600 s).
    inside = sample(page, latency, f"{latency}_bucket", output="article", le="600.0")
    assert inside == items
    assert_own_metrics_only(page, "worker")
    assert (
        sample(page, "wirewatch_faust_messages_received", "wirewatch_faust_messages_received_total")
        > 0
    )
    committed = page["wirewatch_faust_topic_partition_offset_commited"].samples
    assert {s.labels["topic"] for s in committed} >= {f"{prefix}raw-items"}
