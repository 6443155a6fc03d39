"""A running process's /metrics page read as Prometheus reads it, and the checks the worker's and
the poller's health tests share: the page parses (prometheus_client's parser, what `promtool
check metrics` reads), build and process metrics are there, no other process's metric is, and the
consumer group's lag."""

from __future__ import annotations

import json
from typing import Any

from http_probe import get
from metric_families import POLLER_ONLY, WORKER_ONLY
from prometheus_client.parser import text_string_to_metric_families

LAG = "wirewatch_consumer_group_lag"


def families(port: str) -> dict[str, Any]:
    """The page's metric families by name; the parser raises on an invalid page."""
    status, text = get(port, "/metrics")
    assert status == 200, (status, text[:500])
    return {family.name: family for family in text_string_to_metric_families(text)}


def sample(page: dict[str, Any], family: str, name: str | None = None, **labels: str) -> float:
    """The value of the one sample `name` (default: the family's name) with `labels`."""
    found = [
        s.value
        for s in page[family].samples
        if s.name == (name or family) and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (family, name, labels, page[family].samples)
    return float(found[0])


def group_lag(port: str) -> dict[tuple[str, str, str], float]:
    """wirewatch_consumer_group_lag by (group, topic, partition); empty before the first read."""
    page = families(port)
    if LAG not in page:
        return {}
    return {
        (s.labels["group"], s.labels["topic"], s.labels["partition"]): s.value
        for s in page[LAG].samples
    }


def assert_own_metrics_only(page: dict[str, Any], role: str) -> None:
    """Build info, process metrics and Python info are there; no metric of the other process."""
    (info,) = page["wirewatch_build_info"].samples
    assert info.value == 1 and set(info.labels) == {"version", "python", "faust", "aiokafka"}
    assert sample(page, "process_resident_memory_bytes") > 10 * 1024 * 1024  # a real process
    assert sample(page, "process_open_fds") > 0 and "python_info" in page
    assert LAG in page
    other = POLLER_ONLY if role == "worker" else WORKER_ONLY
    assert not other & set(page), other & set(page)
    own = WORKER_ONLY if role == "worker" else POLLER_ONLY
    assert own <= set(page), own - set(page)
    stages = {
        s.labels["stage"]
        for name in ("wirewatch_items_received", "wirewatch_items_processed")
        for s in page[name].samples
    }
    worker_stages = {"enrich", "story", "alert", "spike", "link"}
    assert stages == (worker_stages if role == "worker" else {"poll"})
    assert not any(name.endswith("_created") for name in page)


def json_log_problems(log: str, role: str) -> list[str]:
    """Lines of a process's output that are not one JSON log object of `role` with the agreed
    fields (log_format = "json")."""
    problems = []
    for line in log.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"not JSON: {line}")
            continue
        missing = {"time", "level", "logger", "message", "role"} - set(entry)
        if missing or entry["role"] != role or not str(entry["time"]).endswith("Z"):
            problems.append(f"fields {sorted(missing)} missing or wrong role/time: {line}")
    return problems
