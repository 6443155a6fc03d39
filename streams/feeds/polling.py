"""Pure decisions of one poll: which entries to emit, and the feed's state afterwards.

Kept apart from the I/O in `service.py` so that the rules that make polling correct (an entry is
emitted once, a changed entry once more as an update, the seen-set stays bounded without forgetting
what the feed still lists) are unit-tested without HTTP or Kafka.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from datetime import datetime

from streams.records import FeedRegistration, FeedState, RawItem, SeenEntry

# A feed lists tens of entries; keeping a few hundred remembers what it listed over weeks.
MAX_SEEN_PER_FEED = 1000
MAX_ERROR_CHARS = 500


def fingerprint_entry(item: RawItem) -> str:
    """What makes a re-listed entry an update: its title and summary."""
    text = f"{item.title}\x1f{item.summary}".encode(errors="surrogatepass")
    return hashlib.blake2b(text, digest_size=8).hexdigest()


def initial_state(registration: FeedRegistration, interval: float, now: float) -> FeedState:
    """The state of a feed never polled: due at once."""
    return FeedState(
        feed_id=registration.feed_id,
        url=registration.url,
        etag=None,
        last_modified=None,
        interval_seconds=interval,
        next_due_at=now,
        last_success_at=None,
        last_error=None,
        last_error_at=None,
        consecutive_failures=0,
        items_seen=0,
        disabled_reason=None,
        registered_at=registration.registered_at,
        seen=(),
    )


def state_for_registration(
    registration: FeedRegistration, state: FeedState | None, interval: float, now: float
) -> FeedState:
    """The state to poll a registration with: the kept one, unless the feed was registered anew
    (a new URL, or re-added after being disabled), which starts over but keeps the seen-set."""
    if state is None:
        return initial_state(registration, interval, now)
    renewed = state.registered_at is None or registration.registered_at > state.registered_at
    if not renewed:
        return state
    fresh = initial_state(registration, interval, now)
    return dataclasses.replace(fresh, seen=state.seen, items_seen=state.items_seen)


def select_entries(
    items: Sequence[RawItem],
    seen: Sequence[SeenEntry],
    now: float,
    retention_seconds: float,
    max_seen: int = MAX_SEEN_PER_FEED,
) -> tuple[list[RawItem], tuple[SeenEntry, ...], int]:
    """Entries to emit (new ones, and changed ones marked `is_update`), the seen-set to keep, and
    how many entries were suppressed as already sent.

    Seen entries older than the retention window are forgotten unless the feed still lists them:
    forgetting a listed entry would send it again.
    """
    known = {entry.item_id: entry for entry in seen}
    listed: dict[str, SeenEntry] = {}
    emit: list[RawItem] = []
    suppressed = 0
    for item in items:
        fingerprint = fingerprint_entry(item)
        previous = known.get(item.item_id)
        if previous is None:
            emit.append(item)
            listed[item.item_id] = SeenEntry(item.item_id, fingerprint, now)
        elif previous.fingerprint != fingerprint:
            emit.append(dataclasses.replace(item, is_update=True))
            listed[item.item_id] = SeenEntry(item.item_id, fingerprint, previous.first_seen)
        else:
            suppressed += 1
            listed[item.item_id] = previous
    horizon = now - retention_seconds
    older = [entry for entry in seen if entry.item_id not in listed and entry.first_seen >= horizon]
    room = max(max_seen - len(listed), 0)
    # Newest first among the unlisted ones: the oldest are the first to go.
    older.sort(key=lambda entry: entry.first_seen, reverse=True)
    kept = tuple(listed.values()) + tuple(older[:room])
    return emit, kept, suppressed


def state_after_success(
    state: FeedState,
    *,
    url: str,
    etag: str | None,
    last_modified: str | None,
    interval: float,
    next_due_at: float,
    fetched_at: datetime,
    new_entries: int,
    seen: tuple[SeenEntry, ...] | None,
) -> FeedState:
    """State after a 200 or 304: validators and schedule updated, failures cleared."""
    return dataclasses.replace(
        state,
        url=url,
        etag=etag,
        last_modified=last_modified,
        interval_seconds=interval,
        next_due_at=next_due_at,
        last_success_at=fetched_at,
        consecutive_failures=0,
        items_seen=state.items_seen + new_entries,
        seen=state.seen if seen is None else seen,
    )


def state_after_failure(
    state: FeedState,
    *,
    error: str,
    failed_at: datetime,
    next_due_at: float,
    disabled_reason: str | None = None,
) -> FeedState:
    """State after a failed poll: the error kept, failures counted, the next try pushed back."""
    return dataclasses.replace(
        state,
        last_error=error[:MAX_ERROR_CHARS],
        last_error_at=failed_at,
        consecutive_failures=state.consecutive_failures + 1,
        next_due_at=next_due_at,
        disabled_reason=disabled_reason or state.disabled_reason,
    )


def describe_health(state: FeedState | None, now: float) -> str:
    """One word for `wirewatch feeds list`: new, ok, failing, backoff or disabled."""
    if state is None or (state.last_success_at is None and state.consecutive_failures == 0):
        return "new"
    if state.disabled_reason:
        return "disabled"
    if state.consecutive_failures == 0:
        return "ok"
    return "backoff" if state.next_due_at > now else "failing"
