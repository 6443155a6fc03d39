"""The poller's pure decisions: new entries once, changed entries once more as updates, bounded
seen-sets that never forget what the feed still lists, and health after failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from streams.feeds.polling import (
    describe_health,
    initial_state,
    select_entries,
    state_after_failure,
    state_after_success,
    state_for_registration,
)
from streams.feeds.service import encode_entry
from streams.records import FeedRegistration, RawItem, SeenEntry

NOW = 1_800_000_000.0
WHEN = datetime(2026, 11, 26, tzinfo=UTC)
DAY = 86400.0
REGISTRATION = FeedRegistration("f-1", "https://x.example/rss", "X", None, None, WHEN)


def item(index: int, title: str = "Title") -> RawItem:
    return RawItem(
        item_id=f"i-{index}",
        feed_id="f-1",
        feed_url="https://x.example/rss",
        source="X",
        guid=f"g{index}",
        link=None,
        title=f"{title} {index}",
        summary="",
        language_hint=None,
        published_at=None,
        fetched_at=WHEN,
    )


def test_new_entries_are_emitted_and_remembered() -> None:
    emit, seen, suppressed = select_entries([item(1), item(2)], (), NOW, 7 * DAY)
    assert [i.item_id for i in emit] == ["i-1", "i-2"]
    assert not any(i.is_update for i in emit)
    assert {e.item_id for e in seen} == {"i-1", "i-2"} and suppressed == 0


def test_unchanged_entries_are_suppressed() -> None:
    _, seen, _ = select_entries([item(1)], (), NOW, 7 * DAY)
    emit, _, suppressed = select_entries([item(1)], seen, NOW + 60, 7 * DAY)
    assert emit == [] and suppressed == 1


def test_changed_entry_is_emitted_once_as_an_update() -> None:
    _, seen, _ = select_entries([item(1)], (), NOW, 7 * DAY)
    changed = replace(item(1), title="Title 1 (corrected)")
    emit, seen, _ = select_entries([changed], seen, NOW + 60, 7 * DAY)
    assert [(i.item_id, i.is_update) for i in emit] == [("i-1", True)]
    assert seen[0].first_seen == NOW
    again, _, suppressed = select_entries([changed], seen, NOW + 120, 7 * DAY)
    assert again == [] and suppressed == 1


def test_old_unlisted_entries_are_forgotten_but_listed_ones_never() -> None:
    seen = (SeenEntry("i-1", "x", NOW - 30 * DAY), SeenEntry("i-9", "y", NOW - 30 * DAY))
    listed = item(1)
    emit, kept, _ = select_entries([listed], seen, NOW, 7 * DAY)
    # i-1 is still listed: forgetting it would send it again; i-9 is old and gone from the feed.
    assert [e.item_id for e in kept] == ["i-1"]
    assert [(i.item_id, i.is_update) for i in emit] == [("i-1", True)]  # fingerprint "x" differs


def test_seen_set_is_bounded_keeping_listed_and_newest_entries() -> None:
    seen = tuple(SeenEntry(f"i-{n}", "f", NOW - n) for n in range(100, 200))
    _, kept, _ = select_entries([item(1)], seen, NOW, 7 * DAY, max_seen=10)
    assert len(kept) == 10
    assert kept[0].item_id == "i-1"
    assert [e.item_id for e in kept[1:]] == [f"i-{n}" for n in range(100, 109)]


def test_failures_count_up_and_success_clears_them() -> None:
    state = initial_state(REGISTRATION, 300.0, NOW)
    failed = state_after_failure(state, error="HTTP 503", failed_at=WHEN, next_due_at=NOW + 60)
    failed = state_after_failure(failed, error="HTTP 503", failed_at=WHEN, next_due_at=NOW + 120)
    assert failed.consecutive_failures == 2 and failed.last_error == "HTTP 503"
    assert describe_health(failed, NOW) == "backoff"
    assert describe_health(failed, NOW + 500) == "failing"
    ok = state_after_success(
        failed, url=failed.url, etag='"e"', last_modified=None, interval=300.0,
        next_due_at=NOW + 300, fetched_at=WHEN, new_entries=3, seen=None,
    )  # fmt: skip
    assert ok.consecutive_failures == 0 and ok.items_seen == 3 and ok.etag == '"e"'
    assert describe_health(ok, NOW) == "ok"


def test_gone_feed_is_disabled() -> None:
    state = initial_state(REGISTRATION, 300.0, NOW)
    gone = state_after_failure(
        state, error="HTTP 410", failed_at=WHEN, next_due_at=NOW, disabled_reason="410 Gone"
    )
    assert describe_health(gone, NOW) == "disabled"


def test_registering_a_feed_again_starts_over_but_keeps_what_was_sent() -> None:
    state = initial_state(REGISTRATION, 300.0, NOW)
    gone = replace(state, disabled_reason="410 Gone", seen=(SeenEntry("i-1", "f", NOW),))
    same = state_for_registration(REGISTRATION, gone, 300.0, NOW + 10)
    assert same is gone
    again = replace(REGISTRATION, registered_at=WHEN + timedelta(hours=1))
    renewed = state_for_registration(again, gone, 300.0, NOW + 10)
    assert renewed.disabled_reason is None and renewed.seen == gone.seen
    assert renewed.next_due_at == NOW + 10


def test_entry_with_lone_surrogate_cannot_be_encoded_and_says_why() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode_entry(replace(item(1), title="bad \ud800"))
