"""Records survive encode → decode, match their JSON Schemas, and bad bytes raise DecodeError."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import orjson
import pytest

from streams.codec import (
    decode_alert,
    decode_article,
    decode_dead_letter,
    decode_feed_registration,
    decode_feed_state,
    decode_raw_item,
    encode_record,
)
from streams.deadletter import make_dead_letter
from streams.errors import DecodeError
from streams.records import (
    ALERT_SCHEMA_VERSION,
    ARTICLE_SCHEMA_VERSION,
    DEAD_LETTER_SCHEMA_VERSION,
    FEED_REGISTRATION_SCHEMA_VERSION,
    FEED_STATE_SCHEMA_VERSION,
    RAW_ITEM_SCHEMA_VERSION,
    Alert,
    Article,
    FeedRegistration,
    FeedState,
    Language,
    RawItem,
    SeenEntry,
    TopicTag,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "streams" / "schemas"
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

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
    title="Título & más",
    summary="",
    language=Language("es", 0.97),
    topics=(TopicTag("elections", 2.5, ("elecciones",)),),
    published_at=NOW,
    fetched_at=NOW,
    enriched_at=NOW,
)
ALERT = Alert(
    alert_id="a-00ff",
    rule_id="watched-topics",
    severity="warning",
    item_id=RAW.item_id,
    title=ARTICLE.title,
    link=None,
    source=RAW.source,
    language=ARTICLE.language,
    topics=ARTICLE.topics,
    reason="watched topics: elections (elecciones)",
    published_at=None,
    raised_at=NOW,
)


CURRENT_VERSIONS = {
    "raw_item": RAW_ITEM_SCHEMA_VERSION,
    "article": ARTICLE_SCHEMA_VERSION,
    "alert": ALERT_SCHEMA_VERSION,
    "dead_letter": DEAD_LETTER_SCHEMA_VERSION,
    "feed_registration": FEED_REGISTRATION_SCHEMA_VERSION,
    "feed_state": FEED_STATE_SCHEMA_VERSION,
}


def schema(name: str) -> dict[str, object]:
    path = SCHEMAS / f"{name}.v{CURRENT_VERSIONS[name]}.json"
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


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


@pytest.mark.parametrize(
    ("record", "decode", "name"),
    [
        (RAW, decode_raw_item, "raw_item"),
        (replace(RAW, is_update=True), decode_raw_item, "raw_item"),
        (ARTICLE, decode_article, "article"),
        (ALERT, decode_alert, "alert"),
        (REGISTRATION, decode_feed_registration, "feed_registration"),
        (STATE, decode_feed_state, "feed_state"),
    ],
)
def test_record_round_trips_and_matches_its_schema(record, decode, name) -> None:  # type: ignore[no-untyped-def]
    payload = encode_record(record)
    jsonschema.validate(
        orjson.loads(payload), schema(name), format_checker=jsonschema.FormatChecker()
    )
    assert decode(payload) == record


def test_dead_letter_of_binary_payload_is_base64_and_round_trips() -> None:
    letter = make_dead_letter("enrich", b"\xff\x00bad", ValueError("boom"), NOW)
    payload = encode_record(letter)
    jsonschema.validate(orjson.loads(payload), schema("dead_letter"))
    assert letter.payload_encoding == "base64"
    assert decode_dead_letter(payload) == letter


def test_datetimes_are_written_with_utc_offset() -> None:
    assert orjson.loads(encode_record(RAW))["fetched_at"] == "2026-11-26T09:30:00+00:00"


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


def test_naive_timestamp_from_a_producer_is_read_as_utc() -> None:
    data = orjson.loads(encode_record(RAW))
    data["fetched_at"] = "2026-11-26T09:30:00"
    assert decode_raw_item(orjson.dumps(data)) == replace(RAW)


def test_raw_item_of_schema_version_1_is_still_read_as_not_an_update() -> None:
    data = orjson.loads(encode_record(RAW))
    del data["is_update"]
    data["schema_version"] = 1
    assert decode_raw_item(orjson.dumps(data)) == RAW
