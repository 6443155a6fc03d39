"""The poll schedule: adaptive interval, publisher floors, pinned intervals, back-off and jitter."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.errors import SettingsError
from streams.feeds.parse import FeedSource, parse_feed
from streams.feeds.schedule import (
    PollPlan,
    ScheduleConfig,
    backoff_delay,
    initial_interval,
    interval_after_success,
    plan_after_failure,
    plan_after_success,
    plan_first_poll,
)

CONFIG = ScheduleConfig()
NO_JITTER = ScheduleConfig(jitter=0.0)
NOW = 1_000_000.0


# Adaptive interval ------------------------------------------------------------------------------


def test_a_feed_that_changed_is_polled_sooner() -> None:
    assert interval_after_success(3600.0, changed=True, config=CONFIG) == 1800.0


def test_a_feed_that_did_not_change_is_polled_later() -> None:
    assert interval_after_success(3600.0, changed=False, config=CONFIG) == 5400.0


def test_a_busy_feed_bottoms_out_at_min_interval() -> None:
    interval = CONFIG.default_interval
    for _ in range(20):
        interval = interval_after_success(interval, changed=True, config=CONFIG)
    assert interval == CONFIG.min_interval


def test_a_quiet_feed_tops_out_at_max_interval() -> None:
    interval = CONFIG.default_interval
    for _ in range(40):
        interval = interval_after_success(interval, changed=False, config=CONFIG)
    assert interval == CONFIG.max_interval


def test_a_feed_that_turns_busy_again_speeds_back_up_from_the_ceiling() -> None:
    interval = interval_after_success(CONFIG.max_interval, changed=True, config=CONFIG)
    assert interval == CONFIG.max_interval / 2


def test_a_current_interval_outside_the_bounds_is_brought_back_inside() -> None:
    assert interval_after_success(10.0, changed=False, config=CONFIG) == CONFIG.min_interval
    assert interval_after_success(10**9, changed=True, config=CONFIG) == CONFIG.max_interval


@pytest.mark.parametrize("bad", [0.0, -5.0, math.nan, math.inf])
def test_a_corrupt_current_interval_restarts_from_the_default(bad: float) -> None:
    # The interval is read back from a feed-state record: a bad one must not stop the poller.
    changed = CONFIG.default_interval * 0.5
    assert interval_after_success(bad, changed=True, config=CONFIG) == changed
    plan = plan_after_failure(NOW, bad, 1, CONFIG, random.Random(0))
    assert plan.interval == CONFIG.default_interval


@pytest.mark.parametrize("bad", [0.0, -5.0, math.nan, math.inf])
def test_a_corrupt_configured_interval_is_treated_as_not_configured(bad: float) -> None:
    assert interval_after_success(3600.0, False, CONFIG, feed_interval=bad) == 5400.0
    assert initial_interval(CONFIG, feed_interval=bad) == CONFIG.default_interval


# Pinned per-feed interval -----------------------------------------------------------------------


@pytest.mark.parametrize("changed", [True, False])
def test_a_configured_feed_interval_pins_the_interval_whatever_happened(changed: bool) -> None:
    interval = interval_after_success(7200.0, changed, CONFIG, feed_interval=1200.0)
    assert interval == 1200.0


def test_a_configured_feed_interval_below_min_interval_is_raised_to_it() -> None:
    assert interval_after_success(900.0, True, CONFIG, feed_interval=30.0) == CONFIG.min_interval


def test_a_configured_feed_interval_above_max_interval_is_capped_at_it() -> None:
    assert interval_after_success(900.0, True, CONFIG, feed_interval=10**6) == CONFIG.max_interval


def test_a_pinned_interval_still_respects_the_publisher_ttl() -> None:
    assert interval_after_success(900.0, True, CONFIG, feed_interval=600.0, ttl=3600.0) == 3600.0


def test_a_feed_starts_at_its_configured_interval_else_the_default() -> None:
    assert initial_interval(CONFIG) == CONFIG.default_interval
    assert initial_interval(CONFIG, feed_interval=1800.0) == 1800.0
    assert initial_interval(CONFIG, feed_interval=1.0) == CONFIG.min_interval


# Publisher floors: RSS <ttl> and Cache-Control max-age ------------------------------------------


def test_a_ttl_longer_than_the_adapted_interval_is_a_floor() -> None:
    assert interval_after_success(900.0, True, CONFIG, ttl=7200.0) == 7200.0


def test_a_ttl_shorter_than_the_adapted_interval_changes_nothing() -> None:
    assert interval_after_success(3600.0, False, CONFIG, ttl=60.0) == 5400.0


def test_max_age_is_a_floor_and_the_larger_of_ttl_and_max_age_wins() -> None:
    assert interval_after_success(900.0, True, CONFIG, max_age=2000.0) == 2000.0
    assert interval_after_success(900.0, True, CONFIG, ttl=2000.0, max_age=3000.0) == 3000.0
    assert interval_after_success(900.0, True, CONFIG, ttl=3000.0, max_age=2000.0) == 3000.0


def test_a_huge_ttl_is_capped_at_max_interval() -> None:
    week = 7 * 86400.0
    assert interval_after_success(900.0, True, CONFIG, ttl=week) == CONFIG.max_interval


@pytest.mark.parametrize("junk", [0.0, -60.0, math.nan, math.inf])
def test_a_nonsense_ttl_or_max_age_from_the_network_is_ignored(junk: float) -> None:
    # inf is "ignored", not "cap at max": a publisher cannot stall a feed with a bogus header.
    assert interval_after_success(900.0, True, CONFIG, ttl=junk, max_age=junk) == 450.0


def test_jitter_never_schedules_a_poll_before_the_publisher_floor() -> None:
    rng = random.Random(7)
    for _ in range(500):
        plan = plan_after_success(NOW, 900.0, True, CONFIG, rng, ttl=3600.0)
        assert plan.interval == 3600.0
        assert plan.next_due - NOW >= 3600.0


def test_rss_ttl_minutes_reach_the_schedule_as_seconds() -> None:
    body = (
        b'<rss version="2.0"><channel><title>T</title><ttl>120</ttl>'
        b"<item><title>one</title></item></channel></rss>"
    )
    source = FeedSource.from_url("https://ttl.example/rss")
    feed = parse_feed(body, source, datetime(2025, 3, 6, tzinfo=UTC))
    assert feed.ttl_seconds == 7200.0
    assert interval_after_success(900.0, True, CONFIG, ttl=feed.ttl_seconds) == 7200.0


@pytest.mark.parametrize(
    "body",
    [
        b'<rss version="2.0"><channel><title>T</title>'
        b"<item><title>a</title></item></channel></rss>",
        b'<rss version="2.0"><channel><title>T</title><ttl>soon</ttl>'
        b"<item><title>a</title></item></channel></rss>",
        b'<rss version="2.0"><channel><title>T</title><ttl>0</ttl>'
        b"<item><title>a</title></item></channel></rss>",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "a"}]}',
    ],
    ids=["absent", "not-a-number", "zero", "json-feed"],
)
def test_a_missing_or_unusable_ttl_parses_as_none(body: bytes) -> None:
    source = FeedSource.from_url("https://ttl.example/feed")
    assert parse_feed(body, source, datetime(2025, 3, 6, tzinfo=UTC)).ttl_seconds is None


# Back-off after failures ------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_with_each_failure() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(n, NO_JITTER, rng) for n in range(1, 6)]
    assert delays == [60.0, 120.0, 240.0, 480.0, 960.0]


def test_backoff_stops_growing_at_backoff_max() -> None:
    rng = random.Random(0)
    delays = [backoff_delay(n, NO_JITTER, rng) for n in (9, 10, 50, 10_000)]
    assert delays == [15360.0, NO_JITTER.backoff_max, NO_JITTER.backoff_max, NO_JITTER.backoff_max]


def test_backoff_counts_failures_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        backoff_delay(0, CONFIG, random.Random(0))


def test_backoff_jitter_stays_within_its_fraction_and_actually_varies() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(3, CONFIG, rng) for _ in range(2000)]
    assert all(240.0 * 0.8 <= d <= 240.0 * 1.2 for d in delays)
    # Both halves of the band are used: the jitter spreads, it does not only add.
    assert min(delays) < 240.0 * 0.85 and max(delays) > 240.0 * 1.15


def test_the_same_seed_gives_the_same_schedule() -> None:
    def schedule(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [backoff_delay(n, CONFIG, rng) for n in range(1, 10)] + [
            plan_after_success(NOW, 900.0, changed, CONFIG, rng).next_due
            for changed in (True, False, False)
        ]

    assert schedule(42) == schedule(42)
    assert schedule(42) != schedule(43)


def test_retry_after_longer_than_the_backoff_is_honoured() -> None:
    assert backoff_delay(1, CONFIG, random.Random(0), retry_after=3600.0) == 3600.0


def test_retry_after_shorter_than_the_backoff_does_not_shorten_it() -> None:
    assert backoff_delay(5, NO_JITTER, random.Random(0), retry_after=10.0) == 960.0


def test_a_huge_retry_after_is_capped_at_max_interval() -> None:
    month = 30 * 86400.0
    assert backoff_delay(1, CONFIG, random.Random(0), retry_after=month) == CONFIG.max_interval


@pytest.mark.parametrize("junk", [0.0, -1.0, math.nan, math.inf])
def test_a_nonsense_retry_after_is_ignored(junk: float) -> None:
    assert backoff_delay(2, NO_JITTER, random.Random(0), retry_after=junk) == 120.0


def test_a_failure_keeps_the_interval_and_schedules_the_retry_after_the_backoff() -> None:
    plan = plan_after_failure(NOW, 5400.0, 3, NO_JITTER, random.Random(0))
    assert plan == PollPlan(interval=5400.0, next_due=NOW + 240.0)


def test_a_failure_with_retry_after_waits_at_least_that_long() -> None:
    plan = plan_after_failure(NOW, 900.0, 1, CONFIG, random.Random(0), retry_after=7200.0)
    assert plan.interval == 900.0
    assert plan.next_due == NOW + 7200.0


# Plans ------------------------------------------------------------------------------------------


def test_a_success_plan_is_due_one_jittered_interval_from_now() -> None:
    rng = random.Random(3)
    dues = [plan_after_success(NOW, 3600.0, True, CONFIG, rng).next_due - NOW for _ in range(500)]
    assert all(1800.0 * 0.8 <= d <= 1800.0 * 1.2 for d in dues)
    assert len(set(dues)) > 400


def test_a_success_plan_without_jitter_is_due_exactly_one_interval_on() -> None:
    plan = plan_after_success(NOW, 3600.0, False, NO_JITTER, random.Random(0))
    assert plan == PollPlan(interval=5400.0, next_due=NOW + 5400.0)


def test_first_polls_are_spread_over_the_jitter_share_of_the_interval() -> None:
    rng = random.Random(5)
    plans = [plan_first_poll(NOW, CONFIG, rng) for _ in range(500)]
    assert {p.interval for p in plans} == {CONFIG.default_interval}
    offsets = [p.next_due - NOW for p in plans]
    assert all(0.0 <= o <= CONFIG.jitter * CONFIG.default_interval for o in offsets)
    assert max(offsets) - min(offsets) > 0.8 * CONFIG.jitter * CONFIG.default_interval


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_interval": 0.0},
        {"min_interval": 1000.0, "default_interval": 900.0},
        {"default_interval": 10**6},
        {"max_interval": math.inf},
        {"backoff_base": 0.0},
        {"backoff_base": 600.0, "backoff_max": 60.0},
        {"jitter": -0.1},
        {"jitter": 1.0},
    ],
)
def test_an_inconsistent_schedule_config_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(SettingsError, match="schedule"):
        ScheduleConfig(**kwargs)


# Properties -------------------------------------------------------------------------------------

configs = st.builds(
    lambda lo, spread_default, spread_max, base, cap_factor, jitter: ScheduleConfig(
        min_interval=lo,
        default_interval=lo * spread_default,
        max_interval=lo * spread_default * spread_max,
        backoff_base=base,
        backoff_max=base * cap_factor,
        jitter=jitter,
    ),
    st.floats(1.0, 3600.0),
    st.floats(1.0, 10.0),
    st.floats(1.0, 1000.0),
    st.floats(0.1, 600.0),
    st.floats(1.0, 1000.0),
    st.floats(0.0, 0.99),
)
floors = st.none() | st.floats(allow_nan=True, allow_infinity=True)
events = st.lists(
    st.tuples(
        st.sampled_from(["changed", "unchanged", "failure"]),
        floors,
        floors,
        floors,  # a configured interval, however bad, must not break the bounds either
    ),
    max_size=60,
)


@given(configs, events, st.integers(0, 2**32))
def test_any_run_of_successes_and_failures_keeps_interval_and_delays_in_bounds(
    config: ScheduleConfig,
    history: list[tuple[str, float | None, float | None, float | None]],
    seed: int,
) -> None:
    rng = random.Random(seed)
    plan = plan_first_poll(0.0, config, rng)
    failures = 0
    for event, ttl, max_age, feed_interval in history:
        now = plan.next_due
        if event == "failure":
            failures += 1
            delay = backoff_delay(failures, config, rng)
            assert 0.0 <= delay <= config.backoff_max * (1 + config.jitter)
            plan = plan_after_failure(now, plan.interval, failures, config, rng)
            longest = config.backoff_max * (1 + config.jitter)
        else:
            failures = 0
            plan = plan_after_success(
                now, plan.interval, event == "changed", config, rng, feed_interval, ttl, max_age
            )
            longest = config.max_interval * (1 + config.jitter)
        assert config.min_interval <= plan.interval <= config.max_interval
        # next_due - now loses the low bits of `now`: allow that rounding, nothing more.
        assert now <= plan.next_due <= now + longest + 1e-9 * (now + longest)


@given(configs, st.integers(1, 10_000), st.floats(0.0, 1e9), st.integers(0, 2**32))
def test_backoff_with_retry_after_waits_at_least_the_capped_retry_after(
    config: ScheduleConfig, failures: int, retry_after: float, seed: int
) -> None:
    delay = backoff_delay(failures, config, random.Random(seed), retry_after=retry_after)
    wanted = min(retry_after, config.max_interval) if retry_after > 0 else 0.0
    assert delay >= wanted
    assert delay <= max(config.backoff_max * (1 + config.jitter), config.max_interval)


@given(configs, st.integers(1, 200), st.integers(0, 2**32))
def test_backoff_never_shrinks_as_failures_accumulate_without_jitter(
    config: ScheduleConfig, failures: int, seed: int
) -> None:
    flat = ScheduleConfig(
        config.min_interval,
        config.max_interval,
        config.default_interval,
        config.backoff_base,
        config.backoff_max,
        jitter=0.0,
    )
    rng = random.Random(seed)
    assert backoff_delay(failures, flat, rng) <= backoff_delay(failures + 1, flat, rng)
