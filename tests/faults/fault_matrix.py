"""The full fault table: every fault of issue 11 against real brokers and workers, ids counted.

Usage (as root, for a private loopback; every server listens on 127.0.0.1 only):
    unshare -n bash -c 'ip link set lo up; .venv/bin/python tests/faults/fault_matrix.py'
    ... fault_matrix.py --items 2000 --kills 10 --only worker-kill,broker-kill

For each fault it starts from fresh topics, writes `--items` distinct RawItems into `raw-items` at
`--rate` items/s while the fault happens, waits until the worker group has committed the end of
every input partition, reads every output topic from the start and prints one row:
fault | items in | lost (articles / story-articles) | duplicates | alerts differing from the
fault-free run (for the fault-free run itself: from the worker's steps run in process on the same
items, tests/replay.py) | dead letters | median and worst time from a worker (re)start or broker
restart to the next article | time to commit everything after the last item was written.
It prints numbers, never pass/fail; `tests/faults/test_faults.py` asserts on the short form.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    Cluster,
    build_items,
    compare_alerts,
    count_outputs,
    create_topics,
    describe_alert_differences,
    describe_duplicates,
    harness_settings,
    produce_items,
    random_delays,
    replay_alerts,
    wait_caught_up,
    watch_resume,
)

from streams.kafka.localbroker import (
    LocalBroker,
    LocalCluster,
    free_port,
    kill_node,
    start_local_broker,
    start_local_cluster,
    start_node,
    stop_local_broker,
    stop_local_cluster,
)
from streams.kafka.topics import ARTICLES, RAW_ITEMS, STORY_ARTICLES
from streams.settings import Settings

CATCH_UP_TIMEOUT_SECONDS = 300.0
QUIET_SECONDS = 3.0
RESUME_TIMEOUT_SECONDS = 90.0
READY_TIMEOUT_SECONDS = 30.0


@dataclass
class Row:
    fault: str
    items_in: int = 0
    lost_articles: int = 0
    lost_story: int = 0
    duplicates: int = 0
    alerts_differ: int = 0
    alerts_extra: int = 0
    dead_letters: int = 0
    resumes: list[float | None] = field(default_factory=list)
    commit_after_done: float | None = None
    not_ready: int = 0
    note: str = ""

    def cells(self) -> list[str]:
        seen = [r for r in self.resumes if r is not None]
        missed = len(self.resumes) - len(seen)
        resume = "-"
        if seen:
            resume = f"{statistics.median(seen):.1f} / {max(seen):.1f}"
        if missed:
            resume += f" ({missed} never)"
        done = "-" if self.commit_after_done is None else f"{self.commit_after_done:.1f}"
        return [
            self.fault,
            str(self.items_in),
            f"{self.lost_articles} / {self.lost_story}",
            str(self.duplicates),
            f"{self.alerts_differ}" + (f" (+{self.alerts_extra})" if self.alerts_extra else ""),
            str(self.dead_letters),
            resume,
            done,
            self.note,
        ]


HEADERS = ["fault", "items in", "lost art/story", "dup", "alerts differ", "dead",
           "resume s med/max", "commit s", "note"]  # fmt: skip


def print_table(rows: list[Row]) -> None:
    table = [HEADERS, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADERS))]
    for index, cells in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if index == 0:
            print("-+-".join("-" * w for w in widths))
    sys.stdout.flush()


Fault = Callable[["Run"], Awaitable[None]]


@dataclass
class Run:
    """One fault scenario's state: its settings, workers, broker and the row it fills."""

    settings: Settings
    cluster: Cluster
    row: Row
    broker: LocalBroker | LocalCluster
    seed: int
    kills: int
    producing: asyncio.Task[None] | None = None
    items: int = 0
    written: int = 0
    # The input starts when this is set: at once, unless the fault waits for its workers first.
    input_gate: asyncio.Event = field(default_factory=asyncio.Event)

    def count_written(self, written: int) -> None:
        self.written = written

    async def start_input_and_wait(self, share: float, timeout_seconds: float) -> None:
        """Let the items flow and return once `share` of them are written: a fault that waits
        for its workers to be ready (15-25 s) would otherwise land after the whole input (10 s
        at the short form's rate) was written and processed, and test an idle pipeline."""
        self.input_gate.set()
        deadline = time.monotonic() + timeout_seconds
        while self.written < self.items * share and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def restart_watch(self, since: float) -> None:
        self.row.resumes.append(await watch_resume(self.settings, since, RESUME_TIMEOUT_SECONDS))

    def producing_done(self) -> bool:
        return self.producing is not None and self.producing.done()


async def no_fault(run: Run) -> None:
    run.cluster.start("w1")
    run.cluster.start("w2")


async def worker_kills(run: Run) -> None:
    """kill -9 a worker `kills` times: during start-up/join, recovery and steady processing."""
    run.cluster.start("w1")
    run.cluster.start("w2")
    delays = random_delays(run.seed, run.kills, 0.5, 9.0)
    for index, delay in enumerate(delays):
        await asyncio.sleep(delay)
        victim = "w1" if index % 2 == 0 else "w2"
        run.cluster.kill(victim)
        await asyncio.sleep(0.3)
        started = time.monotonic()
        run.cluster.start(victim)
        if index == len(delays) - 1 or index % 3 == 2:
            await run.restart_watch(started)


async def only_worker_kills(run: Run) -> None:
    """The single worker killed and restarted: every restart must resume on its own."""
    run.cluster.start("w1")
    for delay in random_delays(run.seed, run.kills, 2.0, 9.0):
        await asyncio.sleep(delay)
        run.cluster.kill("w1")
        started = time.monotonic()
        run.cluster.start("w1")
        await run.restart_watch(started)


async def broker_kill(run: Run) -> None:
    """kill -9 the broker mid-stream and restart it on the same data."""
    assert isinstance(run.broker, LocalBroker)
    run.cluster.start("w1")
    run.cluster.start("w2")
    # Killed before a worker first connects, the worker would exit ("unable to bootstrap") and
    # the scenario would test start-up, not an outage.
    await run.cluster.wait_ready(READY_TIMEOUT_SECONDS * 4)
    await run.start_input_and_wait(KILL_AT_SHARE, READY_TIMEOUT_SECONDS)
    pid = int((run.broker.data_dir / "broker.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text()[:60]:
        await asyncio.sleep(0.1)
    await asyncio.sleep(5.0)
    broker = start_local_broker(run.broker.port, run.broker.controller_port, run.broker.data_dir)
    run.broker = broker
    await run.restart_watch(time.monotonic())


async def cluster_node_kill(run: Run) -> None:
    """A 3-broker cluster (replication factor 3, min.insync.replicas 2) loses one broker."""
    assert isinstance(run.broker, LocalCluster)
    run.cluster.start("w1")
    run.cluster.start("w2")
    await run.cluster.wait_ready(READY_TIMEOUT_SECONDS * 4)
    await run.start_input_and_wait(KILL_AT_SHARE, READY_TIMEOUT_SECONDS)
    kill_node(run.broker, 1)
    await asyncio.sleep(5.0)
    started = time.monotonic()
    await asyncio.to_thread(start_node, run.broker, 1)
    await run.restart_watch(started)


async def scale_up_down(run: Run) -> None:
    """1 → 3 workers, then back to 1: one stopped gracefully, one by kill -9."""
    run.cluster.start("w1")
    await asyncio.sleep(4.0)
    run.cluster.start("w2")
    await asyncio.sleep(3.0)
    run.cluster.start("w3")
    await asyncio.sleep(5.0)
    run.cluster.stop("w2")
    await asyncio.sleep(3.0)
    run.cluster.kill("w3")
    await run.restart_watch(time.monotonic())


async def worker_freeze(run: Run) -> None:
    """One of two workers frozen (SIGSTOP) mid-stream for longer than the session timeout, so
    the group gives its partitions to the other, then thawed (SIGCONT): a zombie that wakes up
    holding events, table state and unsent outputs of partitions it no longer owns must not send
    a stale alert revision after the new owner's, nor commit over the new owner's offsets."""
    run.cluster.start("w1")
    run.cluster.start("w2")
    await run.cluster.wait_ready(READY_TIMEOUT_SECONDS * 4)
    await run.start_input_and_wait(KILL_AT_SHARE, READY_TIMEOUT_SECONDS)
    timeout = float(run.cluster.extra_env.get("WIREWATCH_SESSION_TIMEOUT_SECONDS",
                                              run.settings.session_timeout_seconds))  # fmt: skip
    run.cluster.freeze("w1")
    await asyncio.sleep(timeout + FREEZE_PAST_TIMEOUT_SECONDS)
    run.cluster.thaw("w1")
    # It must see that it stood still too long and leave (streams/freeze.py); then it is
    # restarted, as its supervisor would, and rejoins the group.
    status = await run.cluster.wait_exit("w1", FROZEN_EXIT_TIMEOUT_SECONDS)
    run.row.note += f"w1 woke and exited with {status}; " if status is not None else "w1 stayed; "
    if status is not None:
        started = time.monotonic()
        run.cluster.start("w1")
        await run.restart_watch(started)


async def more_workers_than_partitions(run: Run) -> None:
    for name in ("w1", "w2", "w3", "w4"):
        run.cluster.start(name)
        await asyncio.sleep(1.0)
    await asyncio.sleep(5.0)
    run.cluster.kill("w1")
    await run.restart_watch(time.monotonic())


FAULTS: dict[str, Fault] = {
    "none": no_fault,
    "worker-kill": worker_kills,
    "only-worker-kill": only_worker_kills,
    "broker-kill": broker_kill,
    "scale-1-3-1": scale_up_down,
    "workers>partitions": more_workers_than_partitions,
    "cluster-node-kill": cluster_node_kill,
    "worker-freeze": worker_freeze,
}
# Faults that start the input themselves once their workers are ready (Run.start_input_and_wait),
# and the share of the items written when they strike.
WAIT_FOR_WORKERS = (broker_kill, cluster_node_kill, worker_freeze)
KILL_AT_SHARE = 0.3
# How long past the session timeout a frozen worker stays frozen: the broker has evicted it and
# the other worker has taken its partitions and gone on before it wakes up.
FREEZE_PAST_TIMEOUT_SECONDS = 10.0
# How long a woken worker may take to see the freeze and exit (its next Kafka request, or the
# watch thread's next tick).
FROZEN_EXIT_TIMEOUT_SECONDS = 10.0


async def run_fault(
    name: str,
    fault: Fault,
    broker: LocalBroker | LocalCluster,
    items: list[tuple[str, bytes]],
    args: argparse.Namespace,
    work_dir: Path,
    baseline: dict[str, tuple[object, ...]] | None,
) -> tuple[Row, dict[str, tuple[object, ...]]]:
    prefix = f"f{uuid.uuid4().hex[:8]}."
    if isinstance(broker, LocalCluster):
        settings = harness_settings(broker.bootstrap, prefix, work_dir / prefix, replicas=3)
    else:
        settings = harness_settings(broker.address, prefix, work_dir / prefix)
    await create_topics(settings)
    extra_env = {}
    if args.session_timeout:
        extra_env["WIREWATCH_SESSION_TIMEOUT_SECONDS"] = str(args.session_timeout)
    if args.guarantee:
        extra_env["WIREWATCH_PROCESSING_GUARANTEE"] = args.guarantee
    if getattr(args, "table_store", ""):
        extra_env["WIREWATCH_TABLE_STORE"] = args.table_store
    cluster = Cluster(settings, work_dir / prefix, extra_env, not args.dynamic_members)
    (work_dir / prefix).mkdir(parents=True, exist_ok=True)
    run = Run(settings, cluster, Row(name), broker, args.seed, args.kills, items=len(items))
    if fault not in WAIT_FOR_WORKERS:
        run.input_gate.set()

    async def produce() -> None:
        await run.input_gate.wait()
        await produce_items(settings.broker, RAW_ITEMS.name(settings), items, args.rate,
                            run.count_written)  # fmt: skip

    run.producing = asyncio.create_task(produce())
    try:
        await fault(run)
        await run.producing
        done_at = time.monotonic()
        try:
            await wait_caught_up(settings, CATCH_UP_TIMEOUT_SECONDS, QUIET_SECONDS)
            run.row.commit_after_done = time.monotonic() - done_at - QUIET_SECONDS
        except TimeoutError as exc:
            run.row.note = str(exc)[:80]
        # Caught up, every worker must say it is ready: a worker idle on a partition with lag
        # would have kept the lag above 0, and one that says not-ready now misleads operators.
        not_ready = await cluster.not_ready(READY_TIMEOUT_SECONDS)
        if not_ready:
            run.row.not_ready = len(not_ready)
            run.row.note += f" not ready: {not_ready[0]}"[:120]
        dead = cluster.dead_workers()
        if dead:
            run.row.note += f" {len(dead)} worker(s) exited: {dead[0].log_tail(3)!r}"[:120]
        counted = await count_outputs(settings, len(items))
        if counted.duplicates() and args.explain_duplicates:
            for suffix in (ARTICLES.suffix, STORY_ARTICLES.suffix):
                for line in await describe_duplicates(settings, suffix):
                    print(f"{name}: duplicates: {line}", flush=True)
    finally:
        cluster.stop_all()
    lost_articles, lost_story = counted.lost(item_id for item_id, _ in items)
    row = run.row
    row.items_in = len(items)
    row.lost_articles, row.lost_story = len(lost_articles), len(lost_story)
    row.duplicates = counted.duplicates()
    row.dead_letters = counted.dead_letters
    if baseline is not None:
        row.alerts_differ, row.alerts_extra = compare_alerts(baseline, counted.alerts)
        for line in describe_alert_differences(baseline, counted.alerts):
            print(f"{name}: alert differs: {line}", flush=True)
    else:
        # The fault-free run is itself checked, against the steps run in process: a baseline
        # that went wrong would otherwise make every fault row differ, or hide a fault's error.
        replayed = replay_alerts(settings, items)
        row.alerts_differ, row.alerts_extra = compare_alerts(replayed, counted.alerts)
        names = ("in-process replay", "this run")
        for line in describe_alert_differences(replayed, counted.alerts, names):
            print(f"{name}: alert differs: {line}", flush=True)
    return row, counted.alerts


async def main_async(args: argparse.Namespace) -> None:
    only = args.only.split(",") if args.only else list(FAULTS)
    items = build_items(args.items)
    kept = tempfile.mkdtemp(prefix="wirewatch-faults-") if args.keep else None
    if kept:
        print(f"work dir (kept): {kept}", flush=True)
    temp = (
        contextlib.nullcontext(kept)
        if kept
        else tempfile.TemporaryDirectory(prefix="wirewatch-faults-")
    )
    with temp as tmp:
        work_dir = Path(tmp)
        broker = start_local_broker(free_port(), free_port(), work_dir / "broker")
        rows: list[Row] = []
        try:
            baseline_row, baseline = await run_fault(
                "none (baseline)", no_fault, broker, items, args, work_dir, None
            )
            rows.append(baseline_row)
            print_table(rows)
            for name in only:
                if name in ("none", "cluster-node-kill"):
                    continue
                row, _ = await run_fault(name, FAULTS[name], broker, items, args, work_dir,
                                         baseline)  # fmt: skip
                rows.append(row)
                print()
                print_table(rows)
        finally:
            stop_local_broker(broker)
        if "cluster-node-kill" in only:
            cluster = await asyncio.to_thread(start_local_cluster, None, work_dir / "cluster")
            try:
                row, _ = await run_fault("cluster-node-kill", cluster_node_kill, cluster, items,
                                         args, work_dir, baseline)  # fmt: skip
                rows.append(row)
            finally:
                stop_local_cluster(cluster)
    print()
    print_table(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=60.0, help="items written per second")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default="", help=f"comma-separated: {', '.join(FAULTS)}")
    parser.add_argument("--session-timeout", type=float, default=0.0,
                        help="override the workers' session_timeout_seconds")  # fmt: skip
    parser.add_argument("--dynamic-members", action="store_true",
                        help="no worker_id: dynamic group members, as before issue 11")  # fmt: skip
    parser.add_argument("--guarantee", choices=("at_least_once", "exactly_once"), default="",
                        help="the workers' processing_guarantee (default: theirs)")  # fmt: skip
    parser.add_argument("--table-store", choices=("memory", "rocksdb"), default="",
                        help="the workers' table_store (default: theirs)")  # fmt: skip
    parser.add_argument("--explain-duplicates", action="store_true",
                        help="print where duplicates sit (partition, offsets, time)")  # fmt: skip
    parser.add_argument("--keep", action="store_true",
                        help="keep the temp dir (worker logs) and print its path")  # fmt: skip
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main_async(parse_args()))
