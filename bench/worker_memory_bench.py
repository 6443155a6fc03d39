"""Memory of one real worker process after N items: VmRSS and VmHWM at every checkpoint.

`bench/memory_bench.py` runs the worker's steps in process, without Kafka, Faust or the link stage,
so a worker's own share had to be added to its figures by estimate. This bench runs the real
thing: one `wirewatch worker` process (all its agents and tables, the link stage and its encoder,
Faust, aiokafka) on a broker (a local one by default), fed items of bench/stream.py's realistic
stream stamped on the items' own clock at `--per-day` items a day, as memory_bench stamps them
(`timed_items`: 300,000 a day, about EMM's daily volume, so 1,000,000 items cover 3.3 days and
the story horizon of 48 h is passed after ~600,000). The story stage sweeps by the items' clock
(its timer runs every 15 min of wall time), so its tables stay bounded by the horizon as in
production.

The items are produced at most `--ahead` items in front of what the worker's story stage has
handled, so that a checkpoint's memory belongs to about that many items and the broker does not
hold a backlog the worker would never see in production. At every `--checkpoint` items handled by
the story stage it prints the worker's VmRSS and VmHWM (from /proc), its CPU time, the items/s
since the last checkpoint and the worker's data directory on disk (RocksDB tables with
`--table-store rocksdb`). Prints numbers; asserts nothing.

Usage (inside a private network namespace, as every bench here):
    unshare -n bash -c 'ip link set lo up; .venv/bin/python bench/worker_memory_bench.py \
        --items 1000000 --checkpoint 100000 --table-store rocksdb'
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import chain_bench
import pipeline_bench
from aiokafka import AIOKafkaProducer

# bench/ is no package: run as a script, its folder is on sys.path (as chain_bench does).
from memory_bench import status, timed_items  # isort: skip

from streams.kafka.admin import ensure_topics
from streams.kafka.topics import RAW_ITEMS
from streams.settings import Settings

POLL_SECONDS = 1.0
LINGER_MS = 20


def mib(sizes: dict[str, int]) -> dict[str, float]:
    return {name: size / 2**20 for name, size in sizes.items()}


def disk_mib(path: Path) -> float:
    # `du` rather than a walk: RocksDB renames and deletes files while we look.
    done = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=False)
    fields = done.stdout.split()
    return int(fields[0]) / 1024 if fields else 0.0


def handled(worker: chain_bench.WorkerProcess, stage: str) -> float:
    """Items that left `stage`, whatever their outcome."""
    return worker.stage_values().get(("wirewatch_items_processed_total", stage), 0.0)


async def run(args: argparse.Namespace, settings: Settings, work_dir: Path) -> None:
    await ensure_topics(settings)
    topic = RAW_ITEMS.name(settings)
    with chain_bench.running_workers(settings, 1, work_dir) as workers:
        worker = workers[0]
        ready = await chain_bench.wait_ready(workers)
        pid = worker.popen.pid
        start = mib(status(pid))
        print(f"worker ready after {ready:.1f} s: VmRSS {start['VmRSS']:,.0f} MiB, "
              f"VmHWM {start['VmHWM']:,.0f} MiB", flush=True)  # fmt: skip
        print("| items handled by story | VmRSS MiB | VmHWM MiB | worker CPU s "
              "| items/s since last | data dir MiB | wall s |")  # fmt: skip
        print("| --- | --- | --- | --- | --- | --- | --- |", flush=True)
        producer = AIOKafkaProducer(bootstrap_servers=settings.broker, acks="all",
                                    linger_ms=LINGER_MS)  # fmt: skip
        await producer.start()
        began = last_time = time.monotonic()
        last_count = 0.0
        next_checkpoint = args.checkpoint
        sent = 0
        done = 0.0
        try:
            pending = []
            for at, item in timed_items(args.items, args.chunk, args.per_day, args.seed):
                pending.append(await producer.send(topic, value=item.encode(at),
                                                   key=item.key.encode()))  # fmt: skip
                sent += 1
                if sent % 1000:
                    continue
                await asyncio.gather(*pending)
                pending.clear()
                while True:
                    if worker.popen.poll() is not None:
                        raise RuntimeError(f"worker exited:\n{worker.log_tail()}")
                    done = await asyncio.to_thread(handled, worker, "story")
                    while done >= next_checkpoint:
                        last_time, last_count = report(worker, work_dir, done, began,
                                                       last_time, last_count)  # fmt: skip
                        next_checkpoint += args.checkpoint
                    if sent - done <= args.ahead:
                        break
                    await asyncio.sleep(POLL_SECONDS)
            await asyncio.gather(*pending)
            # The story stage handles fewer items than were sent: poison items dead-letter in
            # enrich. Wait until its count stops moving.
            still = 0
            while still < 5:
                await asyncio.sleep(POLL_SECONDS * 2)
                now_done = await asyncio.to_thread(handled, worker, "story")
                still = still + 1 if now_done == done else 0
                done = now_done
            report(worker, work_dir, done, began, last_time, last_count)
        finally:
            await producer.stop()
        print(f"sent {sent:,} items; the story stage handled {done:,.0f}; "
              f"enrich {handled(worker, 'enrich'):,.0f}")  # fmt: skip
        if not done:
            print(f"the worker handled nothing; its log ends:\n{worker.log_tail(40)}")


def report(
    worker: chain_bench.WorkerProcess,
    work_dir: Path,
    done: float,
    began: float,
    last_time: float,
    last_count: float,
) -> tuple[float, float]:
    memory = mib(status(worker.popen.pid))
    now = time.monotonic()
    rate = (done - last_count) / max(now - last_time, 1e-9)
    print(f"| {done:,.0f} | {memory['VmRSS']:,.0f} | {memory['VmHWM']:,.0f} | "
          f"{worker.cpu():,.0f} | {rate:,.0f} | {disk_mib(work_dir / worker.name):,.0f} | "
          f"{now - began:,.0f} |", flush=True)  # fmt: skip
    return now, done


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--per-day", type=float, default=300_000.0,
                        help="items a day on the items' own clock")  # fmt: skip
    parser.add_argument("--checkpoint", type=int, default=100_000)
    parser.add_argument(
        "--chunk",
        type=int,
        default=20_000,
        help="items generated at a time (each chunk a stream of its own seed)",
    )
    parser.add_argument("--ahead", type=int, default=5_000,
                        help="most items sent ahead of the story stage")  # fmt: skip
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--table-store", choices=("memory", "rocksdb"), default="",
                        help="the worker's table_store (default: its own)")  # fmt: skip
    parser.add_argument("--broker", default="", help="host:port; default: start a local broker")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.table_store:
        chain_bench.PASS_THROUGH["WIREWATCH_TABLE_STORE"] = args.table_store
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    print(f"worker_memory_bench {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {args.items:,} items at "
          f"{args.per_day:,.0f} a day, checkpoint {args.checkpoint:,}, table store "
          f"{args.table_store or 'default'}, {args.partitions} partitions", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="wirewatch-wmem-") as tmp:
        work_dir = Path(tmp)
        with pipeline_bench.bench_broker(args.broker, work_dir) as (broker, _):
            settings = chain_bench.fresh_settings(broker, args.partitions, work_dir, "mem")
            asyncio.run(run(args, settings, work_dir))


if __name__ == "__main__":
    main()
