"""A stopping poller closes its parser processes itself, bounded in time (streams/feeds/poller.py).

Real processes ("spawn", as the poller starts them); no broker.
"""

from __future__ import annotations

import asyncio
import time

from streams.feeds.poller import close_parser_pool, parser_pool


async def test_a_pool_with_nothing_running_is_closed_and_its_processes_end() -> None:
    pool = parser_pool(1)
    assert pool is not None
    assert await asyncio.wrap_future(pool.submit(sum, [1, 2])) == 3
    processes = list(pool._processes.values())  # type: ignore[attr-defined]  # the pool's own
    await close_parser_pool(pool, timeout_seconds=30.0)
    assert processes and not any(process.is_alive() for process in processes)


async def test_a_parse_that_does_not_end_is_terminated_after_the_timeout() -> None:
    pool = parser_pool(1)
    assert pool is not None
    stuck = pool.submit(time.sleep, 60)
    deadline = time.monotonic() + 30
    while not stuck.running() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    processes = list(pool._processes.values())  # type: ignore[attr-defined]  # the pool's own
    began = time.monotonic()
    await close_parser_pool(pool, timeout_seconds=0.5)
    for process in processes:
        process.join(timeout=10)
    assert not any(process.is_alive() for process in processes)
    assert time.monotonic() - began < 15
