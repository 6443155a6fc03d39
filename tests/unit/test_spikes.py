"""Spike detection: windowed counts per key, one alert per key and window, state that survives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.alerts.spikes import (
    CountOutcome,
    SpikeConfig,
    count_event,
    detect_spike,
    topic_events,
    window_start,
)
from streams.codec import decode_window_counts, encode_record
from streams.records import Alert, Article, Language, TopicEvent, TopicTag, WindowCounts

CONFIG = SpikeConfig()  # 10 min windows, 12 baseline windows, ×3, at least 5 items, floor 1
T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # the start of a 10 min window
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEY = "elections|ar"


def at_window(window: int, offset_seconds: float = 0.0) -> datetime:
    """A time inside window number `window` (0 is the window starting at T0)."""
    return T0 + timedelta(seconds=window * CONFIG.window_seconds + offset_seconds)


def event(window: int, item_id: str, offset_seconds: float = 0.0, key: str = KEY) -> TopicEvent:
    topic, _, language = key.partition("|")
    return TopicEvent(key, topic, language or None, item_id, at_window(window, offset_seconds))


def steady(per_window: int, windows: Iterable[int], tag: str = "s") -> list[TopicEvent]:
    """`per_window` events spread over each of `windows`, each with its own item id."""
    spacing = CONFIG.window_seconds / per_window
    return [event(w, f"{tag}-{w}-{i}", i * spacing) for w in windows for i in range(per_window)]


def burst(window: int, size: int, tag: str = "b") -> list[TopicEvent]:
    return [event(window, f"{tag}-{window}-{i}", i) for i in range(size)]


def run(
    events: Iterable[TopicEvent],
    config: SpikeConfig = CONFIG,
    state: WindowCounts | None = None,
    now: datetime = NOW,
) -> tuple[WindowCounts | None, list[Alert]]:
    alerts = []
    for ev in events:
        state, alert = detect_spike(state, ev, config, now)
        if alert is not None:
            alerts.append(alert)
    return state, alerts


def counts_by_window(state: WindowCounts | None) -> dict[int, int]:
    """The state's counts by window number relative to T0."""
    assert state is not None
    base = window_start(T0, state.window_seconds)
    return {(start - base) // state.window_seconds: n for start, n in state.counts}


def restart(state: WindowCounts | None) -> WindowCounts | None:
    """The state as a restarted worker reads it back from the table's changelog."""
    return None if state is None else decode_window_counts(encode_record(state))


HISTORY = range(-12, 0)  # the 12 baseline windows before window 0


def test_steady_rate_raises_no_alert() -> None:
    warmed = replace(CONFIG, counting_since=at_window(-12))  # windows 0..2 have a full baseline
    _, alerts = run(steady(6, range(-12, 3)), config=warmed)  # ≥ min_count, never ×3 baseline
    assert alerts == []
    _, alerts = run(steady(6, range(-12, 3)), state=run(steady(6, range(-24, -12)))[0])
    assert alerts == []


def test_fresh_start_judges_only_windows_with_a_full_baseline_behind_them() -> None:
    # Without counting_since an empty table reads as a quiet topic: a steady 6 per window spikes
    # until the baseline fills up (window k has baseline 6k/12, so windows 0..4 alert).
    _, alerts = run(steady(6, range(0, 12)))
    assert len(alerts) == 5
    since = replace(CONFIG, counting_since=at_window(0, 1))  # began counting mid-window 0
    _, alerts = run([*steady(6, range(0, 14)), *burst(13, 20)], config=since)
    assert [a.spike.window_start for a in alerts if a.spike] == [at_window(13)]


def test_burst_raises_exactly_one_alert_per_window() -> None:
    state, alerts = run([*steady(1, HISTORY), *burst(0, 20)])
    assert len(alerts) == 1
    assert alerts[0].spike is not None
    assert alerts[0].spike.window_start == T0
    assert alerts[0].spike.count == 5  # raised as soon as the window qualified, not later
    assert counts_by_window(state)[0] == 20

    # The next window bursts too: it is judged against a baseline that now holds the first burst
    # ((11 × 1 + 20) / 12 ≈ 2.6 per window, so 8 items are needed) and gets its own alert.
    state, more = run(burst(1, 30), state=state)
    assert len(more) == 1
    assert more[0].spike is not None and more[0].spike.count == 8
    assert more[0].spike.window_start == at_window(1)
    assert more[0].alert_id != alerts[0].alert_id


def test_min_count_is_needed_even_when_the_factor_is_met() -> None:
    state, alerts = run(burst(0, 4))  # 4 ≥ 3 × floor 1, but fewer than 5 items
    assert alerts == []
    _, alerts = run(burst(0, 1, tag="fifth"), state=state)
    assert len(alerts) == 1


def test_factor_is_needed_even_when_min_count_is_met() -> None:
    state, alerts = run([*steady(4, HISTORY), *burst(0, 11)])  # 11 < 3 × 4
    assert alerts == []
    _, alerts = run(burst(0, 1, tag="twelfth"), state=state)
    assert len(alerts) == 1
    assert alerts[0].spike is not None and alerts[0].spike.baseline == 4.0

    doubling = replace(CONFIG, factor=2.0)
    _, alerts = run([*steady(4, HISTORY), *burst(0, 8)], config=doubling)
    assert [a.spike.count for a in alerts if a.spike] == [8]


@pytest.mark.parametrize(("floor", "needed"), [(0.0, 1), (1.0, 3), (2.0, 6)])
def test_quiet_topic_is_judged_against_the_baseline_floor(floor: float, needed: int) -> None:
    config = replace(CONFIG, min_count=1, baseline_floor=floor)
    _, alerts = run(burst(0, 10), config=config)
    assert [a.spike.count for a in alerts if a.spike] == [needed]
    if floor:
        assert f"raised to the floor {floor:g}" in alerts[0].reason


def test_late_event_counts_in_its_own_window() -> None:
    state, _ = run([event(0, "a"), event(1, "b"), event(0, "late", 30)])
    assert counts_by_window(state) == {0: 2, 1: 1}


def test_event_older_than_every_kept_window_is_ignored() -> None:
    state, _ = run([event(20, "newest")])
    assert state is not None
    oldest_kept = 20 - (CONFIG.kept_windows - 1)

    result = count_event(state, event(oldest_kept - 1, "too-old"), CONFIG)
    assert result.outcome is CountOutcome.TOO_OLD
    assert result.state is state
    assert detect_spike(state, event(oldest_kept - 1, "too-old"), CONFIG, NOW) == (state, None)

    result = count_event(state, event(oldest_kept, "just-kept"), CONFIG)
    assert result.outcome is CountOutcome.COUNTED
    assert counts_by_window(result.state) == {oldest_kept: 1, 20: 1}


def test_late_burst_within_the_grace_window_raises_for_its_own_window() -> None:
    # One event of window 1 overtakes the burst of window 0 (another partition was ahead).
    events = [*steady(1, HISTORY), event(1, "ahead"), *burst(0, 6)]
    _, alerts = run(events)
    assert len(alerts) == 1
    assert alerts[0].spike is not None and alerts[0].spike.window_start == T0

    _, alerts = run(events, config=replace(CONFIG, late_windows=0))
    assert alerts == []


def test_no_alert_for_a_window_older_than_one_already_alerted() -> None:
    state, alerts = run([*burst(1, 6), *burst(0, 10)])
    assert [a.spike.window_start for a in alerts if a.spike] == [at_window(1)]
    assert state is not None and state.alerted_window == window_start(at_window(1), 600)


def test_windows_older_than_the_kept_span_are_pruned() -> None:
    exact = replace(CONFIG, late_windows=0)  # the newest window and the 12 before it
    state, _ = run(steady(1, range(31)), config=exact)
    assert sorted(counts_by_window(state)) == list(range(18, 31))

    state, _ = run(steady(1, range(31)))  # one late window kept on top
    assert sorted(counts_by_window(state)) == list(range(17, 31))


def test_after_a_long_gap_only_the_new_window_is_kept_and_judged_against_the_floor() -> None:
    state, _ = run(steady(3, HISTORY))
    state, alerts = run(burst(500, 5), state=state)
    assert counts_by_window(state) == {500: 5}
    assert len(alerts) == 1
    assert alerts[0].spike is not None and alerts[0].spike.baseline == 0.0


def test_state_carried_across_a_restart_continues_the_same_windows() -> None:
    events = [*steady(2, HISTORY), *burst(0, 9), *steady(2, range(1, 4)), *burst(4, 12)]
    whole_state, whole_alerts = run(events)
    assert len(whole_alerts) == 2
    for cut in (1, len(events) // 2, len(steady(2, HISTORY)) + 3, len(events) - 1):
        first_state, first_alerts = run(events[:cut])
        state, later_alerts = run(events[cut:], state=restart(first_state))
        assert state == whole_state
        assert [a.alert_id for a in first_alerts + later_alerts] == [
            a.alert_id for a in whole_alerts
        ]


def test_events_redelivered_after_a_crash_are_not_counted_twice() -> None:
    events = [*steady(2, HISTORY), *burst(0, 9), *steady(2, range(1, 3))]
    whole_state, whole_alerts = run(events)
    # The table's changelog got the state after event 30, the committed offset was 5 behind.
    crashed_state, first_alerts = run(events[:30])
    state, later_alerts = run(events[25:], state=restart(crashed_state))
    assert state == whole_state
    assert len(first_alerts + later_alerts) == len(whole_alerts) == 1


def test_remembered_ids_are_bounded_and_older_redeliveries_count_again() -> None:
    config = replace(CONFIG, remembered_ids=3)
    state, _ = run([event(0, f"i-{n}") for n in range(5)], config=config)
    assert state is not None and state.recent_item_ids == ("i-2", "i-3", "i-4")
    assert count_event(state, event(0, "i-4"), config).outcome is CountOutcome.DUPLICATE
    assert count_event(state, event(0, "i-4"), config).state is state
    assert count_event(state, event(0, "i-1"), config).outcome is CountOutcome.COUNTED

    forgetful = replace(CONFIG, remembered_ids=0)
    state, _ = run([event(0, "same"), event(0, "same")], config=forgetful)
    assert counts_by_window(state) == {0: 2}
    assert state is not None and state.recent_item_ids == ()


def test_changed_window_size_starts_the_counts_over() -> None:
    state, _ = run(steady(3, HISTORY))
    hourly = replace(CONFIG, window_seconds=3600)
    result = count_event(state, event(0, "x"), hourly)
    assert result.state.window_seconds == 3600
    assert result.state.counts == ((window_start(T0, 3600), 1),)


def test_spike_alert_says_what_spiked_against_what() -> None:
    _, (alert,) = run([*steady(1, HISTORY), *burst(0, 5)])
    assert alert.kind == "spike" and alert.rule_id == "spike"
    assert alert.severity == "warning" and alert.revision == 1 and alert.story_id is None
    assert alert.title == "Spike: elections (ar)"
    assert alert.reason == "elections|ar: 5 items in 10 min vs baseline 1.0/window (×3 needed)"
    assert alert.language == Language("ar", 1.0)
    assert alert.topics == (TopicTag("elections", 5.0, ()),)
    assert alert.item_count == 5 and alert.items == ()
    assert alert.first_raised_at == alert.raised_at == NOW
    assert alert.spike is not None
    assert (alert.spike.key, alert.spike.topic, alert.spike.language) == (KEY, "elections", "ar")
    assert (alert.spike.window_seconds, alert.spike.factor) == (600, 3.0)

    events = [event(0, f"all-{n}", key="elections") for n in range(5)]
    _, (everywhere,) = run(events, config=replace(CONFIG, severity="critical"))
    assert everywhere.title == "Spike: elections"
    assert everywhere.language.code == "mul"
    assert everywhere.severity == "critical"


def test_alert_id_depends_on_key_and_window_only() -> None:
    events = [*steady(1, HISTORY), *burst(0, 6)]
    _, (first,) = run(events)
    _, (replayed,) = run(events, now=NOW + timedelta(days=1))  # a worker replaying from scratch
    assert replayed.alert_id == first.alert_id
    assert replayed.alert_id.startswith("a-")

    _, (other_key,) = run([replace(e, key="elections|fa", language="fa") for e in events])
    _, (other_window,) = run([*steady(1, range(-11, 1)), *burst(1, 6)])
    assert len({first.alert_id, other_key.alert_id, other_window.alert_id}) == 3


def test_config_rejects_values_that_cannot_work() -> None:
    with pytest.raises(ValueError, match="factor must be positive"):
        SpikeConfig(factor=0)
    with pytest.raises(ValueError, match="severity"):
        SpikeConfig(severity="loud")


ARTICLE = Article(
    item_id="i-1",
    feed_id="f-1",
    source="Wire",
    link=None,
    title="الانتخابات والاحتجاجات",
    summary="",
    language=Language("ar", 0.97),
    topics=(TopicTag("elections", 3.0, ("الانتخابات",)), TopicTag("protest", 2.0, ("احتجاج",))),
    published_at=T0 - timedelta(minutes=20),
    fetched_at=T0,
    enriched_at=T0,
)


def test_article_gives_a_topic_and_a_topic_language_event_per_topic() -> None:
    events = topic_events(ARTICLE, CONFIG)
    assert [(e.key, e.topic, e.language) for e in events] == [
        ("elections", "elections", None),
        ("elections|ar", "elections", "ar"),
        ("protest", "protest", None),
        ("protest|ar", "protest", "ar"),
    ]
    assert {(e.item_id, e.at) for e in events} == {("i-1", T0)}

    all_languages = topic_events(ARTICLE, replace(CONFIG, per_language=False))
    assert [e.key for e in all_languages] == ["elections", "protest"]


def test_undetermined_language_gets_only_the_all_language_keys() -> None:
    article = replace(ARTICLE, language=Language("und", 0.0))
    assert [e.key for e in topic_events(article, CONFIG)] == ["elections", "protest"]


def test_updates_and_backlog_items_are_not_counted() -> None:
    assert topic_events(replace(ARTICLE, is_update=True), CONFIG) == ()
    old = replace(ARTICLE, published_at=T0 - timedelta(hours=2))
    assert topic_events(old, CONFIG) == ()
    assert len(topic_events(old, replace(CONFIG, max_item_age_seconds=None))) == 4
    assert len(topic_events(replace(ARTICLE, published_at=None), CONFIG)) == 4


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40 * 600), st.integers(0, 60)),  # (seconds after T0, item)
        max_size=120,
    ),
    st.integers(0, 120),
)
def test_any_event_order_gives_one_alert_per_window_and_survives_a_restart(
    raw: list[tuple[int, int]], cut: int
) -> None:
    config = replace(CONFIG, min_count=2, factor=2.0)
    events = [
        TopicEvent(KEY, "elections", "ar", f"i-{item}", T0 + timedelta(seconds=s))
        for s, item in raw
    ]
    state, alerts = run(events, config=config)
    windows = [a.spike.window_start for a in alerts if a.spike]
    assert windows == sorted(set(windows))  # strictly forward: never two for one window
    if state is not None:
        starts = [start for start, _ in state.counts]
        assert starts == sorted(set(starts))
        assert starts[-1] - starts[0] < config.kept_windows * config.window_seconds
        assert all(n > 0 for _, n in state.counts)

    first_state, first_alerts = run(events[:cut], config=config)
    resumed_state, later_alerts = run(events[cut:], config=config, state=restart(first_state))
    assert resumed_state == state
    assert [a.alert_id for a in first_alerts + later_alerts] == [a.alert_id for a in alerts]
