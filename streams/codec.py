"""orjson encoding and decoding: the only place where bytes become records and records bytes.

Decoders are strict: a missing field, a wrong type or an unknown schema version raises DecodeError,
so a malformed message becomes a dead letter instead of a half-built record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson

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
    DeadLetter,
    FeedRegistration,
    FeedState,
    Language,
    RawItem,
    SeenEntry,
    TopicTag,
)

Record = RawItem | Article | Alert | DeadLetter | FeedRegistration | FeedState
R = TypeVar("R")

# UTC datetimes are written "2026-11-26T03:30:00+00:00"; naive ones never reach here.
_ENCODE_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode_record(record: Record) -> bytes:
    """Serialize a record (a frozen dataclass) to JSON bytes."""
    return orjson.dumps(record, option=_ENCODE_OPTIONS)


def decode_json(payload: bytes) -> Mapping[str, Any]:
    """Parse bytes as a JSON object; raise DecodeError for anything else."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not valid UTF-8 JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in data:
        raise DecodeError(f"missing field {name!r}")
    value = data[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        raise DecodeError(f"field {name!r} has type {type(value).__name__}")
    return value


def _optional(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise DecodeError(f"field {name!r} has type {type(value).__name__}")
    return value


def _datetime(data: Mapping[str, Any], name: str, optional: bool = False) -> datetime | None:
    value = data.get(name)
    if value is None:
        if optional:
            return None
        raise DecodeError(f"missing field {name!r}")
    if not isinstance(value, str):
        raise DecodeError(f"field {name!r} must be an ISO 8601 string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DecodeError(f"field {name!r}: {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _version(data: Mapping[str, Any], expected: int, record: str, oldest: int | None = None) -> int:
    """The record's schema version; versions from `oldest` to `expected` are read."""
    version: int = _field(data, "schema_version", int)
    if not (oldest or expected) <= version <= expected:
        raise DecodeError(
            f"{record} schema_version {version} is not supported (expected {expected})"
        )
    return version


def _flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise DecodeError(f"field {name!r} must be true or false")
    return value


def _language(value: Any) -> Language:
    if not isinstance(value, dict):
        raise DecodeError("field 'language' must be an object {code, confidence}")
    return Language(_field(value, "code", str), float(_field(value, "confidence", (int, float))))


def _topics(value: Any) -> tuple[TopicTag, ...]:
    if not isinstance(value, list):
        raise DecodeError("field 'topics' must be a list")
    tags = []
    for tag in value:
        if not isinstance(tag, dict):
            raise DecodeError("each topic must be an object {id, score, evidence}")
        evidence = _field(tag, "evidence", list)
        tags.append(
            TopicTag(
                _field(tag, "id", str),
                float(_field(tag, "score", (int, float))),
                tuple(str(e) for e in evidence),
            )
        )
    return tuple(tags)


def _required_datetime(data: Mapping[str, Any], name: str) -> datetime:
    value = _datetime(data, name)
    assert value is not None  # _datetime raises for a missing required field
    return value


def decode_raw_item(payload: bytes) -> RawItem:
    """Bytes from the raw-items topic to a RawItem; raises DecodeError."""
    data = decode_json(payload)
    # v1 (no is_update) is still read: a poller of the previous release may be running.
    _version(data, RAW_ITEM_SCHEMA_VERSION, "RawItem", oldest=1)
    return RawItem(
        item_id=_field(data, "item_id", str),
        feed_id=_field(data, "feed_id", str),
        feed_url=_field(data, "feed_url", str),
        source=_field(data, "source", str),
        guid=_optional(data, "guid", str),
        link=_optional(data, "link", str),
        title=_field(data, "title", str),
        summary=_field(data, "summary", str),
        language_hint=_optional(data, "language_hint", str),
        published_at=_datetime(data, "published_at", optional=True),
        fetched_at=_required_datetime(data, "fetched_at"),
        is_update=_flag(data, "is_update"),
    )


def decode_article(payload: bytes) -> Article:
    """Bytes from the articles topic to an Article; raises DecodeError."""
    data = decode_json(payload)
    _version(data, ARTICLE_SCHEMA_VERSION, "Article", oldest=1)
    return Article(
        item_id=_field(data, "item_id", str),
        feed_id=_field(data, "feed_id", str),
        source=_field(data, "source", str),
        link=_optional(data, "link", str),
        title=_field(data, "title", str),
        summary=_field(data, "summary", str),
        language=_language(data.get("language")),
        topics=_topics(data.get("topics")),
        published_at=_datetime(data, "published_at", optional=True),
        fetched_at=_required_datetime(data, "fetched_at"),
        enriched_at=_required_datetime(data, "enriched_at"),
        is_update=_flag(data, "is_update"),
    )


def decode_alert(payload: bytes) -> Alert:
    """Bytes from the alerts topic to an Alert; raises DecodeError."""
    data = decode_json(payload)
    _version(data, ALERT_SCHEMA_VERSION, "Alert")
    return Alert(
        alert_id=_field(data, "alert_id", str),
        rule_id=_field(data, "rule_id", str),
        severity=_field(data, "severity", str),
        item_id=_field(data, "item_id", str),
        title=_field(data, "title", str),
        link=_optional(data, "link", str),
        source=_field(data, "source", str),
        language=_language(data.get("language")),
        topics=_topics(data.get("topics")),
        reason=_field(data, "reason", str),
        published_at=_datetime(data, "published_at", optional=True),
        raised_at=_required_datetime(data, "raised_at"),
    )


def decode_dead_letter(payload: bytes) -> DeadLetter:
    """Bytes from the dead-letters topic to a DeadLetter; raises DecodeError."""
    data = decode_json(payload)
    _version(data, DEAD_LETTER_SCHEMA_VERSION, "DeadLetter")
    return DeadLetter(
        stage=_field(data, "stage", str),
        error_type=_field(data, "error_type", str),
        reason=_field(data, "reason", str),
        payload=_field(data, "payload", str),
        payload_encoding=_field(data, "payload_encoding", str),
        failed_at=_required_datetime(data, "failed_at"),
        item_id=_optional(data, "item_id", str),
        source_topic=_optional(data, "source_topic", str),
        source_partition=_optional(data, "source_partition", int),
        source_offset=_optional(data, "source_offset", int),
        extra=dict(_optional(data, "extra", dict) or {}),
    )


def decode_feed_registration(payload: bytes) -> FeedRegistration:
    """Bytes from the feeds topic to a FeedRegistration; raises DecodeError."""
    data = decode_json(payload)
    _version(data, FEED_REGISTRATION_SCHEMA_VERSION, "FeedRegistration")
    interval = _optional(data, "interval_seconds", (int, float))
    return FeedRegistration(
        feed_id=_field(data, "feed_id", str),
        url=_field(data, "url", str),
        name=_optional(data, "name", str),
        language=_optional(data, "language", str),
        interval_seconds=float(interval) if interval is not None else None,
        registered_at=_required_datetime(data, "registered_at"),
    )


def _seen_entry(value: Any) -> SeenEntry:
    if not isinstance(value, dict):
        raise DecodeError("each seen entry must be an object")
    return SeenEntry(
        _field(value, "item_id", str),
        _field(value, "fingerprint", str),
        float(_field(value, "first_seen", (int, float))),
    )


def decode_feed_state(payload: bytes) -> FeedState:
    """Bytes from the feed-state topic to a FeedState; raises DecodeError."""
    data = decode_json(payload)
    _version(data, FEED_STATE_SCHEMA_VERSION, "FeedState")
    return FeedState(
        feed_id=_field(data, "feed_id", str),
        url=_field(data, "url", str),
        etag=_optional(data, "etag", str),
        last_modified=_optional(data, "last_modified", str),
        interval_seconds=float(_field(data, "interval_seconds", (int, float))),
        next_due_at=float(_field(data, "next_due_at", (int, float))),
        last_success_at=_datetime(data, "last_success_at", optional=True),
        last_error=_optional(data, "last_error", str),
        last_error_at=_datetime(data, "last_error_at", optional=True),
        consecutive_failures=_field(data, "consecutive_failures", int),
        items_seen=_field(data, "items_seen", int),
        disabled_reason=_optional(data, "disabled_reason", str),
        registered_at=_datetime(data, "registered_at", optional=True),
        seen=tuple(_seen_entry(entry) for entry in _field(data, "seen", list)),
    )


DECODERS: dict[str, Callable[[bytes], Record]] = {
    "raw_item": decode_raw_item,
    "article": decode_article,
    "alert": decode_alert,
    "dead_letter": decode_dead_letter,
    "feed_registration": decode_feed_registration,
    "feed_state": decode_feed_state,
}
