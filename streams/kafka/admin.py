"""Create wirewatch's topics on a broker, with the partitions and retention of `topics.py`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAlreadyExistsError
from aiokafka.protocol.metadata import MetadataRequest

from streams.kafka.security import client_options
from streams.kafka.topics import ALL_TOPICS, topic_configs
from streams.settings import Settings

CONNECT_ATTEMPTS = 30


async def ensure_topics(settings: Settings) -> list[str]:
    """Create any missing wirewatch topic; return the names created. Existing ones are kept."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.broker, **client_options(settings))
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if attempt == CONNECT_ATTEMPTS - 1:
                raise
            await asyncio.sleep(1.0)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.name(settings),
                num_partitions=settings.partitions,
                replication_factor=settings.replication_factor,
                topic_configs=topic_configs(spec),
            )
            for spec in ALL_TOPICS
            if spec.name(settings) not in existing
        ]
        if wanted:
            # Another process may create a topic between our list and create.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(wanted)
        return [topic.name for topic in wanted]
    finally:
        await admin.close()


async def probe_brokers(client: Any, timeout_seconds: float) -> bool:
    """Whether any known broker answers a metadata request (no topics: brokers only) in time.

    `client` is a started aiokafka client (a producer's `.client`) on this event loop.
    """
    deadline = time.monotonic() + timeout_seconds
    for broker in sorted(client.cluster.brokers(), key=lambda b: b.nodeId):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(client.send(broker.nodeId, MetadataRequest([])), remaining)
        except (KafkaError, OSError, TimeoutError):
            continue
        return True
    return False
