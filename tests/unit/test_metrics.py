"""Which metric families each process registers, the series it pre-creates, the pages' validity
(prometheus_client's parser, as promtool reads them), group lag, end-to-end latency, and the
counting of poll-stage dead letters."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import faust
import pytest
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP, Message
from metric_families import POLLER_ONLY, WORKER_ONLY
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from test_wiring import NOW, article, wiring

from agents.health import FAUST_METRICS_PREFIX, CachedPrometheusMonitor, install_faust_sensor
from streams.alerts.rules import Rule, build_rule_set
from streams.alerts.spikes import SpikeConfig
from streams.alerts.story import decide_story_alerts
from streams.codec import encode_record
from streams.deadletter import make_dead_letter, record_outcome
from streams.kafka.lag import compute_lag, set_lag_gauge
from streams.latency import latency_seconds, latency_start
from streams.metrics import (
    HealthMetrics,
    PollerHealthMetrics,
    PollerMetrics,
    WorkerMetrics,
    expected_alert_series,
)
from streams.records import Stage
from streams.routing import alert_outputs, article_outputs, topic_event_outputs
from streams.runner import process_registry

PROCESS_FAMILIES = {
    "wirewatch_build_info",
    "python_info",
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_cpu_seconds",
    "process_open_fds",
    "process_max_fds",
}
STAGE_FAMILIES = {
    "wirewatch_items_received",
    "wirewatch_items_processed",
    "wirewatch_stage_errors",
}
BROKER_AND_LAG = {
    "wirewatch_broker_connected",
    "wirewatch_broker_last_contact_timestamp_seconds",
    "wirewatch_consumer_group_lag",
}


def parse(registry: CollectorRegistry) -> dict[str, Any]:
    """The page as Prometheus reads it: prometheus_client's parser refuses an invalid page."""
    text = generate_latest(registry).decode()
    return {family.name: family for family in text_string_to_metric_families(text)}


def worker_registry() -> CollectorRegistry:
    registry = process_registry()
    WorkerMetrics.create(registry)
    HealthMetrics.create(registry)
    return registry


def poller_registry() -> CollectorRegistry:
    registry = process_registry()
    PollerMetrics.create(registry)
    PollerHealthMetrics.create(registry)
    return registry


def stage_values(families: dict[str, Any]) -> set[str]:
    return {
        sample.labels["stage"]
        for name in STAGE_FAMILIES | {"wirewatch_stage_duration_seconds"}
        if name in families
        for sample in families[name].samples
        if "stage" in sample.labels
    }


def test_worker_registers_its_stages_health_and_process_metrics_only() -> None:
    families = parse(worker_registry())
    assert set(families) == PROCESS_FAMILIES | STAGE_FAMILIES | WORKER_ONLY | BROKER_AND_LAG
    assert stage_values(families) == {"enrich", "story", "alert", "spike", "link"}
    processed = families["wirewatch_items_processed"].samples
    assert len([s for s in processed if s.name.endswith("_total")]) == 5 * 2  # stages x outcomes


def test_poller_registers_the_poll_stage_feeds_and_process_metrics_only() -> None:
    families = parse(poller_registry())
    assert set(families) == PROCESS_FAMILIES | STAGE_FAMILIES | POLLER_ONLY | BROKER_AND_LAG
    assert stage_values(families) == {"poll"}


def test_run_registers_build_and_process_metrics_only() -> None:
    families = parse(process_registry())
    assert set(families) == PROCESS_FAMILIES


def test_build_info_is_one_with_the_versions_and_process_metrics_are_real() -> None:
    families = parse(process_registry())
    (info,) = families["wirewatch_build_info"].samples
    assert info.value == 1
    assert set(info.labels) == {"version", "python", "faust", "aiokafka"}
    assert info.labels["faust"].startswith("0.") and info.labels["aiokafka"].startswith("0.")
    (rss,) = families["process_resident_memory_bytes"].samples
    assert rss.value > 10 * 1024 * 1024


def test_series_pre_created_at_zero_are_bounded_to_what_each_process_counts() -> None:
    worker, poller = parse(worker_registry()), parse(poller_registry())
    # Histograms: per labelled series, 13 or 14 buckets + count + sum + created.
    worker_samples = sum(len(f.samples) for f in worker.values())
    poller_samples = sum(len(f.samples) for f in poller.values())
    print(f"series at start: worker {worker_samples}, poller {poller_samples}")
    assert worker_samples < 150 and poller_samples < 100


def test_expected_alert_series_follow_the_rules_and_the_spike_severity() -> None:
    series, updates = expected_alert_series(
        [("critical", ["cyberattack"]), ("info", ["elections", "protest"]), ("warning", [])],
        ["cyberattack", "elections"],
        "warning",
    )
    assert series == {
        ("story", "cyberattack", "critical"),
        ("story", "elections", "info"),
        ("story", "protest", "info"),
        ("spike", "cyberattack", "warning"),
        ("spike", "elections", "warning"),
    }
    assert updates == {"critical", "info", "warning"}
    metrics = WorkerMetrics.create(registry := CollectorRegistry())
    metrics.expect_alerts(series, updates)
    raised = registry.get_sample_value(
        "wirewatch_alerts_raised_total",
        {"kind": "spike", "topic": "elections", "severity": "warning"},
    )
    assert raised == 0
    assert registry.get_sample_value("wirewatch_alert_updates_total", {"severity": "info"}) == 0


def test_faust_sensor_families_are_on_the_worker_registry_with_our_prefix() -> None:
    registry = CollectorRegistry()
    app = faust.App("sensor-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    install_faust_sensor(app, registry)
    names = set(parse(registry))
    assert "wirewatch_faust_messages_received" in names
    assert "wirewatch_faust_topic_partition_offset_commited" in names
    assert all(name.startswith("wirewatch_faust_") for name in names)
    assert not {n for n in names if "_http_" in n}  # Faust's web server is off
    assert isinstance(app.monitor, PrometheusMonitor)


class _TaskOwner:
    """Something Faust's monitor can hold a weak reference to, as it does an agent's task."""


def _sensor_samples(monitor_class: type[PrometheusMonitor]) -> dict[tuple[str, Any], float]:
    """Every sample (but creation times) after the same hook calls on a fresh registry."""
    registry = CollectorRegistry()
    app = faust.App("sensor-calls", broker="kafka://127.0.0.1:1", web_enabled=False)
    monitor = monitor_class(metrics=FaustMetrics.create(registry, FAUST_METRICS_PREFIX))
    streams = [app.stream(app.topic(name)) for name in ("raw-items", "story-route")]
    for stream in streams:
        stream.task_owner = cast(Any, _TaskOwner())  # the agent's task in a worker
    tables = [app.Table(name) for name in ("alert-state", "story-signatures")]
    for n in range(40):
        tp = TP(("raw-items", "story-route", "alerts")[n % 3], n % 4)
        message = Message(tp.topic, tp.partition, n, 0.0, 0, [], b"k", b"v", None)
        monitor.on_message_in(tp, n, message)
        state = monitor.on_stream_event_in(tp, n, streams[n % 2], cast(Any, None))
        monitor.on_stream_event_out(tp, n, streams[n % 2], cast(Any, None), state)
        monitor.on_message_out(tp, n, message)
        table = tables[n % 2]
        monitor.on_table_get(table, "k")
        if n % 3:
            monitor.on_table_set(table, "k", b"v")
        if n % 5 == 0:
            monitor.on_table_del(table, "k")
        sent = monitor.on_send_initiated(cast(Any, None), f"out-{n % 3}", cast(Any, None), 1, 2)
        monitor.on_send_completed(cast(Any, None), sent, cast(Any, None))
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
        and "latency" not in sample.name
        and "runtime" not in sample.name  # times, not counts
    }


def test_the_cached_faust_sensor_gives_the_series_and_values_of_faust_s_own() -> None:
    ours, faust_own = _sensor_samples(CachedPrometheusMonitor), _sensor_samples(PrometheusMonitor)
    assert ours == faust_own
    # The calls above reach every cached family with more than one label value.
    labelled = Counter(name for (name, labels), value in ours.items() if labels and value)
    assert {name.removeprefix(f"{FAUST_METRICS_PREFIX}_"): n for name, n in labelled.items()} == {
        "messages_received_per_topics_partition": 12,  # 3 topics x 4 partitions
        "messages_received_per_topic_total": 3,
        "total_events_per_stream_total": 2,
        "table_operations_total": 6,  # 2 tables x get, set, delete
        "topic_messages_sent_total": 3,
    }


def test_lag_is_end_minus_committed_or_from_the_log_start_when_nothing_is_committed() -> None:
    ends = {("t", 0): 100, ("t", 1): 50, ("t", 2): 7, ("u", 0): 10}
    committed: dict[tuple[str, int], int | None] = {("t", 0): 60, ("t", 1): -1, ("u", 0): 12}
    starts = {("t", 0): 0, ("t", 1): 20, ("t", 2): 3, ("u", 0): 0}
    assert compute_lag(ends, committed, starts) == {
        ("t", 0): 40,
        ("t", 1): 30,  # -1: never committed; a member starts at the log start
        ("t", 2): 4,  # absent: the same
        ("u", 0): 0,  # committed read after the end: never negative
    }


def test_lag_gauge_sets_each_partition_and_drops_partitions_gone() -> None:
    registry = CollectorRegistry()
    gauge = Gauge("lag", "", ["group", "topic", "partition"], registry=registry)
    labelled = set_lag_gauge(gauge, "g", {("t", 0): 5, ("t", 1): 0}, set())
    assert registry.get_sample_value("lag", {"group": "g", "topic": "t", "partition": "0"}) == 5
    set_lag_gauge(gauge, "g", {("t", 0): 1}, labelled)
    assert registry.get_sample_value("lag", {"group": "g", "topic": "t", "partition": "1"}) is None
    assert registry.get_sample_value("lag", {"group": "g", "topic": "t", "partition": "0"}) == 1


def test_latency_helpers() -> None:
    assert latency_seconds(NOW - timedelta(seconds=42), NOW) == 42.0
    assert latency_seconds(NOW + timedelta(seconds=3), NOW) == 0.0  # clock skew
    fetched = NOW - timedelta(minutes=5)
    enriched = article_outputs(dataclasses.replace(article(), fetched_at=fetched), SpikeConfig())
    outputs = enriched.outputs + topic_event_outputs(enriched.topic_events)
    starts = [latency_start(o.topic, o.record, o.fetched_at) for o in outputs]
    assert starts[0] == ("article", fetched)  # to `articles`; not story-route, not topic-events
    assert starts[1:] == [None] * (len(outputs) - 1)
    story_article = dataclasses.replace(article("s-1"), fetched_at=fetched)
    alerts = decide_story_alerts(None, story_article, alert_rules(), NOW).alerts
    (alert,) = alert_outputs(alerts, story_article.fetched_at)
    assert latency_start(alert.topic, alert.record, alert.fetched_at) == ("alert", fetched)


def alert_rules() -> Any:
    return build_rule_set(
        [Rule(id="cyber", severity="critical", topics=(("cyberattack", 2.0),))], "t"
    )


def histogram(registry: CollectorRegistry, output: str) -> tuple[float, float]:
    labels = {"output": output}
    count = registry.get_sample_value("wirewatch_end_to_end_latency_seconds_count", labels)
    total = registry.get_sample_value("wirewatch_end_to_end_latency_seconds_sum", labels)
    return count or 0.0, total or 0.0


def test_wiring_observes_latency_when_an_article_and_an_alert_are_sent() -> None:
    wired, _, registry = wiring()
    fetched = NOW - timedelta(seconds=90)
    outputs = article_outputs(dataclasses.replace(article(), fetched_at=fetched), SpikeConfig())
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", outputs.outputs))
    assert histogram(registry, "article") == (1, 90.0)  # once: story-route is not consumers'

    story_article = dataclasses.replace(article("s-1"), fetched_at=NOW - timedelta(seconds=30))
    alerts = decide_story_alerts(None, story_article, alert_rules(), NOW).alerts
    assert alerts
    decision = SimpleNamespace(outputs=alert_outputs(alerts, story_article.fetched_at))
    message = SimpleNamespace(topic="p.story-articles", partition=0, offset=3)
    event = SimpleNamespace(value=encode_record(story_article), key=b"s-1", message=message)
    step = lambda payload, now: decision  # noqa: E731
    asyncio.run(wired.process(Stage.ALERT, cast(Any, event), step, lambda _: None))
    assert histogram(registry, "alert") == (len(alerts), 30.0 * len(alerts))
    assert histogram(registry, "article") == (1, 90.0)


def test_record_outcome_counts_a_poll_dead_letter_in_processed_and_errors() -> None:
    registry = CollectorRegistry()
    metrics = PollerMetrics.create(registry)
    letter = make_dead_letter(Stage.POLL, b"<rss", ValueError("not a feed"), NOW)
    record_outcome(metrics, Stage.POLL, letter)
    labels = {"stage": "poll", "outcome": "dead_letter"}
    assert registry.get_sample_value("wirewatch_items_processed_total", labels) == 1
    errors = {"stage": "poll", "error_type": "ValueError"}
    assert registry.get_sample_value("wirewatch_stage_errors_total", errors) == 1


@pytest.mark.parametrize("create", [PollerMetrics.create, WorkerMetrics.create])
def test_each_process_metrics_can_be_created_once_per_registry(create: Any) -> None:
    registry = CollectorRegistry()
    create(registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        create(registry)
