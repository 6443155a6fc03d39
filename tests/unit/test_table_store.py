"""table_store: the setting, the Faust store and options it gives, and the table directory's mark.

The RocksDB databases here are real (rocksdict, opened by Faust's own store); the worker across a
kill -9 is tests/integration/test_rocksdb_store.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import faust
import pytest

from agents.app import faust_config
from agents.tablestore import (
    ROCKSDB_OPTIONS,
    RUNNING_MARK,
    open_table_dir,
    store_url,
    table_options,
)
from agents.wiring import Wiring
from streams.errors import SettingsError
from streams.kafka.topics import STORY_SIGNATURES_CHANGELOG
from streams.settings import load_settings

MiB = 1024 * 1024


def test_the_memory_store_is_the_default() -> None:
    settings = load_settings(environ={})
    assert settings.table_store == "memory"
    assert faust_config(settings)["store"] == "memory://"
    assert table_options(settings) is None


def test_rocksdb_from_the_environment_and_from_a_file(tmp_path: Path) -> None:
    assert load_settings(environ={"WIREWATCH_TABLE_STORE": "rocksdb"}).table_store == "rocksdb"
    config = tmp_path / "wirewatch.toml"
    config.write_text('table_store = "rocksdb"\n')
    settings = load_settings(environ={"WIREWATCH_CONFIG": str(config)})
    assert settings.table_store == "rocksdb"
    assert faust_config(settings)["store"] == store_url(settings) == "rocksdb://"


def test_an_unknown_store_is_refused_with_the_accepted_values() -> None:
    with pytest.raises(SettingsError, match=r"table_store.*'disk'.*memory, rocksdb"):
        load_settings(environ={"WIREWATCH_TABLE_STORE": "disk"})


def test_every_table_gets_options_of_its_own() -> None:
    settings = load_settings(environ={"WIREWATCH_TABLE_STORE": "rocksdb"})
    first, second = table_options(settings), table_options(settings)
    assert first == second == ROCKSDB_OPTIONS
    assert first is not second and first is not ROCKSDB_OPTIONS  # Faust pops keys out of it


def test_a_table_database_is_opened_with_the_bounded_options(tmp_path: Path) -> None:
    """Wiring.table → Faust's RocksDB store → the database's own OPTIONS file: the sizes arrive
    (Faust's defaults: 64 MiB write buffers x 3, a 2 GiB block cache)."""
    settings = load_settings(
        environ={"WIREWATCH_TABLE_STORE": "rocksdb", "WIREWATCH_DATA_DIR": str(tmp_path)}
    )
    app = faust.App("table-store-test", **faust_config(settings))
    wiring = Wiring(settings, cast(Any, None), cast(Any, None))
    table = wiring.table(app, "story-signatures", STORY_SIGNATURES_CHANGELOG)
    store: Any = table.data
    db = store._db_for_partition(0)  # what an assigned partition opens
    db.put(b'"k"', b"v")
    options = max((store.partition_path(0)).glob("OPTIONS-*")).read_text()

    def value(name: str) -> int:
        found = re.search(rf"^\s*{name}=(\d+)\s*$", options, re.MULTILINE)
        assert found is not None, name
        return int(found.group(1))

    assert value("write_buffer_size") == 4 * MiB
    assert value("max_write_buffer_number") == 2
    assert value("target_file_size_base") == 16 * MiB
    assert value("max_open_files") == 32
    assert db.property_int_value("rocksdb.block-cache-capacity") == 4 * MiB
    assert store.partition_path(0).parent == Path(app.conf.tabledir)


def make_db(tabledir: Path, name: str) -> Path:
    path = tabledir / f"{name}.db"
    path.mkdir(parents=True)
    (path / "CURRENT").write_text("MANIFEST-000001\n")
    return path


def test_a_clean_stop_keeps_the_databases(tmp_path: Path) -> None:
    taken = open_table_dir(tmp_path)
    assert (tmp_path / RUNNING_MARK).exists() and taken.removed == 0
    db = make_db(tmp_path, "alert-state-0")
    taken.close()
    assert not (tmp_path / RUNNING_MARK).exists()
    again = open_table_dir(tmp_path)
    assert again.removed == 0 and db.exists()
    again.close()


def test_a_start_after_an_unclean_stop_removes_the_databases(tmp_path: Path) -> None:
    taken = open_table_dir(tmp_path)
    dbs = [make_db(tmp_path, "story-signatures-0"), make_db(tmp_path, "alert-state-1")]
    backups = tmp_path / "story-signatures-backups"
    backups.mkdir()
    # What kill -9 leaves: the lock released by the kernel, the mark still there.
    taken.handle.close()
    again = open_table_dir(tmp_path)
    assert again.removed == 2
    assert not any(db.exists() for db in dbs)
    assert backups.exists()  # only the databases go
    assert (tmp_path / RUNNING_MARK).exists()
    again.close()


def test_a_second_worker_on_the_same_data_dir_is_refused(tmp_path: Path) -> None:
    taken = open_table_dir(tmp_path)
    db = make_db(tmp_path, "story-signatures-0")
    with pytest.raises(SettingsError, match=r"data_dir.*in use by another running worker"):
        open_table_dir(tmp_path)
    assert db.exists()  # the running worker's databases are left alone
    taken.close()
