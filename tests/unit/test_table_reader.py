"""`table_reader` (agents/wiring.py): a table read that asks the store once.

Real Faust tables: on Faust's RocksDB store (a real database, read as the story agent reads it,
inside an event of partition 0) and on its memory store. Faust's own `table.get` is the control:
on RocksDB it asks the store twice for a key the table holds.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import faust
import faust.streams
import pytest

from agents.app import faust_config
from agents.wiring import Wiring, table_reader
from streams.kafka.topics import STORY_SIGNATURES_CHANGELOG
from streams.settings import load_settings


class _Event:
    """What Faust's RocksDB store reads from the current event: its message's partition."""

    message = SimpleNamespace(partition=0)


@pytest.fixture(params=["rocksdb", "memory"])
def table(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    settings = load_settings(
        environ={"WIREWATCH_TABLE_STORE": request.param, "WIREWATCH_DATA_DIR": str(tmp_path)}
    )
    app = faust.App("table-reader-test", **faust_config(settings))
    table = Wiring(settings, cast(Any, None), cast(Any, None)).table(
        app, "story-signatures", STORY_SIGNATURES_CHANGELOG
    )
    event = _Event()
    token = faust.streams._current_event.set(weakref.ref(cast(Any, event)))
    # Into the store directly: a table write outside an agent has no changelog to go to.
    table.data["held"] = b"value"
    yield table
    faust.streams._current_event.reset(token)


def test_it_reads_what_table_get_reads(table: Any) -> None:
    read = table_reader(table)
    assert read("held") == table.get("held") == b"value"
    assert read("missing") is None and table.get("missing") is None


@pytest.mark.parametrize("table", ["rocksdb"], indirect=True)
def test_on_rocksdb_it_asks_the_store_once_where_faust_asks_twice(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = table.data
    calls = {"_get": 0, "_contains": 0}
    for name in calls:
        original = getattr(store, name)

        def counted(key: bytes, name: str = name, original: Any = original) -> Any:
            calls[name] += 1
            return original(key)

        monkeypatch.setattr(store, name, counted)
    table.get("held")
    assert calls == {"_get": 1, "_contains": 1}  # the control: Faust's own read
    calls.update(_get=0, _contains=0)
    table_reader(table)("held")
    assert calls == {"_get": 1, "_contains": 0}
    calls.update(_get=0, _contains=0)
    table_reader(table)("missing")
    assert calls == {"_get": 1, "_contains": 0}


def test_faust_s_sensors_still_hear_of_every_read(table: Any) -> None:
    heard: list[Any] = []

    class Listening(faust.Sensor):
        def on_table_get(self, table: Any, key: Any) -> None:
            heard.append(key)

    table.app.sensors.add(Listening())
    read = table_reader(table)
    read("held")
    read("missing")
    assert heard == ["held", "missing"]
