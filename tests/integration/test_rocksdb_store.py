"""The RocksDB table store (table_store = "rocksdb") across a kill -9 and a clean restart.

A worker with its tables in RocksDB is killed with SIGKILL while items flow, and restarted on the
same data dir: it must find the mark of the unclean stop, remove the table databases and rebuild
them from the changelogs (agents/tablestore.py), and every item must reach `articles` and
`story-articles`, with the final story alerts the worker's own steps give in process for the same
items. A clean stop then leaves the databases in place, and the next start reuses them.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import re
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import child_env, free_port
from kafka_io import consume, produce
from replay import Fingerprint, fingerprint, replay_story_alerts

from agents.tablestore import RUNNING_MARK
from streams.codec import decode_alert, decode_article, encode_record
from streams.feeds.identity import derive_item_id
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import LocalBroker
from streams.records import Alert, RawItem
from streams.runner import sample_feed_items
from streams.settings import Settings, load_settings

pytestmark = pytest.mark.integration

ITEMS = 240  # the bundled samples' entries, repeated with ids of their own
FLOW_TIMEOUT_SECONDS = 60.0


def build_items(count: int) -> list[RawItem]:
    """`count` items: copies of the samples (near-duplicates, so stories and alert revisions),
    each with its own guid and id, all fetched at one fixed time so runs compare."""
    samples = sample_feed_items(datetime.now(UTC))
    fetched_at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    items = []
    for index in range(count):
        item = samples[index % len(samples)]
        guid = f"{item.guid or item.link or 'entry'}#rocksdb-{index}"
        item_id = derive_item_id(item.feed_id, guid, item.link, item.title, item.summary)
        items.append(dataclasses.replace(item, guid=guid, item_id=item_id, fetched_at=fetched_at))
    return items


def read_ids(settings: Settings, suffix: str, wanted: set[str]) -> collections.Counter[str]:
    records = asyncio.run(
        consume(settings.broker, settings.topic(suffix),
                lambda r: {decode_article(x.value).item_id for x in r} >= wanted,
                FLOW_TIMEOUT_SECONDS, settle_seconds=1.0)
    )  # fmt: skip
    return collections.Counter(decode_article(record.value).item_id for record in records)


def final_alerts(settings: Settings, expected: int) -> collections.Counter[Fingerprint]:
    def latest(records: list[Any]) -> dict[str, Alert]:
        found: dict[str, Alert] = {}
        for record in records:
            alert = decode_alert(record.value)
            if alert.kind == "story":
                found[alert.alert_id] = alert  # later offsets of a key are later revisions
        return found

    records = asyncio.run(
        consume(settings.broker, settings.topic("alerts"),
                lambda r: len(latest(r)) >= expected, FLOW_TIMEOUT_SECONDS, settle_seconds=2.0)
    )  # fmt: skip
    return collections.Counter(fingerprint(alert) for alert in latest(records).values())


def wait_for(condition: Callable[[], bool], what: str, output: Callable[[], str]) -> None:
    deadline = time.monotonic() + FLOW_TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{output()}")
        time.sleep(0.2)


def full_log(worker: Any) -> str:
    return str(worker.log_path.read_text(errors="replace"))  # output() is its last 6,000 chars


def table_dbs(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("faust/**/tables/*.db"))


def test_a_killed_rocksdb_worker_restarts_on_its_data_dir_and_loses_nothing(
    kafka_broker: LocalBroker, topic_prefix: str, tmp_path: Path, spawn: Callable[..., Any]
) -> None:
    env = child_env(
        kafka_broker, topic_prefix, tmp_path,
        WIREWATCH_TABLE_STORE="rocksdb",
        WIREWATCH_WORKER_METRICS_PORT=str(free_port()),
        WIREWATCH_WORKER_ID="rocksdb-w1",  # static membership: the restart takes its partitions
    )  # fmt: skip
    settings = load_settings(environ=env)
    data_dir = Path(settings.data_dir)
    asyncio.run(ensure_topics(settings))
    items = build_items(ITEMS)
    expected = collections.Counter(replay_story_alerts(settings, items).values())
    assert sum(expected.values()) >= 3, expected  # the samples raise several story alerts
    raw_topic = settings.topic("raw-items")

    def send(batch: list[RawItem]) -> None:
        asyncio.run(
            produce(settings.broker, raw_topic,
                    [(item.item_id.encode(), encode_record(item)) for item in batch])
        )  # fmt: skip

    # The first half, then a kill -9 as soon as the story stage has placed part of it.
    half = ITEMS // 2
    send(items[:half])
    first = spawn(["worker"], env)
    story_changelog = settings.topic("story-signatures-changelog")
    asyncio.run(
        consume(settings.broker, story_changelog, lambda r: len(r) >= 20, FLOW_TIMEOUT_SECONDS)
    )
    assert table_dbs(data_dir), first.output()
    mark = next(data_dir.glob(f"faust/**/tables/{RUNNING_MARK}"))
    os.kill(first.popen.pid, signal.SIGKILL)
    first.popen.wait(timeout=10)
    assert mark.exists()  # a kill leaves the mark of a run that did not stop cleanly

    # The second half waits as a backlog; the worker comes back on the same data dir.
    send(items[half:])
    second = spawn(["worker"], env)
    wait_for(lambda: "did not stop cleanly; removed" in full_log(second),
             "the removal of the unclean run's databases", second.output)  # fmt: skip
    removed = re.search(r"removed (\d+) table databases", full_log(second))
    assert removed is not None and int(removed.group(1)) >= 1, second.output()

    wanted = {item.item_id for item in items}
    articles = read_ids(settings, "articles", wanted)
    story_articles = read_ids(settings, "story-articles", wanted)
    assert wanted - set(articles) == set(), second.output()
    assert wanted - set(story_articles) == set(), second.output()
    assert final_alerts(settings, len(expected)) == expected, second.output()
    # No agent crashed and was restarted by Faust's supervisor on the way (a crashed agent's
    # event is acked and its outputs never sent: seen while the scan read past its group).
    for worker in (first, second):
        assert "Crashed reason" not in full_log(worker), worker.output()

    # A clean stop removes the mark and keeps the databases; the next start reuses them.
    assert second.stop() == 0, second.output()
    assert not mark.exists()
    kept = table_dbs(data_dir)
    assert kept
    third = spawn(["worker"], env)
    wait_for(lambda: "Reading Starts At - Active" in full_log(third),
             "the third worker's table recovery", third.output)  # fmt: skip
    assert mark.exists() and "did not stop cleanly" not in full_log(third)
    assert set(kept) <= set(table_dbs(data_dir))
    # Its recovery starts where the kept databases end (Faust's offset stored in each), not at
    # the changelogs' beginning (-1) as the second's did.
    starts = recovery_starts(full_log(third))
    signature_starts = [o for (t, _), o in starts.items() if t.endswith("signatures-changelog")]
    assert signature_starts and max(signature_starts) >= 0, starts
    assert all(offset == -1 for offset in recovery_starts(full_log(second)).values())


def recovery_starts(output: str) -> dict[tuple[str, int], int]:
    """Faust's "Reading Starts At - Active" table of a worker's log: (changelog, partition) ->
    the offset its recovery read from (-1: the beginning)."""
    rows: dict[tuple[str, int], int] = {}
    topic = ""
    lines = output.split("Reading Starts At - Active", 1)[1].splitlines()[1:]
    for line in lines:
        if line.startswith("+") and rows:
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1].isdigit():
            topic = topic if cells[0] == "〃" else cells[0]
            rows[(topic, int(cells[1]))] = int(cells[2])
    return rows


def test_a_second_worker_on_the_same_data_dir_exits_and_leaves_the_first_alone(
    kafka_broker: LocalBroker, topic_prefix: str, tmp_path: Path, spawn: Callable[..., Any]
) -> None:
    env = child_env(
        kafka_broker, topic_prefix, tmp_path,
        WIREWATCH_TABLE_STORE="rocksdb", WIREWATCH_WORKER_METRICS_PORT=str(free_port()),
    )  # fmt: skip
    asyncio.run(ensure_topics(load_settings(environ=env)))
    first = spawn(["worker"], env)
    data_dir = Path(env["WIREWATCH_DATA_DIR"])
    wait_for(lambda: bool(table_dbs(data_dir)), "the first worker's databases", first.output)
    second = spawn(["worker"], {**env, "WIREWATCH_WORKER_METRICS_PORT": str(free_port())})
    wait_for(lambda: second.popen.poll() is not None, "the second worker to exit", second.output)
    assert second.popen.returncode != 0
    assert "is in use by another running worker" in full_log(second), second.output()
    assert first.popen.poll() is None, first.output()
    assert "did not stop cleanly" not in full_log(first)
