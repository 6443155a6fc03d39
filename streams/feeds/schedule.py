"""When to poll each feed next: an adaptive interval after a success, back-off after a failure.

The policy, in the order it is applied (every function is pure: `now` and the random source are
passed in, so a seeded `random.Random` replays a schedule exactly):

1. The interval is the feed's own, kept between polls. It starts at the feed's configured
   `interval_seconds`, else `default_interval`. The current and configured intervals arrive in
   records other processes wrote; one that is not a positive finite number is treated as absent
   (the default, no pin) so that one bad record cannot stop the poller.
2. After a success it adapts, as Miniflux does within 5 min .. 24 h: a feed that changed is polled
   twice as often, one that did not a third less often. A configured per-feed interval pins it
   instead: the operator's choice beats our guess.
3. The publisher's RSS `<ttl>` and HTTP `Cache-Control: max-age` are floors: we never poll more
   often than they allow, even when pinned. Both come from the network, so a value that is not a
   positive finite number is ignored rather than trusted.
4. The result is clamped to [min_interval, max_interval]. `max_interval` is the staleness bound
   and wins over every floor: a ttl of a week still means one poll a day.
5. The delay actually waited is the interval ± `jitter`, so feeds added together drift apart
   instead of hitting the network (and one host) in the same second. Jitter never brings the
   delay below the publisher's floor.
6. A failure leaves the interval alone and waits `backoff_base * 2**(n-1)` after the n-th failure
   in a row, capped at `backoff_max`, ± jitter. A Retry-After is a minimum on that wait, itself
   capped at `max_interval`: a server asking for a month must not silence a feed for a month.
7. A feed that still holds entries over the per-poll cap is polled again after `min_interval`
   (or the publisher's floor, if higher) and keeps its interval for afterwards.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from streams.errors import SettingsError

# Halve the interval when a feed changed, grow it by half when it did not: a feed that turns
# busy is caught within a couple of polls, a quiet one slows down geometrically, not in one jump.
CHANGED_FACTOR = 0.5
UNCHANGED_FACTOR = 1.5
# 2**64 times any sane base is far past any cap; the exponent stops there so a long outage
# (thousands of failures in a row) cannot overflow a float.
_MAX_BACKOFF_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    """Bounds of the adaptive interval and of the failure back-off, all in seconds."""

    min_interval: float = 300.0
    max_interval: float = 86400.0
    default_interval: float = 900.0
    backoff_base: float = 60.0
    backoff_max: float = 21600.0
    jitter: float = 0.2  # ± this fraction of each delay

    def __post_init__(self) -> None:
        bounds = (self.min_interval, self.default_interval, self.max_interval)
        if not all(math.isfinite(b) for b in bounds) or not 0 < bounds[0] <= bounds[1] <= bounds[2]:
            raise SettingsError(
                "schedule: need 0 < min_interval <= default_interval <= max_interval, got "
                f"{bounds[0]!r} <= {bounds[1]!r} <= {bounds[2]!r}"
            )
        if not (math.isfinite(self.backoff_max) and 0 < self.backoff_base <= self.backoff_max):
            raise SettingsError(
                f"schedule: need 0 < backoff_base <= backoff_max, got {self.backoff_base!r} "
                f"and {self.backoff_max!r}"
            )
        if not 0.0 <= self.jitter < 1.0:
            raise SettingsError(
                f"schedule: jitter is a fraction in [0, 1), e.g. 0.2; got {self.jitter!r}"
            )


@dataclass(frozen=True, slots=True)
class PollPlan:
    """The feed's interval to remember and the moment (on the caller's clock) to poll it next."""

    interval: float
    next_due: float


def initial_interval(config: ScheduleConfig, feed_interval: float | None = None) -> float:
    """Return the interval a feed starts with: its configured one, else the default, clamped."""
    return _clamp(_usable(feed_interval) or config.default_interval, config)


def interval_after_success(
    current: float,
    changed: bool,
    config: ScheduleConfig,
    feed_interval: float | None = None,
    ttl: float | None = None,
    max_age: float | None = None,
) -> float:
    """Return the feed's next interval after a successful poll (policy in the module docstring).

    `changed` is whether the poll brought anything new (False for a 304). `ttl` and `max_age` are
    the publisher's RSS <ttl> and Cache-Control max-age, in seconds.
    """
    pinned = _usable(feed_interval)
    if pinned is not None:
        interval = pinned
    else:
        start = _usable(current) or config.default_interval
        interval = start * (CHANGED_FACTOR if changed else UNCHANGED_FACTOR)
    return _clamp(max(interval, _publisher_floor(ttl, max_age)), config)


def backoff_delay(
    consecutive_failures: int,
    config: ScheduleConfig,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Return how long to wait after the `consecutive_failures`-th failure in a row (from 1).

    Without Retry-After the result lies in [0, backoff_max * (1 + jitter)]; with one, it is at
    least min(retry_after, max_interval). Raises ValueError when `consecutive_failures` < 1.
    """
    if consecutive_failures < 1:
        raise ValueError(f"consecutive_failures counts from 1, got {consecutive_failures}")
    exponent = min(consecutive_failures - 1, _MAX_BACKOFF_EXPONENT)
    delay = _jittered(min(config.backoff_base * 2.0**exponent, config.backoff_max), config, rng)
    if retry_after is None or not math.isfinite(retry_after) or retry_after <= 0:
        return delay
    return max(delay, min(retry_after, config.max_interval))


def plan_after_success(
    now: float,
    current: float,
    changed: bool,
    config: ScheduleConfig,
    rng: random.Random,
    feed_interval: float | None = None,
    ttl: float | None = None,
    max_age: float | None = None,
) -> PollPlan:
    """Adapt the interval after a successful poll; the next poll is one jittered interval away."""
    interval = interval_after_success(current, changed, config, feed_interval, ttl, max_age)
    floor = min(_publisher_floor(ttl, max_age), config.max_interval)
    return PollPlan(interval=interval, next_due=now + max(_jittered(interval, config, rng), floor))


def plan_after_backlog(
    now: float,
    interval: float,
    config: ScheduleConfig,
    ttl: float | None = None,
    max_age: float | None = None,
) -> PollPlan:
    """Plan the next poll of a feed that still holds entries over the per-poll cap: soon (the
    minimum interval, or the publisher's floor when higher), keeping `interval` for afterwards."""
    floor = min(_publisher_floor(ttl, max_age), config.max_interval)
    return PollPlan(interval=interval, next_due=now + max(config.min_interval, floor))


def plan_after_failure(
    now: float,
    current: float,
    consecutive_failures: int,
    config: ScheduleConfig,
    rng: random.Random,
    retry_after: float | None = None,
) -> PollPlan:
    """Keep the interval after a failed poll and schedule a retry once the back-off has passed."""
    interval = _clamp(_usable(current) or config.default_interval, config)
    delay = backoff_delay(consecutive_failures, config, rng, retry_after)
    return PollPlan(interval=interval, next_due=now + delay)


def plan_first_poll(
    now: float, config: ScheduleConfig, rng: random.Random, feed_interval: float | None = None
) -> PollPlan:
    """Plan a feed's first poll at a random point of its first `jitter` share of an interval.

    Spreading the start keeps a restarted poller with hundreds of feeds from fetching them all in
    the same second.
    """
    interval = initial_interval(config, feed_interval)
    return PollPlan(interval=interval, next_due=now + rng.uniform(0.0, config.jitter * interval))


def _jittered(delay: float, config: ScheduleConfig, rng: random.Random) -> float:
    # One draw per call whatever the branch, so a seeded schedule does not shift when a
    # Retry-After or a floor happens to decide the result.
    return delay * (1.0 + rng.uniform(-config.jitter, config.jitter))


def _publisher_floor(ttl: float | None, max_age: float | None) -> float:
    return max(_usable(ttl) or 0.0, _usable(max_age) or 0.0)


def _clamp(interval: float, config: ScheduleConfig) -> float:
    return min(max(interval, config.min_interval), config.max_interval)


def _usable(seconds: float | None) -> float | None:
    """Return `seconds` when it is a positive finite number, else None."""
    return seconds if seconds is not None and math.isfinite(seconds) and seconds > 0 else None
