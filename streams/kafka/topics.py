"""The table of wirewatch's Kafka topics: name suffix, record, key, partitions and retention.

Consumer integrations rely on this table (and on docs/topics.md, which describes it): every
message is keyed by a stable id (item, story, alert), so re-polling or re-processing lands on the
same partition and a compacting or deduplicating consumer sees one key per thing. Internal topics
(re-keyed inputs of the story and spike stages, and the changelogs of their Faust tables) are here
too: Faust never creates topics, so every topic a worker touches is created with its retention.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.settings import Settings

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    suffix: str
    record: str  # key into codec.DECODERS and the schema file name
    key: str  # what the message key holds
    retention_ms: int
    cleanup_policy: str = "delete"

    def name(self, settings: Settings) -> str:
        return settings.topic(self.suffix)


RAW_ITEMS = TopicSpec("raw-items", "raw_item", "item_id", retention_ms=7 * DAY_MS)
ARTICLES = TopicSpec("articles", "article", "item_id", retention_ms=30 * DAY_MS)
# Articles with their story id, keyed by it: the alert stage keeps one alert per rule and story.
STORY_ARTICLES = TopicSpec("story-articles", "article", "story_id", retention_ms=30 * DAY_MS)
# One alert per rule and story, re-sent under the same key as it is updated: compacted, so the
# latest revision of every alert stays, and deleted after 90 days.
ALERTS = TopicSpec(
    "alerts", "alert", "alert_id", retention_ms=90 * DAY_MS, cleanup_policy="compact,delete"
)
# A story's links to stories in other languages, the whole current list re-sent under the story's
# key whenever it changes: compacted like alerts, and kept as long as the alerts that name them.
STORY_LINKS = TopicSpec(
    "story-links", "story_links", "story_id", retention_ms=90 * DAY_MS,
    cleanup_policy="compact,delete",
)  # fmt: skip
# Dead letters are kept longest: they are the only copy of input a stage could not handle.
DEAD_LETTERS = TopicSpec("dead-letters", "dead_letter", "item_id or none", retention_ms=90 * DAY_MS)

# Poller-side state, compacted: the latest value per feed id is all that matters. Both are keyed
# by feed id with the same partition count, so they are co-partitioned: the poller that owns a
# feed's registration partition owns its state partition too.
FEEDS = TopicSpec(
    "feeds", "feed_registration", "feed_id", retention_ms=-1, cleanup_policy="compact"
)
FEED_STATE = TopicSpec(
    "feed-state", "feed_state", "feed_id", retention_ms=-1, cleanup_policy="compact"
)

# Internal: articles re-keyed for the story stage (by script: near-duplicates share a script, so
# one partition sees all candidates), and topic events re-keyed for the spike stage (by topic).
STORY_ROUTE = TopicSpec("story-route", "article", "script group", retention_ms=DAY_MS)
TOPIC_EVENTS = TopicSpec("topic-events", "topic_event", "topic or topic|language", DAY_MS)
# New stories for the link stage, all under one constant key (STORY_STARTS_KEY): every language
# must meet in one pool, so one partition and one worker see them all. Only new stories come here
# (at most about a third of the items) and the stage is rate limited, so one worker suffices.
STORY_STARTS_KEY = "links"
STORY_STARTS = TopicSpec("story-starts", "story_started", "the constant 'links'", DAY_MS)

# Changelogs of the Faust tables (memory store): a restarted or rebalanced worker rebuilds its
# tables from them. Each has the partition count of the topic its table's agent reads.
# The story stage's band and link index has no changelog: it is rebuilt in memory from the
# signatures (agents/story.py). Releases before it wrote `story-index-changelog`; nothing reads
# or creates that topic now (docs/operations.md, upgrade notes).
STORY_HORIZON_MS = 2 * DAY_MS
STORY_SIGNATURES_CHANGELOG = TopicSpec(
    "story-signatures-changelog",
    "story_signature",
    "script group|item_id",
    retention_ms=STORY_HORIZON_MS,
    cleanup_policy="compact,delete",
)
# A story is compared with stories first seen up to 72 h before it (LinkConfig.window_seconds);
# its digest is swept after that, so the changelog keeps what the window needs.
LINK_HORIZON_MS = 3 * DAY_MS
STORY_DIGESTS_CHANGELOG = TopicSpec(
    "story-digests-changelog",
    "story_digest",
    "story_id",
    retention_ms=LINK_HORIZON_MS,
    cleanup_policy="compact,delete",
)
ALERT_STATE_CHANGELOG = TopicSpec(
    "alert-state-changelog",
    "story_alert_state",
    "story_id",
    retention_ms=90 * DAY_MS,
    cleanup_policy="compact,delete",
)
SPIKE_WINDOWS_CHANGELOG = TopicSpec(
    "spike-windows-changelog",
    "window_counts",
    "topic or topic|language",
    retention_ms=7 * DAY_MS,
    cleanup_policy="compact,delete",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    RAW_ITEMS,
    ARTICLES,
    STORY_ARTICLES,
    ALERTS,
    STORY_LINKS,
    DEAD_LETTERS,
    FEEDS,
    FEED_STATE,
    STORY_ROUTE,
    TOPIC_EVENTS,
    STORY_STARTS,
    STORY_SIGNATURES_CHANGELOG,
    STORY_DIGESTS_CHANGELOG,
    ALERT_STATE_CHANGELOG,
    SPIKE_WINDOWS_CHANGELOG,
)


def spec_for_name(name: str, settings: Settings) -> TopicSpec:
    """The spec of a full topic name or a bare suffix; raises KeyError when unknown."""
    for spec in ALL_TOPICS:
        if name in (spec.suffix, spec.name(settings)):
            return spec
    raise KeyError(name)


def topic_configs(spec: TopicSpec) -> dict[str, str]:
    """Broker-side topic configuration for a spec."""
    if spec.cleanup_policy == "compact":
        return {"cleanup.policy": "compact"}
    return {"retention.ms": str(spec.retention_ms), "cleanup.policy": spec.cleanup_policy}
