"""A stopping poller closes its parser processes itself, bounded in time (streams/feeds/poller.py).

Real processes ("spawn", as the poller starts them); no broker.
"""

from __future__ import annotations

import asyncio
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from streams.feeds.poller import close_parser_pool, parser_pool


def ended(processes: list[BaseProcess], timeout_seconds: float) -> bool:
    """Whether every process has exited, told by its sentinel (a pipe the OS closes at exit).

    Not `process.join()` then `is_alive()`: the pool's own thread joins the same process objects
    after a terminate, and CPython's `Popen.poll` answers "alive" to whichever thread loses the
    race to `waitpid` (ECHILD) until the winner has stored the return code. That made this test
    fail once in CI and in 1 of 20 runs under load, on a process already gone (returncode -15)."""
    deadline = time.monotonic() + timeout_seconds
    pending = [process.sentinel for process in processes]
    while pending:
        for ready in wait(pending, max(0.0, deadline - time.monotonic())):
            pending.remove(ready)  # type: ignore[arg-type]  # sentinels are ints
        if time.monotonic() >= deadline:
            break
    return not pending


async def test_a_pool_with_nothing_running_is_closed_and_its_processes_end() -> None:
    pool = parser_pool(1)
    assert pool is not None
    assert await asyncio.wrap_future(pool.submit(sum, [1, 2])) == 3
    processes = list(pool._processes.values())  # type: ignore[attr-defined]  # the pool's own
    await close_parser_pool(pool, timeout_seconds=30.0)
    assert processes and ended(processes, timeout_seconds=0)


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
    assert processes and ended(processes, timeout_seconds=10)
    assert time.monotonic() - began < 15
