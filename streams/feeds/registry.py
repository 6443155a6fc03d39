"""The feed registry and feed state in Kafka: compacted topics keyed by feed id.

`wirewatch feeds add|remove|import` write registrations (a null value removes a feed); pollers
consume them, so a change takes effect in a running system without a restart. `feeds list` reads
both topics to show each feed with its health.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from streams.codec import (
    decode_feed_registration,
    decode_feed_state,
    encode_record,
    message_headers,
    tombstone_headers,
)
from streams.errors import DecodeError, SettingsError
from streams.feeds.identity import derive_feed_id
from streams.feeds.polling import describe_health
from streams.kafka.security import client_options
from streams.kafka.topics import FEED_STATE, FEEDS
from streams.records import FeedRegistration, FeedState
from streams.settings import FeedConfig, Settings

R = TypeVar("R")
READ_TIMEOUT_SECONDS = 60.0


def registration_for(feed: FeedConfig, now: datetime) -> FeedRegistration:
    """A registration record for a configured feed; raises SettingsError for an unusable URL."""
    if not feed.url.lower().startswith(("http://", "https://", "file://")):
        raise SettingsError(
            f"feed {feed.url!r}: the URL must start with http://, https:// or file://"
        )
    interval = feed.interval_seconds
    if interval is not None and not (math.isfinite(interval) and interval > 0):
        raise SettingsError(
            f"feed {feed.url!r}: interval {interval} must be a positive number of seconds"
        )
    return FeedRegistration(
        feed_id=derive_feed_id(feed.url),
        url=feed.url.strip(),
        name=feed.name,
        language=feed.language,
        interval_seconds=feed.interval_seconds,
        registered_at=now,
    )


def same_feed(a: FeedRegistration, b: FeedRegistration) -> bool:
    """True when two registrations differ at most in their time."""
    return (a.url, a.name, a.language, a.interval_seconds) == (
        b.url,
        b.name,
        b.language,
        b.interval_seconds,
    )


async def read_partitions(
    settings: Settings,
    partitions: Sequence[TopicPartition],
    decode: Callable[[bytes], R],
    timeout_seconds: float = READ_TIMEOUT_SECONDS,
) -> dict[str, R]:
    """The latest value per key in `partitions`, read from the beginning to the current end.

    A null value (tombstone) removes its key; a value that does not decode is skipped.
    """
    latest: dict[str, R] = {}
    if not partitions:
        return latest
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.broker,
        enable_auto_commit=False,
        group_id=None,
        **client_options(settings),
    )
    await consumer.start()
    try:
        consumer.assign(list(partitions))
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(list(partitions))
        remaining = {tp for tp in partitions if end[tp] > 0}
        deadline = time.monotonic() + timeout_seconds
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {sorted(map(str, remaining))} took too long")
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    key = (record.key or b"").decode("utf-8", "replace")
                    if record.value is None:
                        latest.pop(key, None)
                        continue
                    try:
                        latest[key] = decode(record.value)
                    except DecodeError:
                        continue
                if records and records[-1].offset + 1 >= end[tp]:
                    remaining.discard(tp)
            # A compacted partition may end on removed records: the position says we are done.
            for tp in list(remaining):
                if await consumer.position(tp) >= end[tp]:
                    remaining.discard(tp)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return latest


async def all_partitions(settings: Settings, topic: str) -> list[TopicPartition]:
    """Every partition of `topic`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=settings.broker, group_id=None, **client_options(settings)
    )
    await consumer.start()
    try:
        return sorted(consumer.assignment(), key=lambda tp: tp.partition)
    finally:
        await consumer.stop()


async def read_registry(settings: Settings) -> dict[str, FeedRegistration]:
    """Every registered feed, by feed id."""
    topic = FEEDS.name(settings)
    parts = await all_partitions(settings, topic)
    return await read_partitions(settings, parts, decode_feed_registration)


async def read_states(settings: Settings) -> dict[str, FeedState]:
    """Every feed's latest state, by feed id."""
    topic = FEED_STATE.name(settings)
    parts = await all_partitions(settings, topic)
    return await read_partitions(settings, parts, decode_feed_state)


async def write_registrations(
    settings: Settings, registrations: Sequence[FeedRegistration]
) -> None:
    """Produce registrations to the feeds topic and wait until the broker has them."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.broker, acks="all", **client_options(settings)
    )
    await producer.start()
    try:
        for registration in registrations:
            await producer.send(
                FEEDS.name(settings),
                encode_record(registration),
                key=registration.feed_id.encode(),
                headers=message_headers(registration),
            )
        await producer.flush()
    finally:
        await producer.stop()


async def remove_feeds(settings: Settings, feed_ids: Sequence[str]) -> None:
    """Tombstone feeds in the registry and their state: pollers stop polling them."""
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.broker, acks="all", **client_options(settings)
    )
    await producer.start()
    try:
        for feed_id in feed_ids:
            key = feed_id.encode()
            await producer.send(
                FEEDS.name(settings), None, key=key, headers=tombstone_headers(FeedRegistration)
            )
            await producer.send(
                FEED_STATE.name(settings), None, key=key, headers=tombstone_headers(FeedState)
            )
        await producer.flush()
    finally:
        await producer.stop()


async def register_missing(
    settings: Settings, feeds: Sequence[FeedConfig], now: datetime
) -> list[FeedRegistration]:
    """Register configured feeds that are absent or registered differently; return those written."""
    existing = await read_registry(settings)
    wanted = [registration_for(feed, now) for feed in feeds]
    changed = [
        reg
        for reg in wanted
        if reg.feed_id not in existing or not same_feed(reg, existing[reg.feed_id])
    ]
    if changed:
        await write_registrations(settings, changed)
    return changed


def resolve_feed_ids(targets: Sequence[str], registry: dict[str, FeedRegistration]) -> list[str]:
    """Feed ids for ids or URLs given by a user; raises SettingsError for an unknown one."""
    ids = []
    for target in targets:
        feed_id = target if target in registry else derive_feed_id(target)
        if feed_id not in registry:
            raise SettingsError(f"no registered feed has the id or URL {target!r}")
        ids.append(feed_id)
    return ids


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = max((now - moment).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{seconds:.0f}s ago"


def feed_rows(
    registry: dict[str, FeedRegistration], states: dict[str, FeedState], now: datetime
) -> list[dict[str, object]]:
    """One row per registered feed with its health, for `wirewatch feeds list`."""
    rows: list[dict[str, object]] = []
    for feed_id, registration in sorted(registry.items(), key=lambda kv: kv[1].url):
        state = states.get(feed_id)
        rows.append(
            {
                "feed_id": feed_id,
                "name": registration.name,
                "url": registration.url,
                "current_url": state.url if state else registration.url,
                "language": registration.language,
                "health": describe_health(state, now.timestamp()),
                "last_success": state.last_success_at.isoformat()
                if state and state.last_success_at
                else None,
                "last_success_ago": _ago(state.last_success_at if state else None, now),
                "last_error": state.last_error if state else None,
                "consecutive_failures": state.consecutive_failures if state else 0,
                "items_seen": state.items_seen if state else 0,
                "interval_seconds": state.interval_seconds if state else None,
                "disabled_reason": state.disabled_reason if state else None,
            }
        )
    return rows


def format_feed_table(rows: Sequence[dict[str, object]]) -> str:
    """A plain-text table of feed rows, widest columns last."""
    header = ("FEED ID", "HEALTH", "FAILS", "ITEMS", "LAST OK", "NAME / URL / LAST ERROR")
    lines = [f"{header[0]:<19} {header[1]:<8} {header[2]:>5} {header[3]:>6} {header[4]:<10} "
             f"{header[5]}"]  # fmt: skip
    for row in rows:
        title = f"{row['name'] or ''} <{row['current_url']}>".strip()
        lines.append(
            f"{row['feed_id']!s:<19} {row['health']!s:<8} {row['consecutive_failures']!s:>5} "
            f"{row['items_seen']!s:>6} {row['last_success_ago']!s:<10} {title}"
        )
        if row["last_error"] and row["health"] != "ok":
            lines.append(f"{'':<19} last error: {row['last_error']}")
    return "\n".join(lines)
