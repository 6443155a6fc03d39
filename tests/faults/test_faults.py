"""The short form of the fault table: kills, a broker restart, a rebalance and a frozen worker lose
no item and send no stale alert.

Each test writes known item ids while real workers (child processes) are killed with SIGKILL and
restarted, the broker is killed and restarted on its data, or workers come and go, then counts
every id on `articles` and `story-articles` and compares the final revision of every story alert
with a fault-free run of the same input. A private broker serves this module, because one test
kills it. The full table with more kills and more faults is `tests/faults/fault_matrix.py`.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import start_broker_or_fail
from fault_matrix import (
    Fault,
    Row,
    broker_kill,
    no_fault,
    parse_args,
    run_fault,
    scale_up_down,
    worker_freeze,
    worker_kills,
)
from harness import build_items

from streams.freeze import EXIT_FROZEN
from streams.kafka.localbroker import LocalBroker, stop_local_broker

pytestmark = pytest.mark.integration

ITEMS = 600
RATE_PER_SECOND = 60.0  # ten seconds of input: the faults land while items are flowing
KILLS = 3
SEED = 20261206


@pytest.fixture(scope="module")
def fault_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A broker of this module's own: the broker test kills it."""
    broker = start_broker_or_fail(tmp_path_factory.mktemp("fault-kafka"))
    yield broker
    stop_local_broker(broker)


@pytest.fixture(scope="module")
def items() -> list[tuple[str, bytes]]:
    return build_items(ITEMS)


@pytest.fixture(scope="module")
def baseline(
    fault_broker: LocalBroker,
    items: list[tuple[str, bytes]],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[object, ...]]:
    """The final story alerts of a fault-free run of the same input."""
    row, alerts = asyncio.run(
        run_fault(
            "none", no_fault, fault_broker, items, _args(), tmp_path_factory.mktemp("b"), None
        )
    )
    assert (row.lost_articles, row.lost_story) == (0, 0), row.cells()
    assert alerts, "the sample items raise story alerts; a fault-free run produced none"
    # What the fault rows are compared with must itself be right: the steps run in process.
    assert (row.alerts_differ, row.alerts_extra) == (0, 0), row.cells()
    return alerts


def _args(*extra: str) -> argparse.Namespace:
    # The harness's own parser, so that every option it reads has its default: a Namespace built
    # here by hand lacked --explain-duplicates, and a worker-kill run that had duplicates crashed.
    argv = ["--rate", str(RATE_PER_SECOND), "--kills", str(KILLS), "--seed", str(SEED), *extra]
    return parse_args(argv)


def _assert_nothing_lost(row: Row) -> None:
    assert row.lost_articles == 0, f"items never reached articles: {row.cells()}"
    assert row.lost_story == 0, f"items never reached story-articles: {row.cells()}"
    assert row.alerts_differ == 0, f"story alerts differ from the fault-free run: {row.cells()}"
    assert row.dead_letters == 0, row.cells()
    # A worker that restarts but never processes again is a failure, however long it is given.
    assert None not in row.resumes, f"output never resumed after a restart: {row.cells()}"
    assert row.commit_after_done is not None, f"offsets never reached the end: {row.cells()}"
    assert row.alerts_extra == 0, f"alerts the fault-free run did not raise: {row.cells()}"
    assert row.not_ready == 0, f"a caught-up worker answered not ready: {row.cells()}"


# In the order the three tests had before; the broker kill, of the broker they share, last.
SCENARIOS: dict[str, Fault] = {
    "worker-kill": worker_kills,  # workers killed (SIGKILL) and restarted
    "scale-1-3-1": scale_up_down,  # workers added, then removed
    "broker-kill": broker_kill,  # the broker killed (SIGKILL) and restarted on its data
}


@pytest.mark.parametrize(("name", "fault"), SCENARIOS.items(), ids=list(SCENARIOS))
def test_fault_loses_no_item(
    name: str,
    fault: Fault,
    fault_broker: LocalBroker,
    items: list[tuple[str, bytes]],
    baseline: dict[str, tuple[object, ...]],
    tmp_path: Path,
) -> None:
    row, _ = asyncio.run(run_fault(name, fault, fault_broker, items, _args(), tmp_path, baseline))
    _assert_nothing_lost(row)


# A short session timeout keeps the freeze (timeout + 10 s) short; the broker's minimum is 6 s.
FREEZE_SESSION_TIMEOUT_SECONDS = 8


def test_a_frozen_worker_that_wakes_up_sends_no_stale_alert(
    fault_broker: LocalBroker,
    items: list[tuple[str, bytes]],
    baseline: dict[str, tuple[object, ...]],
    tmp_path: Path,
) -> None:
    # SIGSTOP past the session timeout: the other worker takes the partitions and goes on; the
    # woken worker must neither commit over it nor send an alert revision older than its own.
    args = _args("--session-timeout", str(FREEZE_SESSION_TIMEOUT_SECONDS))
    row, _ = asyncio.run(
        run_fault("worker-freeze", worker_freeze, fault_broker, items, args, tmp_path, baseline)
    )
    _assert_nothing_lost(row)
    # It left by itself (streams/freeze.py EXIT_FROZEN) instead of sending what it held.
    assert f"exited with {EXIT_FROZEN}" in row.note, row.cells()
