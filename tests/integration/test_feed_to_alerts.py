"""Feed → Kafka → articles → alerts, with real HTTP feeds, the real poller, worker and broker."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from conftest import FIXTURES, FeedServer
from kafka_io import consume, validate

from streams.alerts.rule_file import load_configured_rules
from streams.alerts.rules import match_rules
from streams.codec import decode_article
from streams.feeds.parse import FeedSource, parse_feed
from streams.settings import load_settings

pytestmark = pytest.mark.integration

FLOW_TIMEOUT_SECONDS = 150
# Several poll rounds happen in this time; none may re-emit an entry.
SETTLE_SECONDS = 8.0

# One entry that the enrich stage cannot handle (its title is only an image) beside a good one.
POISON_ENTRY_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Poison Test Wire</title><link>https://p.example/</link>
<item><guid isPermaLink="false">poison-1</guid>
<title><![CDATA[<img src="x.png">]]></title></item>
<item><guid isPermaLink="false">good-1</guid>
<title>Flash floods sweep through river towns after record rainfall</title>
<description>Rescue teams evacuated hundreds of residents as the flooding spread.</description>
</item>
</channel></rss>
"""
# A character reference to a lone surrogate makes feedparser itself raise: a poison document.
BROKEN_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Broken</title>
<item><guid>b-1</guid><title>bad &#xD800; title</title></item></channel></rss>
"""


def expectations() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "sample_expectations.json").read_text())
    return data


def test_every_entry_reaches_articles_once_with_language_topics_and_alerts(
    feed_server: FeedServer, wirewatch_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    shutil.copy(FIXTURES / "feeds" / "mixed_multilingual.xml", feed_server.directory)
    (feed_server.directory / "poison.xml").write_text(POISON_ENTRY_FEED)
    (feed_server.directory / "broken.xml").write_text(BROKEN_FEED)
    urls = [feed_server.url(n) for n in ("mixed_multilingual.xml", "poison.xml", "broken.xml")]
    env = dict(wirewatch_env, WIREWATCH_FEEDS=",".join(urls), WIREWATCH_POLL_INTERVAL_SECONDS="2")
    settings = load_settings(environ=env)

    now = datetime.now(UTC)
    mixed = parse_feed(
        (FIXTURES / "feeds" / "mixed_multilingual.xml").read_bytes(),
        FeedSource.from_url(urls[0]),
        now,
    ).items
    guid_of = {item.item_id: (item.guid or "").rsplit("/", 1)[-1] for item in mixed}
    poison = parse_feed(POISON_ENTRY_FEED.encode(), FeedSource.from_url(urls[1]), now).items
    poison_id, good_id = (item.item_id for item in poison)
    expected_ids = set(guid_of) | {good_id}

    worker = spawn(["worker"], env)
    poller = spawn(["poll"], env)
    records = asyncio.run(
        consume(settings.broker, settings.topic("articles"),
                lambda r: {x.key for x in r} >= {i.encode() for i in expected_ids},
                FLOW_TIMEOUT_SECONDS, settle_seconds=SETTLE_SECONDS)
    )  # fmt: skip
    keys = Counter((r.key or b"").decode() for r in records)
    assert set(keys) == expected_ids, worker.output() + poller.output()
    assert all(count == 1 for count in keys.values()), f"re-emitted: {keys}"

    truth = expectations()["mixed_multilingual"]
    articles = {a["item_id"]: a for a in validate(records, "article")}
    wrong = []
    for item_id, guid in guid_of.items():
        article, expected = articles[item_id], truth[guid]
        got_topics = sorted(t["id"] for t in article["topics"])
        if article["language"]["code"] != expected["language"] or got_topics != sorted(
            expected["topics"]
        ):
            wrong.append((guid, article["language"]["code"], got_topics, expected))
    assert not wrong, wrong
    assert [t["id"] for t in articles[good_id]["topics"]] == ["natural_disaster"]

    # The items the bundled alert rules pick, by the same pure function the alert stage runs.
    rules = load_configured_rules("", settings.watch)
    by_id = {r.key.decode(): r.value for r in records if r.key}
    expected = {
        item_id
        for item_id in articles
        if match_rules(replace(decode_article(by_id[item_id]), story_id="s"), rules)
    }
    assert expected, "the sample feeds should raise some alerts"

    def alerted(found: list[Any]) -> set[str]:
        return {i["item_id"] for r in found for i in orjson.loads(r.value)["items"]}

    alerts = asyncio.run(
        consume(settings.broker, settings.topic("alerts"), lambda r: alerted(r) >= expected,
                FLOW_TIMEOUT_SECONDS, settle_seconds=2.0)
    )  # fmt: skip
    story_alerts = [a for a in validate(alerts, "alert") if a["kind"] == "story"]
    assert {i["item_id"] for a in story_alerts for i in a["items"]} == expected

    letters = asyncio.run(
        consume(settings.broker, settings.topic("dead-letters"), lambda r: len(r) >= 2,
                FLOW_TIMEOUT_SECONDS)
    )  # fmt: skip
    dead = validate(letters, "dead_letter")
    enrich_letters = [d for d in dead if d["stage"] == "enrich"]
    poll_letters = [d for d in dead if d["stage"] == "poll"]
    assert [d["item_id"] for d in enrich_letters] == [poison_id]
    assert enrich_letters[0]["error_type"] == "ContentError"
    assert '<img src=\\"x.png\\">' in enrich_letters[0]["payload"]
    assert poll_letters and poll_letters[0]["extra"]["feed_url"] == urls[2]
    assert "&#xD800;" in poll_letters[0]["payload"]


def test_restarted_poller_does_not_re_emit_entries_it_already_sent(
    feed_server: FeedServer, wirewatch_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    shutil.copy(FIXTURES / "feeds" / "mixed_multilingual.xml", feed_server.directory)
    env = dict(
        wirewatch_env,
        WIREWATCH_FEEDS=feed_server.url("mixed_multilingual.xml"),
        WIREWATCH_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_MAX_POLL_INTERVAL_SECONDS="1",
    )
    settings = load_settings(environ=env)
    topic = settings.topic("raw-items")
    first = spawn(["poll"], env)
    sent = asyncio.run(
        consume(settings.broker, topic, lambda r: len(r) >= 12, FLOW_TIMEOUT_SECONDS)
    )
    assert len(sent) == 12, first.output()
    assert first.stop() == 0

    second = spawn(["poll"], env)
    deadline = time.monotonic() + FLOW_TIMEOUT_SECONDS
    while second.output().count("poll round done") < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert second.output().count("poll round done") >= 3, second.output()
    everything = asyncio.run(consume(settings.broker, topic, lambda r: False, 5.0))
    assert len(everything) == 12
