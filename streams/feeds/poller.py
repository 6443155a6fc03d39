"""The feed poller: fetch every feed, parse it and send each entry not sent before to raw-items.

A failing feed never stops the others: its error is kept on the feed's status, counted, and the
document that could not be parsed goes to the dead-letter topic with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from streams.codec import encode_record
from streams.deadletter import make_dead_letter
from streams.errors import FeedError
from streams.feeds.fetch import fetch_feed
from streams.feeds.parse import FeedSource, parse_feed
from streams.metrics import Metrics
from streams.records import DeadLetter, RawItem
from streams.settings import Settings

log = logging.getLogger(__name__)

# Bounded so a poller running for months keeps a flat memory profile; 200k ids ≈ 30 MB.
SEEN_CAPACITY = 200_000
MAX_DEAD_LETTER_BODY = 256 * 1024

Send = Callable[[str, bytes | None, bytes], Awaitable[None]]  # (topic, key, value)


@dataclass
class FeedStatus:
    """A feed's health, shown by operators' tools."""

    last_success: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    items_seen: int = 0


@dataclass
class SeenSet:
    """Item ids already sent, with a fingerprint of their content, oldest forgotten first."""

    capacity: int = SEEN_CAPACITY
    _entries: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def is_new(self, item_id: str, fingerprint: str) -> bool:
        return self._entries.get(item_id) != fingerprint

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, item_id: str, fingerprint: str) -> None:
        self._entries[item_id] = fingerprint
        self._entries.move_to_end(item_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)


def fingerprint_item(item: RawItem) -> str:
    """What makes a re-sent entry an update: its title and summary."""
    digest = hashlib.blake2b(f"{item.title}\x1f{item.summary}".encode(errors="surrogatepass"))
    return digest.hexdigest()[:16]


def encode_raw_item(item: RawItem) -> bytes:
    """Encode an item; raises ValueError for text JSON cannot carry (lone surrogates)."""
    try:
        return encode_record(item)
    except TypeError as exc:  # orjson raises JSONEncodeError, a TypeError subclass
        raise ValueError(f"entry cannot be encoded as JSON: {exc}") from None


def describe_item(item: RawItem) -> bytes:
    """The item as ASCII JSON with escapes, for a dead letter when it cannot be encoded."""
    return json.dumps(dataclasses.asdict(item), default=str, ensure_ascii=True).encode()


@dataclass
class Poller:
    settings: Settings
    feeds: Sequence[FeedSource]
    send: Send
    client: httpx.AsyncClient
    metrics: Metrics
    seen: SeenSet = field(default_factory=SeenSet)
    statuses: dict[str, FeedStatus] = field(default_factory=dict)

    async def poll_feed(self, source: FeedSource) -> int:
        """Fetch, parse and emit one feed; return the number of entries sent."""
        status = self.statuses.setdefault(source.feed_id, FeedStatus())
        started = time.perf_counter()
        fetched_at = datetime.now(UTC)
        outcome = "ok"
        try:
            result = await fetch_feed(
                self.client, source.url, self.settings.max_feed_bytes, self.settings.allow_file_urls
            )
        except FeedError as exc:
            outcome = "http_error" if "HTTP" in str(exc) else "network_error"
            self._record_failure(source, status, str(exc))
            return 0
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.feed_fetches.labels(outcome).inc()
            self.metrics.feed_fetch_duration.labels(outcome).observe(elapsed)
        try:
            # feedparser is CPU-bound (≈0.4 s for a 500-entry feed): keep the loop responsive.
            parsed = await asyncio.to_thread(
                parse_feed,
                result.body,
                source,
                fetched_at,
                result.content_type,
                max_entries=self.settings.max_entries_per_poll,
            )
        except FeedError as exc:
            self.metrics.feed_fetches.labels("parse_error").inc()
            self._record_failure(source, status, str(exc))
            letter = make_dead_letter(
                "poll", result.body[:MAX_DEAD_LETTER_BODY], exc, fetched_at,
                extra={"feed_url": source.url, "feed_id": source.feed_id},
            )  # fmt: skip
            await self._send_dead_letter(letter)
            return 0
        for warning in parsed.warnings:
            log.info("feed %s (%s): %s", source.feed_id, source.url, warning)
        sent = 0
        self.metrics.items_received.labels("poll").inc(len(parsed.items))
        for item in parsed.items:
            fingerprint = fingerprint_item(item)
            if not self.seen.is_new(item.item_id, fingerprint):
                self.metrics.feed_items_suppressed.inc()
                continue
            key = item.item_id.encode()
            try:
                value = encode_raw_item(item)
            except ValueError as exc:
                letter = make_dead_letter(
                    "poll", describe_item(item), exc, fetched_at,
                    extra={"feed_url": source.url, "feed_id": source.feed_id},
                )  # fmt: skip
                letter = dataclasses.replace(letter, item_id=item.item_id)
                await self._send_dead_letter(letter)
                self.metrics.items_processed.labels("poll", "dead_letter").inc()
                self.metrics.stage_errors.labels("poll", "ValueError").inc()
            else:
                await self.send(self.settings.topic("raw-items"), key, value)
                self.metrics.items_processed.labels("poll", "ok").inc()
                self.metrics.feed_items_emitted.inc()
                sent += 1
            self.seen.remember(item.item_id, fingerprint)
        status.last_success = fetched_at
        status.consecutive_failures = 0
        status.items_seen += len(parsed.items)
        return sent

    def _record_failure(self, source: FeedSource, status: FeedStatus, reason: str) -> None:
        status.last_error = reason
        status.consecutive_failures += 1
        log.warning("feed %s failed: %s", source.feed_id, reason)

    async def _send_dead_letter(self, letter: DeadLetter) -> None:
        key = letter.item_id.encode() if letter.item_id else None
        await self.send(self.settings.topic("dead-letters"), key, encode_record(letter))

    async def poll_round(self) -> int:
        """Poll every feed once, concurrently; return the number of entries sent."""
        counts = await asyncio.gather(*(self.poll_feed(feed) for feed in self.feeds))
        return sum(counts)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll rounds every poll interval until `stop` is set."""
        while not stop.is_set():
            sent = await self.poll_round()
            log.info("poll round done: %d new entries from %d feeds", sent, len(self.feeds))
            with contextlib.suppress(TimeoutError):  # the interval passed: poll again
                await asyncio.wait_for(stop.wait(), timeout=self.settings.poll_interval_seconds)
