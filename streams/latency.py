"""End-to-end latency: from the poller's fetch of an item to the worker's send of what it became.

`wirewatch_end_to_end_latency_seconds{output}` is observed when the worker sends an article to
`articles` (output="article", from the article's own `fetched_at`) and when it sends an alert
revision (output="alert", from the `fetched_at` of the item whose arrival raised or revised it:
the story article for a story alert, the topic event for a spike alert). The poller and the
worker stamp these times on different hosts, so their clocks must agree (NTP); a negative
difference from clock skew counts as 0.
"""

from __future__ import annotations

from datetime import datetime

from streams.codec import Record
from streams.kafka.topics import ARTICLES
from streams.records import Alert, Article


def latency_seconds(fetched_at: datetime, sent_at: datetime) -> float:
    """Seconds from `fetched_at` to `sent_at`, never negative."""
    return max(0.0, (sent_at - fetched_at).total_seconds())


def latency_start(
    topic: str, record: Record, fetched_at: datetime | None
) -> tuple[str, datetime] | None:
    """For a message sent to `topic` (suffix): the latency's output label and start, or None
    when the message is not an article to consumers or an alert (or its start is unknown)."""
    if isinstance(record, Article) and topic == ARTICLES.suffix:
        return "article", record.fetched_at
    if isinstance(record, Alert) and fetched_at is not None:
        return "alert", fetched_at
    return None
