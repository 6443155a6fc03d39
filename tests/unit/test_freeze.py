"""The freeze watch: a worker that stood still longer than its group allows exits before its
next Kafka request (the whole path, SIGSTOP to exit, is tests/faults/test_faults.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aiokafka.conn import AIOKafkaConnection

from agents.app import heartbeat_interval
from streams import freeze
from streams.freeze import FreezeWatch, freeze_limit_seconds, guard_kafka_requests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Frozen(Exception):
    pass


def test_the_limit_is_the_session_less_two_heartbeats_and_at_least_half_the_session() -> None:
    # The default 30 s session beats every 3 s: a 24 s freeze may already be one too many.
    assert freeze_limit_seconds(30, heartbeat_interval(30)) == 24
    # Short sessions: half the session, so a thread that waited for a busy CPU is no freeze.
    assert freeze_limit_seconds(8, heartbeat_interval(8)) == 4
    assert freeze_limit_seconds(6, heartbeat_interval(6)) == 3


def test_a_check_calls_back_only_after_a_gap_longer_than_the_limit() -> None:
    clock = Clock()
    gaps: list[float] = []
    watch = FreezeWatch(24, gaps.append, clock, cpu_clock=Clock())
    clock.now += 23.9
    watch.check()
    assert gaps == []
    clock.now += 0.2
    watch.check()
    assert gaps == [pytest.approx(24.1)]


def test_a_tick_that_wakes_late_is_a_freeze_and_moves_the_tick_only_after() -> None:
    clock = Clock()
    gaps: list[float] = []
    watch = FreezeWatch(24, gaps.append, clock, cpu_clock=Clock())
    clock.now += 0.5
    watch.tick()
    clock.now += 0.5
    watch.check()
    assert gaps == []  # ticking keeps the gap short
    clock.now += 40
    watch.tick()
    assert gaps == [pytest.approx(40.5)]  # since the last tick, not the last check


def test_a_long_gap_spent_on_cpu_is_no_freeze() -> None:
    # A C call that holds the GIL for seconds keeps the thread from ticking but burns CPU all
    # along; a stopped process burns none.
    clock, cpu = Clock(), Clock()
    gaps: list[float] = []
    watch = FreezeWatch(24, gaps.append, clock, cpu_clock=cpu)
    clock.now += 30
    cpu.now += 29
    watch.check()
    assert gaps == []
    cpu.now += 0.5  # the CPU of the ticks before a freeze, and of the wake-up after it
    clock.now += 60
    watch.tick()
    assert gaps == [pytest.approx(90)]


def test_the_thread_ticks_while_the_process_runs() -> None:
    gaps: list[float] = []
    watch = FreezeWatch(0.5, gaps.append, tick_seconds=0.02)
    watch.start()
    try:
        time.sleep(0.8)  # longer than the limit: only the ticks keep the gap short
        watch.check()
    finally:
        watch.stop()
    assert gaps == []


def test_a_limit_not_above_the_tick_is_refused() -> None:
    with pytest.raises(ValueError, match="not above the tick"):
        FreezeWatch(0.5, print, tick_seconds=0.5)


def test_every_kafka_request_checks_the_watch_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # Restored after the test: the guard replaces the method for the whole process.
    monkeypatch.setattr(AIOKafkaConnection, "send", AIOKafkaConnection.send)
    monkeypatch.setattr(freeze, "_guarded", [])
    clock = Clock()

    def stop(gap: float) -> None:
        raise Frozen(gap)

    guard_kafka_requests(FreezeWatch(24, stop, clock, cpu_clock=Clock()))
    not_a_connection: Any = object()
    # Not frozen: the request goes on to aiokafka's own send (which fails on this stand-in).
    with pytest.raises(AttributeError):
        AIOKafkaConnection.send(not_a_connection, None)
    clock.now += 30
    with pytest.raises(Frozen):
        AIOKafkaConnection.send(not_a_connection, None)
    # A second watch replaces the first instead of wrapping the method twice.
    guard_kafka_requests(FreezeWatch(24, stop, Clock(), cpu_clock=Clock()))
    with pytest.raises(AttributeError):
        AIOKafkaConnection.send(not_a_connection, None)
