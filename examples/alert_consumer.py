#!/usr/bin/env python3
"""Read wirewatch's alerts topic and keep the latest revision of every alert.

    python examples/alert_consumer.py --broker 127.0.0.1:9092 --topic wirewatch.alerts \\
        --group acme-alert-viewer [--schema PATH] [--max-messages N] [--idle-seconds S]

What every consumer of wirewatch should do (docs/topics.md, Compatibility), in one short script:

- check the headers and the major version: this script reads Alert major 2 and skips the rest;
- validate each alert against the published schema, which accepts fields added later;
- keep the highest revision per alert_id: delivery is at least once, so a revision may come again
  (a duplicate), and an older one may come after a newer one;
- use a group of its own and commit offsets after each batch, so operators see its lag.

It keeps its table in memory, so it reads the topic from the beginning on every start: the topic
is compacted, so that gives the latest revision of every alert. One line per message goes to
stderr; at the end the alerts held are printed to stdout, one JSON object per line. Needs
aiokafka, orjson and jsonschema (all in wirewatch's environment) and nothing of wirewatch itself.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

MAJOR = 2  # the Alert major this consumer was written for
SCHEMA = Path(__file__).resolve().parents[1] / "streams" / "schemas" / f"alert.v{MAJOR}.json"


def header_problem(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> str | None:
    """Why the headers say this message is not for us, or None. Messages written before
    wirewatch sent headers have none: the payload's schema_version decides for them."""
    found = {key: value.decode("utf-8", "replace") for key, value in headers}
    if not found:
        return None
    if found.get("wirewatch-record") != "Alert":
        return f"record {found.get('wirewatch-record')!r}, not Alert"
    if found.get("content-type") != "application/json":
        return f"content type {found.get('content-type')!r}"
    if found.get("wirewatch-schema-version") != str(MAJOR):
        return f"Alert major {found.get('wirewatch-schema-version')}, this consumer reads {MAJOR}"
    return None


def read_alert(value: bytes, validator: Draft202012Validator) -> dict[str, Any]:
    """The alert in a message value; raises ValueError when it is not one this consumer reads."""
    try:
        alert = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(alert, dict) or alert.get("schema_version") != MAJOR:
        version = alert.get("schema_version") if isinstance(alert, dict) else None
        raise ValueError(f"Alert major {version}, this consumer reads {MAJOR}")
    error = best_match(validator.iter_errors(alert))
    if error is not None:
        raise ValueError(f"invalid at /{'/'.join(map(str, error.absolute_path))}: {error.message}")
    return alert


class AlertTable:
    """The latest revision of every alert, by alert_id."""

    def __init__(self) -> None:
        self.alerts: dict[str, dict[str, Any]] = {}

    def offer(self, alert: dict[str, Any]) -> str:
        """Keep `alert` if it is newer than the one held: "new", "revised" or "ignored"."""
        held = self.alerts.get(alert["alert_id"])
        if held is not None and alert["revision"] <= held["revision"]:
            return "ignored"  # a duplicate, or an older revision arriving late
        self.alerts[alert["alert_id"]] = alert
        return "new" if held is None else "revised"


def handle(message: Any, validator: Draft202012Validator, table: AlertTable) -> str:
    """One message: what became of it, as a log line."""
    where = f"{message.topic}[{message.partition}]@{message.offset}"
    if message.value is None:  # wirewatch writes no tombstones here; honour one anyway
        table.alerts.pop(message.key.decode(), None)
        return f"removed {message.key.decode()} ({where})"
    problem = header_problem(message.headers)
    if problem is not None:
        return f"skipped {where}: {problem}"
    try:
        alert = read_alert(message.value, validator)
    except ValueError as exc:
        return f"skipped {where}: {exc}"
    outcome = table.offer(alert)
    held = table.alerts[alert["alert_id"]]["revision"]
    return (
        f"{outcome} {alert['alert_id']} revision {alert['revision']} (holding {held}) "
        f"{alert['severity']}: {alert['title']}"
    )


class FromTheBeginning(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka: no types
    """The table lives in memory: rebuild it from the start of every partition we are given."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if assigned:
            await self.consumer.seek_to_beginning(*assigned)


async def consume(args: argparse.Namespace) -> AlertTable:
    validator = Draft202012Validator(
        orjson.loads(args.schema.read_bytes()), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    table = AlertTable()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args.broker,
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    consumer.subscribe([args.topic], listener=FromTheBeginning(consumer))
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await consumer.start()
    seen = 0
    idle = 0.0
    try:
        while not stop.is_set() and (args.max_messages is None or seen < args.max_messages):
            left = 100 if args.max_messages is None else min(100, args.max_messages - seen)
            batches = await consumer.getmany(timeout_ms=500, max_records=left)
            if not batches:
                idle += 0.5
                if args.idle_seconds is not None and idle >= args.idle_seconds:
                    break
                continue
            idle = 0.0
            for messages in batches.values():
                for message in messages:
                    print(handle(message, validator, table), file=sys.stderr, flush=True)
                    seen += 1
            await consumer.commit()  # after processing: at least once
    finally:
        await consumer.stop()
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", required=True, help="bootstrap servers, host:port[,...]")
    parser.add_argument("--topic", default="wirewatch.alerts")
    parser.add_argument("--group", required=True, help="this service's own consumer group id")
    parser.add_argument("--schema", type=Path, default=SCHEMA, help="the Alert schema file")
    parser.add_argument("--max-messages", type=int, help="stop after this many messages")
    parser.add_argument("--idle-seconds", type=float, help="stop after this long with none")
    args = parser.parse_args(argv)
    table = asyncio.run(consume(args))
    for alert in table.alerts.values():
        sys.stdout.buffer.write(orjson.dumps(alert) + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
