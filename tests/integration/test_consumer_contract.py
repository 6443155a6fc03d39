"""The consumer contract on a real Kafka 4 broker (docs/topics.md, Headers and Compatibility).

- Every message the CLI, the poller and the worker write carries the headers of its record.
- examples/alert_consumer.py, run as a consumer would run it, keeps the latest revision of every
  alert the real worker raised, and ignores an older revision sent again after a newer one, a
  duplicate, and a message of a major it does not read.
- `kafka.sh consumer-groups` lists the groups and shows the example's committed offsets, and
  `kafka.sh console-consumer` prints messages with their headers, both offline from the cached jars.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from conftest import ROOT
from feed_site import FeedSite, Route, rss, serve_site
from kafka_io import consume, produce, validate

from streams.codec import (
    CONTENT_TYPE,
    DECODERS,
    NDJSON_CONTENT_TYPE,
    encode_record,
    message_headers,
    split_records,
)
from streams.feeds.identity import derive_item_id
from streams.kafka.admin import ensure_topics
from streams.records import RawItem
from streams.settings import VERSION, Settings, load_settings

pytestmark = pytest.mark.integration

FLOW_TIMEOUT_SECONDS = 120
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
EXAMPLE = ROOT / "examples" / "alert_consumer.py"
TOOL_TIMEOUT_SECONDS = 60

Message: TypeAlias = ConsumerRecord[bytes, bytes]

STORY = (
    "Ransomware attack cripples national port operator {variant}",
    "Hackers encrypted the servers of the national port operator in a ransomware cyberattack on "
    "Monday, forcing crews to load ships by hand, the company said.",
)
VARIANTS = ["", "overnight", "say officials"]


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with serve_site() as served:
        yield served


def read(settings: Settings, suffix: str, count: int, settle: float = 0.0) -> list[Message]:
    return asyncio.run(
        consume(
            settings.broker,
            settings.topic(suffix),
            lambda r: len(r) >= count,
            FLOW_TIMEOUT_SECONDS,
            settle_seconds=settle,
        )
    )


def assert_headers_match_records(messages: list[Message], record: str) -> None:
    """Each message's headers name the record its value decodes to, with the payload's version."""
    assert messages, f"no {record} messages"
    for message in messages:
        headers = dict(message.headers)
        lines = headers["content-type"] == NDJSON_CONTENT_TYPE.encode()
        # A message of several records holds them one per line, each of the named record.
        for value in split_records(message.value or b"") if lines else [message.value or b""]:
            decoded = DECODERS[record](value)
            content_type = NDJSON_CONTENT_TYPE if lines else CONTENT_TYPE
            assert list(headers.items()) == message_headers(decoded, content_type), headers
            payload_version = orjson.loads(value).get("schema_version", 1)
            assert headers["wirewatch-schema-version"] == str(payload_version).encode()
            assert headers["wirewatch-version"] == VERSION.encode()


def cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_cli_and_poller_messages_carry_the_headers_of_their_record(
    site: FeedSite, wirewatch_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    env = dict(
        wirewatch_env, WIREWATCH_POLL_INTERVAL_SECONDS="1", WIREWATCH_MAX_POLL_INTERVAL_SECONDS="1"
    )
    settings = load_settings(environ=env)
    site.routes["/news.xml"] = Route(rss("News", [("a", "First story"), ("b", "Second story")]))
    site.routes["/broken.xml"] = Route(b"<html><body>not a feed</body></html>")
    cli(["feeds", "add", site.url("/news.xml"), "--name", "News"], env)
    cli(["feeds", "add", site.url("/broken.xml"), "--name", "Broken"], env)
    poller = spawn(["poll"], env)

    raw = read(settings, "raw-items", 2)
    assert_headers_match_records(raw, "raw_item")
    letters = read(settings, "dead-letters", 1)
    assert_headers_match_records(letters, "dead_letter")
    assert orjson.loads(letters[0].value or b"")["stage"] == "poll", poller.output()
    states = read(settings, "feed-state", 2)
    assert_headers_match_records(states, "feed_state")
    assert poller.stop() == 0

    cli(["feeds", "remove", site.url("/broken.xml")], env)
    feeds = read(settings, "feeds", 3)
    registrations = [m for m in feeds if m.value is not None]
    assert_headers_match_records(registrations, "feed_registration")
    (removed,) = [m for m in feeds if m.value is None]
    assert dict(removed.headers) == {
        "wirewatch-record": b"FeedRegistration",
        "wirewatch-schema-version": b"1",
        "wirewatch-version": VERSION.encode(),
    }
    state_tombstones = [m for m in read(settings, "feed-state", 3) if m.value is None]
    assert [dict(m.headers)["wirewatch-record"] for m in state_tombstones] == [b"FeedState"]


def story_item(outlet: int, at: datetime) -> RawItem:
    feed_id = f"f-port-{outlet:02d}"
    title = STORY[0].format(variant=VARIANTS[outlet]).strip()
    return RawItem(
        item_id=derive_item_id(feed_id, f"port-{outlet}", None, title, STORY[1]),
        feed_id=feed_id,
        feed_url=f"http://127.0.0.1/port-{outlet}.xml",
        source=f"Outlet {outlet:02d}",
        guid=f"port-{outlet}",
        link=f"https://outlet{outlet}.example/news/port",
        title=title,
        summary=STORY[1],
        language_hint="en",
        published_at=at,
        fetched_at=at,
    )


async def send_with_headers(broker: str, topic: str, messages: list[Message]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for message in messages:
            await producer.send_and_wait(
                topic, message.value, key=message.key, headers=list(message.headers)
            )
    finally:
        await producer.stop()


def kafka_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAFKA_SH), *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS
    )


def test_worker_messages_carry_headers_and_the_example_consumer_keeps_the_latest_revisions(
    wirewatch_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    settings = load_settings(environ=wirewatch_env)
    asyncio.run(ensure_topics(settings))
    now = datetime.now(UTC)
    items = [story_item(outlet, now + timedelta(seconds=outlet)) for outlet in range(3)]
    poison = (b"poison", b"\xff not json")
    asyncio.run(
        produce(
            settings.broker,
            settings.topic("raw-items"),
            [(i.item_id.encode(), encode_record(i)) for i in items] + [poison],
        )
    )
    worker = spawn(["worker"], wirewatch_env)

    def three_sources(records: list[Message]) -> bool:
        return any(orjson.loads(r.value or b"")["source_count"] >= 3 for r in records)

    alerts = asyncio.run(
        consume(
            settings.broker,
            settings.topic("alerts"),
            three_sources,
            FLOW_TIMEOUT_SECONDS,
            settle_seconds=2.0,
        )
    )
    assert three_sources(alerts), worker.output()
    validate(alerts, "alert")
    assert_headers_match_records(alerts, "alert")
    for suffix, record, count in [
        ("articles", "article", 3),
        ("story-route", "article", 1),  # the enrich batch's articles of one key, one per line
        ("story-articles", "article", 3),
        # One message per spike key and enrich batch: at least cyberattack and cyberattack|en.
        ("topic-events", "topic_event_batch", 2),
        ("story-starts", "story_started", 1),  # the story's first item, for the link stage
        ("dead-letters", "dead_letter", 1),
    ]:
        assert_headers_match_records(read(settings, suffix, count), record)

    # What a consumer meets on a real topic besides the worker's own messages: revision 1 of the
    # story alert again after revision 3 (an older revision arriving late), revision 3 again (a
    # duplicate after a crash), and an alert of a major this consumer does not read.
    by_revision = {
        orjson.loads(m.value or b"")["revision"]: m
        for m in alerts
        if orjson.loads(m.value or b"")["rule_id"] == "cyberattack"
    }
    assert sorted(by_revision) == [1, 2, 3], by_revision
    future = orjson.loads(by_revision[3].value or b"")
    future.update(alert_id="a-00000000000000000000ffff", schema_version=3)
    future_headers = [
        (k, b"3" if k == "wirewatch-schema-version" else v) for k, v in by_revision[3].headers
    ]
    future_message = dataclasses.replace(
        by_revision[3],
        key=b"a-00000000000000000000ffff",
        value=orjson.dumps(future),
        headers=future_headers,
    )
    asyncio.run(
        send_with_headers(
            settings.broker,
            settings.topic("alerts"),
            [by_revision[1], by_revision[3], future_message],
        )
    )
    total = len(alerts) + 3

    group = f"{settings.app_id}-example-viewer"
    done = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE),
            "--broker",
            settings.broker,
            "--topic",
            settings.topic("alerts"),
            "--group",
            group,
            "--max-messages",
            str(total),
            "--idle-seconds",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=FLOW_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, done.stderr
    held = {a["alert_id"]: a for a in map(orjson.loads, done.stdout.splitlines())}
    log = done.stderr.splitlines()
    assert len(log) == total, done.stderr
    newest: dict[str, int] = {}
    for message in alerts:
        value = orjson.loads(message.value or b"")
        newest[value["alert_id"]] = max(newest.get(value["alert_id"], 0), value["revision"])
    assert {alert_id: a["revision"] for alert_id, a in held.items()} == newest
    story = held[orjson.loads(by_revision[3].value or b"")["alert_id"]]
    assert story["revision"] == 3 and sorted(story["sources"]) == [i.source for i in items]
    story_id = story["alert_id"]
    assert f"ignored {story_id} revision 1 (holding 3)" in "\n".join(log)
    assert f"ignored {story_id} revision 3 (holding 3)" in "\n".join(log)
    assert sum("skipped" in line and "Alert major 3" in line for line in log) == 1, log

    # Kafka's own tools, from the cached jars: our groups, the example's offsets, the messages.
    listed = kafka_tool("consumer-groups", "--bootstrap-server", settings.broker, "--list")
    assert listed.returncode == 0, listed.stderr
    assert {group, settings.app_id} <= set(listed.stdout.split()), listed.stdout
    described = kafka_tool(
        "consumer-groups", "--bootstrap-server", settings.broker, "--describe", "--group", group
    )
    assert described.returncode == 0, described.stderr
    rows = [line.split() for line in described.stdout.splitlines() if line.startswith(group)]
    # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...: all read, all committed.
    assert rows and all(row[1] == settings.topic("alerts") and row[5] == "0" for row in rows), (
        described.stdout
    )
    assert sum(int(row[3]) for row in rows) == total

    printed = kafka_tool(
        "console-consumer",
        "--bootstrap-server",
        settings.broker,
        "--topic",
        settings.topic("alerts"),
        "--from-beginning",
        "--max-messages",
        "2",
        "--timeout-ms",
        "20000",
        "--property",
        "print.key=true",
        "--property",
        "print.headers=true",
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert len(lines) == 2, printed.stdout
    for line in lines:
        headers, key, value = line.split("\t", 2)
        assert "content-type:application/json" in headers and "wirewatch-record:Alert" in headers
        assert orjson.loads(value)["alert_id"] == key
