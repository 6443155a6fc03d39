"""Typed records that flow between stages: RawItem → Article → Alert, plus DeadLetter.

Records are frozen dataclasses with no Faust types so pure steps test without Kafka; `codec.py` is
the only place where they become bytes and back. A field change bumps that record's
schema version and updates `streams/schemas/` and `docs/topics.md`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

RAW_ITEM_SCHEMA_VERSION = 2  # v2: is_update
ARTICLE_SCHEMA_VERSION = 2  # v2: is_update
ALERT_SCHEMA_VERSION = 1
DEAD_LETTER_SCHEMA_VERSION = 1
FEED_REGISTRATION_SCHEMA_VERSION = 1
FEED_STATE_SCHEMA_VERSION = 1

UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1 if one exists, else 639-3; "und" when unsure
    confidence: float  # 0.0–1.0


@dataclass(frozen=True, slots=True)
class TopicTag:
    id: str  # taxonomy topic id, e.g. "elections"
    score: float  # sum of matched term weights; >= the topic's threshold
    evidence: tuple[str, ...]  # the matched terms, as written in the text


@dataclass(frozen=True, slots=True)
class RawItem:
    """One feed entry as the poller saw it, before any cleaning."""

    item_id: str  # stable: feed + guid, else link, else content hash; the Kafka key
    feed_id: str
    feed_url: str
    source: str  # the feed's own title, or its configured name
    guid: str | None
    link: str | None
    title: str  # may hold HTML and entities
    summary: str  # may hold HTML and entities
    language_hint: str | None  # the feed's declared language, a prior only
    published_at: datetime | None
    fetched_at: datetime
    # True when this id was emitted before and its title or summary changed since: an update of
    # the same item, not a new one.
    is_update: bool = False
    schema_version: int = RAW_ITEM_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class Article:
    """A raw item cleaned, with its language and topics."""

    item_id: str
    feed_id: str
    source: str
    link: str | None
    title: str  # plain text, NFC
    summary: str  # plain text, NFC
    language: Language
    topics: tuple[TopicTag, ...]
    published_at: datetime | None
    fetched_at: datetime
    enriched_at: datetime
    is_update: bool = False  # the raw item was an update of an item already emitted
    schema_version: int = ARTICLE_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class Alert:
    """An article matched a watched topic; keyed by the article's item id."""

    alert_id: str  # item_id + rule_id: re-processing the same item yields the same alert id
    rule_id: str
    severity: str  # "info" | "warning" | "critical"
    item_id: str
    title: str
    link: str | None
    source: str
    language: Language
    topics: tuple[TopicTag, ...]  # the matched watched topics only
    reason: str
    published_at: datetime | None
    raised_at: datetime
    schema_version: int = ALERT_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Something a stage could not handle, kept whole with the reason so nothing is lost."""

    stage: str  # "poll" | "enrich" | "alert"
    error_type: str  # the exception class name
    reason: str
    payload: str  # the original bytes, as UTF-8 text or base64 (see payload_encoding)
    payload_encoding: str  # "utf-8" | "base64"
    failed_at: datetime
    item_id: str | None = None
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None
    schema_version: int = DEAD_LETTER_SCHEMA_VERSION
    extra: dict[str, str] = field(default_factory=dict)  # e.g. feed_url for poll failures


@dataclass(frozen=True, slots=True)
class FeedRegistration:
    """A feed to poll, kept in the compacted feeds topic (key: feed_id; a tombstone removes it)."""

    feed_id: str
    url: str
    name: str | None
    language: str | None  # the feed's language, a prior for detection only
    interval_seconds: float | None  # pinned poll interval; None lets the poller adapt
    registered_at: datetime
    schema_version: int = FEED_REGISTRATION_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class SeenEntry:
    item_id: str
    fingerprint: str  # of title + summary: a change makes the entry an update
    first_seen: float  # epoch seconds; entries older than the retention window are forgotten


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's polling state and health, in the compacted feed-state topic (key: feed_id).

    It is co-partitioned with the feeds topic (same key, same partition count), so the poller that
    owns a feed's registration also owns its state, and a poller taking over a feed after a
    restart or a rebalance continues from the validators, schedule and seen-set kept here.
    """

    feed_id: str
    url: str  # current address: a permanent redirect (301/308) replaces the registered one
    etag: str | None
    last_modified: str | None
    interval_seconds: float
    next_due_at: float  # epoch seconds
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    items_seen: int
    disabled_reason: str | None  # e.g. "410 Gone": not polled until registered again
    registered_at: datetime | None  # of the registration this state belongs to
    seen: tuple[SeenEntry, ...]
    schema_version: int = FEED_STATE_SCHEMA_VERSION
