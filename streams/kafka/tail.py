"""`wirewatch tail TOPIC`: print a topic's messages as readable lines, for people checking flows."""

from __future__ import annotations

import asyncio
import time
from typing import TextIO

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from streams.codec import DECODERS
from streams.errors import DecodeError, SettingsError
from streams.kafka.security import client_options
from streams.kafka.topics import spec_for_name
from streams.settings import Settings


def format_message(record: ConsumerRecord[bytes, bytes], record_kind: str | None) -> str:
    """partition/offset, key and the value as compact JSON (validated when the topic is known)."""
    key = record.key.decode("utf-8", "replace") if record.key else "-"
    value = record.value or b""
    head = f"{record.topic}[{record.partition}]@{record.offset} key={key}"
    if record_kind is not None:
        try:
            DECODERS[record_kind](value)
        except DecodeError as exc:
            return f"{head} INVALID ({exc}): {value[:500]!r}"
    try:
        body = orjson.dumps(orjson.loads(value)).decode()
    except orjson.JSONDecodeError:
        body = repr(value[:500])
    return f"{head} {body}"


async def tail_topic(
    settings: Settings,
    topic: str,
    from_beginning: bool,
    max_messages: int | None,
    idle_timeout: float | None,
    out: TextIO,
) -> int:
    """Print messages until interrupted, `max_messages` were printed, or `idle_timeout` passes."""
    try:
        spec = spec_for_name(topic, settings)
        name, kind = spec.name(settings), spec.record
    except KeyError:
        if "." not in topic and "-" not in topic:
            raise SettingsError(
                f"unknown topic {topic!r}: use raw-items, articles, alerts, dead-letters "
                "or a full topic name"
            ) from None
        name, kind = topic, None
    # No topic at construction: subscribing asks for the topic's metadata, which a broker with
    # auto.create.topics.enable answers by creating it, and a typo would tail an empty new topic.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.broker,
        group_id=None,
        auto_offset_reset="earliest" if from_beginning else "latest",
        enable_auto_commit=False,
        **client_options(settings),
    )
    await consumer.start()
    printed, last_message = 0, time.monotonic()
    try:
        if name not in await consumer.topics():
            raise SettingsError(
                f"topic {name!r} does not exist on {settings.broker}; "
                "check `topic_prefix` (see `wirewatch config`)"
            )
        consumer.subscribe([name])
        while max_messages is None or printed < max_messages:
            # A fetch returns up to a whole batch per partition: ask for no more than are wanted.
            wanted = None if max_messages is None else max_messages - printed
            batches = await consumer.getmany(timeout_ms=500, max_records=wanted)
            for records in batches.values():
                for record in records:
                    print(format_message(record, kind), file=out, flush=True)
                    printed += 1
                    last_message = time.monotonic()
            if idle_timeout is not None and time.monotonic() - last_message > idle_timeout:
                break
    except asyncio.CancelledError:
        pass
    finally:
        await consumer.stop()
    return 0
