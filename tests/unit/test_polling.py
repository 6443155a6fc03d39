"""The poller's pure decisions: new entries once, changed entries once more as updates, bounded
seen-sets that never forget what the feed still lists, a per-poll cap that holds entries back
for the next poll, entries cut to the byte budget, undelivered entries sent again, and health
after failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from hypothesis import given
from hypothesis import strategies as st

from streams.codec import decode_raw_item
from streams.feeds.poller import describe_entry, is_entry_error
from streams.feeds.polling import (
    MAX_ENTRY_BYTES,
    TRUNCATION_MARKER,
    describe_health,
    encode_entry,
    fit_entry,
    forget_undelivered,
    initial_state,
    select_entries,
    state_after_failure,
    state_after_success,
    state_for_registration,
)
from streams.feeds.schedule import ScheduleConfig, plan_after_backlog
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
    selection = select_entries([item(1), item(2)], (), NOW, 7 * DAY)
    assert [i.item_id for i in selection.emit] == ["i-1", "i-2"]
    assert not any(i.is_update for i in selection.emit)
    assert {e.item_id for e in selection.seen} == {"i-1", "i-2"}
    assert selection.suppressed == 0 and selection.held_back == 0


def test_unchanged_entries_are_suppressed() -> None:
    seen = select_entries([item(1)], (), NOW, 7 * DAY).seen
    again = select_entries([item(1)], seen, NOW + 60, 7 * DAY)
    assert again.emit == () and again.suppressed == 1


def test_changed_entry_is_emitted_once_as_an_update() -> None:
    seen = select_entries([item(1)], (), NOW, 7 * DAY).seen
    changed = replace(item(1), title="Title 1 (corrected)")
    update = select_entries([changed], seen, NOW + 60, 7 * DAY)
    assert [(i.item_id, i.is_update) for i in update.emit] == [("i-1", True)]
    assert update.seen[0].first_seen == NOW
    again = select_entries([changed], update.seen, NOW + 120, 7 * DAY)
    assert again.emit == () and again.suppressed == 1


def test_old_unlisted_entries_are_forgotten_but_listed_ones_never() -> None:
    seen = (SeenEntry("i-1", "x", NOW - 30 * DAY), SeenEntry("i-9", "y", NOW - 30 * DAY))
    listed = item(1)
    selection = select_entries([listed], seen, NOW, 7 * DAY)
    # i-1 is still listed: forgetting it would send it again; i-9 is old and gone from the feed.
    assert [e.item_id for e in selection.seen] == ["i-1"]
    # fingerprint "x" differs
    assert [(i.item_id, i.is_update) for i in selection.emit] == [("i-1", True)]


def test_seen_set_is_bounded_keeping_listed_and_newest_entries() -> None:
    seen = tuple(SeenEntry(f"i-{n}", "f", NOW - n) for n in range(100, 200))
    kept = select_entries([item(1)], seen, NOW, 7 * DAY, max_seen=10).seen
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


def test_entries_over_the_cap_are_held_back_and_sent_by_later_polls() -> None:
    entries = [item(n) for n in range(10)]
    seen: tuple[SeenEntry, ...] = ()
    sent: list[str] = []
    for poll in range(4):
        selection = select_entries(entries, seen, NOW + poll, 7 * DAY, max_emit=3)
        sent += [i.item_id for i in selection.emit]
        assert selection.held_back == max(10 - len(sent), 0)
        seen = selection.seen
    assert sent == [f"i-{n}" for n in range(10)]  # every entry once, in document order
    last = select_entries(entries, seen, NOW + 9, 7 * DAY, max_emit=3)
    assert last.emit == () and last.held_back == 0 and last.suppressed == 10


def test_a_held_back_update_keeps_its_old_fingerprint_until_it_is_sent() -> None:
    seen = select_entries([item(1), item(2)], (), NOW, 7 * DAY).seen
    entries = [item(3), replace(item(1), title="Title 1 (corrected)")]
    first = select_entries(entries, seen, NOW + 60, 7 * DAY, max_emit=1)
    assert [i.item_id for i in first.emit] == ["i-3"] and first.held_back == 1
    assert {e.item_id: e for e in first.seen}["i-1"] == {e.item_id: e for e in seen}["i-1"]
    second = select_entries(entries, first.seen, NOW + 120, 7 * DAY, max_emit=1)
    assert [(i.item_id, i.is_update) for i in second.emit] == [("i-1", True)]


def test_undelivered_entries_are_forgotten_so_the_next_poll_sends_them_again() -> None:
    before = select_entries([item(1)], (), NOW, 7 * DAY).seen
    entries = [replace(item(1), title="Title 1 (corrected)"), item(2), item(3)]
    selection = select_entries(entries, before, NOW + 60, 7 * DAY)
    # Kafka was down for i-1's update and i-2; i-3 got through.
    kept = forget_undelivered(selection.seen, {"i-1", "i-2"}, before)
    assert {e.item_id for e in kept} == {"i-1", "i-3"}
    again = select_entries(entries, kept, NOW + 120, 7 * DAY)
    assert [(i.item_id, i.is_update) for i in again.emit] == [("i-1", True), ("i-2", False)]
    assert forget_undelivered(selection.seen, set(), before) == selection.seen


def test_an_entry_within_the_budget_is_sent_as_it_is() -> None:
    fitted = fit_entry(item(1))
    assert not fitted.truncated and fitted.item == item(1)
    assert fitted.value == encode_entry(item(1))


def test_an_over_long_summary_is_cut_to_the_budget_with_a_marker() -> None:
    big = replace(item(1), summary="<p>Flood waters rose &amp; fell.</p> " * 60_000)  # 2.2 MB
    fitted = fit_entry(big)
    assert fitted.truncated and len(fitted.value) <= MAX_ENTRY_BYTES
    assert len(fitted.value) > MAX_ENTRY_BYTES - 100  # cut to the budget, not far below it
    assert fitted.item.summary.endswith(TRUNCATION_MARKER)
    assert fitted.item.title == big.title and fitted.item.item_id == big.item_id
    assert decode_raw_item(fitted.value).summary == fitted.item.summary


def test_a_cut_never_leaves_a_tag_or_entity_open_before_the_marker() -> None:
    budget = len(encode_entry(replace(item(1), summary=""))) + 40
    for summary in ("abc <a href='https://x.example/" + "y" * 90, "abc &amp" + "x" * 90):
        cut = fit_entry(replace(item(1), summary=summary), budget).item.summary
        text = cut.removesuffix(TRUNCATION_MARKER)
        assert cut.endswith(TRUNCATION_MARKER) and "<" not in text and "&" not in text, cut


def test_an_over_long_title_is_cut_after_the_summary() -> None:
    big = replace(item(1), title="T" * 400_000, summary="S" * 400_000)
    fitted = fit_entry(big)
    assert fitted.truncated and len(fitted.value) <= MAX_ENTRY_BYTES
    assert fitted.item.summary == TRUNCATION_MARKER.strip()
    assert fitted.item.title.endswith(TRUNCATION_MARKER)


def test_an_entry_too_large_even_when_cut_cannot_be_fitted_and_says_why() -> None:
    with pytest.raises(ValueError, match="a huge link or guid"):
        fit_entry(replace(item(1), guid="g" * 300_000, summary="S" * 10))


@given(st.text(max_size=3000), st.integers(min_value=0, max_value=2000))
def test_a_fitted_entry_always_fits_and_decodes(text: str, room: int) -> None:
    entry = replace(item(1), summary=text)
    budget = len(encode_entry(replace(entry, summary=""))) + len(TRUNCATION_MARKER) * 3 + room
    fitted = fit_entry(entry, budget)
    assert len(fitted.value) <= budget
    assert decode_raw_item(fitted.value).summary == fitted.item.summary


def test_the_dead_letter_payload_of_a_huge_entry_is_cut_to_fit() -> None:
    payload, cut = describe_entry(replace(item(1), guid="g" * 300_000), max_bytes=1000)
    assert cut and len(payload) == 1000 and payload.isascii()
    whole, cut = describe_entry(item(1))
    assert not cut and b'"item_id": "i-1"' in whole


def test_only_record_errors_are_the_entrys_own() -> None:
    assert is_entry_error(MessageSizeTooLargeError())
    assert is_entry_error(ValueError("entry cannot be encoded as JSON"))
    # An outage: the entry is fine, it is sent again later.
    assert not is_entry_error(KafkaTimeoutError())
    assert not is_entry_error(KafkaConnectionError("broker gone"))


def test_a_feed_with_held_back_entries_is_polled_again_soon_but_not_before_its_ttl() -> None:
    config = ScheduleConfig(min_interval=60.0, default_interval=900.0)
    soon = plan_after_backlog(NOW, 1800.0, config)
    assert soon.next_due == NOW + 60.0 and soon.interval == 1800.0
    assert plan_after_backlog(NOW, 1800.0, config, ttl=600.0).next_due == NOW + 600.0
