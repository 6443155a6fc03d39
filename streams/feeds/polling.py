"""Pure decisions of one poll: which entries to emit, and the feed's state afterwards.

Kept apart from the I/O in `poller.py` so that the rules that make polling correct (an entry is
emitted once, a changed entry once more as an update, the seen-set stays bounded without forgetting
what the feed still lists) are unit-tested without HTTP or Kafka.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from streams.codec import encode_record
from streams.records import FeedRegistration, FeedState, RawItem, SeenEntry

# A feed lists tens of entries; keeping a few hundred remembers what it listed over weeks.
MAX_SEEN_PER_FEED = 1000
MAX_ERROR_CHARS = 500
# The seen-set must remember every entry a document lists (forgetting one re-sends it), and the
# feed-state record holding it must fit in one Kafka message (1 MiB by default). One seen entry is
# about 110 bytes of JSON (measured), so 5,000 listed entries make a state of about 560 kB.
MAX_LISTED_ENTRIES = 5000
# An entry becomes one Kafka message (1 MiB by default at the producer and the broker), and the
# enrich stage turns it into an Article that adds topic matches to the cleaned text: a quarter of
# the limit leaves that room. News summaries are a few kB; only a broken or abusive feed gets here.
MAX_ENTRY_BYTES = 256 * 1024
# Appended to a cut summary or title: visible to analysts, and searchable.
TRUNCATION_MARKER = " [… truncated by wirewatch]"
# Cutting to a byte count may end inside a tag or an entity; a dangling "<" would make the
# cleaner swallow the marker as part of the tag. Entities are short, tags can be long.
_MAX_ENTITY_CHARS = 12


@dataclass(frozen=True, slots=True)
class Selection:
    """What one poll sends and remembers."""

    emit: tuple[RawItem, ...]  # new entries, and changed ones marked `is_update`
    seen: tuple[SeenEntry, ...]  # the seen-set once every emitted entry is delivered
    suppressed: int  # entries already sent, unchanged
    held_back: int  # new or changed entries over the per-poll cap, left for the next poll


@dataclass(frozen=True, slots=True)
class FittedEntry:
    """An entry ready to send: its encoded value, within the byte budget."""

    item: RawItem  # as sent: title or summary cut when `truncated`
    value: bytes
    truncated: bool


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
    *,
    max_emit: int | None = None,
) -> Selection:
    """Entries to emit (new ones, and changed ones marked `is_update`), at most `max_emit` of
    them in document order, and the seen-set to keep once they are delivered.

    Entries over `max_emit` are held back: not remembered (or remembered as before, for a
    changed one), so the next poll emits them. Seen entries older than the retention window are
    forgotten unless the feed still lists them: forgetting a listed entry would send it again.
    """
    known = {entry.item_id: entry for entry in seen}
    listed: dict[str, SeenEntry] = {}
    emit: list[RawItem] = []
    suppressed = held_back = 0
    for item in items:
        fingerprint = fingerprint_entry(item)
        previous = known.get(item.item_id)
        if previous is not None and previous.fingerprint == fingerprint:
            suppressed += 1
            listed[item.item_id] = previous
        elif max_emit is not None and len(emit) >= max_emit:
            held_back += 1
            if previous is not None:  # still listed: keep remembering what was sent before
                listed[item.item_id] = previous
        elif previous is None:
            emit.append(item)
            listed[item.item_id] = SeenEntry(item.item_id, fingerprint, now)
        else:
            emit.append(dataclasses.replace(item, is_update=True))
            listed[item.item_id] = SeenEntry(item.item_id, fingerprint, previous.first_seen)
    horizon = now - retention_seconds
    older = [entry for entry in seen if entry.item_id not in listed and entry.first_seen >= horizon]
    room = max(max_seen - len(listed), 0)
    # Newest first among the unlisted ones: the oldest are the first to go.
    older.sort(key=lambda entry: entry.first_seen, reverse=True)
    kept = tuple(listed.values()) + tuple(older[:room])
    return Selection(tuple(emit), kept, suppressed, held_back)


def forget_undelivered(
    seen: Sequence[SeenEntry], undelivered: Collection[str], before: Sequence[SeenEntry]
) -> tuple[SeenEntry, ...]:
    """The seen-set after a poll whose `undelivered` entries never reached Kafka: each is
    remembered as it was before the poll (a new one not at all, a changed one with its old
    fingerprint), so the next poll sends it again and nothing is lost."""
    if not undelivered:
        return tuple(seen)
    previous = {entry.item_id: entry for entry in before}
    kept: list[SeenEntry] = []
    for entry in seen:
        if entry.item_id not in undelivered:
            kept.append(entry)
        elif entry.item_id in previous:
            kept.append(previous[entry.item_id])
    return tuple(kept)


def encode_entry(item: RawItem) -> bytes:
    """Encode an entry; raises ValueError for text JSON cannot carry (lone surrogates)."""
    try:
        return encode_record(item)
    except TypeError as exc:  # orjson's JSONEncodeError is a TypeError
        raise ValueError(f"entry cannot be encoded as JSON: {exc}") from None


def fit_entry(item: RawItem, max_bytes: int = MAX_ENTRY_BYTES) -> FittedEntry:
    """Encode `item` within `max_bytes`, cutting its summary, then its title, and appending
    TRUNCATION_MARKER to what was cut.

    Raises ValueError when it cannot be encoded, or does not fit even with both cut to the marker
    (its link or guid alone is too large).
    """
    value = encode_entry(item)
    if len(value) <= max_bytes:
        return FittedEntry(item, value, truncated=False)
    fitted = item
    for name in ("summary", "title"):  # summaries hold the long text; a title is cut last
        fitted = _cut_field(fitted, name, max_bytes)
        value = encode_entry(fitted)
        if len(value) <= max_bytes:
            return FittedEntry(fitted, value, truncated=True)
    raise ValueError(
        f"entry is {len(encode_entry(item)):,} bytes as JSON, over the {max_bytes:,}-byte budget "
        f"even with its title and summary cut to {len(value):,} bytes (a huge link or guid)"
    )


def _cut_field(item: RawItem, name: str, max_bytes: int) -> RawItem:
    text: str = getattr(item, name)
    marker = TRUNCATION_MARKER.encode()
    room = max_bytes - len(encode_entry(_with_text(item, name, ""))) - len(marker)
    # JSON escapes (quotes, backslashes, control characters) make the encoded text longer than
    # its UTF-8 bytes; each round cuts the overshoot away, so two or three rounds settle it.
    for _ in range(8):
        if room <= 0:
            break
        cut = _cut_markup(text.encode()[:room].decode(errors="ignore"))
        candidate = _with_text(item, name, cut + TRUNCATION_MARKER)
        overshoot = len(encode_entry(candidate)) - max_bytes
        if overshoot <= 0:
            return candidate
        room -= overshoot
    return _with_text(item, name, TRUNCATION_MARKER.strip())


def _with_text(item: RawItem, name: str, text: str) -> RawItem:
    if name == "summary":
        return dataclasses.replace(item, summary=text)
    return dataclasses.replace(item, title=text)


def _cut_markup(text: str) -> str:
    """Drop a tag or an entity left open at the end of a cut."""
    tag = text.rfind("<")
    if tag > text.rfind(">"):
        text = text[:tag]
    entity = text.rfind("&")
    if entity > text.rfind(";") and len(text) - entity <= _MAX_ENTITY_CHARS:
        text = text[:entity]
    return text


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
