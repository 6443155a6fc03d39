"""Records survive encode → decode, match their JSON Schemas, and bad bytes raise DecodeError."""

from __future__ import annotations

import json
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import orjson
import pytest

from streams.alerts.rules import Rule, build_rule_set
from streams.alerts.spikes import SpikeConfig, detect_spike, topic_events
from streams.alerts.story import decide_story_alerts
from streams.codec import (
    DECODERS,
    Record,
    decode_alert,
    decode_article,
    decode_dead_letter,
    decode_raw_item,
    decode_topic_event_batch,
    decode_window_counts,
    encode_record,
)
from streams.contract import SCHEMA_FILE, closed, files_of_major
from streams.deadletter import make_dead_letter
from streams.errors import DecodeError
from streams.kafka.topics import ALL_TOPICS
from streams.records import (
    ALERT_SCHEMA_VERSION,
    ARTICLE_SCHEMA_VERSION,
    DEAD_LETTER_SCHEMA_VERSION,
    FEED_REGISTRATION_SCHEMA_VERSION,
    FEED_STATE_SCHEMA_VERSION,
    RAW_ITEM_SCHEMA_VERSION,
    STORY_LINKS_SCHEMA_VERSION,
    Alert,
    AlertItem,
    Article,
    FeedRegistration,
    FeedState,
    Language,
    LinkedStory,
    RawItem,
    SeenEntry,
    SpikeWindow,
    StoryAlerts,
    StoryAlertState,
    StoryBucket,
    StoryDigestState,
    StoryIndexEntry,
    StoryLinks,
    StoryMember,
    StorySignature,
    StoryStarted,
    TermMatch,
    TopicEvent,
    TopicEventBatch,
    TopicItem,
    TopicTag,
    WindowCounts,
)
from streams.stories.cluster import StoryConfig, assign_story
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import LinkConfig
from streams.tagging.taxonomy import CompiledTaxonomy

SCHEMAS = Path(__file__).resolve().parents[2] / "streams" / "schemas"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 11, 26, 9, 45, tzinfo=UTC)
WINDOW = int(NOW.timestamp()) // 600 * 600

# Internal records (table values, re-keyed inputs) carry no schema_version: only wirewatch's own
# stages read them, so their schema files stay at v1 until one of them changes shape.
INTERNAL_SCHEMA_VERSION = 1
CURRENT_VERSIONS = {
    "raw_item": RAW_ITEM_SCHEMA_VERSION,
    "article": ARTICLE_SCHEMA_VERSION,
    "alert": ALERT_SCHEMA_VERSION,
    "dead_letter": DEAD_LETTER_SCHEMA_VERSION,
    "feed_registration": FEED_REGISTRATION_SCHEMA_VERSION,
    "feed_state": FEED_STATE_SCHEMA_VERSION,
    "topic_event": INTERNAL_SCHEMA_VERSION,
    "topic_event_batch": INTERNAL_SCHEMA_VERSION,
    "window_counts": INTERNAL_SCHEMA_VERSION,
    "story_bucket": INTERNAL_SCHEMA_VERSION,
    "story_signature": INTERNAL_SCHEMA_VERSION,
    "story_alert_state": INTERNAL_SCHEMA_VERSION,
    "story_links": STORY_LINKS_SCHEMA_VERSION,
    "story_started": INTERNAL_SCHEMA_VERSION,
    "story_digest": INTERNAL_SCHEMA_VERSION,
}


def schema(name: str) -> dict[str, object]:
    """The newest published schema of the record's current major (its latest minor)."""
    return files_of_major(name, CURRENT_VERSIONS[name])[-1].load()


# jsonschema checks "date-time" only when the optional rfc3339-validator package is installed,
# which it is not here; without this checker every format in the schemas would pass unchecked.
def _is_rfc3339_date_time(value: object) -> bool:
    # RFC 3339 §5.6: a date-time has its "T" and an explicit offset ("Z" or ±hh:mm).
    if not isinstance(value, str):
        return True
    return "T" in value.upper() and datetime.fromisoformat(value).tzinfo is not None


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_is_rfc3339_date_time)


def check_schema(record: Record | dict[str, Any], name: str) -> None:
    """Validate a record (or its decoded JSON) against the record's current schema, closed: the
    published schemas accept unknown fields (for consumers), wirewatch must write none."""
    value = orjson.loads(encode_record(record)) if not isinstance(record, dict) else record
    jsonschema.validate(value, closed(schema(name)), format_checker=FORMATS)


def replaced(record: Record, path: tuple[str | int, ...], value: object) -> bytes:
    """The record's JSON with the value at `path` (keys and list indexes) replaced."""
    data = orjson.loads(encode_record(record))
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return orjson.dumps(data)


RAW = RawItem(
    item_id="i-0123abcd",
    feed_id="f-42",
    feed_url="https://news.example/feed.xml",
    source="Example News",
    guid="urn:x:1",
    link="https://news.example/a",
    title="<b>Título</b> &amp; más",
    summary="الانتخابات",
    language_hint="es",
    published_at=None,
    fetched_at=NOW,
)
ARTICLE = Article(
    item_id=RAW.item_id,
    feed_id=RAW.feed_id,
    source=RAW.source,
    link=RAW.link,
    title="Elecciones: Título & más",
    summary="",
    language=Language("es", 0.97),
    topics=(
        TopicTag(
            "elections",
            2.5,
            ("Elecciones",),
            matches=(TermMatch("Elecciones", "title", 0, 10),),
        ),
    ),
    published_at=NOW,
    fetched_at=NOW,
    enriched_at=NOW,
)
# The same article as the story stage sends it on: with its story id.
STORY_ARTICLE = replace(ARTICLE, story_id="s-5f0c2a9e41d7b3c8")

FIRST_ITEM = AlertItem(
    item_id=ARTICLE.item_id,
    source=ARTICLE.source,
    title=ARTICLE.title,
    link=ARTICLE.link,
    language="es",
    published_at=NOW,
)
SECOND_ITEM = AlertItem(
    item_id="i-9a8b",
    source="Diario Ejemplo",
    title="Elecciones anticipadas",
    link=None,
    language="es",
    published_at=None,
)
ALERT = Alert(
    alert_id="a-00ff12ab",
    rule_id="elections",
    kind="story",
    severity="warning",
    revision=2,
    story_id=STORY_ARTICLE.story_id,
    title=ARTICLE.title,
    link=ARTICLE.link,
    language=ARTICLE.language,
    # Story alerts drop the match positions: they point into one item's text.
    topics=(TopicTag("elections", 3.0, ("Elecciones", "comicios")),),
    reason="elections 3.0 ≥ 2.0; watchlist: Elecciones",
    evidence=("Elecciones",),
    source_count=2,
    sources=(ARTICLE.source, SECOND_ITEM.source),
    item_count=3,  # one more than listed: the third is among the state's unlisted item ids
    items=(FIRST_ITEM, SECOND_ITEM),
    published_at=NOW,
    first_raised_at=NOW,
    raised_at=LATER,
)
SPIKE_ALERT = Alert(
    alert_id="a-77e0c4",
    rule_id="spike",
    kind="spike",
    severity="warning",
    revision=1,
    story_id=None,
    title="Spike: elections (es)",
    link=None,
    language=Language("es", 1.0),
    topics=(TopicTag("elections", 9.0, ()),),
    reason="elections|es: 9 items in 10 min vs baseline 1.5/window (×3 needed)",
    evidence=(),
    source_count=0,
    sources=(),
    item_count=9,
    items=(),
    published_at=None,
    first_raised_at=LATER,
    raised_at=LATER,
    spike=SpikeWindow(
        key="elections|es",
        topic="elections",
        language="es",
        window_start=datetime.fromtimestamp(WINDOW, UTC),
        window_seconds=600,
        count=9,
        baseline=1.5,
        factor=3.0,
    ),
)

TOPIC_EVENT = TopicEvent("elections|es", "elections", "es", ARTICLE.item_id, NOW)
TOPIC_EVENT_ALL_LANGUAGES = TopicEvent("elections", "elections", None, ARTICLE.item_id, NOW)
TOPIC_EVENT_BATCH = TopicEventBatch(
    "elections|es", "elections", "es", (TopicItem(ARTICLE.item_id, NOW), TopicItem("i-02", NOW))
)
WINDOW_COUNTS = WindowCounts(
    window_seconds=600,
    counts=((WINDOW - 1200, 1), (WINDOW - 600, 2), (WINDOW, 9)),
    alerted_window=WINDOW,
    recent_item_ids=("i-01", ARTICLE.item_id),
)
STORY_BUCKET = StoryBucket(
    members=(
        StoryMember("i-01", "s-5f0c2a9e41d7b3c8", 1_795_681_800.0),
        StoryMember(ARTICLE.item_id, "s-5f0c2a9e41d7b3c8", 1_795_685_400.5),
    )
)
STORY_SIGNATURE = StorySignature(
    story_id="s-5f0c2a9e41d7b3c8",
    signature=b"".join(n.to_bytes(4, "little") for n in (0, 17, 4_294_967_295, 123_456_789)),
    seen_at=1.5e9,
)
STORY_ALERTS = StoryAlerts(
    story_id="s-5f0c2a9e41d7b3c8",
    states=(
        StoryAlertState(ALERT, unlisted_item_ids=("i-77",)),
        # A rule with min_sources 3 that two sources do not satisfy yet: held, never sent.
        StoryAlertState(replace(ALERT, alert_id="a-0b1c", rule_id="elections-wide", revision=0)),
    ),
    updated_at=LATER,
)

LINKED = LinkedStory(
    story_id="s-9a0b1c2d3e4f5a6b",
    language="ar",
    title="انفجار أجهزة البيجر في لبنان",
    link="https://ar.example/pagers",
    score=1.2731,
    shared_numbers=("2750",),
    shared_names=("hsbl", "lbnn"),
)
LINKED_ALERT = replace(ALERT, linked_stories=(LINKED,))
LINKED_ALERTS = replace(
    STORY_ALERTS,
    states=(StoryAlertState(LINKED_ALERT, unlisted_item_ids=("i-77",)),),
    linked_stories=(LINKED,),
)
STORY_LINKS = StoryLinks("s-5f0c2a9e41d7b3c8", "es", (LINKED,), LATER)
STORY_STARTED = StoryStarted(
    story_id="s-5f0c2a9e41d7b3c8",
    language="es",
    title=ARTICLE.title,
    summary=ARTICLE.summary,
    link=ARTICLE.link,
    fetched_at=NOW,
    sent_at=LATER,
)
STORY_DIGEST = StoryDigestState(
    story_id="s-5f0c2a9e41d7b3c8",
    language="es",
    title=ARTICLE.title,
    link=None,
    seen_at=1_795_681_800.5,
    numbers=("2750",),
    names=("hsbl",),
    embedding="AAA8AAC8",  # base64 of three float16 values; 512 of them in the stage
    neighbours=(0.61, 0.5),
    linked_stories=(LINKED,),
)
# v1.1 keeps the details the link vetoes compare: a "2023" in its text, one taxonomy topic.
STORY_DIGEST_DETAILS = replace(STORY_DIGEST, years=("2023",), topics=("natural_disaster",))

REGISTRATION = FeedRegistration("f-0011", "https://x.example/rss", "X", "ar", 600.0, NOW)
STATE = FeedState(
    feed_id="f-0011",
    url="https://x.example/rss2",
    etag='W/"abc"',
    last_modified="Wed, 25 Nov 2026 10:00:00 GMT",
    interval_seconds=900.0,
    next_due_at=1_790_000_000.5,
    last_success_at=NOW,
    last_error=None,
    last_error_at=None,
    consecutive_failures=0,
    items_seen=12,
    disabled_reason=None,
    registered_at=NOW,
    seen=(SeenEntry("i-01", "ab12", 1_789_999_000.0),),
)

ROUND_TRIPS = [
    pytest.param(RAW, "raw_item", id="raw_item"),
    pytest.param(replace(RAW, is_update=True), "raw_item", id="raw_item-update"),
    pytest.param(ARTICLE, "article", id="article"),
    pytest.param(STORY_ARTICLE, "article", id="article-with-story"),
    pytest.param(ALERT, "alert", id="alert-story"),
    pytest.param(SPIKE_ALERT, "alert", id="alert-spike"),
    pytest.param(REGISTRATION, "feed_registration", id="feed_registration"),
    pytest.param(STATE, "feed_state", id="feed_state"),
    pytest.param(TOPIC_EVENT, "topic_event", id="topic_event"),
    pytest.param(TOPIC_EVENT_ALL_LANGUAGES, "topic_event", id="topic_event-all-languages"),
    pytest.param(TOPIC_EVENT_BATCH, "topic_event_batch", id="topic_event_batch"),
    pytest.param(WINDOW_COUNTS, "window_counts", id="window_counts"),
    pytest.param(WindowCounts(600, ()), "window_counts", id="window_counts-empty"),
    pytest.param(STORY_BUCKET, "story_bucket", id="story_bucket"),
    pytest.param(STORY_SIGNATURE, "story_signature", id="story_signature"),
    pytest.param(
        StorySignature(
            "s-5f0c2a9e41d7b3c8",
            b"",
            1.6e9,
            "Latin|link|0123456789abcdef01234567",
            (StoryIndexEntry("s-5f0c2a9e41d7b3c8", 1.5e9, ("Latin|b0|00ff", "Latin|b1|0a0b")),),
        ),
        "story_signature",
        id="story_signature-v1.1-link-only-with-an-earlier-version",
    ),
    pytest.param(STORY_ALERTS, "story_alert_state", id="story_alert_state"),
    pytest.param(LINKED_ALERT, "alert", id="alert-with-linked-stories"),
    pytest.param(LINKED_ALERTS, "story_alert_state", id="story_alert_state-with-links"),
    pytest.param(STORY_LINKS, "story_links", id="story_links"),
    pytest.param(replace(STORY_LINKS, linked_stories=()), "story_links", id="story_links-none"),
    pytest.param(STORY_STARTED, "story_started", id="story_started"),
    pytest.param(STORY_DIGEST, "story_digest", id="story_digest"),
    pytest.param(STORY_DIGEST_DETAILS, "story_digest", id="story_digest-v1.1-years-and-topics"),
    pytest.param(
        replace(STORY_DIGEST_DETAILS, topics=()),
        "story_digest",
        id="story_digest-v1.1-tagged-with-no-topic",
    ),
]


@pytest.mark.parametrize(("record", "name"), ROUND_TRIPS)
def test_record_round_trips_and_matches_its_schema(record: Record, name: str) -> None:
    check_schema(record, name)
    assert DECODERS[name](encode_record(record)) == record


def test_every_decoder_has_a_round_trip_case() -> None:
    assert {param.values[1] for param in ROUND_TRIPS} | {"dead_letter"} == set(DECODERS)


def test_every_topic_record_has_a_decoder_and_a_schema_file() -> None:
    for spec in ALL_TOPICS:
        assert spec.record in DECODERS, spec.suffix
        version = CURRENT_VERSIONS[spec.record]
        assert (SCHEMAS / f"{spec.record}.v{version}.json").is_file(), spec.suffix


def test_current_versions_name_the_newest_schema_file_of_every_record() -> None:
    newest: dict[str, int] = {}
    for path in SCHEMAS.glob("*.json"):
        # <record>.v<major>.json, or <record>.v<major>.<minor>.json for an additive change
        found = SCHEMA_FILE.fullmatch(path.name)
        assert found is not None, f"{path.name} is not named <record>.v<version>.json"
        record, version = found["record"], int(found["major"])
        newest[record] = max(newest.get(record, 0), version)
    assert newest == CURRENT_VERSIONS


def test_schema_version_in_each_schema_is_the_one_in_its_file_name() -> None:
    for name, version in CURRENT_VERSIONS.items():
        properties = schema(name)["properties"]
        assert isinstance(properties, dict)
        if version == INTERNAL_SCHEMA_VERSION and "schema_version" not in properties:
            continue
        assert properties["schema_version"] == {"const": version}, name


def test_dead_letter_of_binary_payload_is_base64_and_round_trips() -> None:
    letter = make_dead_letter("enrich", b"\xff\x00bad", ValueError("boom"), NOW)
    payload = encode_record(letter)
    check_schema(letter, "dead_letter")
    assert letter.payload_encoding == "base64"
    assert decode_dead_letter(payload) == letter


def test_datetimes_are_written_with_utc_offset() -> None:
    assert orjson.loads(encode_record(RAW))["fetched_at"] == "2026-11-26T09:30:00+00:00"


def test_schema_rejects_a_timestamp_without_offset() -> None:
    data = orjson.loads(encode_record(ARTICLE))
    data["fetched_at"] = "2026-11-26T09:30:00"
    with pytest.raises(jsonschema.ValidationError, match="date-time"):
        check_schema(data, "article")


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe",
        b"[1, 2]",
        b"{}",
        orjson.dumps({**orjson.loads(encode_record(RAW)), "schema_version": 99}),
        orjson.dumps({**orjson.loads(encode_record(RAW)), "title": 5}),
        orjson.dumps({**orjson.loads(encode_record(RAW)), "fetched_at": "yesterday"}),
    ],
)
def test_malformed_raw_item_raises_decode_error(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_raw_item(payload)


# Each is valid JSON of the right top-level shape with one nested field wrong: the decoder must
# refuse it (a dead letter, not a half-built record) and the schema must too.
MALFORMED_NESTED = [
    pytest.param(
        "article",
        replaced(ARTICLE, ("topics", 0, "matches", 0, "start"), "0"),
        id="term-match-start-is-a-string",
    ),
    pytest.param(
        "article",
        replaced(ARTICLE, ("topics", 0, "matches", 0), {"term": "Elecciones", "field": "title"}),
        id="term-match-without-offsets",
    ),
    pytest.param(
        "article", replaced(ARTICLE, ("topics", 0, "matches"), "Elecciones"), id="matches-not-list"
    ),
    pytest.param(
        "window_counts",
        replaced(WINDOW_COUNTS, ("counts", 0), [WINDOW, 3, 1]),
        id="counts-pair-of-three-numbers",
    ),
    pytest.param(
        "window_counts",
        replaced(WINDOW_COUNTS, ("counts", 0), [WINDOW, True]),
        id="counts-pair-with-a-boolean",
    ),
    pytest.param(
        "window_counts",
        replaced(WINDOW_COUNTS, ("recent_item_ids",), ["i-01", 2]),
        id="recent-item-id-not-a-string",
    ),
    pytest.param(
        "story_signature",
        replaced(STORY_SIGNATURE, ("signature",), [0, 17.5]),
        id="signature-v1-list-with-a-float",
    ),
    pytest.param(
        "story_signature",
        replaced(STORY_SIGNATURE, ("signature",), [0, True]),
        id="signature-v1-list-with-a-boolean",
    ),
    pytest.param(
        "story_signature",
        replaced(STORY_SIGNATURE, ("signature",), [0, 2**32]),
        id="signature-v1-list-with-a-value-over-32-bits",
    ),
    pytest.param(
        "story_signature",
        replaced(STORY_SIGNATURE, ("signature",), "not base64!"),
        id="signature-not-base64",
    ),
    pytest.param(
        "story_signature",
        replaced(STORY_SIGNATURE, ("signature",), "AAAA"),
        id="signature-base64-of-a-partial-value",
    ),
    pytest.param(
        "story_bucket",
        replaced(STORY_BUCKET, ("members", 0, "seen_at"), "yesterday"),
        id="bucket-member-seen-at-is-a-string",
    ),
    pytest.param(
        "story_alert_state",
        replaced(STORY_ALERTS, ("states", 0), ["a-00ff12ab"]),
        id="states-entry-not-an-object",
    ),
    pytest.param(
        "story_alert_state",
        replaced(STORY_ALERTS, ("states", 0, "alert", "revision"), "2"),
        id="state-alert-revision-is-a-string",
    ),
    pytest.param(
        "alert", replaced(ALERT, ("items", 0), "i-0123abcd"), id="alert-item-not-an-object"
    ),
    pytest.param(
        "alert", replaced(ALERT, ("items", 1, "published_at"), "soon"), id="alert-item-bad-date"
    ),
    pytest.param("alert", replaced(SPIKE_ALERT, ("spike",), "elections"), id="spike-not-object"),
    pytest.param(
        "alert", replaced(SPIKE_ALERT, ("spike", "count"), 9.5), id="spike-count-is-a-float"
    ),
    pytest.param("alert", replaced(ALERT, ("schema_version",), 1), id="alert-of-schema-v1"),
    pytest.param(
        "alert",
        replaced(LINKED_ALERT, ("linked_stories", 0, "score"), "high"),
        id="linked-story-score-is-a-string",
    ),
    pytest.param(
        "story_links",
        replaced(STORY_LINKS, ("linked_stories", 0, "shared_names"), "hsbl"),
        id="linked-story-names-not-a-list",
    ),
    pytest.param(
        "story_digest", replaced(STORY_DIGEST, ("neighbours", 0), "0.6"), id="neighbour-a-string"
    ),
    pytest.param("story_digest", replaced(STORY_DIGEST, ("years",), [2023]), id="year-a-number"),
    pytest.param("story_digest", replaced(STORY_DIGEST, ("years",), "2023"), id="years-a-string"),
    pytest.param(
        "story_digest",
        replaced(STORY_DIGEST, ("topics",), "natural_disaster"),
        id="topics-a-string",
    ),
    pytest.param("topic_event", replaced(TOPIC_EVENT, ("at",), "yesterday"), id="event-at-bad"),
    pytest.param(
        "topic_event_batch", replaced(TOPIC_EVENT_BATCH, ("items",), []), id="batch-empty"
    ),
    pytest.param(
        "topic_event_batch",
        replaced(TOPIC_EVENT_BATCH, ("items", 1, "at"), "later"),
        id="batch-item-at-bad",
    ),
]


def test_a_single_topic_event_reads_as_a_batch_of_one() -> None:
    """topic-events written before batching are still counted after an upgrade."""
    batch = decode_topic_event_batch(encode_record(TOPIC_EVENT))
    assert batch.events() == (TOPIC_EVENT,)


@pytest.mark.parametrize(("name", "payload"), MALFORMED_NESTED)
def test_malformed_nested_field_is_refused_by_decoder_and_schema(name: str, payload: bytes) -> None:
    with pytest.raises(DecodeError):
        DECODERS[name](payload)
    with pytest.raises(jsonschema.ValidationError):
        check_schema(orjson.loads(payload), name)


def test_schema_rejects_a_story_alert_with_a_spike_window() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check_schema(replace(ALERT, spike=SPIKE_ALERT.spike), "alert")


def test_schema_rejects_a_spike_alert_without_its_window() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check_schema(replace(SPIKE_ALERT, spike=None), "alert")


def test_held_alert_of_revision_0_is_table_state_and_never_an_alerts_message() -> None:
    held = STORY_ALERTS.states[1].alert
    check_schema(STORY_ALERTS, "story_alert_state")
    with pytest.raises(jsonschema.ValidationError):
        check_schema(held, "alert")


def test_naive_timestamp_from_a_producer_is_read_as_utc() -> None:
    data = orjson.loads(encode_record(RAW))
    data["fetched_at"] = "2026-11-26T09:30:00"
    assert decode_raw_item(orjson.dumps(data)) == replace(RAW)


def test_raw_item_of_schema_version_1_is_still_read_as_not_an_update() -> None:
    data = orjson.loads(encode_record(RAW))
    del data["is_update"]
    data["schema_version"] = 1
    assert decode_raw_item(orjson.dumps(data)) == RAW


def test_article_of_schema_version_2_is_read_without_story_or_match_positions() -> None:
    data = orjson.loads(encode_record(ARTICLE))
    del data["story_id"]
    del data["topics"][0]["matches"]
    data["schema_version"] = 2
    jsonschema.validate(data, json.loads((SCHEMAS / "article.v2.json").read_text()))
    decoded = decode_article(orjson.dumps(data))
    assert decoded.story_id is None
    assert decoded.topics == (TopicTag("elections", 2.5, ("Elecciones",)),)


def test_alert_of_schema_version_1_is_refused() -> None:
    v1 = {
        "alert_id": "a-00ff",
        "rule_id": "watched-topics",
        "severity": "warning",
        "item_id": RAW.item_id,
        "title": "t",
        "link": None,
        "source": RAW.source,
        "language": {"code": "es", "confidence": 0.9},
        "topics": [{"id": "elections", "score": 2.5, "evidence": ["elecciones"]}],
        "reason": "watched topics: elections (elecciones)",
        "published_at": None,
        "raised_at": "2026-11-26T09:30:00+00:00",
        "schema_version": 1,
    }
    jsonschema.validate(v1, json.loads((SCHEMAS / "alert.v1.json").read_text()))
    with pytest.raises(DecodeError, match="schema_version 1"):
        decode_alert(orjson.dumps(v1))


def test_alert_and_story_state_written_before_2_1_decode_with_no_links() -> None:
    """Alert 2.1 (and the alert state's 1.1) added linked_stories: a message written before it
    has none, is read as naming no linked story, and passes the 2.1 schema."""
    data = orjson.loads(encode_record(ALERT))
    del data["linked_stories"]
    check_schema(data, "alert")
    assert decode_alert(orjson.dumps(data)) == ALERT
    state = orjson.loads(encode_record(STORY_ALERTS))
    del state["linked_stories"]
    for entry in state["states"]:
        del entry["alert"]["linked_stories"]
    check_schema(state, "story_alert_state")
    assert DECODERS["story_alert_state"](orjson.dumps(state)) == STORY_ALERTS


def test_story_digest_written_before_1_1_decodes_with_no_years_and_unknown_topics() -> None:
    """story_digest v1.1 added years and topics: a table value written before it has neither, is
    read as naming no year with its topics unknown (which never vetoes a link), and passes both
    the v1 and the v1.1 schema."""
    data = orjson.loads(encode_record(STORY_DIGEST_DETAILS))
    del data["years"], data["topics"]
    jsonschema.validate(data, json.loads((SCHEMAS / "story_digest.v1.json").read_text()))
    check_schema(data, "story_digest")
    decoded = DECODERS["story_digest"](orjson.dumps(data))
    assert decoded == STORY_DIGEST
    assert isinstance(decoded, StoryDigestState)
    assert (decoded.years, decoded.topics) == ((), None)


def test_window_counts_written_before_recent_item_ids_decode_with_none_remembered() -> None:
    data = orjson.loads(encode_record(WINDOW_COUNTS))
    del data["recent_item_ids"]
    assert decode_window_counts(orjson.dumps(data)) == replace(WINDOW_COUNTS, recent_item_ids=())


# The records above are written by hand; these are built by the stages' own steps, so a schema
# that disagrees with what a producer really writes fails here rather than in a consumer.


def test_story_alerts_and_their_table_value_built_by_the_step_match_their_schemas() -> None:
    rules = build_rule_set(
        (
            Rule("elections", "warning", topics=(("elections", 2.0),)),
            Rule("elections-wide", "critical", terms=("Elecciones",), min_sources=3),
        ),
        "test",
    )
    state: StoryAlerts | None = None
    sent: list[Alert] = []
    for number, source in enumerate(("Example News", "Diario Ejemplo", "Radio Ejemplo")):
        article = replace(STORY_ARTICLE, item_id=f"i-{number:04x}", source=source)
        update = decide_story_alerts(state, article, rules, LATER + timedelta(minutes=number))
        assert update.state is not None
        state = update.state
        check_schema(state, "story_alert_state")  # also while elections-wide is held (rev. 0)
        sent.extend(update.alerts)
    assert [(a.rule_id, a.revision) for a in sent] == [
        ("elections", 1),
        ("elections", 2),
        ("elections", 3),
        ("elections-wide", 1),
    ]
    for alert in sent:
        check_schema(alert, "alert")


def test_spike_alert_and_window_counts_built_by_the_step_match_their_schemas() -> None:
    config = SpikeConfig()
    article = replace(ARTICLE, published_at=None)
    events = topic_events(article, config)
    assert {event.key for event in events} == {"elections", "elections|es"}
    alerts: list[Alert] = []
    for event in events:
        check_schema(event, "topic_event")
        state = None
        # A quiet baseline, then a burst in the event's own window.
        for back in range(config.baseline_windows, -1, -1):
            at = event.at - timedelta(seconds=back * config.window_seconds)
            burst = 1 if back else config.min_count
            for n in range(burst):
                counted = replace(event, item_id=f"i-{back}-{n}", at=at)
                state, alert = detect_spike(state, counted, config, LATER)
                alerts.extend([alert] if alert else [])
        assert state is not None
        check_schema(state, "window_counts")
    assert sorted(alert.language.code for alert in alerts) == ["es", "mul"]
    for alert in alerts:
        check_schema(alert, "alert")


def test_story_index_and_signature_built_by_the_step_match_their_schemas() -> None:
    config = StoryConfig()
    buckets: dict[str, StoryBucket] = {}
    signatures: dict[str, StorySignature] = {}
    text = "Adelantan las elecciones generales tras la crisis del gobierno en Madrid"
    for number in range(2):
        article = replace(ARTICLE, item_id=f"i-{number:04x}", title=text, summary=text)
        assignment = assign_story(
            article, 1_795_685_400.0 + number, buckets.get, signatures.get, config
        )
        for key, bucket in assignment.index_writes.items():
            assert bucket is not None
            buckets[key] = bucket
        for item_id, signature in assignment.signature_writes.items():
            assert signature is not None
            signatures[item_id] = signature
    assert len({s.story_id for s in signatures.values()}) == 1  # the copy joined the story
    for bucket in buckets.values():
        check_schema(bucket, "story_bucket")
    for signature in signatures.values():
        check_schema(signature, "story_signature")


def test_story_digests_built_by_the_link_step_match_their_schema(
    taxonomy: CompiledTaxonomy,
) -> None:
    """A new story's state and the state it relinks, with years and topics known."""
    vector = np.full(512, 512**-0.5, dtype=np.float32)  # one vector: the two link on cosine 1.0
    links = LinkConfig(min_score=0.9, topic_veto=True)
    config = LinkStageConfig(links=links, taxonomy=taxonomy)
    pool = LinkPool()
    text = "Un terremoto de magnitud 6,3 sacudió Herat, como el de octubre de 2023"
    for number, language in enumerate(("es", "en")):
        started = replace(STORY_STARTED, story_id=f"s-{number:016x}", language=language,
                          title=text, summary=text)  # fmt: skip
        outcome = link_step(encode_record(started), LATER, None, vector, pool, config)
        writes = apply_outcome(outcome, pool)
    assert [state.story_id for state in writes] == ["s-0000000000000001", "s-0000000000000000"]
    for state in writes:
        assert state.years == ("2023",) and state.topics is not None and state.linked_stories
        check_schema(state, "story_digest")
        assert DECODERS["story_digest"](encode_record(state)) == state


def test_encoded_records_hold_only_their_own_size_in_memory() -> None:
    """Tables keep encoded values for days: orjson's own result would keep its whole buffer
    (8 KiB for a ~900-byte value), a right-sized copy about the value's size."""
    records = [replace(TOPIC_EVENT, item_id=f"i-{n:04d}" + "x" * 800) for n in range(200)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [encode_record(record) for record in records]
        per_value = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert len(kept[0]) < per_value < 2 * len(kept[0]), per_value
