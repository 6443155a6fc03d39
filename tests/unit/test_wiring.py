"""Wiring without a broker: what `emit` and `process` send, count and keep, and routing's keys.

The topics are recording stand-ins with Faust's `send` signature: the unit under test is
Wiring's bookkeeping; `tests/integration` sends the same way through a real broker.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from prometheus_client import CollectorRegistry

from agents import faust_patches
from agents.wiring import Wiring
from streams.alerts.rules import Rule, build_rule_set
from streams.alerts.spikes import SpikeConfig
from streams.alerts.story import decide_story_alerts
from streams.codec import decode_alert, decode_article, decode_dead_letter, encode_record
from streams.deadletter import SourcePosition, guarded
from streams.kafka.topics import (
    ALERTS,
    ARTICLES,
    DEAD_LETTERS,
    STORY_ARTICLES,
    STORY_ROUTE,
    TOPIC_EVENTS,
)
from streams.metrics import Metrics
from streams.records import Article, Language, Stage, TopicTag
from streams.routing import (
    Outbound,
    alert_outputs,
    article_outputs,
    story_outputs,
    topic_event_outputs,
)
from streams.settings import VERSION, load_settings
from streams.stories.cluster import script_group

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class AppStandIn:
    """Stands for the Faust app a topic belongs to: delivery failures are remembered per app."""


@dataclass
class RecordingTopic:
    """Faust's `topic.send(key=, value=, headers=)`: returns the delivery future; here already
    delivered."""

    app: AppStandIn = field(default_factory=AppStandIn)
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    headers: list[dict[str, bytes]] = field(default_factory=list)
    fail: bool = False

    async def send(
        self, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> asyncio.Future[None]:
        self.sent.append((key, value))
        self.headers.append(dict(headers))
        delivery: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.fail:
            delivery.set_exception(RuntimeError("broker gone"))
        else:
            delivery.set_result(None)
        return delivery


def article(story_id: str | None = None) -> Article:
    return Article(
        item_id="i-1",
        feed_id="f-0000000000000001",
        source="Reuters",
        link="https://example.org/1",
        title="Ransomware attack shuts down port systems",
        summary="Hackers encrypted the terminal systems overnight.",
        language=Language("en", 0.99),
        topics=(TopicTag("cyberattack", 4.0, ("Ransomware",)),),
        published_at=NOW,
        fetched_at=NOW,
        enriched_at=NOW,
        story_id=story_id,
    )


def wiring() -> tuple[Wiring, dict[str, RecordingTopic], CollectorRegistry]:
    registry = CollectorRegistry()
    metrics = Metrics.create(registry, ("cyberattack",))
    suffixes = (ARTICLES, STORY_ROUTE, TOPIC_EVENTS, STORY_ARTICLES, ALERTS, DEAD_LETTERS)
    topics = {spec.suffix: RecordingTopic() for spec in suffixes}
    # The stages are not used by emit/process; building them would load every model.
    wired = Wiring(load_settings(environ={}), metrics, cast(Any, None), lambda: NOW)
    wired.topics.update(cast(Any, topics))
    return wired, topics, registry


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_emit_sends_each_output_to_its_topic_under_its_key_and_counts_it() -> None:
    wired, topics, registry = wiring()
    enriched = article_outputs(article(), SpikeConfig())
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", enriched.outputs))
    asyncio.run(wired.send(topic_event_outputs(enriched.topic_events)))
    assert [key for key, _ in topics[ARTICLES.suffix].sent] == [b"i-1"]
    assert decode_article(topics[ARTICLES.suffix].sent[0][1]).item_id == "i-1"
    group = script_group(article())
    assert [key for key, _ in topics[STORY_ROUTE.suffix].sent] == [group.encode()]
    assert topics[TOPIC_EVENTS.suffix].sent, "a tagged article is counted for spikes"
    assert sample(registry, "wirewatch_items_processed_total", stage="enrich", outcome="ok") == 1
    assert sample(registry, "wirewatch_topics_tagged_total", topic="cyberattack") == 1


def test_emit_sends_a_dead_letter_with_its_reason_and_counts_the_error() -> None:
    wired, topics, registry = wiring()

    def step(payload: bytes) -> tuple[Outbound, ...]:
        raise ValueError(f"not a RawItem: {payload!r}")

    letter = guarded(Stage.ENRICH, b"not json", step, NOW, SourcePosition("raw", 0, 7, "k"))
    asyncio.run(wired.emit(Stage.ENRICH, b"k", letter))
    ((key, value),) = topics[DEAD_LETTERS.suffix].sent
    dead = decode_dead_letter(value)
    assert key == b"k" and dead.stage == "enrich" and dead.reason
    assert not topics[ARTICLES.suffix].sent
    assert sample(registry, "wirewatch_items_processed_total", stage="enrich",
                  outcome="dead_letter") == 1  # fmt: skip


def test_every_message_sent_carries_the_headers_of_its_record() -> None:
    wired, topics, _ = wiring()
    enriched = article_outputs(article(), SpikeConfig())
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", enriched.outputs))
    asyncio.run(wired.send(topic_event_outputs(enriched.topic_events)))
    letter = guarded(Stage.ENRICH, b"{", json.loads, NOW, SourcePosition("raw", 0, 7, "k"))
    asyncio.run(wired.emit(Stage.ENRICH, b"k", letter))
    expected = {
        ARTICLES.suffix: (b"Article", b"3"),
        STORY_ROUTE.suffix: (b"Article", b"3"),
        TOPIC_EVENTS.suffix: (b"TopicEventBatch", b"1"),
        DEAD_LETTERS.suffix: (b"DeadLetter", b"1"),
    }
    for suffix, (record, version) in expected.items():
        assert topics[suffix].headers, suffix
        for headers in topics[suffix].headers:
            assert headers["content-type"] == b"application/json", suffix
            assert (headers["wirewatch-record"], headers["wirewatch-schema-version"]) == (
                record,
                version,
            ), suffix
            assert headers["wirewatch-version"] == VERSION.encode()


def test_a_failed_delivery_is_remembered_so_no_commit_passes_it() -> None:
    wired, topics, _ = wiring()
    topics[ARTICLES.suffix].fail = True
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", (Outbound(ARTICLES.suffix, "i-1", article()),)))
    assert isinstance(faust_patches.delivery_failure(topics[ARTICLES.suffix].app), RuntimeError)


def test_routing_keys_story_articles_by_story_and_alerts_by_alert_id() -> None:
    (out,) = story_outputs(article(story_id="s-1"))
    assert (out.topic, out.key) == (STORY_ARTICLES.suffix, "s-1")
    assert alert_outputs((), None) == ()


def test_routed_alerts_keep_their_id_as_key() -> None:
    rules = build_rule_set([Rule(id="cyber", severity="critical",
                                 topics=(("cyberattack", 2.0),))], "t")  # fmt: skip
    update = decide_story_alerts(None, article(story_id="s-1"), rules, NOW)
    (out,) = alert_outputs(update.alerts, None)
    assert out.topic == ALERTS.suffix
    assert out.key == decode_alert(encode_record(out.record)).alert_id
