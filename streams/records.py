"""Typed records that flow between stages: RawItem → Article → Alert, plus DeadLetter.

Records are frozen dataclasses with no Faust types so pure steps test without Kafka; `codec.py` is
the only place where they become bytes and back. A schema version is a major version: an added
field keeps it and publishes a new minor schema file, any other change bumps it
(docs/topics.md, Compatibility); either way `streams/schemas/` and `docs/topics.md` change too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

RAW_ITEM_SCHEMA_VERSION = 2  # v2: is_update
ARTICLE_SCHEMA_VERSION = 3  # v2: is_update; v3: story_id, topic matches with positions
ALERT_SCHEMA_VERSION = 2  # v2: one alert per rule and story (or spike), revised as it grows
DEAD_LETTER_SCHEMA_VERSION = 1
FEED_REGISTRATION_SCHEMA_VERSION = 1
FEED_STATE_SCHEMA_VERSION = 1
STORY_LINKS_SCHEMA_VERSION = 1

UNDETERMINED = "und"


# The closed sets that label metrics and fill record fields: one spelling, iterated to pre-create
# every metric series (the jupyterhub metrics.py pattern). StrEnum values are plain str on the wire.
class Stage(StrEnum):
    POLL = "poll"
    ENRICH = "enrich"
    STORY = "story"
    ALERT = "alert"
    SPIKE = "spike"
    LINK = "link"


class Outcome(StrEnum):
    OK = "ok"
    DEAD_LETTER = "dead_letter"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertKind(StrEnum):
    STORY = "story"
    SPIKE = "spike"


@dataclass(frozen=True, slots=True)
class Language:
    code: str  # ISO 639-1 if one exists, else 639-3; "und" when unsure
    confidence: float  # 0.0–1.0


@dataclass(frozen=True, slots=True)
class TermMatch:
    """Where a term was found: an analyst can highlight it, a consumer can check it."""

    term: str  # as written in the text: text[start:end] of the field
    field: str  # "title" | "summary"
    start: int  # character offsets in the cleaned field
    end: int


@dataclass(frozen=True, slots=True)
class TopicTag:
    id: str  # taxonomy topic id, e.g. "elections"
    score: float  # sum of matched term weights; below the topic's threshold: an arbiter's tag
    evidence: tuple[str, ...]  # the distinct matched terms, as written in the text
    matches: tuple[TermMatch, ...] = ()  # every counted match with its position


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
    # Items telling the same story (near-duplicates across feeds) share it; None until the story
    # stage has seen the article (always None on the articles topic, set on story-articles).
    story_id: str | None = None
    schema_version: int = ARTICLE_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class AlertItem:
    """One item behind an alert, with its link for the analyst."""

    item_id: str
    source: str
    title: str
    link: str | None
    language: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class SpikeWindow:
    """The counts behind a breaking-news (spike) alert."""

    key: str  # what was counted: a topic id, or "topic|language"
    topic: str
    language: str | None  # None when counted over every language
    window_start: datetime
    window_seconds: int
    count: int  # items in the current window
    baseline: float  # mean items per window over the previous windows
    factor: float  # the configured factor the count exceeded


@dataclass(frozen=True, slots=True)
class LinkedStory:
    """A story in another language that reports the same event (streams/stories/links.py)."""

    story_id: str
    language: str  # the linked story's language code
    title: str  # of the linked story's first item, so a consumer can read it
    link: str | None  # of that item
    score: float  # the link score: margin-scored cosine plus shared evidence
    shared_numbers: tuple[str, ...]  # informative numbers both stories carry, normalised
    shared_names: tuple[str, ...]  # consonant skeletons of names both stories carry


@dataclass(frozen=True, slots=True)
class Alert:
    """A rule matched a story (or a topic spiked); keyed by alert_id.

    One alert per rule and story: when more outlets report the story, the same alert_id is sent
    again with `revision` + 1 and the new item and source added, so a consumer that keeps the
    latest message per key (a compacted topic, a table) holds one alert per story.
    """

    alert_id: str  # hash of rule + story (or spike key + window): the Kafka key
    rule_id: str
    kind: str  # "story" | "spike"
    severity: str  # "info" | "warning" | "critical"
    revision: int  # 1 when first raised; +1 per update
    story_id: str | None  # None for spike alerts
    title: str  # of the first item (story) or a summary line (spike)
    link: str | None
    language: Language
    topics: tuple[TopicTag, ...]  # the topics that satisfied the rule, with their evidence
    reason: str  # why, in one line an analyst reads
    evidence: tuple[str, ...]  # watchlist terms or entities that matched, as written
    source_count: int  # distinct sources reporting the story
    sources: tuple[str, ...]  # distinct sources, first reporter first
    item_count: int  # items behind the alert, including any not listed in `items`
    items: tuple[AlertItem, ...]  # the items behind the alert, oldest first (bounded)
    published_at: datetime | None  # of the first item
    first_raised_at: datetime
    raised_at: datetime  # of this revision
    spike: SpikeWindow | None = None
    # Alert 2.1: the story's links to stories in other languages as this revision was sent,
    # best first; empty for spike alerts and until the link stage links the story. Links never
    # cause a revision of their own: the story-links topic has the current links.
    linked_stories: tuple[LinkedStory, ...] = ()
    schema_version: int = ALERT_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Something a stage could not handle, kept whole with the reason so nothing is lost."""

    stage: str  # "poll" | "enrich" | "story" | "alert" | "spike"
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


@dataclass(frozen=True, slots=True)
class TopicEvent:
    """One article counted for one spike key; the spike stage's input, keyed by `key`."""

    key: str  # a topic id, or "topic|language"
    topic: str
    language: str | None
    item_id: str
    at: datetime  # when the item was fetched: the window it counts in


@dataclass(frozen=True, slots=True)
class TopicItem:
    """One item counted in a TopicEventBatch."""

    item_id: str
    at: datetime  # when the item was fetched: the window it counts in


@dataclass(frozen=True, slots=True)
class TopicEventBatch:
    """The topic events of one enrich batch for one spike key, in the order the items were
    enriched: the spike stage's input, keyed by `key`. One message and one table write per key
    per batch instead of one per item and key (docs/topics.md, "Batches")."""

    key: str  # a topic id, or "topic|language"
    topic: str
    language: str | None
    items: tuple[TopicItem, ...]

    def events(self) -> tuple[TopicEvent, ...]:
        """The batch as the single events the spike stage counts, in order."""
        return tuple(
            TopicEvent(self.key, self.topic, self.language, item.item_id, item.at)
            for item in self.items
        )


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Recent windowed counts for one spike key: the spike table's value (changelog-backed)."""

    window_seconds: int
    counts: tuple[tuple[int, int], ...]  # (window start, epoch seconds; items), oldest first
    alerted_window: int | None = None  # start of the window a spike alert was raised for
    # The last item ids counted for this key, newest last, at most SpikeConfig.remembered_ids:
    # an event redelivered after a crash is recognised and not counted twice.
    recent_item_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryMember:
    """A recent item in one LSH bucket of the story index."""

    item_id: str
    story_id: str
    seen_at: float  # epoch seconds; members older than the story horizon are dropped


@dataclass(frozen=True, slots=True)
class StoryBucket:
    """The story index table's value for one LSH band key: the recent items that hashed there."""

    members: tuple[StoryMember, ...]


@dataclass(frozen=True, slots=True)
class StoryIndexEntry:
    """An earlier version of an item (before an update) as the story index holds it: a member of
    these band and link keys since `seen_at`, until the horizon or the buckets' caps drop it."""

    story_id: str  # the story it was placed in then (an item known only by its link may move)
    seen_at: float
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StorySignature:
    """The story signature table's value for one item id: its MinHash, to confirm candidates, and
    what the in-memory band and link index is rebuilt from (streams/stories/cluster.py)."""

    story_id: str
    # The MinHash values, unsigned 32-bit little-endian, 4 bytes each (512 for 128 permutations):
    # a tuple of Python ints took ~5 KB an item. Empty: too little text to compare; indexed by its
    # link alone.
    signature: bytes
    seen_at: float
    link_key: str | None = None  # the item's link key in the index, if its link is one
    # Earlier versions still within the horizon, oldest first: an update leaves the item in the
    # buckets of its old band keys, so a rebuild must put it there too.
    earlier: tuple[StoryIndexEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class StoryAlertState:
    """One rule's alert on one story, between items."""

    # The alert as last built; revision 0 while fewer than the rule's min_sources distinct sources
    # report the story: it collects the items and is not sent.
    alert: Alert
    # Ids of items behind the alert that are not in alert.items (newest MAX_UNLISTED_ITEM_IDS).
    unlisted_item_ids: tuple[str, ...] = ()

    @property
    def raised(self) -> bool:
        return self.alert.revision > 0

    def holds(self, item_id: str) -> bool:
        """Whether the item is already behind the alert."""
        return item_id in self.unlisted_item_ids or any(
            item.item_id == item_id for item in self.alert.items
        )


@dataclass(frozen=True, slots=True)
class StoryAlerts:
    """The alert stage's table value for one story: every rule's alert on it."""

    story_id: str
    states: tuple[StoryAlertState, ...]  # one per rule that matched, in the order they first did
    updated_at: datetime  # when an item last changed it: lets the stage expire old stories
    # The story's latest links from story-links, put on the next revision of its alerts.
    linked_stories: tuple[LinkedStory, ...] = ()

    def state_for(self, rule_id: str) -> StoryAlertState | None:
        return next((s for s in self.states if s.alert.rule_id == rule_id), None)


@dataclass(frozen=True, slots=True)
class StoryLinks:
    """A story's links to stories in other languages: the story-links topic's value (public,
    compacted, key story_id). Each message holds the story's complete current list."""

    story_id: str
    language: str
    linked_stories: tuple[LinkedStory, ...]  # best score first, at most LinkStageConfig.max_links
    updated_at: datetime
    schema_version: int = STORY_LINKS_SCHEMA_VERSION


@dataclass(frozen=True, slots=True)
class StoryStarted:
    """A new story, for the link stage (internal topic story-starts, one constant key)."""

    story_id: str
    language: str
    title: str  # of the item that started the story
    summary: str
    link: str | None
    fetched_at: datetime  # the item's: when the story was first seen (the link time window)
    sent_at: datetime  # when the story stage sent this: the link stage's lag is measured from it


@dataclass(frozen=True, slots=True)
class StoryDigestState:
    """The link stage's table value for one story (story-digests, key story_id): what it is
    compared by, its nearest other-language cosines and its current links."""

    story_id: str
    language: str
    title: str
    link: str | None
    seen_at: float  # epoch seconds (the first item's fetched_at); past the window it is swept
    numbers: tuple[str, ...]
    names: tuple[str, ...]
    embedding: str  # base64 of the L2-normalised embedding as little-endian float16
    neighbours: tuple[float, ...]  # the best cosines to other-language stories, best first
    linked_stories: tuple[LinkedStory, ...]
    # v1.1: the details the link vetoes compare (streams/stories/links.py), kept here so that a
    # pool rebuilt from the table after a restart vetoes what it vetoed before. A v1 value has
    # neither: it reads as naming no year, topics unknown, which never vetoes.
    years: tuple[str, ...] = ()  # the years its text names (extract_years), sorted
    topics: tuple[str, ...] | None = None  # its taxonomy topic ids, sorted; None: not known
    # v1.2: the countries its title and lead name (ISO 3166 codes, sorted; countries.py), for the
    # country veto; None (a v1/v1.1 value, or no CLDR names for its language): never vetoes.
    countries: tuple[str, ...] | None = None
