"""Wiring without a broker: what `emit` and `process` send, count and keep, and routing's keys.

The topics are recording stand-ins with Faust's `send` signature: the unit under test is
Wiring's bookkeeping; `tests/integration` sends the same way through a real broker.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from prometheus_client import CollectorRegistry

from agents import faust_patches
from agents.wiring import MAX_LINES_BYTES, Encoded, Wiring
from streams.alerts.rules import Rule, build_rule_set
from streams.alerts.spikes import SpikeConfig
from streams.alerts.story import decide_story_alerts
from streams.codec import (
    decode_alert,
    decode_article,
    decode_dead_letter,
    encode_record,
    split_records,
)
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
from streams.stories.cluster import story_group

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class AppStandIn:
    """Stands for the Faust app a topic belongs to: delivery failures are remembered per app."""


@dataclass
class RecordingTopic:
    """Faust's `topic.send(key=, value=, headers=, partition=)`: returns the delivery future;
    here already delivered."""

    app: AppStandIn = field(default_factory=AppStandIn)
    sent: list[tuple[bytes | None, bytes]] = field(default_factory=list)
    headers: list[dict[str, bytes]] = field(default_factory=list)
    partitions: list[int | None] = field(default_factory=list)
    fail: bool = False

    async def send(
        self,
        key: bytes | None,
        value: bytes,
        headers: list[tuple[str, bytes]],
        partition: int | None = None,
    ) -> asyncio.Future[None]:
        self.sent.append((key, value))
        self.headers.append(dict(headers))
        self.partitions.append(partition)
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
    encoded: Encoded = {}
    routed: list[Outbound] = []
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", enriched.outputs, encoded, routed))
    assert not topics[STORY_ROUTE.suffix].sent  # deferred, for one message per key and batch
    asyncio.run(wired.send_lines(routed, encoded))
    asyncio.run(wired.send(topic_event_outputs(enriched.topic_events)))
    assert [key for key, _ in topics[ARTICLES.suffix].sent] == [b"i-1"]
    assert decode_article(topics[ARTICLES.suffix].sent[0][1]).item_id == "i-1"
    group = story_group(article())
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
    routed: list[Outbound] = []
    asyncio.run(wired.emit(Stage.ENRICH, b"i-1", enriched.outputs, deferred=routed))
    asyncio.run(wired.send_lines(routed, {}))
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
            lines = suffix == STORY_ROUTE.suffix  # articles one per line
            content = b"application/x-ndjson" if lines else b"application/json"
            assert headers["content-type"] == content, suffix
            assert (headers["wirewatch-record"], headers["wirewatch-schema-version"]) == (
                record,
                version,
            ), suffix
            assert headers["wirewatch-version"] == VERSION.encode()


def test_send_lines_sends_one_message_per_key_with_one_record_per_line() -> None:
    wired, topics, _ = wiring()
    articles = [replace(article(), item_id=f"i-{n}", title=f"Title {n}\nwith a newline")
                for n in range(5)]  # fmt: skip
    keys = ["Latin", "Cyrillic", "Latin", "Latin", "Cyrillic"]
    routed = [Outbound(STORY_ROUTE.suffix, key, a) for key, a in zip(keys, articles, strict=True)]
    encoded: Encoded = {id(articles[0]): encode_record(articles[0])}
    asyncio.run(wired.send_lines(routed, encoded))
    sent = topics[STORY_ROUTE.suffix].sent
    assert [key for key, _ in sent] == [b"Latin", b"Cyrillic"]
    by_key = {key: [decode_article(line) for line in split_records(value)] for key, value in sent}
    assert by_key[b"Latin"] == [articles[0], articles[2], articles[3]]  # in their order
    assert by_key[b"Cyrillic"] == [articles[1], articles[4]]


def test_send_lines_splits_a_key_over_messages_at_the_size_limit() -> None:
    wired, topics, _ = wiring()
    big = replace(article(), summary="x" * (MAX_LINES_BYTES // 3))
    routed = [Outbound(STORY_ROUTE.suffix, "Latin", replace(big, item_id=f"i-{n}"))
              for n in range(7)]  # fmt: skip
    asyncio.run(wired.send_lines(routed, {}))
    sent = topics[STORY_ROUTE.suffix].sent
    assert len(sent) == 4  # two articles per message, the seventh alone
    assert all(len(value) <= MAX_LINES_BYTES for _, value in sent)
    ids = [decode_article(line).item_id for _, value in sent for line in split_records(value)]
    assert ids == [f"i-{n}" for n in range(7)]


def test_process_of_one_line_of_several_dead_letters_that_line_alone() -> None:
    wired, topics, registry = wiring()
    good = encode_record(article())
    message = SimpleNamespace(topic="p.story-route", partition=1, offset=9)
    event = SimpleNamespace(value=b"\n".join([good, b"{not json", good]), key=b"Latin",
                            message=message)  # fmt: skip
    kept: list[object] = []

    def step(payload: bytes, now: datetime) -> SimpleNamespace:
        decoded = decode_article(payload)
        return SimpleNamespace(outputs=story_outputs(replace(decoded, story_id="s-1")))

    for line in split_records(event.value):
        asyncio.run(wired.process(Stage.STORY, cast(Any, event), step, kept.append, line))
    assert len(kept) == 2 and len(topics[STORY_ARTICLES.suffix].sent) == 2
    ((_, value),) = topics[DEAD_LETTERS.suffix].sent
    dead = decode_dead_letter(value)
    assert dead.stage == "story" and dead.source_offset == 9 and dead.payload == "{not json"
    assert sample(registry, "wirewatch_items_processed_total", stage="story", outcome="ok") == 2


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
