"""Every Prometheus metric wirewatch exposes, created on a registry the caller gives.

Label values come from closed sets (stages, outcomes, topic ids, severities) and are created at zero
so dashboards and rate() see a series before the first event; no label holds a URL, feed, title
or id, which keeps cardinality bounded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from streams.feeds.http import FetchErrorKind
from streams.records import AlertKind, Outcome, Stage

STAGES = tuple(stage.value for stage in Stage)
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


def status_label(status: int) -> str:
    """A bounded label value for an HTTP status code."""
    return str(status) if status in KNOWN_STATUSES else f"{status // 100}xx"


@dataclass(frozen=True)
class Metrics:
    items_received: Counter
    items_processed: Counter
    stage_errors: Counter
    stage_duration: Histogram
    alerts_raised: Counter
    alert_updates: Counter
    stories_assigned: Counter
    topics_tagged: Counter
    languages_detected: Counter
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
    def create(
        cls,
        registry: CollectorRegistry,
        topic_ids: Iterable[str] = (),
        severities: Iterable[str] = ("info", "warning", "critical"),
    ) -> Metrics:
        """Create and pre-initialise every metric on `registry`."""
        metrics = cls(
            items_received=Counter(
                "wirewatch_items_received_total",
                "Items a stage took in (messages consumed; for poll, feed entries parsed).",
                ["stage"],
                registry=registry,
            ),
            items_processed=Counter(
                "wirewatch_items_processed_total",
                "Items that left a stage, by stage and outcome.",
                ["stage", "outcome"],
                registry=registry,
            ),
            stage_errors=Counter(
                "wirewatch_stage_errors_total",
                "Items a stage sent to the dead-letter topic, by stage and exception type.",
                ["stage", "error_type"],
                registry=registry,
            ),
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
        for stage in STAGES:
            metrics.items_received.labels(stage)
            metrics.stage_duration.labels(stage)
            for outcome in OUTCOMES:
                metrics.items_processed.labels(stage, outcome)
        for outcome in FETCH_OUTCOMES:
            metrics.feed_fetch_duration.labels(outcome)
        for kind in ("new", "update"):
            metrics.feed_items_emitted.labels(kind)
        for reason in HELD_BACK_REASONS:
            metrics.feed_items_held_back.labels(reason)
        for outcome in ("new", "joined"):
            metrics.stories_assigned.labels(outcome)
        for severity in severities:
            metrics.alert_updates.labels(severity)
        for topic in topic_ids:
            metrics.topics_tagged.labels(topic)
            for severity in severities:
                for kind in ALERT_KINDS:
                    metrics.alerts_raised.labels(kind, topic, severity)
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


@dataclass(frozen=True)
class HealthMetrics:
    """The worker's health: broker reachability, readiness, and per input partition lag and stall.

    Only the worker creates these; the poller creates only `BrokerMetrics`. The
    partition series are labelled by topic suffix and partition number, bounded by the topics'
    partition counts, and removed when a partition is revoked.
    """

    broker: BrokerMetrics
    worker_ready: Gauge
    partition_lag: Gauge
    partition_stalled: Gauge

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
        )


HealthCheck = Callable[[], tuple[int, bytes]]


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

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        check = routes.get(environ.get("PATH_INFO", ""))
        if check is None:
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]  # untyped
        status, body = check()
        reason = "OK" if status == 200 else "Service Unavailable"
        content_type = "application/json" if body.startswith(b"{") else "text/plain"
        start_response(
            f"{status} {reason}",
            [("Content-Type", f"{content_type}; charset=utf-8"), ("Cache-Control", "no-store")],
        )
        return [body]

    # prometheus_client's start_http_server serves the metrics page on every path; this is its
    # threading server with the health paths routed first.
    server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True, name="metrics-http").start()
    return int(server.server_address[1])
