"""Real Kafka client helpers for integration tests: produce, consume until N, validate schemas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import jsonschema
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from streams.contract import closed, schema_files


async def produce(broker: str, topic: str, messages: Iterable[tuple[bytes | None, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=broker, acks="all")
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key)
    finally:
        await producer.stop()


async def consume(
    broker: str,
    topic: str,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout_seconds: float,
    settle_seconds: float = 0.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read `topic` from the beginning until `until(records)` holds or the timeout passes.

    `settle_seconds` keeps reading that long after the condition holds, so a duplicate that
    arrives late is seen too.
    """
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_seconds
    settled_at: float | None = None
    try:
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records.extend(batch)
            if until(records):
                settled_at = settled_at or time.monotonic() + settle_seconds
                if time.monotonic() >= settled_at:
                    break
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records


def load_schema(record: str) -> dict[str, Any]:
    """The newest JSON Schema of a record (newest major, latest minor): what producers write."""
    return [file for file in schema_files() if file.record == record][-1].load()


def validate(records: Iterable[ConsumerRecord[bytes, bytes]], record: str) -> list[dict[str, Any]]:
    """Decode each message value and validate it against the record's JSON Schema, closed: the
    published schemas accept unknown fields (for consumers), wirewatch must write none."""
    schema = closed(load_schema(record))
    values = []
    for message in records:
        value = orjson.loads(message.value or b"")
        jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
        values.append(value)
    return values
