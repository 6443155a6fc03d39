"""The agents' steps without a broker: tables are dicts, the outputs are checked as sent.

Each agent's step and keep are module-level functions that take the table readers and writers
(as `stories.cluster.assign_story` takes its lookups), so what a stateful stage sends and stores
is tested here; `tests/integration` runs the same functions inside Faust against a real broker.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agents.alert import alert_links_step, alert_step, keep_alert_state
from agents.enrich import enrich_step
from agents.spike import keep_windows, spike_step
from agents.story import expired_story_keys, group_signatures, keep_story_tables, story_step
from streams.alerts.rules import Rule, build_rule_set
from streams.alerts.spikes import SpikeConfig, batch_topic_events
from streams.codec import decode_alert, decode_story_alerts, encode_record
from streams.kafka.topics import (
    ALERTS,
    ARTICLES,
    STORY_ARTICLES,
    STORY_ROUTE,
    STORY_STARTS,
    STORY_STARTS_KEY,
    TOPIC_EVENTS,
)
from streams.pipeline import build_stages
from streams.records import (
    Alert,
    Article,
    Language,
    LinkedStory,
    RawItem,
    StoryLinks,
    StoryStarted,
    TopicEvent,
    TopicTag,
)
from streams.routing import topic_event_outputs
from streams.settings import load_settings
from streams.stories.cluster import StoryConfig, StoryIndex

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CYBER = build_rule_set([Rule(id="cyber", severity="critical", topics=(("cyberattack", 2.0),))], "t")


def article(number: int, story_id: str | None = None, source: str = "Reuters") -> Article:
    at = T0 + timedelta(minutes=number)
    return Article(
        item_id=f"i-{number:04d}",
        feed_id=f"f-{number:016x}",
        source=source,
        link=f"https://news{number}.example/port",
        title="Ransomware attack shuts down port systems in Rotterdam",
        summary="Hackers encrypted the terminal systems of the port overnight, officials said.",
        language=Language("en", 0.99),
        topics=(TopicTag("cyberattack", 4.0, ("Ransomware", "Hackers")),),
        published_at=at - timedelta(minutes=1),
        fetched_at=at,
        enriched_at=at,
        story_id=story_id,
    )


def test_alert_step_raises_then_revises_one_alert_through_its_table() -> None:
    table: dict[str, bytes] = {}
    sent: list[Alert] = []
    for number, source in enumerate(("Reuters", "AP")):
        payload = encode_record(article(number, story_id="s-port", source=source))
        decision = alert_step(payload, T0, table.get, CYBER, max_items=200)
        keep_alert_state(decision, table.__setitem__)
        assert all(out.topic == ALERTS.suffix for out in decision.outputs)
        sent.extend(decode_alert(encode_record(out.record)) for out in decision.outputs)
    assert [(a.rule_id, a.revision, a.source_count) for a in sent] == [("cyber", 1, 1),
                                                                       ("cyber", 2, 2)]  # fmt: skip
    assert len({a.alert_id for a in sent}) == 1
    state = decode_story_alerts(table["s-port"])
    assert state is not None


def test_alert_step_of_a_redelivered_article_sends_nothing_and_stores_nothing() -> None:
    table: dict[str, bytes] = {}
    payload = encode_record(article(0, story_id="s-port"))
    keep_alert_state(alert_step(payload, T0, table.get, CYBER, 200), table.__setitem__)
    stored = dict(table)
    again = alert_step(payload, T0 + timedelta(minutes=5), table.get, CYBER, 200)
    keep_alert_state(again, table.__setitem__)
    assert again.outputs == ()
    assert table == stored


def test_alert_step_refuses_an_article_without_a_story() -> None:
    with pytest.raises(ValueError, match="without a story"):
        alert_step(encode_record(article(0)), T0, {}.get, CYBER, 200)


def test_story_step_joins_a_near_duplicate_to_the_first_item_s_story() -> None:
    index = StoryIndex(StoryConfig())
    signatures: dict[str, bytes | None] = {}
    placed = []
    for number in range(2):
        placement = story_step(
            encode_record(article(number)), index.reader, signatures.get, StoryConfig()
        )
        keep_story_tables(placement, index, signatures.__setitem__)
        placed.append(placement)
    first, second = placed
    assert first.assignment.match == "new"
    assert second.assignment.story_id == first.assignment.story_id
    (out,) = second.outputs
    assert out.topic == STORY_ARTICLES.suffix and out.key == first.assignment.story_id
    # One table write per item; the band and link keys are only in the in-memory index.
    assert sorted(signatures) == [f"{first.group}|i-0000", f"{first.group}|i-0001"]
    assert index.buckets(first.group) and all(
        key.startswith(f"{first.group}|") for key in index.buckets(first.group)
    )


def test_story_index_rebuilt_from_the_signatures_table_equals_the_kept_one() -> None:
    config = StoryConfig()
    index = StoryIndex(config)
    signatures: dict[str, bytes | None] = {}
    placements = []
    for number in range(4):
        placement = story_step(encode_record(article(number)), index.reader, signatures.get,
                               config)  # fmt: skip
        keep_story_tables(placement, index, signatures.__setitem__)
        placements.append(placement)
    group = placements[0].group
    rebuilt = StoryIndex(config)
    stored = [(k, v) for k, v in signatures.items() if v is not None]
    rebuilt.rebuild(group, group_signatures([*stored, (f"{group}|junk", b"not json")], group))
    assert rebuilt.buckets(group) == index.buckets(group)
    assert StoryIndex(config).size() == (0, 0)
    rebuilt.rebuild("Arabic", group_signatures(stored, "Arabic"))
    assert rebuilt.buckets("Arabic") == {}


def test_story_tables_expire_only_their_own_group_past_the_horizon() -> None:
    config = StoryConfig(horizon_seconds=3600)
    index = StoryIndex(config)
    signatures: dict[str, bytes | None] = {}
    placement = story_step(encode_record(article(0)), index.reader, signatures.get, config)
    keep_story_tables(placement, index, signatures.__setitem__)
    stored_signatures = [(k, v) for k, v in signatures.items() if v is not None]
    soon = (T0 + timedelta(minutes=30)).timestamp()
    late = (T0 + timedelta(hours=2)).timestamp()
    group = placement.group
    assert expired_story_keys(stored_signatures, group, soon, config) == []
    assert index.sweep(group, soon) == 0 and index.buckets(group)
    old_signatures = expired_story_keys(stored_signatures, group, late, config)
    assert set(old_signatures) == {k for k, _ in stored_signatures}
    assert expired_story_keys(stored_signatures, "Arabic", late, config) == []
    assert index.sweep("Arabic", late) == 0
    assert index.sweep(group, late) > 0 and index.buckets(group) == {}


def test_spike_step_alerts_once_when_a_window_outgrows_its_baseline() -> None:
    table: dict[str, bytes] = {}
    config = SpikeConfig()
    alerts = []
    for number in range(8):
        event = TopicEvent("cyberattack", "cyberattack", None, f"i-{number}", T0)
        counted = spike_step(encode_record(event), T0, table.get, config)
        keep_windows(counted, table.__setitem__)
        alerts.extend(counted.outputs)
    assert len(alerts) == 1
    assert alerts[0].topic == ALERTS.suffix
    assert "cyberattack" in table


def test_spike_step_counts_a_batch_as_its_events_one_by_one() -> None:
    config = SpikeConfig()
    events = [
        TopicEvent("cyberattack", "cyberattack", None, f"i-{n}", T0 + timedelta(seconds=n))
        for n in range(12)
    ]
    one_by_one: dict[str, bytes] = {}
    singles = []
    for event in events:  # a single TopicEvent, as releases before batching wrote them
        counted = spike_step(encode_record(event), T0, one_by_one.get, config)
        keep_windows(counted, one_by_one.__setitem__)
        singles.extend(counted.outputs)
    batched: dict[str, bytes] = {}
    outputs = []
    for part in (events[:3], events[3:10], events[10:]):
        (batch,) = batch_topic_events(part)
        counted = spike_step(encode_record(batch), T0, batched.get, config)
        keep_windows(counted, batched.__setitem__)
        outputs.extend(counted.outputs)
    assert batched == one_by_one
    assert [o.record for o in outputs] == [o.record for o in singles] and len(outputs) == 1
    # The alert's latency starts at the item that tipped the window (the min_count-th).
    assert outputs[0].fetched_at == events[config.min_count - 1].at
    # A redelivered batch counts nothing again and raises nothing again.
    (again,) = batch_topic_events(events[3:10])
    assert spike_step(encode_record(again), T0, batched.get, config).outputs == ()


def test_enrich_step_routes_an_item_to_articles_the_story_stage_and_the_spike_stage() -> None:
    stages = build_stages(load_settings(environ={}))
    raw = RawItem(
        item_id="i-raw-1",
        feed_id="f-0000000000000001",
        feed_url="https://example.org/rss",
        source="Example",
        guid="g1",
        link="https://example.org/1",
        title="Ransomware attack shuts down port systems",
        summary="<p>Hackers encrypted the <b>terminal</b> systems overnight.</p>",
        language_hint="en",
        published_at=T0,
        fetched_at=T0,
    )
    enriched_outputs = enrich_step(encode_record(raw), T0, stages)
    outputs = enriched_outputs.outputs
    assert [out.topic for out in outputs] == [ARTICLES.suffix, STORY_ROUTE.suffix]
    assert {event.topic for event in enriched_outputs.topic_events} == {"cyberattack"}
    (batch, *_) = topic_event_outputs(enriched_outputs.topic_events)
    assert batch.topic == TOPIC_EVENTS.suffix
    enriched = outputs[0].record
    assert isinstance(enriched, Article)
    assert enriched.item_id == "i-raw-1" and "<" not in enriched.summary
    assert "cyberattack" in {tag.id for tag in enriched.topics}


def test_story_step_keeps_a_known_item_in_its_story_when_it_is_updated() -> None:
    index = StoryIndex(StoryConfig())
    signatures: dict[str, bytes | None] = {}
    first = story_step(encode_record(article(0)), index.reader, signatures.get, StoryConfig())
    keep_story_tables(first, index, signatures.__setitem__)
    updated = replace(article(0), title="Port systems back online after ransomware attack")
    again = story_step(encode_record(updated), index.reader, signatures.get, StoryConfig())
    assert again.assignment.story_id == first.assignment.story_id


def test_story_step_announces_a_new_story_to_the_link_stage_once() -> None:
    index = StoryIndex(StoryConfig())
    signatures: dict[str, bytes | None] = {}
    sent = []
    for number in range(2):  # a story, then a near-duplicate joining it
        placement = story_step(encode_record(article(number)), index.reader, signatures.get,
                               StoryConfig(), announce_at=T0)  # fmt: skip
        keep_story_tables(placement, index, signatures.__setitem__)
        sent.append(placement.outputs)
    first, second = sent
    assert [out.topic for out in first] == [STORY_ARTICLES.suffix, STORY_STARTS.suffix]
    assert [out.topic for out in second] == [STORY_ARTICLES.suffix]
    start = first[1]
    assert start.key == STORY_STARTS_KEY and isinstance(start.record, StoryStarted)
    assert start.record.story_id == first[0].key and start.record.language == "en"
    assert (start.record.fetched_at, start.record.sent_at) == (T0, T0)
    # Off (link_max_per_second = 0): nothing goes to the link stage.
    nothing: dict[str, bytes] = {}
    off = story_step(encode_record(article(7)), StoryIndex(StoryConfig()).reader, nothing.get,
                     StoryConfig())  # fmt: skip
    assert [out.topic for out in off.outputs] == [STORY_ARTICLES.suffix]


LINK = LinkedStory("s-00000000000000a7", "ar", "زلزال", None, 1.31, ("6.3",), ("hrt",))


def test_links_are_kept_silently_and_named_by_the_next_revision_of_each_alert() -> None:
    table: dict[str, bytes] = {}
    first = alert_step(encode_record(article(0, story_id="s-port")), T0, table.get, CYBER, 200)
    keep_alert_state(first, table.__setitem__)
    assert [decode_alert(encode_record(o.record)).linked_stories for o in first.outputs] == [()]
    links = StoryLinks("s-port", "en", (LINK,), T0)
    linked = alert_links_step(encode_record(links), T0 + timedelta(minutes=5), table.get)
    keep_alert_state(linked, table.__setitem__)
    assert linked.outputs == ()  # a link alone never revises an alert
    stored = decode_story_alerts(table["s-port"])
    assert stored.linked_stories == (LINK,)
    assert stored.updated_at == T0  # items date the state, links do not
    again = alert_links_step(encode_record(links), T0, table.get)
    assert again.state is None  # the same links again: nothing to store
    payload = encode_record(article(1, story_id="s-port", source="AP"))
    second = alert_step(payload, T0 + timedelta(minutes=1), table.get, CYBER, 200)
    keep_alert_state(second, table.__setitem__)
    (revised,) = [decode_alert(encode_record(o.record)) for o in second.outputs]
    assert (revised.revision, revised.linked_stories) == (2, (LINK,))
    assert decode_story_alerts(table["s-port"]).states[0].alert.linked_stories == (LINK,)


def test_links_that_arrive_before_any_alert_are_named_by_the_first_one() -> None:
    table: dict[str, bytes] = {}
    links = StoryLinks("s-port", "en", (LINK,), T0)
    keep_alert_state(alert_links_step(encode_record(links), T0, table.get), table.__setitem__)
    assert decode_story_alerts(table["s-port"]).states == ()
    raised = alert_step(encode_record(article(0, story_id="s-port")), T0, table.get, CYBER, 200)
    (alert,) = [decode_alert(encode_record(o.record)) for o in raised.outputs]
    assert (alert.revision, alert.linked_stories) == (1, (LINK,))


def test_alert_state_ages_expire_idle_stories_of_one_partition_only() -> None:
    from aiokafka.partitioner import DefaultPartitioner

    from agents.alert import StateAges, learn_ages
    from streams.routing import key_partition

    partitions = [0, 1, 2, 3]
    for story_id in ("s-5f0c2a9e41d7b3c8", "s-0000000000000001", "s-ffffffffffffffff"):
        expected = DefaultPartitioner()(story_id.encode(), partitions, partitions)
        assert key_partition(story_id, 4) == expected  # where Faust sent its story-articles
    ages = StateAges(4)
    ids = [f"s-{n:016x}" for n in range(40)]
    for n, story_id in enumerate(ids):
        ages.touch(story_id, 1_000.0 + n)
    old = {s for s in ids[:20]}
    for partition in range(4):
        expired = ages.expired(partition, before=1_020.0)
        assert set(expired) == {s for s in old if key_partition(s, 4) == partition}
    # States restored from the changelog: their age is read from the stored value once.
    table = {}
    for n in range(3):
        decision = alert_step(encode_record(article(n, story_id=f"s-r{n}")), T0, {}.get, CYBER, 200)
        keep_alert_state(decision, table.__setitem__)
    learn_ages(ages, [*table.items(), ("s-garbled", b"{")])
    assert ages.changed["s-r0"][1] == T0.timestamp() and ages.changed["s-garbled"][1] == 0.0
