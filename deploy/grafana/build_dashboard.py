"""Write deploy/grafana/wirewatch.json, the Grafana dashboard for wirewatch, from the panel list
below. Run `python deploy/grafana/build_dashboard.py` after editing it and commit both files;
`--check` exits 1 when the committed JSON differs from what this script writes (the tests run it).

Every query selects `job=~"$job", instance=~"$instance"` and uses `$__rate_interval` for rates,
so the dashboard follows the variables; the datasource is the variable `${datasource}`. Each
panel's queries are run against a real Prometheus scraping a running pipeline in
tests/integration/test_observability.py, which requires every one of them to return data.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "wirewatch.json"
UID = "wirewatch-pipeline"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job", instance=~"$instance"'
RATE = "[$__rate_interval]"
GRID_WIDTH = 24


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    description: str
    unit: str = "short"
    kind: str = "timeseries"  # timeseries, stat, table, piechart, bargauge
    width: int = 12
    height: int = 8
    options: dict[str, Any] = field(default_factory=dict)
    mappings: tuple[dict[str, Any], ...] = ()
    thresholds: tuple[tuple[float | None, str], ...] = ()
    stack: bool = False


@dataclass(frozen=True)
class Row:
    title: str


def q(expr: str, legend: str = "", **kwargs: bool) -> Query:
    return Query(expr, legend, **kwargs)


def quantile(level: float, metric: str, by: str = "", extra: str = "") -> str:
    """histogram_quantile over a histogram's buckets, summed over instances."""
    labels = ", ".join(x for x in (by, "le") if x)
    selector = ", ".join(x for x in (SEL, extra) if x)
    return (
        f"histogram_quantile({level}, sum by ({labels}) "
        f"(rate({metric}_bucket{{{selector}}}{RATE})))"
    )


def summed(metric: str, by: str = "", extra: str = "", fn: str = "rate", window: str = RATE) -> str:
    """`sum [by (...)] (fn(metric{selector}[window]))`: a counter's rate or increase over all
    instances."""
    selector = ", ".join(x for x in (SEL, extra) if x)
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({fn}({metric}{{{selector}}}{window}))"


UP_DOWN = (
    {
        "type": "value",
        "options": {
            "0": {"text": "no", "color": "red", "index": 0},
            "1": {"text": "yes", "color": "green", "index": 1},
        },
    },
)
RED_FROM_1 = ((None, "green"), (1, "red"))

LAYOUT: tuple[Row | Panel, ...] = (
    Row("Overview"),
    Panel(
        "Targets up",
        (q(f"sum by (job) (up{{{SEL}}})", "{{job}}"),),
        "Scrape targets answering, per job.",
        kind="stat",
        width=6,
        height=4,
    ),
    Panel(
        "Broker connected",
        (q(f"min by (job, instance) (wirewatch_broker_connected{{{SEL}}})", "{{instance}}"),),
        "1 when the process's last broker probe (a metadata request every 3 s) was answered.",
        kind="stat",
        width=6,
        height=4,
        mappings=UP_DOWN,
    ),
    Panel(
        "Ready",
        (
            q(f"wirewatch_worker_ready{{{SEL}}}", "worker {{instance}}"),
            q(f"wirewatch_poller_ready{{{SEL}}}", "poller {{instance}}"),
        ),
        "What /readyz answers: 1 ready, 0 not (the reasons are in /readyz's body).",
        kind="stat",
        width=6,
        height=4,
        mappings=UP_DOWN,
    ),
    Panel(
        "Stalled partitions",
        (q(f"sum(wirewatch_partition_stalled{{{SEL}}})", "stalled"),),
        "Assigned input partitions with lag whose position has not moved for 30 s.",
        kind="stat",
        width=6,
        height=4,
        thresholds=RED_FROM_1,
    ),
    Panel(
        "Build info",
        (q(f"wirewatch_build_info{{{SEL}}}", instant=True, table=True),),
        "Version of wirewatch, Python, Faust and aiokafka on every process.",
        kind="table",
        width=24,
        height=5,
        options={"showHeader": True},
    ),
    Row("Pipeline throughput"),
    Panel(
        "Items in, per stage",
        (q(summed("wirewatch_items_received_total", "stage"), "{{stage}}"),),
        "Messages each stage took in per second (poll: feed entries parsed).",
        unit="ops",
    ),
    Panel(
        "Items out, per stage and outcome",
        (
            q(
                summed("wirewatch_items_processed_total", "stage, outcome"),
                "{{stage}} {{outcome}}",
            ),
        ),
        "What left each stage per second: ok to the next topic, dead_letter to dead-letters.",
        unit="ops",
    ),
    Panel(
        "Dead letters per stage",
        (
            q(
                "60 * "
                + summed("wirewatch_items_processed_total", "stage", 'outcome="dead_letter"'),
                "{{stage}}",
            ),
        ),
        "Dead letters per minute, by stage. `wirewatch tail dead-letters` shows them.",
        thresholds=((None, "green"), (1, "orange")),
    ),
    Panel(
        "Dead letters by error type",
        (
            q(
                summed("wirewatch_stage_errors_total", "stage, error_type", fn="increase"),
                "{{stage}} {{error_type}}",
            ),
        ),
        "Dead letters in each interval, by stage and exception type.",
        kind="timeseries",
        stack=True,
    ),
    Panel(
        "Stage duration p99",
        (q(quantile(0.99, "wirewatch_stage_duration_seconds", "stage"), "{{stage}}"),),
        "Time in each stage's step per item (story, alert and spike include table reads).",
        unit="s",
    ),
    Panel(
        "Stories",
        (
            q(
                summed("wirewatch_stories_assigned_total", "outcome"),
                "{{outcome}}",
            ),
        ),
        "Articles that started a story (new) or joined one (joined), per second.",
        unit="ops",
        stack=True,
    ),
    Row("End-to-end latency (fetched → sent)"),
    Panel(
        "Fetched → article",
        (
            q(
                quantile(0.5, "wirewatch_end_to_end_latency_seconds", extra='output="article"'),
                "p50",
            ),
            q(
                quantile(0.99, "wirewatch_end_to_end_latency_seconds", extra='output="article"'),
                "p99",
            ),
        ),
        "From the moment the poller fetched an item to the moment its article was sent.",
        unit="s",
    ),
    Panel(
        "Fetched → alert",
        (
            q(quantile(0.5, "wirewatch_end_to_end_latency_seconds", extra='output="alert"'), "p50"),
            q(
                quantile(0.99, "wirewatch_end_to_end_latency_seconds", extra='output="alert"'),
                "p99",
            ),
        ),
        "From the fetch of the item to the alert revision it caused being sent. "
        "Alert WirewatchAlertLatencyHigh: p99 above 120 s for 15 minutes.",
        unit="s",
        thresholds=((None, "green"), (120, "red")),
    ),
    Row("Kafka"),
    Panel(
        "Consumer group lag per partition",
        (
            q(
                f"max by (group, topic, partition) (wirewatch_consumer_group_lag{{{SEL}}})",
                "{{group}} {{topic}}[{{partition}}]",
            ),
        ),
        "Log end offset minus the group's committed offset, for every partition our groups "
        "read (each worker reports the same numbers; the max keeps one).",
    ),
    Panel(
        "Input partition lag (per worker)",
        (q(f"wirewatch_partition_lag{{{SEL}}}", "{{instance}} {{topic}}[{{partition}}]"),),
        "Messages of each assigned input partition the worker has not processed yet.",
    ),
    Panel(
        "Broker connected and ready",
        (
            q(f"wirewatch_broker_connected{{{SEL}}}", "broker {{job}} {{instance}}"),
            q(f"wirewatch_worker_ready{{{SEL}}}", "ready {{instance}}"),
            q(f"wirewatch_poller_ready{{{SEL}}}", "ready {{instance}}"),
        ),
        "Broker probe answered (1) and /readyz ready (1), over time.",
        options={"min": 0, "max": 1},
    ),
    Panel(
        "Seconds since the broker last answered",
        (
            q(
                f"time() - wirewatch_broker_last_contact_timestamp_seconds{{{SEL}}}",
                "{{job}} {{instance}}",
            ),
        ),
        "How long each process has been without an answer from the broker (a few seconds "
        "when connected).",
        unit="s",
    ),
    Panel(
        "Stalled partitions (per partition)",
        (q(f"wirewatch_partition_stalled{{{SEL}}}", "{{instance}} {{topic}}[{{partition}}]"),),
        "1 while the partition counts as stalled. Alert WirewatchPartitionStalled.",
        stack=True,
    ),
    Panel(
        "Faust rebalances",
        (
            q(f"sum(wirewatch_faust_total_rebalances{{{SEL}}})", "rebalancing"),
            q(f"sum(wirewatch_faust_total_rebalances_recovering{{{SEL}}})", "recovering"),
            q(
                f"sum(increase(wirewatch_faust_rebalance_done_latency_count{{{SEL}}}{RATE}))",
                "completed",
            ),
        ),
        "Workers in a rebalance or recovering tables now, and rebalances completed per "
        "interval (Faust's own sensor).",
    ),
    Panel(
        "Messages sent per topic (Faust)",
        (
            q(
                summed("wirewatch_faust_topic_messages_sent_total", "topic"),
                "{{topic}}",
            ),
        ),
        "Messages the workers' producer sent per second, per topic (outputs, changelogs, "
        "dead letters).",
        unit="ops",
    ),
    Panel(
        "Producer send and commit latency p99 (Faust)",
        (
            q(quantile(0.99, "wirewatch_faust_producer_send_latency"), "send"),
            q(quantile(0.99, "wirewatch_faust_consumer_commit_latency"), "commit"),
        ),
        "Faust's producer send latency and consumer commit latency (milliseconds).",
        unit="ms",
    ),
    Row("Alerts and content"),
    Panel(
        "Alerts raised per topic and severity",
        (
            q(
                summed("wirewatch_alerts_raised_total", "topic, severity", fn="increase"),
                "{{topic}} {{severity}}",
            ),
        ),
        "First revisions of alerts in each interval, by taxonomy topic and severity.",
        stack=True,
    ),
    Panel(
        "Alert revisions per severity",
        (
            q(
                summed("wirewatch_alert_updates_total", "severity", fn="increase"),
                "{{severity}}",
            ),
        ),
        "Later revisions of story alerts (another item or source) in each interval.",
        stack=True,
    ),
    Panel(
        "Languages (selected range)",
        (
            q(
                summed(
                    "wirewatch_languages_detected_total",
                    "language",
                    fn="increase",
                    window="[$__range]",
                ),
                "{{language}}",
                instant=True,
            ),
        ),
        "Articles per detected language over the dashboard's time range ('und': unsure).",
        kind="piechart",
        width=8,
        options={
            "pieType": "donut",
            "legend": {"displayMode": "table", "placement": "right", "values": ["value"]},
        },
    ),
    Panel(
        "Topics tagged (selected range)",
        (
            q(
                summed(
                    "wirewatch_topics_tagged_total", "topic", fn="increase", window="[$__range]"
                ),
                "{{topic}}",
                instant=True,
            ),
        ),
        "Articles tagged with each taxonomy topic over the dashboard's time range.",
        kind="bargauge",
        width=8,
    ),
    Panel(
        "Alerts by kind (selected range)",
        (
            q(
                summed("wirewatch_alerts_raised_total", "kind", fn="increase", window="[$__range]"),
                "{{kind}}",
                instant=True,
            ),
        ),
        "Story alerts and spike alerts raised over the dashboard's time range.",
        kind="bargauge",
        width=8,
    ),
    Row("Cross-language links"),
    Panel(
        "Links made",
        (
            q(summed("wirewatch_items_received_total", extra='stage="link"'), "new stories in"),
            q(summed("wirewatch_story_embed_duration_seconds_count"), "embedded"),
            q(summed("wirewatch_story_links_total"), "links made"),
        ),
        "New stories reaching the link stage, those embedded and compared with the pool, and "
        "links made between stories in different languages, per second.",
        unit="ops",
        width=6,
    ),
    Panel(
        "New stories skipped, by reason",
        (q(summed("wirewatch_story_links_skipped_total", "reason"), "{{reason}}"),),
        "New stories never embedded or linked, per second: rate_limit (more than "
        "link_max_per_second), max_age (read over link_max_age_seconds late: the stage is "
        "behind), disabled (link_max_per_second = 0).",
        unit="ops",
        width=6,
        stack=True,
    ),
    Panel(
        "Share of new stories skipped",
        (
            q(
                summed("wirewatch_story_links_skipped_total", extra='reason!="disabled"')
                + " / "
                + summed("wirewatch_items_received_total", extra='stage="link"'),
                "skipped",
            ),
        ),
        "Rate-limited and late stories over all new stories (a stage turned off is left "
        "out). A link needs both stories embedded, so at half skipped three in four links are "
        "lost. Alert WirewatchStoryLinksSkipped: over 50% for 15 minutes.",
        unit="percentunit",
        width=6,
        options={"min": 0, "max": 1},
        thresholds=((None, "green"), (0.5, "red")),
    ),
    Panel(
        "Embedding time",
        (
            q(quantile(0.5, "wirewatch_story_embed_duration_seconds"), "p50"),
            q(quantile(0.99, "wirewatch_story_embed_duration_seconds"), "p99"),
        ),
        "Time to embed one new story (in a thread, beside the other agents); the first one "
        "after a start includes loading the encoder (~1 s). 5-40 ms measured on 2 cores.",
        unit="s",
        width=6,
    ),
    Row("Feeds"),
    Panel(
        "Fetch outcomes",
        (
            q(
                summed("wirewatch_feed_fetches_total", "outcome"),
                "{{outcome}}",
            ),
        ),
        "Feed fetches per second by outcome (ok, not_modified, http_error, timeout, ...).",
        unit="ops",
        stack=True,
    ),
    Panel(
        "Fetches by HTTP status",
        (q(summed("wirewatch_feed_fetches_total", "status"), "{{status}}"),),
        "Feed fetches per second by HTTP status ('none': no response).",
        unit="ops",
        stack=True,
    ),
    Panel(
        "Fetch duration",
        (
            q(quantile(0.5, "wirewatch_feed_fetch_duration_seconds"), "p50"),
            q(quantile(0.99, "wirewatch_feed_fetch_duration_seconds"), "p99"),
            q(quantile(0.99, "wirewatch_poll_round_duration_seconds"), "poll round p99"),
        ),
        "Time per feed fetch, and per scheduler tick polling every due feed.",
        unit="s",
    ),
    Panel(
        "Feeds owned and in back-off",
        (
            q(f"sum(wirewatch_feeds_owned{{{SEL}}})", "owned"),
            q(f"sum(wirewatch_feeds_in_backoff{{{SEL}}})", "in back-off"),
        ),
        "Feeds the pollers own, and those whose last poll failed and that wait out a "
        "back-off. `wirewatch feeds list` names them.",
    ),
    Panel(
        "Feed entries",
        (
            q(
                summed("wirewatch_feed_items_emitted_total", "kind"),
                "sent {{kind}}",
            ),
            q(f"sum(rate(wirewatch_feed_items_suppressed_total{{{SEL}}}{RATE}))", "already sent"),
            q(
                summed("wirewatch_feed_items_held_back_total", "reason"),
                "held back ({{reason}})",
            ),
        ),
        "Entries sent to raw-items (new, update), skipped as already sent, and held back for "
        "a later poll (over max_entries_per_poll, or not acknowledged by Kafka).",
        unit="ops",
    ),
    Panel(
        "Bytes from feed servers",
        (q(f"sum(rate(wirewatch_feed_bytes_total{{{SEL}}}{RATE}))", "received"),),
        "Bytes per second received from feed servers, as sent on the wire.",
        unit="Bps",
    ),
    Row("Processes"),
    Panel(
        "Resident memory",
        (q(f"process_resident_memory_bytes{{{SEL}}}", "{{job}} {{instance}}"),),
        "RSS per process. Alert WirewatchProcessMemoryHigh: worker > 1.5 GiB, "
        "poller > 512 MiB for 15 minutes.",
        unit="bytes",
        width=8,
    ),
    Panel(
        "CPU",
        (q(f"rate(process_cpu_seconds_total{{{SEL}}}{RATE})", "{{job}} {{instance}}"),),
        "CPU seconds per second per process (1 = one core busy).",
        unit="percentunit",
        width=8,
    ),
    Panel(
        "Open file descriptors",
        (q(f"process_open_fds{{{SEL}}}", "{{job}} {{instance}}"),),
        "File descriptors open per process (sockets to brokers and feed servers included).",
        width=8,
    ),
    Panel(
        "Uptime",
        (q(f"time() - process_start_time_seconds{{{SEL}}}", "{{job}} {{instance}}"),),
        "Seconds since each process started: a short one after a restart.",
        unit="s",
        kind="stat",
        width=24,
        height=4,
    ),
)


def field_config(panel: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.mappings:
        defaults["mappings"] = list(panel.mappings)
    if panel.thresholds:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"value": value, "color": color} for value, color in panel.thresholds],
        }
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stack else "none", "group": "A"},
        }
        for key in ("min", "max"):
            if key in panel.options:
                defaults[key] = panel.options[key]
    return {"defaults": defaults, "overrides": []}


def panel_options(panel: Panel) -> dict[str, Any]:
    if panel.kind == "timeseries":
        return {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    if panel.kind == "stat":
        return {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
            "graphMode": "area",
            "textMode": "auto",
        }
    if panel.kind in ("piechart", "bargauge"):
        options: dict[str, Any] = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        }
        options.update(panel.options)
        return options
    return dict(panel.options)


def render_panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    targets = []
    for index, query in enumerate(panel.queries):
        target: dict[str, Any] = {
            "datasource": DATASOURCE,
            "expr": query.expr,
            "legendFormat": query.legend or "__auto",
            "refId": chr(ord("A") + index),
            "range": not query.instant,
            "instant": query.instant,
        }
        if query.table:
            target["format"] = "table"
        targets.append(target)
    rendered: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": panel.height},
        "fieldConfig": field_config(panel),
        "options": panel_options(panel),
        "targets": targets,
    }
    if panel.kind == "table":
        # One row per process: drop the columns that only repeat the query.
        rendered["transformations"] = [
            {
                "id": "organize",
                "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True}},
            }
        ]
    return rendered


def variable(name: str, label: str, query: str, all_value: str) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "refresh": 2,  # on time range change: new pods appear
        "multi": True,
        "includeAll": True,
        "allValue": all_value,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    panel_id, x, y, row_height = 1, 0, 0, 0
    for item in LAYOUT:
        if isinstance(item, Row):
            y += row_height
            x, row_height = 0, 0
            panels.append(
                {
                    "id": panel_id,
                    "type": "row",
                    "title": item.title,
                    "collapsed": False,
                    "gridPos": {"x": 0, "y": y, "w": GRID_WIDTH, "h": 1},
                    "panels": [],
                }
            )
            panel_id += 1
            y += 1
            continue
        if x + item.width > GRID_WIDTH:
            y += row_height
            x, row_height = 0, 0
        panels.append(render_panel(item, panel_id, x, y))
        panel_id += 1
        x += item.width
        row_height = max(row_height, item.height)
    return {
        "uid": UID,
        "title": "wirewatch pipeline",
        "description": "Feeds → articles → alerts: throughput, dead letters, latency, Kafka lag "
        "and health, cross-language links, feeds, processes. "
        "Source: deploy/grafana/build_dashboard.py.",
        "tags": ["wirewatch", "kafka", "faust"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "links": [],
        "annotations": {"list": []},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},  # Grafana takes its default Prometheus data source
                    "refresh": 1,
                    "hide": 0,
                },
                variable(
                    "job", "Job", 'label_values(up{job=~"wirewatch-.*"}, job)', "wirewatch-.*"
                ),
                variable("instance", "Instance", 'label_values(up{job=~"$job"}, instance)', ".*"),
            ]
        },
        "panels": panels,
    }


def render() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if wirewatch.json is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
