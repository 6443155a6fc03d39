"""Every Prometheus metric wirewatch exposes, created on a registry the caller gives.

Each process creates only what it can move: the worker `WorkerMetrics` (the enrich, story, alert,
spike and link stages) and `HealthMetrics`, the poller `PollerMetrics` (the poll stage and the feed
metrics) and `PollerHealthMetrics`, and every process `register_process_metrics` (build info,
process and platform collectors). Label values come from closed sets (stages, outcomes, topic
ids, severities), and the series a process can produce are created at zero so dashboards and
rate() see them before the first event; no label holds a URL, feed, title or id, which keeps
cardinality bounded.
"""

from __future__ import annotations

import importlib.metadata
import platform
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    make_wsgi_app,
)
from prometheus_client.exposition import ThreadingWSGIServer

from streams.feeds.http import FetchErrorKind
from streams.records import AlertKind, Outcome, Stage

STAGES = tuple(stage.value for stage in Stage)
WORKER_STAGES = (Stage.ENRICH, Stage.STORY, Stage.ALERT, Stage.SPIKE, Stage.LINK)
# Why the link stage skipped a new story (streams.stories.link_stage.SKIP_REASONS).
LINK_SKIP_REASONS = ("disabled", "max_age", "rate_limit")
POLLER_STAGES = (Stage.POLL,)
OUTCOMES = tuple(outcome.value for outcome in Outcome)
ALERT_KINDS = tuple(kind.value for kind in AlertKind)
# A fetch ends with an HTTP answer (the first six) or without one: a FetchErrorKind.
FETCH_OUTCOMES = (
    "ok",
    "not_modified",
    "http_error",
    "gone",
    "throttled",
    "parse_error",
    *(kind.value for kind in FetchErrorKind),
)
# Why a feed entry was left for a later poll: over max_entries_per_poll, or Kafka did not take it.
HELD_BACK_REASONS = ("cap", "kafka")
# Status codes a feed operator acts on get their own label value; the rest are counted by class.
KNOWN_STATUSES = frozenset({200, 301, 302, 304, 307, 308, 400, 401, 403, 404, 410, 429, 500,
                            502, 503, 504})  # fmt: skip
# What the end-to-end latency is measured to: an article on `articles`, an alert revision on
# `alerts`. From a feed fetch to an article takes milliseconds when the worker keeps up and
# minutes behind a backlog; an alert waits for its story's sources, so the buckets reach 10 min.
LATENCY_OUTPUTS = ("article", "alert")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

AlertSeries = tuple[str, str, str]  # (kind, topic, severity): wirewatch_alerts_raised_total


def status_label(status: int) -> str:
    """A bounded label value for an HTTP status code."""
    return str(status) if status in KNOWN_STATUSES else f"{status // 100}xx"


@dataclass(frozen=True)
class StageMetrics:
    """What a stage took in and what left it: every process that runs a stage has these, with
    series only for its own stages (`streams.deadletter.record_outcome` counts through them)."""

    items_received: Counter
    items_processed: Counter
    stage_errors: Counter


def _stage_metrics(registry: CollectorRegistry, stages: Iterable[Stage]) -> dict[str, Counter]:
    metrics = {
        "items_received": Counter(
            "wirewatch_items_received_total",
            "Items a stage took in (messages consumed; for poll, feed entries parsed).",
            ["stage"],
            registry=registry,
        ),
        "items_processed": Counter(
            "wirewatch_items_processed_total",
            "Items that left a stage, by stage and outcome.",
            ["stage", "outcome"],
            registry=registry,
        ),
        "stage_errors": Counter(
            "wirewatch_stage_errors_total",
            "Items a stage sent to the dead-letter topic, by stage and exception type.",
            ["stage", "error_type"],
            registry=registry,
        ),
    }
    for stage in stages:
        metrics["items_received"].labels(stage)
        for outcome in OUTCOMES:
            metrics["items_processed"].labels(stage, outcome)
    return metrics


@dataclass(frozen=True)
class WorkerMetrics(StageMetrics):
    """The worker's stages: enrich, story, alert, spike, link."""

    stage_duration: Histogram
    alerts_raised: Counter
    alert_updates: Counter
    stories_assigned: Counter
    topics_tagged: Counter
    languages_detected: Counter
    end_to_end_latency: Histogram
    story_links: Counter
    story_links_skipped: Counter
    story_embed_duration: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry, topic_ids: Iterable[str] = ()) -> WorkerMetrics:
        """Create the worker's metrics on `registry`, with zero series for its stages and for
        `topic_ids` (articles tagged); the alert series follow with `expect_alerts`."""
        metrics = cls(
            **_stage_metrics(registry, WORKER_STAGES),
            stage_duration=Histogram(
                "wirewatch_stage_duration_seconds",
                "Time spent in a stage's pure step per item.",
                ["stage"],
                buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0),
                registry=registry,
            ),
            alerts_raised=Counter(
                "wirewatch_alerts_raised_total",
                "Alerts raised (first revision), by kind (story, spike), topic and severity.",
                ["kind", "topic", "severity"],
                registry=registry,
            ),
            alert_updates=Counter(
                "wirewatch_alert_updates_total",
                "Later revisions of raised alerts (another item or source for the same story).",
                ["severity"],
                registry=registry,
            ),
            stories_assigned=Counter(
                "wirewatch_stories_assigned_total",
                "Articles given a story id: a new story, or one already seen within the horizon.",
                ["outcome"],
                registry=registry,
            ),
            topics_tagged=Counter(
                "wirewatch_topics_tagged_total",
                "Articles tagged with a topic.",
                ["topic"],
                registry=registry,
            ),
            languages_detected=Counter(
                "wirewatch_languages_detected_total",
                "Articles by detected language (ISO code; 'und' when unsure).",
                ["language"],
                registry=registry,
            ),
            end_to_end_latency=Histogram(
                "wirewatch_end_to_end_latency_seconds",
                "From an item's fetch by the poller (fetched_at) to the moment the worker sends "
                "its article (output=article) or an alert revision it caused (output=alert).",
                ["output"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            story_links=Counter(
                "wirewatch_story_links_total",
                "Links made between two stories in different languages that report one event.",
                registry=registry,
            ),
            story_links_skipped=Counter(
                "wirewatch_story_links_skipped_total",
                "New stories the link stage did not embed or link: over link_max_per_second "
                "(rate_limit), older than link_max_age_seconds when read (max_age: the stage "
                "is behind), or the stage turned off (disabled).",
                ["reason"],
                registry=registry,
            ),
            story_embed_duration=Histogram(
                "wirewatch_story_embed_duration_seconds",
                "Time to embed one new story for the link stage (in a thread, outside the step).",
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
                registry=registry,
            ),
        )
        for reason in LINK_SKIP_REASONS:
            metrics.story_links_skipped.labels(reason)
        for stage in WORKER_STAGES:
            metrics.stage_duration.labels(stage)
        for outcome in ("new", "joined"):
            metrics.stories_assigned.labels(outcome)
        for output in LATENCY_OUTPUTS:
            metrics.end_to_end_latency.labels(output)
        for topic in topic_ids:
            metrics.topics_tagged.labels(topic)
        return metrics

    def expect_alerts(
        self, series: Iterable[AlertSeries], update_severities: Iterable[str]
    ) -> None:
        """Create at zero the alert series the configured rules and spikes can produce."""
        for kind, topic, severity in series:
            self.alerts_raised.labels(kind, topic, severity)
        for severity in update_severities:
            self.alert_updates.labels(severity)


# The worker's metrics under their earlier name, for callers that still use it.
Metrics = WorkerMetrics


def expected_alert_series(
    rules: Iterable[tuple[str, Iterable[str]]], spike_topics: Iterable[str], spike_severity: str
) -> tuple[set[AlertSeries], set[str]]:
    """The (kind, topic, severity) series alerts can be counted under, and the severities of
    alert updates: a story alert counts the topics of the rule that raised it at the rule's
    severity (`rules`: each rule's severity and topic ids), a spike alert a taxonomy topic at the
    spike severity; only story alerts are revised."""
    rules = [(severity, tuple(topics)) for severity, topics in rules]
    series = {(AlertKind.STORY.value, topic, severity) for severity, topics in rules
              for topic in topics}  # fmt: skip
    series |= {(AlertKind.SPIKE.value, topic, spike_severity) for topic in spike_topics}
    return series, {severity for severity, _ in rules}


@dataclass(frozen=True)
class PollerMetrics(StageMetrics):
    """The poller's stage (poll) and its feeds."""

    feed_fetches: Counter
    feed_fetch_duration: Histogram
    feed_items_emitted: Counter
    feed_items_suppressed: Counter
    feed_items_held_back: Counter
    feed_items_truncated: Counter
    feed_items_over_limit: Counter
    feed_bytes: Counter
    feeds_owned: Gauge
    feeds_in_backoff: Gauge
    poll_round_duration: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PollerMetrics:
        """Create the poller's metrics on `registry`, with zero series for what it can count."""
        metrics = cls(
            **_stage_metrics(registry, POLLER_STAGES),
            feed_fetches=Counter(
                "wirewatch_feed_fetches_total",
                "Feed fetches by outcome and HTTP status ('none' when no response came).",
                ["outcome", "status"],
                registry=registry,
            ),
            feed_fetch_duration=Histogram(
                "wirewatch_feed_fetch_duration_seconds",
                "Feed fetch duration, by outcome.",
                ["outcome"],
                registry=registry,
            ),
            feed_items_emitted=Counter(
                "wirewatch_feed_items_emitted_total",
                "Feed entries sent to the raw-items topic: new ones, and updates of sent ones.",
                ["kind"],
                registry=registry,
            ),
            feed_items_suppressed=Counter(
                "wirewatch_feed_items_suppressed_total",
                "Feed entries not sent because they were already sent.",
                registry=registry,
            ),
            feed_items_held_back=Counter(
                "wirewatch_feed_items_held_back_total",
                "Feed entries left for a later poll of the same feed: over max_entries_per_poll "
                "(cap), or not acknowledged by Kafka (kafka). Counted again on each poll.",
                ["reason"],
                registry=registry,
            ),
            feed_items_truncated=Counter(
                "wirewatch_feed_items_truncated_total",
                "Feed entries sent with their summary or title cut to the entry byte budget.",
                registry=registry,
            ),
            feed_items_over_limit=Counter(
                "wirewatch_feed_items_over_limit_total",
                "Feed entries never sent: after the first 5,000 a feed document lists.",
                registry=registry,
            ),
            feed_bytes=Counter(
                "wirewatch_feed_bytes_total",
                "Bytes received from feed servers, as sent on the wire (compressed).",
                registry=registry,
            ),
            feeds_owned=Gauge(
                "wirewatch_feeds_owned",
                "Feeds this poller owns (its share of the registry partitions).",
                registry=registry,
            ),
            feeds_in_backoff=Gauge(
                "wirewatch_feeds_in_backoff",
                "Owned feeds whose last poll failed and that wait out a back-off.",
                registry=registry,
            ),
            poll_round_duration=Histogram(
                "wirewatch_poll_round_duration_seconds",
                "Time to poll every feed that was due at one scheduler tick.",
                buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
                registry=registry,
            ),
        )
        # A histogram costs 15 series per label value: only the outcomes of every healthy poll
        # start at zero; the error outcomes appear with their first fetch.
        for outcome in ("ok", "not_modified"):
            metrics.feed_fetch_duration.labels(outcome)
        for kind in ("new", "update"):
            metrics.feed_items_emitted.labels(kind)
        for reason in HELD_BACK_REASONS:
            metrics.feed_items_held_back.labels(reason)
        return metrics


@dataclass(frozen=True)
class BrokerMetrics:
    """Whether this process reaches the broker: a poller's page shows an outage too."""

    broker_connected: Gauge
    broker_last_contact: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> BrokerMetrics:
        return cls(
            broker_connected=Gauge(
                "wirewatch_broker_connected",
                "1 when this process's last broker probe (a metadata request) was answered, "
                "else 0.",
                registry=registry,
            ),
            broker_last_contact=Gauge(
                "wirewatch_broker_last_contact_timestamp_seconds",
                "Unix time of the last broker probe that was answered (0: none yet).",
                registry=registry,
            ),
        )

    def record_probe(self, connected: bool) -> None:
        self.broker_connected.set(1 if connected else 0)
        if connected:
            self.broker_last_contact.set(time.time())


def consumer_group_lag_gauge(registry: CollectorRegistry) -> Gauge:
    return Gauge(
        "wirewatch_consumer_group_lag",
        "Messages of a partition our consumer group reads that are past the group's committed "
        "offset (log end - committed; from the log start when nothing is committed), read "
        "from the broker every 15 s.",
        ["group", "topic", "partition"],
        registry=registry,
    )


@dataclass(frozen=True)
class HealthMetrics:
    """The worker's health: broker reachability, readiness, per input partition lag and stall,
    and its consumer group's lag as the broker sees it.

    The partition series are labelled by topic suffix and partition number, bounded by the
    topics' partition counts, and removed when a partition is revoked.
    """

    broker: BrokerMetrics
    worker_ready: Gauge
    partition_lag: Gauge
    partition_stalled: Gauge
    group_lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> HealthMetrics:
        return cls(
            broker=BrokerMetrics.create(registry),
            worker_ready=Gauge(
                "wirewatch_worker_ready",
                "1 when /readyz answers 200: broker reachable, running, no stalled partition.",
                registry=registry,
            ),
            partition_lag=Gauge(
                "wirewatch_partition_lag",
                "Messages of an assigned input partition not processed yet (highwater - position).",
                ["topic", "partition"],
                registry=registry,
            ),
            partition_stalled=Gauge(
                "wirewatch_partition_stalled",
                "1 when an assigned input partition has lag and its position has not moved for "
                "the stall threshold (streams.health.STALL_AFTER_SECONDS).",
                ["topic", "partition"],
                registry=registry,
            ),
            group_lag=consumer_group_lag_gauge(registry),
        )


@dataclass(frozen=True)
class PollerHealthMetrics:
    """The poller's health: broker reachability, readiness and its consumer group's lag."""

    broker: BrokerMetrics
    poller_ready: Gauge
    group_lag: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry) -> PollerHealthMetrics:
        return cls(
            broker=BrokerMetrics.create(registry),
            poller_ready=Gauge(
                "wirewatch_poller_ready",
                "1 when /readyz answers 200: broker reachable and the poller in its group.",
                registry=registry,
            ),
            group_lag=consumer_group_lag_gauge(registry),
        )


def build_versions() -> dict[str, str]:
    """The versions wirewatch_build_info is labelled with."""

    def installed(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    return {
        "version": installed("wirewatch"),
        "python": platform.python_version(),
        "faust": installed("faust-streaming"),
        "aiokafka": installed("aiokafka"),
    }


def register_process_metrics(registry: CollectorRegistry) -> None:
    """What every process exports about itself: wirewatch_build_info, and prometheus_client's
    process_* (memory, CPU, open fds, start time) and python_info, which it registers only on
    its default registry.

    It also turns off the `*_created` samples process-wide: in the text format Prometheus scrapes
    each is a series of its own beside every counter and histogram series (doubling them), and
    nothing here reads them."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
    versions = build_versions()
    build_info = Gauge(
        "wirewatch_build_info",
        "Always 1; the labels say which wirewatch, Python, Faust and aiokafka this process runs.",
        list(versions),
        registry=registry,
    )
    build_info.labels(**versions).set(1)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)


HealthCheck = Callable[[], tuple[int, bytes]]
HTTP_REASONS = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}


class _QuietHandler(WSGIRequestHandler):
    """No access log line per scrape or probe."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_metrics(
    registry: CollectorRegistry,
    host: str,
    port: int,
    checks: Mapping[str, HealthCheck] | None = None,
) -> int:
    """Expose `registry` on http://host:port/metrics, and each of `checks` (path -> a function
    returning HTTP status and body, e.g. "/readyz") on its path; port 0 picks a free port
    (returned). The server runs in a daemon thread."""
    metrics_app = make_wsgi_app(registry)
    routes = dict(checks or {})
    known = ", ".join(["/metrics", *routes])

    def not_found() -> tuple[int, bytes]:
        return 404, f"not found; this server answers {known}\n".encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]  # untyped
        status, body = routes.get(path, not_found)()
        content_type = "application/json" if body.startswith(b"{") else "text/plain"
        start_response(
            f"{status} {HTTP_REASONS.get(status, 'Error')}",
            [("Content-Type", f"{content_type}; charset=utf-8"), ("Cache-Control", "no-store")],
        )
        return [body]

    # prometheus_client's start_http_server serves the metrics page on every path, so a probe of
    # a path it does not know (/healthz on `run`) read a healthy 200; this is its threading
    # server answering /metrics, the health paths, and 404 for anything else.
    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics-http").start()
    return int(server.server_address[1])
