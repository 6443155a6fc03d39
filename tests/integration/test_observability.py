"""The operators' tools in deploy/ against the real things: the Prometheus rules with promtool
(check and unit tests), the example Prometheus config, and the Grafana dashboard's queries run by
a real Prometheus server (Debian's package, through deploy/prometheus/fetch.sh) that scrapes a
running worker and poller on a real broker while feeds served over local HTTP flow through them.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, ROOT, FeedServer
from test_feed_to_alerts import BROKEN_FEED, POISON_ENTRY_FEED

from streams.feeds.parse import FeedSource, parse_feed
from streams.kafka.localbroker import free_port
from streams.runner import stop_process

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS_DIR / "rules.yml"
RULE_TESTS = PROMETHEUS_DIR / "rules.test.yml"
CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARD_DIR = ROOT / "deploy" / "grafana"
DASHBOARD = DASHBOARD_DIR / "wirewatch.json"

FETCH_TIMEOUT_SECONDS = 300  # a cold apt-get download of ~19 MB
PROMTOOL_TIMEOUT_SECONDS = 60
PROMETHEUS_READY_SECONDS = 60
FIRST_ARTICLES_SECONDS = 240  # worker start (language models, group join) and the first wave
ALL_QUERIES_SECONDS = 240  # the second wave through to alerts, and every panel answering
QUERY_POLL_SECONDS = 3.0
# What the dashboard's variables and Grafana's interval macros become in the test: the variables'
# "All" values, and a window that covers the whole run (a few minutes) so that rates and
# quantiles see every item that flowed.
SUBSTITUTIONS = {
    "$__rate_interval": "5m",
    "$__range": "5m",
    "$job": "wirewatch-.*",
    "$instance": ".*",
}
JOBS = {"wirewatch-worker", "wirewatch-poller"}
# What a failure message shows of the scraped data, to tell where the items stopped.
DIAGNOSTICS = (
    "up",
    "sum by (outcome, status) (wirewatch_feed_fetches_total)",
    "sum by (kind) (wirewatch_feed_items_emitted_total)",
    "sum by (stage, outcome) (wirewatch_items_processed_total)",
)

PROMQL_KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
     "bool", "offset", "inf", "nan"}
)  # fmt: skip


# --- the tools ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def prometheus_tools() -> dict[str, str]:
    """Paths of `prometheus` and `promtool`, fetched by the project's own script."""
    done = subprocess.run(
        ["bash", str(PROMETHEUS_DIR / "fetch.sh")],
        capture_output=True,
        text=True,
        timeout=FETCH_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"deploy/prometheus/fetch.sh failed:\n{done.stderr}"
    paths = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert {"PROMETHEUS", "PROMTOOL"} <= paths.keys(), done.stdout
    return paths


def promtool(tools: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tools["PROMTOOL"], *args],
        capture_output=True,
        text=True,
        timeout=PROMTOOL_TIMEOUT_SECONDS,
        check=False,
        cwd=PROMETHEUS_DIR,
    )


def test_rules_pass_promtool_check_and_their_unit_tests(prometheus_tools: dict[str, str]) -> None:
    checked = promtool(prometheus_tools, "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool(prometheus_tools, "test", "rules", str(RULE_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_unit_test_that_fires_it_and_runbook_annotations() -> None:
    rules = [rule for group in yaml.safe_load(RULES.read_text())["groups"]
             for rule in group["rules"]]  # fmt: skip
    alerts = {rule["alert"]: rule for rule in rules if "alert" in rule}
    fired = {
        case["alertname"]
        for test in yaml.safe_load(RULE_TESTS.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert sorted(set(alerts) - fired) == [], "alerts no unit test makes fire"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys(), name
        assert f"({name})" in rule["annotations"]["runbook"], name
    section = re.search(r"## Alerting rules and dashboard\n(.*?)(?=\n## |\Z)",
                        (ROOT / "docs" / "operations.md").read_text(), re.S)  # fmt: skip
    assert section, "docs/operations.md has no 'Alerting rules and dashboard' section"
    undocumented = [name for name in alerts if f"`{name}`" not in section.group(1)]
    assert undocumented == [], "alerts not described in docs/operations.md"


def test_example_prometheus_config_passes_promtool(prometheus_tools: dict[str, str]) -> None:
    checked = promtool(prometheus_tools, "check", "config", str(CONFIG))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    jobs = {job["job_name"] for job in yaml.safe_load(CONFIG.read_text())["scrape_configs"]}
    assert jobs == JOBS


# --- the dashboard, without a server -----------------------------------------------------------


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, query) for every target of every panel, rows' nested panels included."""
    found = []
    for panel in dashboard["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                found.append((inner["title"], target["expr"]))
    return found


def substitute(expr: str) -> str:
    # Longest names first: $__range must not be read as part of $__rate_interval's prefix.
    for name in sorted(SUBSTITUTIONS, key=len, reverse=True):
        expr = expr.replace(name, SUBSTITUTIONS[name])
    return expr


def test_dashboard_json_is_the_generated_one_and_uses_its_variables() -> None:
    built = subprocess.run(
        [sys.executable, str(DASHBOARD_DIR / "build_dashboard.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert {"job", "instance"} <= variables.keys()
    queries = dashboard_queries(dashboard)
    assert len(queries) >= 30
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])
    for title, expr in queries:
        assert "$" not in substitute(expr), (title, expr)
        if "wirewatch_" in expr or "process_" in expr or "up{" in expr:
            assert 'job=~"$job", instance=~"$instance"' in expr, (title, expr)


# --- metric names in the rules -----------------------------------------------------------------


def metric_names(expr: str) -> set[str]:
    """The metric (and recorded series) names a PromQL expression selects."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", " ", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][\w:]*", expr):
        if expr[match.end() :].lstrip().startswith("(") or match.group() in PROMQL_KEYWORDS:
            continue  # a function or an operator keyword
        names.add(match.group())
    return names


def rule_metric_names() -> tuple[set[str], set[str]]:
    """(scraped metric names, recorded series names) that rules.yml reads."""
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    read = set().union(*(metric_names(r["expr"]) for r in rules))
    return read - recorded, recorded


def test_metric_names_are_read_from_rule_expressions() -> None:
    assert metric_names(
        'sum by (stage) (rate(wirewatch_items_processed_total{outcome="dead_letter"}[15m]))'
        ' / on () group_left max(up{job=~"a|b"}) > 1.5 * 1024 ^ 3 and absent(x_y == 1)'
        " or wirewatch:lag:sum offset 5m"
    ) == {"wirewatch_items_processed_total", "up", "x_y", "wirewatch:lag:sum"}
    scraped, recorded = rule_metric_names()
    assert {"wirewatch_broker_connected", "wirewatch_consumer_group_lag", "up"} <= scraped
    assert "wirewatch:consumer_group_lag:sum" in recorded


# --- a real Prometheus scraping a running pipeline ---------------------------------------------


class PrometheusServer:
    def __init__(self, port: int, popen: subprocess.Popen[str], log_path: Path) -> None:
        self.port, self.popen, self.log_path = port, popen, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}" + (f"?{query}" if query else "")
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result: the samples of a vector (or a one-element scalar)."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=5) as r:
                return int(r.status) == 200
        except (urllib.error.URLError, OSError):
            return False


@pytest.fixture
def prometheus_server(
    prometheus_tools: dict[str, str], tmp_path: Path, wirewatch_env: dict[str, str]
) -> Iterator[PrometheusServer]:
    """Prometheus on a free loopback port, scraping the worker and poller ports of
    `wirewatch_env` every second and evaluating rules.yml every second, storage in tmp_path."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": "wirewatch-worker", "static_configs": [
                {"targets": [f"127.0.0.1:{wirewatch_env['WIREWATCH_WORKER_METRICS_PORT']}"]}]},
            {"job_name": "wirewatch-poller", "static_configs": [
                {"targets": [f"127.0.0.1:{wirewatch_env['WIREWATCH_POLLER_METRICS_PORT']}"]}]},
        ],
    }  # fmt: skip
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = tmp_path / "prometheus.log"
    with log_path.open("w") as log:
        popen = subprocess.Popen(
            [prometheus_tools["PROMETHEUS"], f"--config.file={config_path}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}",
             "--storage.tsdb.retention.time=1h"],
            stdout=log, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        )  # fmt: skip
    server = PrometheusServer(port, popen, log_path)
    try:
        deadline = time.monotonic() + PROMETHEUS_READY_SECONDS
        while not server.ready():
            if popen.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Prometheus did not start:\n{server.log()}")
            time.sleep(0.5)
        yield server
    finally:
        stop_process(popen, 20)


def finite(samples: list[dict[str, Any]]) -> bool:
    return any(math.isfinite(float(s["value"][1])) for s in samples)


def failing_panel_queries(server: PrometheusServer, queries: list[tuple[str, str]]) -> list[str]:
    """The queries that return nothing, or only NaN/Inf, now; with what they returned."""
    failing = []
    for title, expr in queries:
        samples = server.query(substitute(expr))
        if not finite(samples):
            failing.append(f"{title}: {substitute(expr)} -> {samples[:3]}")
    return failing


def wait_for(
    condition: Callable[[], bool], seconds: float, what: str, log: Callable[[], str]
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(QUERY_POLL_SECONDS)
    pytest.fail(f"not within {seconds} s: {what}\n{log()}")


def late_wave(feed: bytes, other: str) -> bytes:
    """`feed` (RSS 2.0) with the items of the `other` RSS 2.0 document added to its channel."""
    items = "".join(re.findall(r"<item>.*?</item>", other, flags=re.DOTALL))
    text = feed.decode("utf-8")
    assert items and text.count("</channel>") == 1
    return text.replace("</channel>", f"{items}</channel>").encode("utf-8")


@pytest.mark.integration
def test_every_dashboard_query_and_rule_metric_has_data_from_a_running_pipeline(
    prometheus_server: PrometheusServer,
    feed_server: FeedServer,
    wirewatch_env: dict[str, str],
    spawn: Callable[..., Any],
) -> None:
    # Wave one: a multilingual feed that raises alerts, a feed with an entry the enrich stage
    # refuses (an enrich dead letter), a document feedparser cannot read (a poll dead letter) and
    # a feed not there yet (404: a failed fetch and a back-off).
    served = feed_server.directory
    shutil.copy(FIXTURES / "feeds" / "mixed_multilingual.xml", served)
    (served / "poison.xml").write_text(POISON_ENTRY_FEED)
    (served / "broken.xml").write_text(BROKEN_FEED)
    names = ("mixed_multilingual.xml", "poison.xml", "broken.xml", "late.xml")
    env = dict(
        wirewatch_env,
        WIREWATCH_FEEDS=",".join(feed_server.url(n) for n in names),
        WIREWATCH_POLL_INTERVAL_SECONDS="2",
    )
    worker = spawn(["worker"], env)
    poller = spawn(["poll"], env)

    def logs() -> str:
        seen = {
            expr: [(s["metric"], s["value"][1]) for s in prometheus_server.query(expr)]
            for expr in DIAGNOSTICS
        }
        return (f"--- scraped ---\n{json.dumps(seen, indent=1)}\n"
                f"--- worker ---\n{worker.output()}\n--- poller ---\n{poller.output()}\n"
                f"--- prometheus ---\n{prometheus_server.log()}")  # fmt: skip

    def articles() -> float:
        found = prometheus_server.query(
            'sum(wirewatch_items_processed_total{stage="enrich", outcome="ok"})'
        )
        return float(found[0]["value"][1]) if found else 0.0

    mixed = (FIXTURES / "feeds" / "mixed_multilingual.xml").read_bytes()
    entries = len(
        parse_feed(mixed, FeedSource.from_url(feed_server.url(names[0])), datetime.now(UTC)).items
    )
    first_wave = entries + 1  # and the good entry beside the poison one
    wait_for(lambda: articles() >= first_wave, FIRST_ARTICLES_SECONDS, "first wave", logs)
    # Wave two, once Prometheus has seen the first: the same stories from another feed (new
    # item ids), so rates and latency quantiles move inside the query window, and a few new
    # stories, so the link stage's counters move too (when Prometheus first scraped the worker
    # only after wave one was linked, the link panels had no rate: seen once under load).
    late = late_wave(mixed, (FIXTURES / "feeds" / "rss2_basic.xml").read_text("utf-8"))
    (served / "late.xml").write_bytes(late)
    late_entries = len(
        parse_feed(late, FeedSource.from_url(feed_server.url(names[3])), datetime.now(UTC)).items
    )
    assert late_entries > entries
    wait_for(lambda: articles() >= first_wave + late_entries, ALL_QUERIES_SECONDS,
             "second wave", logs)  # fmt: skip

    queries = dashboard_queries(json.loads(DASHBOARD.read_text()))
    failing: list[str] = []

    def all_answer() -> bool:
        failing[:] = failing_panel_queries(prometheus_server, queries)
        return not failing

    deadline = time.monotonic() + ALL_QUERIES_SECONDS
    while not all_answer() and time.monotonic() < deadline:
        time.sleep(QUERY_POLL_SECONDS)

    # The variables' queries: label_values(up{job=~"wirewatch-.*"}, job) and the instances.
    series = prometheus_server.api("series", **{"match[]": 'up{job=~"wirewatch-.*"}'})
    assert {s["job"] for s in series} == JOBS
    assert len({s["instance"] for s in series}) == 2

    # Every metric the rules read exists in what Prometheus scraped, every recording rule
    # produced series, and no rule failed to evaluate on the real data.
    scraped_names = set(prometheus_server.api("label/__name__/values"))
    read, recorded = rule_metric_names()
    missing_metrics = sorted(read - scraped_names)
    missing_recorded = sorted(recorded - scraped_names)
    groups = prometheus_server.api("rules")["groups"]
    rule_errors = [
        f"{rule['name']}: {rule.get('lastError')}"
        for group in groups
        for rule in group["rules"]
        if rule["health"] != "ok"
    ]
    problems = {
        "dashboard queries without data": failing,
        "metrics the rules read that no process exports": missing_metrics,
        "recording rules without series": missing_recorded,
        "rules failing to evaluate": rule_errors,
    }
    assert not any(problems.values()), json.dumps(problems, indent=2) + "\n" + logs()
