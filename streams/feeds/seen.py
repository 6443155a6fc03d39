"""Rebuild the poller's seen-set from the raw-items topic, so a restarted poller re-emits nothing.

The raw-items topic already holds every entry the poller sent (within its retention), keyed by
item id; reading it back once at start-up is the seen-set's durable copy. A later issue moves this
state to a compacted topic of its own, which is cheaper to read for large deployments.
"""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer

from streams.codec import decode_raw_item
from streams.errors import DecodeError
from streams.feeds.poller import SeenSet, fingerprint_item

REBUILD_TIMEOUT_SECONDS = 120.0


async def rebuild_seen_set(broker: str, topic: str, capacity: int) -> SeenSet:
    """Read `topic` from the beginning to its current end and remember every item in it."""
    seen = SeenSet(capacity=capacity)
    # Without a group id, a consumer given a topic is assigned all of its partitions at start.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, enable_auto_commit=False, group_id=None,
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        assigned = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        if not assigned:
            return seen
        await consumer.seek_to_beginning(*assigned)
        end = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if end[tp] > 0}
        deadline = time.monotonic() + REBUILD_TIMEOUT_SECONDS
        while remaining and time.monotonic() < deadline:
            batches = await consumer.getmany(*remaining, timeout_ms=500)
            for tp, records in batches.items():
                for record in records:
                    try:
                        item = decode_raw_item(record.value or b"")
                    except DecodeError:
                        continue  # not ours to judge here: the enrich stage dead-letters it
                    seen.remember(item.item_id, fingerprint_item(item))
                if records and records[-1].offset + 1 >= end[tp]:
                    remaining.discard(tp)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return seen
