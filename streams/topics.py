"""The table of wirewatch's Kafka topics: name suffix, record, key, partitions and retention.

Consumer integrations rely on this table (and on docs/topics.md, which describes it): every
message is keyed by the item's stable id, so re-polling or re-processing an entry lands on the same
partition and a compacting or deduplicating consumer sees one key per item.
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
ALERTS = TopicSpec("alerts", "alert", "item_id", retention_ms=90 * DAY_MS)
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

ALL_TOPICS: tuple[TopicSpec, ...] = (RAW_ITEMS, ARTICLES, ALERTS, DEAD_LETTERS, FEEDS, FEED_STATE)


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
