"""Stop a worker that wakes up from a freeze long enough for its group to have moved on.

A worker process that is stopped (SIGSTOP, a debugger, a VM paused by its host, a very long
swap storm) sends no heartbeats; after the session timeout the broker evicts it and the other
workers take its partitions over from the last committed offsets and go on. When the frozen
process runs again it still holds events, table state and produce batches of partitions it no
longer owns, and it sends them before its consumer learns of the eviction: an alert revision
computed before the freeze lands after the new owner's later ones, so the latest revision on
`alerts` goes backwards (seen in tests/faults: an alert's last message listing 3 items where the
fault-free run lists 8). Its commits are refused (the group's generation moved on), so nothing
is lost; what it sends is what does the harm.

So a thread ticks every half second, and every Kafka request the process writes first asks how
long ago the last tick was. A gap longer than the freeze limit in which the process also used
little CPU (less than half the gap: a stopped process uses none, while a C call that holds the
GIL for seconds, which also keeps the thread from ticking, burns CPU all along) means the whole
process stood still that long: it exits at once with EXIT_FROZEN, before writing anything, and
its supervisor
(Kubernetes, Docker's restart policy, systemd) starts it again; as a static member it rejoins at
once and the new owner has already done or will do the work again (at least once, as after
kill -9). The limit is the longest freeze after which the group can still hold the worker as a
member: the session timeout less two heartbeat intervals (the last heartbeat may have gone out
up to one interval before the freeze), and at least half the session timeout, so that a thread
waiting a few hundred milliseconds for a busy CPU is never taken for a freeze.

`time.monotonic` does not count a suspended machine (a laptop's lid): then the broker on it slept
too, or, on another machine, sees the session expire like any freeze but the worker does not
notice; the commits' generation check still refuses stale offsets.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# EX_TEMPFAIL (sysexits.h): try again later. Its supervisor restarts the worker.
EXIT_FROZEN = 75
TICK_SECONDS = 0.5
# A gap is a freeze only if the process used less CPU than this share of it.
FROZEN_CPU_SHARE = 0.5


def freeze_limit_seconds(session_timeout_seconds: float, heartbeat_seconds: float) -> float:
    """The longest freeze after which the group may still hold the worker as a member."""
    return max(session_timeout_seconds - 2 * heartbeat_seconds, session_timeout_seconds / 2)


class FreezeWatch:
    """Ticks in a thread of its own; `check` (on any thread) calls `on_frozen` with the gap when
    the last tick is older than `limit_seconds` and the process used less than FROZEN_CPU_SHARE
    of that time on CPU (`cpu_clock`: all its threads), and so does the thread when it wakes that
    late."""

    def __init__(
        self,
        limit_seconds: float,
        on_frozen: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
        tick_seconds: float = TICK_SECONDS,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        if limit_seconds <= tick_seconds:
            raise ValueError(f"freeze limit {limit_seconds} s is not above the tick")
        self.limit_seconds = limit_seconds
        self._on_frozen = on_frozen
        self._clock = clock
        self._cpu_clock = cpu_clock
        self._tick_seconds = tick_seconds
        self._last_tick = clock()
        self._last_cpu = cpu_clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        gap = self._clock() - self._last_tick
        if gap > self.limit_seconds and self._cpu_clock() - self._last_cpu < gap * FROZEN_CPU_SHARE:
            self._on_frozen(gap)

    def tick(self) -> None:
        """One tick: a late wake-up is a freeze too; the tick is moved only after the check."""
        self.check()
        self._last_tick = self._clock()
        self._last_cpu = self._cpu_clock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="freeze-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            self.tick()


def exit_frozen(gap_seconds: float, limit_seconds: float) -> None:
    """Leave now, without flushing anything a stale worker holds (os._exit runs no cleanup)."""
    message = (
        f"this worker stood still for {gap_seconds:.1f} s, longer than its group allows "
        f"({limit_seconds:.1f} s: session timeout less two heartbeats); its partitions may have "
        f"moved to another worker, so it exits before sending anything stale "
        f"(exit status {EXIT_FROZEN}); restarted, it rejoins its group"
    )
    log.critical(message)
    for handler in logging.getLogger().handlers:
        handler.flush()
    print(f"wirewatch: {message}", file=sys.stderr, flush=True)
    os._exit(EXIT_FROZEN)


_guarded: list[FreezeWatch] = []


def guard_kafka_requests(watch: FreezeWatch) -> None:
    """Make every Kafka request of this process (aiokafka writes each one in
    `AIOKafkaConnection.send`: produce batches, changelog writes, commits, heartbeats) check
    `watch` first. Installed once per process; a later call replaces the watch."""
    from aiokafka.conn import AIOKafkaConnection

    if _guarded:
        _guarded[0] = watch
        return
    _guarded.append(watch)
    original = AIOKafkaConnection.send

    def send(self: AIOKafkaConnection, request: Any, expect_response: bool = True) -> Any:
        _guarded[0].check()
        return original(self, request, expect_response)

    AIOKafkaConnection.send = send
