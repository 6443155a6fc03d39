"""Breaking-news (spike) detection: count topic events in fixed windows and flag a window that
outgrows its recent baseline.

The spike stage keeps one WindowCounts per key (a topic id, or "topic|language") in a
changelog-backed table; these steps take that state and one TopicEvent and return the new state
and, at most once per key and window, a spike Alert. Windows are aligned to the epoch, so every
worker (and a restarted one) cuts the same windows. The "current" window is the newest one seen
for the key, never the clock: re-processing the same events yields the same counts, decisions and
alert ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from streams.records import (
    UNDETERMINED,
    Alert,
    AlertKind,
    Article,
    Language,
    SpikeWindow,
    TopicEvent,
    TopicEventBatch,
    TopicItem,
    TopicTag,
    WindowCounts,
)
from streams.settings import SEVERITIES

SPIKE_RULE_ID = "spike"
SPIKE_KIND = AlertKind.SPIKE.value
KEY_SEPARATOR = "|"  # taxonomy ids are lower_snake_case, so "|" never occurs in a topic id
# ISO 639-2/3 "mul" (multiple languages): the language of a spike counted over every language;
# "und" would say the language could not be told, which is not the case.
ALL_LANGUAGES = "mul"


@dataclass(frozen=True, slots=True)
class SpikeConfig:
    """How spikes are counted and judged; built once at start-up. Raises ValueError if invalid."""

    window_seconds: int = 600
    baseline_windows: int = 12  # the windows before the judged one; their mean is the baseline
    factor: float = 3.0  # a spike holds at least factor × baseline items ...
    min_count: int = 5  # ... and at least this many, so 1 -> 3 items is no news
    per_language: bool = True  # also count "topic|language" keys
    # A baseline below this (items per window) is raised to it: a quiet topic going from 0 to 5
    # items is judged against 1 per window, not against 0, which any count would exceed.
    baseline_floor: float = 1.0
    severity: str = "warning"
    # Windows before the newest in which an event may still raise a spike: the articles topic's
    # partitions are consumed at different speeds, so part of a burst can arrive after the first
    # event of the next window. These windows are kept on top of the baseline and the newest.
    late_windows: int = 1
    # Item ids remembered per key, newest last: an event redelivered after a crash is not counted
    # again unless this many newer events for the key came in between (~37 bytes each in the
    # changelog, written on every event).
    remembered_ids: int = 32
    # Items published this long before they were fetched are backlog (a feed's first poll, a
    # poller catching up), not news, and are not counted. None counts every item.
    max_item_age_seconds: int | None = 3600
    # When the spike stage began counting (e.g. the timestamp of the oldest message kept in
    # topic-events). A window whose baseline reaches back before it is not judged: the baseline
    # there is unknown, not zero. None judges every window, so after a fresh start every busy key
    # spikes against an empty baseline for its first few windows.
    counting_since: datetime | None = None

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule}"
            for name, ok, rule in (
                ("window_seconds", self.window_seconds >= 1, "1 or more"),
                ("baseline_windows", self.baseline_windows >= 1, "1 or more"),
                ("factor", self.factor > 0, "positive"),
                ("min_count", self.min_count >= 1, "1 or more"),
                ("baseline_floor", self.baseline_floor >= 0, "0 or more"),
                ("severity", self.severity in SEVERITIES, f"one of {SEVERITIES}"),
                ("late_windows", self.late_windows >= 0, "0 or more"),
                ("remembered_ids", self.remembered_ids >= 0, "0 or more"),
                (
                    "max_item_age_seconds",
                    self.max_item_age_seconds is None or self.max_item_age_seconds >= 0,
                    "0 or more, or None",
                ),
            )
            if not ok
        ]
        if problems:
            raise ValueError("SpikeConfig: " + "; ".join(problems))

    @property
    def kept_windows(self) -> int:
        """Windows a key's state spans: the newest, the late ones and the baseline before them."""
        return self.baseline_windows + 1 + self.late_windows


class CountOutcome(StrEnum):
    """What counting did with an event; a metric label, so every value is known up front."""

    COUNTED = "counted"
    DUPLICATE = "duplicate"  # the item was counted for this key already: a redelivery
    TOO_OLD = "too_old"  # its window is older than every window the state keeps


@dataclass(frozen=True, slots=True)
class CountResult:
    """The state after counting one event, and what happened to the event."""

    state: WindowCounts  # the input state itself unless the event was counted
    outcome: CountOutcome
    window: int  # start of the event's window, epoch seconds


def spike_key(topic: str, language: str | None) -> str:
    """The table and message key: the topic id, or "topic|language"."""
    return topic if language is None else f"{topic}{KEY_SEPARATOR}{language}"


def window_start(at: datetime, window_seconds: int) -> int:
    """Start (epoch seconds) of the window holding `at`; a naive datetime is taken as UTC."""
    return int(_epoch(at) // window_seconds) * window_seconds


def _epoch(at: datetime) -> float:
    # Records hold UTC-aware datetimes; the codec reads a naive one as UTC, and so does this.
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def topic_events(article: Article, config: SpikeConfig) -> tuple[TopicEvent, ...]:
    """One event per topic of the article, plus one per topic and language unless "und"."""
    if article.is_update or _is_backlog(article, config):
        return ()
    language = article.language.code
    per_language = config.per_language and language != UNDETERMINED
    events: list[TopicEvent] = []
    for topic in dict.fromkeys(tag.id for tag in article.topics):
        events.append(TopicEvent(topic, topic, None, article.item_id, article.fetched_at))
        if per_language:
            key = spike_key(topic, language)
            events.append(TopicEvent(key, topic, language, article.item_id, article.fetched_at))
    return tuple(events)


def batch_topic_events(events: Iterable[TopicEvent]) -> tuple[TopicEventBatch, ...]:
    """The topic events of one enrich batch, one TopicEventBatch per key, each keeping its
    events' order (keys in order of first appearance)."""
    by_key: dict[str, list[TopicEvent]] = {}
    for event in events:
        by_key.setdefault(event.key, []).append(event)
    return tuple(
        TopicEventBatch(
            key, same[0].topic, same[0].language, tuple(TopicItem(e.item_id, e.at) for e in same)
        )
        for key, same in by_key.items()
    )


@dataclass(frozen=True, slots=True)
class BatchCount:
    """A key's state after counting a batch of its events, and the spike alerts raised on the way
    (at most one per window), each with the fetch time of the item that raised it."""

    state: WindowCounts
    alerts: tuple[tuple[Alert, datetime], ...]


def detect_spikes(
    state: WindowCounts | None, batch: TopicEventBatch, config: SpikeConfig, now: datetime
) -> BatchCount:
    """`detect_spike` over a batch's events in order: the same counts and alerts as counting
    them one message at a time."""
    alerts: list[tuple[Alert, datetime]] = []
    current = state
    for event in batch.events():
        current, alert = detect_spike(current, event, config, now)
        if alert is not None:
            alerts.append((alert, event.at))
    assert current is not None  # a batch holds at least one event (the codec checks it)
    return BatchCount(current, tuple(alerts))


def _is_backlog(article: Article, config: SpikeConfig) -> bool:
    if config.max_item_age_seconds is None or article.published_at is None:
        return False
    age = article.fetched_at - article.published_at
    return age.total_seconds() > config.max_item_age_seconds


def count_event(state: WindowCounts | None, event: TopicEvent, config: SpikeConfig) -> CountResult:
    """Add the event to its window and drop windows the state no longer spans."""
    seconds = config.window_seconds
    window = window_start(event.at, seconds)
    if state is None or state.window_seconds != seconds:
        # Counts cut into windows of another size cannot be re-cut: a new size starts over.
        state = WindowCounts(window_seconds=seconds, counts=())
    if event.item_id in state.recent_item_ids:
        return CountResult(state, CountOutcome.DUPLICATE, window)
    newest = max(window, state.counts[-1][0]) if state.counts else window
    oldest_kept = newest - (config.kept_windows - 1) * seconds
    if window < oldest_kept:
        return CountResult(state, CountOutcome.TOO_OLD, window)
    counts = dict(state.counts)
    counts[window] = counts.get(window, 0) + 1
    kept = tuple(sorted(pair for pair in counts.items() if pair[0] >= oldest_kept))
    remembered = (
        (*state.recent_item_ids, event.item_id)[-config.remembered_ids :]
        if config.remembered_ids
        else ()
    )
    counted = replace(state, counts=kept, recent_item_ids=remembered)
    return CountResult(counted, CountOutcome.COUNTED, window)


def detect_spike(
    state: WindowCounts | None, event: TopicEvent, config: SpikeConfig, now: datetime
) -> tuple[WindowCounts, Alert | None]:
    """Count the event; a spike alert when its window first outgrows the baseline."""
    result = count_event(state, event, config)
    if result.outcome is not CountOutcome.COUNTED:
        return result.state, None
    return _judge_window(result.state, result.window, event, config, now)


def _judge_window(
    state: WindowCounts, window: int, event: TopicEvent, config: SpikeConfig, now: datetime
) -> tuple[WindowCounts, Alert | None]:
    seconds = config.window_seconds
    if window < state.counts[-1][0] - config.late_windows * seconds:
        return state, None
    if config.counting_since is not None and window - config.baseline_windows * seconds < _epoch(
        config.counting_since
    ):
        return state, None
    # Alerts move forward only: one per window, and none for a window older than one alerted.
    if state.alerted_window is not None and window <= state.alerted_window:
        return state, None
    counts = dict(state.counts)
    count = counts.get(window, 0)
    baseline_total = sum(
        counts.get(window - back * seconds, 0) for back in range(1, config.baseline_windows + 1)
    )
    baseline = baseline_total / config.baseline_windows
    if count < config.min_count or count < config.factor * max(baseline, config.baseline_floor):
        return state, None
    alert = _spike_alert(event, window, count, baseline, config, now)
    return replace(state, alerted_window=window), alert


def derive_spike_alert_id(key: str, window: int, window_seconds: int) -> str:
    """Stable spike alert id: the same key and window give the same id on any worker."""
    material = f"{SPIKE_RULE_ID}\x1f{key}\x1f{window}\x1f{window_seconds}"
    return f"a-{hashlib.sha256(material.encode()).hexdigest()[:24]}"


def _spike_alert(
    event: TopicEvent,
    window: int,
    count: int,
    baseline: float,
    config: SpikeConfig,
    now: datetime,
) -> Alert:
    label = f"{event.topic} ({event.language})" if event.language else event.topic
    floor = (
        f", raised to the floor {config.baseline_floor:g}"
        if baseline < config.baseline_floor
        else ""
    )
    reason = (
        f"{event.key}: {count} items in {_describe_seconds(config.window_seconds)} "
        f"vs baseline {baseline:.1f}/window{floor} (×{config.factor:g} needed)"
    )
    return Alert(
        alert_id=derive_spike_alert_id(event.key, window, config.window_seconds),
        rule_id=SPIKE_RULE_ID,
        kind=SPIKE_KIND,
        severity=config.severity,
        revision=1,
        story_id=None,
        title=f"Spike: {label}",
        link=None,
        language=Language(event.language or ALL_LANGUAGES, 1.0),
        topics=(TopicTag(event.topic, float(count), ()),),
        reason=reason,
        evidence=(),
        # The event carries only an item id, and which item crossed the line is an accident of
        # arrival order: the count and the window say what happened, the articles say the rest.
        source_count=0,
        sources=(),
        item_count=count,
        items=(),
        published_at=None,
        first_raised_at=now,
        raised_at=now,
        spike=SpikeWindow(
            key=event.key,
            topic=event.topic,
            language=event.language,
            window_start=datetime.fromtimestamp(window, UTC),
            window_seconds=config.window_seconds,
            count=count,
            baseline=baseline,
            factor=config.factor,
        ),
    )


def _describe_seconds(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
