"""orjson encoding and decoding: the only place where bytes become records and records bytes.

Decoders are strict: a missing field, a wrong type or an unknown schema version raises DecodeError,
so a malformed message becomes a dead letter instead of a half-built record. They ignore fields
they do not know: a newer minor version of a record only adds fields (docs/topics.md,
Compatibility), and a worker of the previous release must keep reading it during an upgrade.

`message_headers` gives the Kafka headers every message of ours carries, from `RECORD_TYPES`.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import orjson

from streams.errors import DecodeError
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
    DeadLetter,
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
from streams.settings import VERSION

Record = (
    RawItem
    | Article
    | Alert
    | DeadLetter
    | FeedRegistration
    | FeedState
    | TopicEvent
    | TopicEventBatch
    | WindowCounts
    | StoryBucket
    | StorySignature
    | StoryAlerts
    | StoryLinks
    | StoryStarted
    | StoryDigestState
)
R = TypeVar("R")

# Internal records (table values, re-keyed inputs) carry no schema_version field: only wirewatch's
# own stages read them, and their schema files are v1 until one of them changes shape.
INTERNAL_SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class RecordType:
    """How one record is named on the wire: its header, its schema file and the version written."""

    name: str  # the record class's name: the `wirewatch-record` header
    schema: str  # streams/schemas/<schema>.v<version>.json; the key of DECODERS
    version: int  # the major version written now (docs/topics.md, Compatibility)

    @property
    def schema_file(self) -> str:
        return f"{self.schema}.v{self.version}.json"


def _record_type(record: type[Record], schema: str, version: int) -> tuple[type, RecordType]:
    return record, RecordType(record.__name__, schema, version)


# The one table of record names and versions: headers, tests and docs take them from here.
RECORD_TYPES: dict[type, RecordType] = dict(
    [
        _record_type(RawItem, "raw_item", RAW_ITEM_SCHEMA_VERSION),
        _record_type(Article, "article", ARTICLE_SCHEMA_VERSION),
        _record_type(Alert, "alert", ALERT_SCHEMA_VERSION),
        _record_type(DeadLetter, "dead_letter", DEAD_LETTER_SCHEMA_VERSION),
        _record_type(FeedRegistration, "feed_registration", FEED_REGISTRATION_SCHEMA_VERSION),
        _record_type(FeedState, "feed_state", FEED_STATE_SCHEMA_VERSION),
        _record_type(TopicEvent, "topic_event", INTERNAL_SCHEMA_VERSION),
        _record_type(TopicEventBatch, "topic_event_batch", INTERNAL_SCHEMA_VERSION),
        _record_type(WindowCounts, "window_counts", INTERNAL_SCHEMA_VERSION),
        _record_type(StoryBucket, "story_bucket", INTERNAL_SCHEMA_VERSION),
        _record_type(StorySignature, "story_signature", INTERNAL_SCHEMA_VERSION),
        _record_type(StoryAlerts, "story_alert_state", INTERNAL_SCHEMA_VERSION),
        _record_type(StoryLinks, "story_links", STORY_LINKS_SCHEMA_VERSION),
        _record_type(StoryStarted, "story_started", INTERNAL_SCHEMA_VERSION),
        _record_type(StoryDigestState, "story_digest", INTERNAL_SCHEMA_VERSION),
    ]
)

CONTENT_TYPE_HEADER = "content-type"
RECORD_HEADER = "wirewatch-record"
SCHEMA_VERSION_HEADER = "wirewatch-schema-version"
PRODUCER_HEADER = "wirewatch-version"
CONTENT_TYPE = "application/json"

Headers = list[tuple[str, bytes]]  # Kafka headers as aiokafka and Faust take them


def message_headers(record: Record, content_type: str = CONTENT_TYPE) -> Headers:
    """The headers of a message whose value is `record`: content type, record, schema version
    and the wirewatch release that wrote it. A consumer can route or skip a message without
    parsing it; the values match the record's own `schema_version` (docs/topics.md). A message
    of several such records, one per line, has the content type NDJSON_CONTENT_TYPE."""
    kind = RECORD_TYPES[type(record)]
    return [
        (CONTENT_TYPE_HEADER, content_type.encode()),
        (RECORD_HEADER, kind.name.encode()),
        (SCHEMA_VERSION_HEADER, str(kind.version).encode()),
        (PRODUCER_HEADER, VERSION.encode()),
    ]


def tombstone_headers(record: type[Record]) -> Headers:
    """The headers of a tombstone (a null value) that removes a `record` kept under its key: no
    content type, as there is no content."""
    kind = RECORD_TYPES[record]
    return [
        (RECORD_HEADER, kind.name.encode()),
        (SCHEMA_VERSION_HEADER, str(kind.version).encode()),
        (PRODUCER_HEADER, VERSION.encode()),
    ]


# UTC datetimes are written "2026-11-26T03:30:00+00:00"; naive ones never reach here.
_ENCODE_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode_record(record: Record) -> bytes:
    """Serialize a record (a frozen dataclass) to JSON bytes; a bytes field as base64 text.

    The bytes are a right-sized copy: orjson 3.12+ returns bytes that keep their whole buffer's
    capacity (4 KiB, or the power of two it grew to), and the stages' tables keep values for days:
    measured 780 MiB for 100,000 ~900-byte values as returned, 93 MiB as copies
    (home-assistant/core#181245 traces it to orjson's writer never shrinking its buffer). The copy
    costs well under a microsecond for a record of a few KiB."""
    return bytes(memoryview(orjson.dumps(record, default=_encode_bytes, option=_ENCODE_OPTIONS)))


def _encode_bytes(value: object) -> str:
    # orjson calls this only for types it cannot write itself. The one bytes field is
    # StorySignature.signature: base64 is 684 characters for 128 values, a JSON list ~1,300.
    if isinstance(value, bytes):
        return binascii.b2a_base64(value, newline=False).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not a record field type")


# Records batched into one message (story-route) are written one per line: orjson never writes a
# raw newline (one inside a string is escaped), so a newline can only separate records.
RECORD_SEPARATOR = b"\n"
NDJSON_CONTENT_TYPE = "application/x-ndjson"


def join_records(encoded: Iterable[bytes], max_bytes: int) -> list[bytes]:
    """Encoded records as messages of newline-separated records, each message at most
    `max_bytes` long unless one record alone is longer (it then goes alone)."""
    messages: list[bytes] = []
    lines: list[bytes] = []
    size = 0
    for record in encoded:
        if lines and size + len(record) + 1 > max_bytes:
            messages.append(RECORD_SEPARATOR.join(lines))
            lines, size = [], 0
        lines.append(record)
        size += len(record) + 1
    if lines:
        messages.append(RECORD_SEPARATOR.join(lines))
    return messages


def split_records(payload: bytes) -> list[bytes]:
    """A message of newline-separated records as one payload each (one record: itself)."""
    return payload.split(RECORD_SEPARATOR)


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


def _objects(value: Any, name: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise DecodeError(f"field {name!r} must be a list of objects")
    return value


def _strings(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = _field(data, name, list)
    if not all(isinstance(entry, str) for entry in value):
        raise DecodeError(f"field {name!r} must be a list of strings")
    return tuple(value)


def _term_match(data: Mapping[str, Any]) -> TermMatch:
    return TermMatch(
        term=_field(data, "term", str),
        field=_field(data, "field", str),
        start=_field(data, "start", int),
        end=_field(data, "end", int),
    )


def _topics(value: Any) -> tuple[TopicTag, ...]:
    return tuple(
        TopicTag(
            id=_field(tag, "id", str),
            score=float(_field(tag, "score", (int, float))),
            evidence=_strings(tag, "evidence"),
            matches=tuple(_term_match(m) for m in _objects(tag.get("matches", []), "matches")),
        )
        for tag in _objects(value, "topics")
    )


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
        story_id=_optional(data, "story_id", str),
    )


def _alert_item(data: Mapping[str, Any]) -> AlertItem:
    return AlertItem(
        item_id=_field(data, "item_id", str),
        source=_field(data, "source", str),
        title=_field(data, "title", str),
        link=_optional(data, "link", str),
        language=_field(data, "language", str),
        published_at=_datetime(data, "published_at", optional=True),
    )


def _spike_window(value: Any) -> SpikeWindow | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DecodeError("field 'spike' must be an object or null")
    return SpikeWindow(
        key=_field(value, "key", str),
        topic=_field(value, "topic", str),
        language=_optional(value, "language", str),
        window_start=_required_datetime(value, "window_start"),
        window_seconds=_field(value, "window_seconds", int),
        count=_field(value, "count", int),
        baseline=float(_field(value, "baseline", (int, float))),
        factor=float(_field(value, "factor", (int, float))),
    )


def decode_alert(payload: bytes) -> Alert:
    """Bytes from the alerts topic to an Alert; raises DecodeError."""
    return _alert(decode_json(payload))


def _alert(data: Mapping[str, Any]) -> Alert:
    _version(data, ALERT_SCHEMA_VERSION, "Alert", oldest=ALERT_SCHEMA_VERSION)
    return Alert(
        alert_id=_field(data, "alert_id", str),
        rule_id=_field(data, "rule_id", str),
        kind=_field(data, "kind", str),
        severity=_field(data, "severity", str),
        revision=_field(data, "revision", int),
        story_id=_optional(data, "story_id", str),
        title=_field(data, "title", str),
        link=_optional(data, "link", str),
        language=_language(data.get("language")),
        topics=_topics(data.get("topics")),
        reason=_field(data, "reason", str),
        evidence=_strings(data, "evidence"),
        source_count=_field(data, "source_count", int),
        sources=_strings(data, "sources"),
        item_count=_field(data, "item_count", int),
        items=tuple(_alert_item(item) for item in _objects(data.get("items"), "items")),
        published_at=_datetime(data, "published_at", optional=True),
        first_raised_at=_required_datetime(data, "first_raised_at"),
        raised_at=_required_datetime(data, "raised_at"),
        spike=_spike_window(data.get("spike")),
        # Alert 2.1; absent from alerts written before it: no links known.
        linked_stories=_linked_stories(data),
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


def decode_topic_event(payload: bytes) -> TopicEvent:
    """Bytes from the topic-events topic to a TopicEvent; raises DecodeError."""
    data = decode_json(payload)
    return TopicEvent(
        key=_field(data, "key", str),
        topic=_field(data, "topic", str),
        language=_optional(data, "language", str),
        item_id=_field(data, "item_id", str),
        at=_required_datetime(data, "at"),
    )


def decode_topic_event_batch(payload: bytes) -> TopicEventBatch:
    """Bytes from the topic-events topic to a TopicEventBatch; raises DecodeError. A single
    TopicEvent (what releases before batching wrote, still in the topic after an upgrade) reads
    as a batch of one."""
    data = decode_json(payload)
    if "items" not in data:
        single = decode_topic_event(payload)
        return TopicEventBatch(
            single.key, single.topic, single.language, (TopicItem(single.item_id, single.at),)
        )
    return TopicEventBatch(
        key=_field(data, "key", str),
        topic=_field(data, "topic", str),
        language=_optional(data, "language", str),
        items=_topic_items(_field(data, "items", list)),
    )


def _topic_items(values: list[Any]) -> tuple[TopicItem, ...]:
    if not values:
        raise DecodeError("a topic event batch must hold at least one item")
    return tuple(_topic_item(value) for value in values)


def _topic_item(value: Any) -> TopicItem:
    if not isinstance(value, dict):
        raise DecodeError(f"a topic event batch item must be an object, got {type(value).__name__}")
    return TopicItem(item_id=_field(value, "item_id", str), at=_required_datetime(value, "at"))


def _count_pair(value: Any) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ):
        raise DecodeError("each window count must be [window_start, count]")
    return value[0], value[1]


def decode_window_counts(payload: bytes) -> WindowCounts:
    """Bytes from the spike-windows table's changelog to WindowCounts; raises DecodeError."""
    data = decode_json(payload)
    return WindowCounts(
        window_seconds=_field(data, "window_seconds", int),
        counts=tuple(_count_pair(pair) for pair in _field(data, "counts", list)),
        alerted_window=_optional(data, "alerted_window", int),
        recent_item_ids=_strings(data, "recent_item_ids") if "recent_item_ids" in data else (),
    )


def decode_story_bucket(payload: bytes) -> StoryBucket:
    """Bytes from the story-index table's changelog to a StoryBucket; raises DecodeError."""
    data = decode_json(payload)
    return StoryBucket(
        members=tuple(
            StoryMember(
                item_id=_field(member, "item_id", str),
                story_id=_field(member, "story_id", str),
                seen_at=float(_field(member, "seen_at", (int, float))),
            )
            for member in _objects(data.get("members"), "members")
        )
    )


def decode_story_signature(payload: bytes) -> StorySignature:
    """Bytes from the story-signatures table's changelog to a StorySignature; raises DecodeError."""
    data = decode_json(payload)
    return StorySignature(
        story_id=_field(data, "story_id", str),
        signature=_signature(_field(data, "signature", (str, list))),
        seen_at=float(_field(data, "seen_at", (int, float))),
        # v1.1; a v1 record (before the index was derived from this table) has neither.
        link_key=_optional(data, "link_key", str),
        earlier=tuple(
            StoryIndexEntry(
                story_id=_field(entry, "story_id", str),
                seen_at=float(_field(entry, "seen_at", (int, float))),
                keys=_strings(entry, "keys"),
            )
            for entry in _objects(data.get("earlier", []), "earlier")
        ),
    )


def _signature(value: str | list[Any]) -> bytes:
    """A StorySignature's `signature` as little-endian uint32 bytes: base64 text since v1.2, a
    list of integers in v1 and v1.1 (still in the changelog of a worker upgraded mid-horizon)."""
    if isinstance(value, str):
        try:
            raw = binascii.a2b_base64(value, strict_mode=True)
        except binascii.Error as exc:
            raise DecodeError(f"field 'signature' is not base64: {exc}") from None
        if len(raw) % 4:
            raise DecodeError("field 'signature' must hold whole 32-bit values")
        return raw
    # type() rather than isinstance, which would let a bool through.
    if not set(map(type, value)) <= {int}:
        raise DecodeError("field 'signature' must be a list of integers")
    try:
        return np.array(value, dtype="<u4").tobytes()
    except OverflowError:
        raise DecodeError("field 'signature' holds a value outside 0..2^32-1") from None


def decode_story_alerts(payload: bytes) -> StoryAlerts:
    """Bytes from the alert-state table's changelog to StoryAlerts; raises DecodeError."""
    data = decode_json(payload)
    return StoryAlerts(
        story_id=_field(data, "story_id", str),
        states=tuple(
            StoryAlertState(
                alert=_alert(_field(state, "alert", dict)),
                unlisted_item_ids=_strings(state, "unlisted_item_ids"),
            )
            for state in _objects(data.get("states"), "states")
        ),
        updated_at=_required_datetime(data, "updated_at"),
        linked_stories=_linked_stories(data),
    )


def _floats(data: Mapping[str, Any], name: str) -> tuple[float, ...]:
    value = _field(data, name, list)
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value):
        raise DecodeError(f"field {name!r} must be a list of numbers")
    return tuple(float(n) for n in value)


def _linked_story(data: Mapping[str, Any]) -> LinkedStory:
    return LinkedStory(
        story_id=_field(data, "story_id", str),
        language=_field(data, "language", str),
        title=_field(data, "title", str),
        link=_optional(data, "link", str),
        score=float(_field(data, "score", (int, float))),
        shared_numbers=_strings(data, "shared_numbers"),
        shared_names=_strings(data, "shared_names"),
    )


def _linked_stories(data: Mapping[str, Any]) -> tuple[LinkedStory, ...]:
    """The `linked_stories` of a record that may predate the field (then none)."""
    return tuple(
        _linked_story(entry) for entry in _objects(data.get("linked_stories", []), "linked_stories")
    )


def decode_story_links(payload: bytes) -> StoryLinks:
    """Bytes from the story-links topic to StoryLinks; raises DecodeError."""
    data = decode_json(payload)
    _version(data, STORY_LINKS_SCHEMA_VERSION, "StoryLinks")
    return StoryLinks(
        story_id=_field(data, "story_id", str),
        language=_field(data, "language", str),
        linked_stories=_linked_stories(data),
        updated_at=_required_datetime(data, "updated_at"),
    )


def decode_story_started(payload: bytes) -> StoryStarted:
    """Bytes from the story-starts topic to a StoryStarted; raises DecodeError."""
    data = decode_json(payload)
    return StoryStarted(
        story_id=_field(data, "story_id", str),
        language=_field(data, "language", str),
        title=_field(data, "title", str),
        summary=_field(data, "summary", str),
        link=_optional(data, "link", str),
        fetched_at=_required_datetime(data, "fetched_at"),
        sent_at=_required_datetime(data, "sent_at"),
    )


def decode_story_digest(payload: bytes) -> StoryDigestState:
    """Bytes from the story-digests table's changelog to a StoryDigestState; raises DecodeError."""
    data = decode_json(payload)
    return StoryDigestState(
        story_id=_field(data, "story_id", str),
        language=_field(data, "language", str),
        title=_field(data, "title", str),
        link=_optional(data, "link", str),
        seen_at=float(_field(data, "seen_at", (int, float))),
        numbers=_strings(data, "numbers"),
        names=_strings(data, "names"),
        embedding=_field(data, "embedding", str),
        neighbours=_floats(data, "neighbours"),
        linked_stories=_linked_stories(data),
        # v1.1; a v1 value (written before the link vetoes' details were kept) has neither: it
        # names no year and its topics are unknown, so it never vetoes, as before.
        years=_strings(data, "years") if "years" in data else (),
        topics=_strings(data, "topics") if data.get("topics") is not None else None,
        # v1.2; a v1 or v1.1 value has no countries: unknown, so it never vetoes.
        countries=_strings(data, "countries") if data.get("countries") is not None else None,
    )


DECODERS: dict[str, Callable[[bytes], Record]] = {
    "raw_item": decode_raw_item,
    "article": decode_article,
    "alert": decode_alert,
    "dead_letter": decode_dead_letter,
    "feed_registration": decode_feed_registration,
    "feed_state": decode_feed_state,
    "topic_event": decode_topic_event,
    "topic_event_batch": decode_topic_event_batch,
    "window_counts": decode_window_counts,
    "story_bucket": decode_story_bucket,
    "story_signature": decode_story_signature,
    "story_alert_state": decode_story_alerts,
    "story_links": decode_story_links,
    "story_started": decode_story_started,
    "story_digest": decode_story_digest,
}
