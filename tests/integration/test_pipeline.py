"""The worker's agents on a real Kafka 4 broker: raw-items → articles → alerts, dead letters."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from kafka_io import consume, produce, validate

from streams.codec import encode_record
from streams.feeds.identity import derive_item_id
from streams.kafka.admin import ensure_topics
from streams.records import RawItem
from streams.settings import load_settings

pytestmark = pytest.mark.integration

FLOW_TIMEOUT_SECONDS = 120

# Items of our own writing: (language, title, summary, topics that must be tagged)
ITEMS = [
    (
        "en",
        "Hackers knock election commission website offline with DDoS attack",
        "<p>The cyberattack hit the voter registration portal two days before the vote.</p>",
        {"cyberattack", "elections"},
    ),
    (
        "ar",
        "انطلاق الانتخابات البرلمانية وسط إقبال كبير على مراكز الاقتراع",
        "<p>توجه الناخبون صباح اليوم للإدلاء بأصواتهم في الانتخابات.</p>",
        {"elections"},
    ),
    (
        "fr",
        "Un violent séisme frappe le sud du pays, des centaines de sans-abri",
        "Le tremblement de terre de magnitude 6,8 a détruit plusieurs villages.",
        {"natural_disaster"},
    ),
    (
        "de",
        "Tausende demonstrieren in Berlin gegen die Rentenreform",
        "Die Demonstranten zogen mit Plakaten vor das Kanzleramt.",
        {"protest"},
    ),
]


def raw_item(index: int, language: str, title: str, summary: str) -> RawItem:
    feed_id = "f-test"
    guid = f"urn:test:{index}"
    return RawItem(
        item_id=derive_item_id(feed_id, guid, None, title, summary),
        feed_id=feed_id,
        feed_url="http://127.0.0.1/test.xml",
        source="Test Wire",
        guid=guid,
        link=f"https://news.example/{index}?utm_source=feed",
        title=title,
        summary=summary,
        language_hint=None,
        published_at=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 26, 8, 1, tzinfo=UTC),
    )


def assert_classify_agrees_with_pipeline(items: list[RawItem], articles: dict[str, Any]) -> None:
    """`wirewatch classify` on the same items prints what the articles topic carries."""
    lines = "\n".join(
        json.dumps({"id": i.item_id, "title": i.title, "summary": i.summary, "link": i.link})
        for i in items
    )
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "classify"],
        input=lines, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    for line in done.stdout.splitlines():
        result = json.loads(line)
        article = articles[result["id"]]
        assert result["language"] == article["language"]
        assert result["topics"] == article["topics"]


def alerted_items(records: list[Any]) -> set[str]:
    return {item["item_id"] for r in records for item in orjson.loads(r.value)["items"]}


def scrape(port: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text: str = response.read().decode()
    return text


def test_agents_consume_and_produce_orjson_records_on_real_kafka(
    wirewatch_env: dict[str, str], spawn: Callable[..., object]
) -> None:
    settings = load_settings(environ=wirewatch_env)
    asyncio.run(ensure_topics(settings))
    items = [raw_item(i, lang, title, summary) for i, (lang, title, summary, _) in enumerate(ITEMS)]
    poison = [
        (b"poison-1", b"\xff\xfe not json at all"),
        (b"poison-2", orjson.dumps({"schema_version": 1, "item_id": "i-1", "title": 3})),
    ]
    messages = [(item.item_id.encode(), encode_record(item)) for item in items]
    asyncio.run(produce(settings.broker, settings.topic("raw-items"), messages[:2] + poison
                        + messages[2:]))  # fmt: skip

    worker = spawn(["worker"], wirewatch_env)
    articles = asyncio.run(
        consume(settings.broker, settings.topic("articles"), lambda r: len(r) >= len(items),
                FLOW_TIMEOUT_SECONDS, settle_seconds=2.0)
    )  # fmt: skip
    assert len(articles) == len(items), worker.output()  # type: ignore[attr-defined]
    values = {v["item_id"]: v for v in validate(articles, "article")}
    for item, (language, _title, _summary, topics) in zip(items, ITEMS, strict=True):
        article = values[item.item_id]
        assert article["language"]["code"] == language, article
        assert topics <= {t["id"] for t in article["topics"]}, article
        assert "<p>" not in article["summary"]
        assert "utm_source" not in (article["link"] or "")
    assert {r.key for r in articles} == {item.item_id.encode() for item in items}
    assert_classify_agrees_with_pipeline(items, values)

    letters = asyncio.run(
        consume(settings.broker, settings.topic("dead-letters"), lambda r: len(r) >= 2,
                FLOW_TIMEOUT_SECONDS)
    )  # fmt: skip
    dead = validate(letters, "dead_letter")
    assert {d["stage"] for d in dead} == {"enrich"}
    assert {d["item_id"] for d in dead} == {"poison-1", "poison-2"}
    by_key = {d["item_id"]: d for d in dead}
    assert by_key["poison-1"]["payload_encoding"] == "base64"
    assert by_key["poison-1"]["error_type"] == "DecodeError"
    assert "schema_version" in by_key["poison-2"]["payload"]

    alerts = asyncio.run(
        consume(settings.broker, settings.topic("alerts"),
                lambda r: alerted_items(r) >= set(values), FLOW_TIMEOUT_SECONDS)
    )  # fmt: skip
    alert_values = validate(alerts, "alert")
    story_alerts = [a for a in alert_values if a["kind"] == "story"]
    # Four different stories: each item's alerts name that item alone, keyed by the alert id.
    assert {i["item_id"] for a in story_alerts for i in a["items"]} == set(values)
    assert all(a["source_count"] == 1 and a["revision"] == 1 for a in story_alerts)
    assert {r.key.decode() for r in alerts if r.key} == {a["alert_id"] for a in alert_values}
    assert any(a["severity"] == "critical" for a in story_alerts)

    deadline = time.monotonic() + 10
    metrics = scrape(wirewatch_env["WIREWATCH_WORKER_METRICS_PORT"])
    while 'stage="alert"' not in metrics and time.monotonic() < deadline:
        time.sleep(0.5)
        metrics = scrape(wirewatch_env["WIREWATCH_WORKER_METRICS_PORT"])
    assert 'wirewatch_items_processed_total{outcome="ok",stage="enrich"} 4.0' in metrics
    assert 'wirewatch_items_processed_total{outcome="dead_letter",stage="enrich"} 2.0' in metrics
    assert 'wirewatch_stage_errors_total{error_type="DecodeError",stage="enrich"}' in metrics
