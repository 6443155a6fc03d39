"""Where the worker's Faust tables keep their values: `table_store = "memory"` or `"rocksdb"`.

With "rocksdb" every table partition is a RocksDB database (rocksdict) under Faust's `tabledir`
(`<data_dir>/faust/v1/tables/<table>-<partition>.db`), which also stores the last
changelog offset it holds: a restarted worker reads only the changelog written after it.

That is safe after a clean stop only. A table write reaches the local database at once but its
changelog message only when the producer sends it, and the agents send their outputs before they
write their tables; after `kill -9` the database can hold writes the changelog never got, and the
re-processed input then finds them there ("already seen") and writes nothing again. The worker
would go on with a table the changelog (and so any other worker taking the partition) does not
have. So a worker marks its table directory while it runs and removes the mark only after a clean
stop (producer flushed, nothing crashed); a start that finds the mark removes the databases and
rebuilds them from the changelogs, as the memory store always does.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from streams.errors import SettingsError
from streams.settings import Settings

log = logging.getLogger(__name__)

MiB = 1024 * 1024

# RocksDB options of every table partition's database (Faust's table `options`, read by its
# RocksDBOptions). Faust opens one database per table and partition, each with a block cache
# and write buffers of its own, and its defaults (2 GiB cache, 3 x 64 MiB write buffers) would
# let 16 databases (4 tables x 4 partitions) reach 35 GiB. These bound one database to
# 2 x 4 + 4 = 12 MiB, 16 of them to 192 MiB at the very most; small tables (spike-windows,
# story-digests) never fill theirs.
ROCKSDB_OPTIONS: dict[str, int] = {
    # Memtables: ~4,000 story signatures (~1 KiB each) before one is written out as a file;
    # two, so writes go on while the full one is flushed. Smaller means more, smaller files and
    # more compaction CPU.
    "write_buffer_size": 4 * MiB,
    "max_write_buffer_number": 2,
    # Reads by key are mostly misses (an item's own signature, looked up to spot a redelivery)
    # or recent keys still in the memtable; scans (index rebuild, sweep) read each block once.
    # A small cache suffices: the OS page cache keeps the files (not counted as the worker's RSS).
    "block_cache_size": 4 * MiB,
    # 10 bits a key: ~1% false positives, so a missing key costs no disk read (Faust's 3: ~15%).
    # ~1.2 B a key in memory (0.7 MiB for 600,000 signatures).
    "bloom_filter_size": 10,
    # Files of 16 MiB: a partition's ~150 MiB of signatures in ~10 files, each with its index
    # and filter in memory while open.
    "target_file_size_base": 16 * MiB,
    # Open files per database (Faust's default: 90% of the process's limit, per database).
    # 16 databases x 32 stays far below a 1,024 descriptor limit; more files are reopened.
    "max_open_files": 32,
}

RUNNING_MARK = "wirewatch-running"


def store_url(settings: Settings) -> str:
    """Faust's `store` setting for `table_store`."""
    return "rocksdb://" if settings.table_store == "rocksdb" else "memory://"


def table_options(settings: Settings) -> dict[str, Any] | None:
    """A table's Faust `options`: a fresh dict each (Faust's store pops keys out of it)."""
    return dict(ROCKSDB_OPTIONS) if settings.table_store == "rocksdb" else None


def open_table_dir(tabledir: Path) -> TableDir:
    """Before the tables open: take the directory (one worker at a time: two on one data_dir
    would share its databases), remove the databases of a run that did not stop cleanly (its
    mark is still there), and mark the directory as in use."""
    tabledir.mkdir(parents=True, exist_ok=True)
    mark = tabledir / RUNNING_MARK
    unclean = mark.exists()
    handle = mark.open("a+")
    try:
        # Released by the kernel when the process dies, however it dies.
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SettingsError(
            f"setting 'data_dir': {tabledir} is in use by another running worker; give every "
            "worker on a machine a data_dir of its own"
        ) from None
    removed = 0
    if unclean:
        stale = sorted(tabledir.glob("*.db"))
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        removed = len(stale)
        log.warning("table store: the last run in %s did not stop cleanly; removed %d table "
                    "databases, rebuilt from their changelogs", tabledir, removed)  # fmt: skip
    handle.truncate(0)
    handle.write("a wirewatch worker is running here, or did not stop cleanly\n")
    handle.flush()
    return TableDir(tabledir, handle, removed)


@dataclass(slots=True)
class TableDir:
    """A table directory this process has taken (`open_table_dir`)."""

    path: Path
    handle: IO[str]  # the mark, locked while the process lives
    removed: int  # databases removed at the start (the last run did not stop cleanly)

    def close(self) -> None:
        """After a clean stop (every changelog write sent): the databases may be reused."""
        (self.path / RUNNING_MARK).unlink(missing_ok=True)
        self.handle.close()
