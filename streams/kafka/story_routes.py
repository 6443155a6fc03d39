"""`wirewatch story-routes`: how the story stage's input spreads over partitions, and a plan
that spreads it better, from the story-route topic's own recent messages."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TextIO

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord, TopicPartition

from streams.codec import split_records
from streams.errors import SettingsError
from streams.kafka.security import client_options
from streams.kafka.topics import STORY_ROUTE
from streams.routing import partition_loads, plan_story_routes
from streams.settings import Settings, story_route_plan_env


def count_route_lines(records: Iterable[ConsumerRecord[bytes, bytes]]) -> Counter[str]:
    """Articles per story group in story-route messages: one article per line, the group is the
    key. Messages without a key (none are written so) are not counted."""
    loads: Counter[str] = Counter()
    for record in records:
        if record.key is None or not record.value:
            continue
        # Split as the story agent splits them (streams.codec); a blank line is no article.
        loads[record.key.decode("utf-8", "replace")] += sum(
            1 for line in split_records(record.value) if line
        )
    return loads


def describe_plan(
    loads: Mapping[str, int], partitions: int, current: Mapping[str, int]
) -> list[str]:
    """Lines for people and a config file: the spread today (the configured plan, else hashing),
    the proposed plan's spread, and the plan as TOML and as the environment variable."""
    total = sum(loads.values())
    if not total:
        return ["no story-route messages in that window: nothing to plan from"]
    fair = total / partitions
    proposed = plan_story_routes(loads, partitions)
    now, planned = (
        partition_loads(loads, partitions, current),
        partition_loads(loads, partitions, proposed),
    )
    busiest = max(loads.values())
    lines = [
        f"{total:,} articles in {len(loads)} story groups over {partitions} partitions "
        f"(the largest group: {busiest / total:.0%} of them, {busiest / fair:.2f}x a fair share)",
        f"  today ({'story_route_plan' if current else 'hashed keys'}): {now}, "
        f"busiest {max(now) / fair:.2f}x its fair share",
        f"  with the plan below: {planned}, busiest {max(planned) / fair:.2f}x its fair share",
        "",
        "# wirewatch.toml",
        "[story_route_plan]",
        *(f'"{group}" = {partition}' for group, partition in proposed.items()),
        "",
        "# or in the environment",
        "WIREWATCH_STORY_ROUTE_PLAN=" + story_route_plan_env(proposed),
    ]
    return lines


async def story_route_loads(settings: Settings, hours: float, idle_timeout: float) -> Counter[str]:
    """Articles per story group written to story-route in the last `hours`, read from the
    offsets of that time to the current end of every partition."""
    name = STORY_ROUTE.name(settings)
    options = client_options(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.broker, **options)
    await admin.start()
    try:
        described = await admin.describe_topics([name])
    finally:
        await admin.close()
    parts = [
        TopicPartition(name, part["partition"])
        for meta in described
        if meta["error_code"] == 0
        for part in meta["partitions"]
    ]
    if not parts:
        raise SettingsError(
            f"topic {name!r} does not exist on {settings.broker}; "
            "check `topic_prefix` (see `wirewatch config`)"
        )
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.broker, group_id=None, enable_auto_commit=False, **options
    )
    await consumer.start()
    loads: Counter[str] = Counter()
    try:
        consumer.assign(parts)
        since_ms = int((time.time() - hours * 3600) * 1000)
        starts = await consumer.offsets_for_times({tp: since_ms for tp in parts})
        ends = await consumer.end_offsets(parts)
        todo = {}
        for tp in parts:
            found = starts.get(tp)
            start = found.offset if found is not None else ends[tp]
            if start < ends[tp]:
                consumer.seek(tp, start)
                todo[tp] = ends[tp]
        last = time.monotonic()
        while todo and time.monotonic() - last < idle_timeout:
            batches = await consumer.getmany(*todo, timeout_ms=500)
            for tp, records in batches.items():
                last = time.monotonic()
                loads.update(
                    count_route_lines(
                        r for r in records if r.offset < todo[tp] and r.timestamp >= since_ms
                    )
                )
                if records and records[-1].offset + 1 >= todo[tp]:
                    del todo[tp]
    finally:
        await consumer.stop()
    return loads


async def print_story_routes(
    settings: Settings, hours: float, partitions: int | None, out: TextIO
) -> int:
    loads = await story_route_loads(settings, hours, idle_timeout=10.0)
    count = partitions or settings.partitions
    for line in describe_plan(loads, count, settings.story_route_plan):
        print(line, file=out)
    return 0
