"""The worker's and the poller's readiness decisions, progress tracking, /livez and /readyz, the
metrics server's routes, and the changelog log filter."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import namedtuple

from prometheus_client import CollectorRegistry

from streams.health import (
    MAX_LISTED_PARTITIONS,
    SAMPLE_STALE_SECONDS,
    STALL_AFTER_SECONDS,
    PartitionProgress,
    PollerHealth,
    Readiness,
    WorkerHealth,
    WorkerPhase,
    decide_poller_readiness,
    decide_readiness,
    is_stalled,
    loop_answers,
    render_readiness,
    track_progress,
)
from streams.logfilters import ChangelogIdleAlarmFilter
from streams.metrics import HealthMetrics, PollerHealthMetrics, serve_metrics

NOW = 1000.0
RUNNING = WorkerPhase.RUNNING


def partition(
    highwater: int | None, position: int | None, idle: float, number: int = 0
) -> PartitionProgress:
    return PartitionProgress("raw-items", number, highwater, position, NOW - idle)


def test_running_worker_with_caught_up_partitions_is_ready() -> None:
    parts = [partition(10, 10, idle=600), partition(0, 0, idle=600, number=1)]
    readiness = decide_readiness(parts, broker_connected=True, phase=RUNNING, now=NOW)
    assert readiness == Readiness(True, (), (), NOW)


def test_lagging_partition_idle_past_threshold_is_stalled_and_named() -> None:
    # The restarted worker: committed 61, highwater 658, nothing processed for minutes.
    stuck = partition(658, 61, idle=540, number=2)
    readiness = decide_readiness([stuck], broker_connected=True, phase=RUNNING, now=NOW)
    assert not readiness.ready
    assert readiness.stalled == (stuck,)
    assert readiness.reasons == ("1 stalled partition(s): raw-items[2] lag 597 idle 540s",)


def test_lagging_partition_that_moved_recently_is_not_stalled() -> None:
    busy = partition(658, 100, idle=STALL_AFTER_SECONDS - 1)
    readiness = decide_readiness([busy], broker_connected=True, phase=RUNNING, now=NOW)
    assert readiness.ready


def test_idle_partition_without_lag_is_not_stalled() -> None:
    assert not is_stalled(partition(5, 5, idle=3600), NOW)


def test_partition_never_fetched_past_threshold_is_stalled() -> None:
    never = partition(None, 61, idle=STALL_AFTER_SECONDS + 1)
    assert is_stalled(never, NOW)
    readiness = decide_readiness([never], broker_connected=True, phase=RUNNING, now=NOW)
    assert readiness.reasons == ("1 stalled partition(s): raw-items[0] never fetched idle 31s",)


def test_unknown_position_alone_is_not_a_stall() -> None:
    assert not is_stalled(partition(10, None, idle=3600), NOW)


def test_broker_unreachable_and_phase_are_reasons() -> None:
    readiness = decide_readiness([], broker_connected=False, phase=WorkerPhase.RECOVERING, now=NOW)
    assert not readiness.ready
    assert readiness.reasons == ("broker unreachable", "worker recovering")


def test_reasons_list_a_bounded_number_of_partitions() -> None:
    many = [partition(10, 0, idle=600, number=n) for n in range(MAX_LISTED_PARTITIONS + 5)]
    readiness = decide_readiness(many, broker_connected=True, phase=RUNNING, now=NOW)
    assert len(readiness.stalled) == MAX_LISTED_PARTITIONS + 5
    assert readiness.reasons[0].endswith(" and 5 more")
    assert readiness.reasons[0].count("raw-items[") == MAX_LISTED_PARTITIONS


def test_track_progress_keeps_the_clock_while_position_stands_still() -> None:
    first = track_progress({}, {("t", 0): (10, 4)}, now=100.0, settled=True)
    assert first[("t", 0)].last_advance == 100.0
    later = track_progress(first, {("t", 0): (12, 4)}, now=150.0, settled=True)
    assert later[("t", 0)] == PartitionProgress("t", 0, 12, 4, 100.0)


def test_track_progress_restarts_the_clock_when_position_moves() -> None:
    first = track_progress({}, {("t", 0): (10, 4)}, now=100.0, settled=True)
    moved = track_progress(first, {("t", 0): (10, 5)}, now=150.0, settled=True)
    assert moved[("t", 0)].last_advance == 150.0


def test_track_progress_restarts_clocks_while_unsettled_and_drops_revoked() -> None:
    first = track_progress({}, {("t", 0): (10, 4), ("t", 1): (3, 3)}, now=100.0, settled=True)
    recovering = track_progress(first, {("t", 0): (10, 4)}, now=200.0, settled=False)
    assert set(recovering) == {("t", 0)}
    assert recovering[("t", 0)].last_advance == 200.0


def test_readyz_answers_503_with_reasons_as_json() -> None:
    readiness = Readiness(False, ("broker unreachable",), (), NOW)
    status, body = render_readiness(readiness, NOW + 1)
    assert status == 503
    assert json.loads(body) == {"ready": False, "reasons": ["broker unreachable"]}


def test_stale_sample_is_not_ready() -> None:
    status, body = render_readiness(Readiness(True, (), (), NOW), NOW + SAMPLE_STALE_SECONDS + 1)
    assert status == 503
    assert json.loads(body)["reasons"] == ["health not sampled for 16s"]


def test_no_sample_yet_is_not_ready() -> None:
    status, body = render_readiness(Readiness(False, ("worker starting",)), NOW)
    assert (status, json.loads(body)["reasons"]) == (503, ["worker starting"])


def test_loop_answers_only_while_running() -> None:
    loop = asyncio.new_event_loop()
    try:
        assert not loop_answers(loop, 0.05)  # created, not running
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        assert loop_answers(loop, 5.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)
    finally:
        loop.close()
    assert not loop_answers(loop, 0.05)
    assert not loop_answers(None, 0.05)


def test_record_processed_keeps_the_next_offset() -> None:
    health = WorkerHealth()
    health.record_processed("p.raw-items", 1, 41)
    assert health.processed == {("p.raw-items", 1): 42}


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()


def test_metrics_server_routes_health_paths_and_keeps_metrics() -> None:
    registry = CollectorRegistry()
    health = WorkerHealth(HealthMetrics.create(registry))
    health.readiness = Readiness(False, ("worker recovering",), (), None)
    port = serve_metrics(registry, "127.0.0.1", 0, {"/readyz": health.ready})
    status, body = get(f"http://127.0.0.1:{port}/readyz")
    assert status == 503
    assert json.loads(body)["reasons"] == ["worker recovering"]
    status, body = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    assert "wirewatch_broker_connected 0.0" in body


def test_metrics_server_answers_404_on_paths_it_does_not_serve() -> None:
    # `run` serves no readiness: its /readyz must not read as a healthy metrics page.
    port = serve_metrics(CollectorRegistry(), "127.0.0.1", 0, {"/livez": lambda: (200, b"ok")})
    assert get(f"http://127.0.0.1:{port}/livez") == (200, "ok")
    for path in ("/readyz", "/", "/metricsx"):
        status, body = get(f"http://127.0.0.1:{port}{path}")
        assert status == 404, path
        assert "/metrics, /livez" in body


def test_poller_is_ready_only_with_the_broker_and_in_its_group() -> None:
    ready = decide_poller_readiness(broker_connected=True, joined=True, now=NOW)
    assert ready == Readiness(True, (), (), NOW)
    neither = decide_poller_readiness(broker_connected=False, joined=False, now=NOW)
    assert neither.reasons == (
        "broker unreachable",
        "not in the pollers' consumer group (joining or rebalancing)",
    )


def test_poller_health_follows_probes_and_membership_and_sets_its_gauge() -> None:
    registry = CollectorRegistry()
    health = PollerHealth(PollerHealthMetrics.create(registry))

    def gauge() -> float | None:
        return registry.get_sample_value("wirewatch_poller_ready")

    status, body = health.ready()  # before the first probe
    assert status == 503 and "broker unreachable" in json.loads(body)["reasons"]
    now = time.monotonic()
    health.record_probe(True, now)
    assert health.ready()[0] == 503 and gauge() == 0  # reachable, but not in the group yet
    health.record_membership(True, now)
    assert health.ready() == (200, b'{"ready": true, "reasons": []}\n') and gauge() == 1
    assert registry.get_sample_value("wirewatch_broker_connected") == 1
    health.record_membership(False, now)  # a rebalance began
    assert json.loads(health.ready()[1])["reasons"] == [
        "not in the pollers' consumer group (joining or rebalancing)"
    ]
    health.record_membership(True, now)
    health.record_probe(False, now)
    assert json.loads(health.ready()[1])["reasons"] == ["broker unreachable"]
    assert gauge() == 0 and registry.get_sample_value("wirewatch_broker_connected") == 0
    health.record_probe(True, now - SAMPLE_STALE_SECONDS - 1)  # the probe loop stopped since
    status, body = health.ready()
    assert status == 503 and "health not sampled for" in json.loads(body)["reasons"][0]


def test_poller_livez_pings_its_loop() -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        assert PollerHealth(loop=loop).live() == (200, b"ok\n")
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
    assert PollerHealth(loop=loop).live()[0] == 503


TP = namedtuple("TP", ["topic", "partition"])  # the shape of faust's TP


def alarm(topic: str) -> logging.LogRecord:
    return logging.LogRecord(
        "faust.transport.drivers.aiokafka", logging.ERROR, __file__, 1,
        "[^---AIOKafkaConsumerThread]: Stream has not started processing %r (started %s).",
        (TP(topic, 0), "2.00 minutes ago"), None,
    )  # fmt: skip


def test_changelog_idle_alarm_is_demoted_to_debug() -> None:
    record = alarm("w.story-index-changelog")
    assert ChangelogIdleAlarmFilter({"w.story-index-changelog"}).filter(record)
    assert (record.levelno, record.levelname) == (logging.DEBUG, "DEBUG")


def test_input_partition_idle_alarm_stays_an_error() -> None:
    record = alarm("w.raw-items")
    assert ChangelogIdleAlarmFilter({"w.story-index-changelog"}).filter(record)
    assert record.levelno == logging.ERROR


def test_healthz_is_ok_before_the_loop_starts_and_fails_once_it_is_closed() -> None:
    loop = asyncio.new_event_loop()
    health = WorkerHealth(loop=loop)
    assert health.live() == (200, b"ok (starting)\n")
    loop.close()
    assert health.live()[0] == 503
