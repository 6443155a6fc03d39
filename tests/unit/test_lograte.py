"""The rate-limiting log filter: one line of a kind per interval, the held-back ones counted on
the next line of that kind, kinds apart by logger, level and template, quiet levels untouched."""

from __future__ import annotations

import logging

import pytest

from streams.lograte import MAX_KINDS, RateLimitFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(
    msg: str, *args: object, name: str = "aiokafka", level: int = logging.ERROR
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_repeats_within_the_interval_are_held_and_counted_on_the_next_line() -> None:
    clock = Clock()
    limiter = RateLimitFilter(5.0, clock=clock)
    assert limiter.filter(record("Unable connect to %s", "b:1"))
    for seconds in range(1, 5):
        clock.now = 1000.0 + seconds
        assert not limiter.filter(record("Unable connect to %s", "b:1"))
    clock.now = 1005.0
    passed = record("Unable connect to %s", "b:2")
    assert limiter.filter(passed)
    assert passed.getMessage() == "Unable connect to b:2 [4 similar lines suppressed in 5 s]"
    clock.now = 1011.0
    quiet = record("Unable connect to %s", "b:1")
    assert limiter.filter(quiet) and quiet.getMessage() == "Unable connect to b:1"


def test_kinds_differ_by_logger_level_and_template_not_by_arguments() -> None:
    limiter = RateLimitFilter(5.0, clock=Clock())
    assert limiter.filter(record("feed %s failed: %s", "f-1", "x", name="streams.feeds"))
    assert not limiter.filter(record("feed %s failed: %s", "f-2", "y", name="streams.feeds"))
    assert limiter.filter(record("feed %s failed: %s", "f-1", "x", name="aiokafka"))
    assert limiter.filter(record("feed %s failed: %s", "f-1", "x", level=logging.WARNING))
    assert limiter.filter(record("another template %s", "f-1"))


def test_lines_below_the_minimum_level_always_pass() -> None:
    limiter = RateLimitFilter(5.0, clock=Clock())
    assert all(limiter.filter(record("poll round done", level=logging.INFO)) for _ in range(5))


def test_kinds_are_bounded_by_forgetting_quiet_ones() -> None:
    clock = Clock()
    limiter = RateLimitFilter(5.0, clock=clock)
    for n in range(MAX_KINDS):
        assert limiter.filter(record(f"self-formatted message {n}"))
    clock.now += 10.0
    assert limiter.filter(record("one more"))
    assert len(limiter._passed_at) == 1  # the quiet kinds were forgotten


def test_a_handler_with_the_filter_writes_one_line_and_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    logger = logging.getLogger("test_lograte.outage")
    caplog.handler.addFilter(RateLimitFilter(5.0, clock=clock))
    for _ in range(100):
        logger.error("Unable to update metadata from %s", [1])
    clock.now += 6.0
    logger.error("Unable to update metadata from %s", [1])
    assert [r.getMessage() for r in caplog.records] == [
        "Unable to update metadata from [1]",
        "Unable to update metadata from [1] [99 similar lines suppressed in 6 s]",
    ]


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval_seconds"):
        RateLimitFilter(0)
