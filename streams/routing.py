"""What each stage sends where, under which key: pure functions from records to `Outbound`s.

Re-keying happens here, in the sending stage, rather than in Faust `group_by` hops: the enrich
stage sends each article to the articles topic (by item id), to the story stage (by script group
and language: one partition sees each candidate) and, once per batch and spike key, the
batch's topic events to the spike stage (by topic and topic|language). Each extra Faust hop costs
about as much as the enrich step itself (docs/topics.md), so a hop exists only where a stage needs
its input co-partitioned with a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from aiokafka.partitioner import murmur2

from streams.alerts.spikes import SpikeConfig, batch_topic_events, topic_events
from streams.codec import Record
from streams.kafka.topics import (
    ALERTS,
    ARTICLES,
    STORY_ARTICLES,
    STORY_ROUTE,
    STORY_STARTS,
    STORY_STARTS_KEY,
    TOPIC_EVENTS,
)
from streams.records import Alert, Article, StoryStarted, TopicEvent
from streams.stories.cluster import story_group


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: the topic (by suffix), its key and the record for its value."""

    topic: str
    key: str
    record: Record
    # For an alert: when the item whose arrival raised or revised it was fetched, the start of
    # its end-to-end latency (streams/latency.py). None for everything else.
    fetched_at: datetime | None = None
    # The partition to send to; None leaves it to Kafka's default partitioner (murmur2 of the key).
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class EnrichedOutputs:
    """What one enriched article sends: the article to consumers and to the story stage (which
    the agent sends batched, as for every LINES_TOPICS topic), and its topic events, which the
    agent sends as one message per spike key and batch."""

    outputs: tuple[Outbound, ...]
    topic_events: tuple[TopicEvent, ...]


def article_outputs(
    article: Article, spike: SpikeConfig, story_routes: Mapping[str, int] | None = None
) -> EnrichedOutputs:
    """An enriched article: to consumers, and (batched) to the story and spike stages.
    `story_routes`: the `story_route_plan` setting, story group -> story-route partition."""
    group = story_group(article)
    return EnrichedOutputs(
        (
            Outbound(ARTICLES.suffix, article.item_id, article),
            Outbound(STORY_ROUTE.suffix, group, article, partition=(story_routes or {}).get(group)),
        ),
        topic_events(article, spike),
    )


def plan_story_routes(loads: Mapping[str, int], partitions: int) -> dict[str, int]:
    """A `story_route_plan`: each story group to a story-route partition, so that the items per
    partition are as even as whole groups allow.

    A group's items must stay on one partition (the story stage finds a near-duplicate only among
    the items its worker holds), so the story stage can only be balanced by placing whole groups.
    Hashing the ~40 group keys puts two busy languages on one partition often enough that the
    busiest partition carried 1.8x its fair share of 4 on the benchmark stream; this places the
    groups largest first, each on the partition holding the fewest items so far (the LPT rule:
    the busiest partition ends within 4/3 of the best whole-group placement, and within one
    group's load of the fair share). Ties go to the lower partition and groups of equal load by
    name, so the same loads give the same plan on every host.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be 1 or more, got {partitions}")
    placed = [0] * partitions
    plan: dict[str, int] = {}
    for group, load in sorted(loads.items(), key=lambda kv: (-kv[1], kv[0])):
        partition = min(range(partitions), key=placed.__getitem__)
        plan[group] = partition
        placed[partition] += load
    return plan


def partition_loads(
    loads: Mapping[str, int], partitions: int, plan: Mapping[str, int] | None = None
) -> list[int]:
    """Items per story-route partition for these group loads: by `plan` where it places a group,
    else where Kafka's default partitioner puts the group's key."""
    per = [0] * partitions
    for group, load in loads.items():
        planned = (plan or {}).get(group)
        per[planned if planned is not None else key_partition(group, partitions)] += load
    return per


def by_key(outputs: Iterable[Outbound]) -> dict[tuple[str, str], list[Outbound]]:
    """Outputs grouped by topic and key, each group in its original order (groups in order of
    first use): the story-route messages of one enrich batch, one message per key."""
    groups: dict[tuple[str, str], list[Outbound]] = {}
    for outbound in outputs:
        groups.setdefault((outbound.topic, outbound.key), []).append(outbound)
    return groups


def story_outputs(article: Article) -> tuple[Outbound, ...]:
    """An article with its story id, keyed by it: the alert stage's input."""
    assert article.story_id is not None  # the story stage sets it before routing
    return (Outbound(STORY_ARTICLES.suffix, article.story_id, article),)


def story_start_outputs(article: Article, sent_at: datetime) -> tuple[Outbound, ...]:
    """The first item of a new story, to the link stage: under one constant key, so a single
    partition (and worker) holds every language's stories to compare."""
    assert article.story_id is not None  # the story stage sets it before routing
    started = StoryStarted(
        story_id=article.story_id,
        language=article.language.code,
        title=article.title,
        summary=article.summary,
        link=article.link,
        fetched_at=article.fetched_at,
        sent_at=sent_at,
    )
    return (Outbound(STORY_STARTS.suffix, STORY_STARTS_KEY, started),)


def key_partition(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner puts `key` on (murmur2, as the Java client and
    aiokafka, which Faust sends with, compute it): where a keyed message, and the table entry its
    agent writes under the same key, live."""
    return int(murmur2(key.encode()) & 0x7FFFFFFF) % partitions


def alert_outputs(alerts: Iterable[Alert], fetched_at: datetime | None) -> tuple[Outbound, ...]:
    """Alerts keyed by their id: an alert's revisions replace each other in the compacted topic.
    `fetched_at`: when the item that raised or revised them was fetched."""
    return tuple(Outbound(ALERTS.suffix, alert.alert_id, alert, fetched_at) for alert in alerts)


def topic_event_outputs(events: Iterable[TopicEvent]) -> tuple[Outbound, ...]:
    """The topic events of a batch of articles, one message per spike key (in its events' order)
    instead of one per event: fewer messages and table writes (docs/topics.md, "Batches")."""
    return tuple(
        Outbound(TOPIC_EVENTS.suffix, batch.key, batch) for batch in batch_topic_events(events)
    )
