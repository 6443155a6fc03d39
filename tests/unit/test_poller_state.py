"""The poller's pure parts: which entries are new, and which URLs it refuses before any I/O."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from streams.errors import FeedError
from streams.feeds.fetch import build_http_client, fetch_feed
from streams.feeds.poller import SeenSet, encode_raw_item, fingerprint_item
from streams.records import RawItem

ITEM = RawItem(
    item_id="i-1",
    feed_id="f-1",
    feed_url="https://x.example/feed",
    source="X",
    guid="g1",
    link=None,
    title="Polls open",
    summary="Turnout is high.",
    language_hint=None,
    published_at=None,
    fetched_at=datetime(2026, 11, 26, tzinfo=UTC),
)


def test_entry_seen_with_same_content_is_not_new() -> None:
    seen = SeenSet()
    seen.remember(ITEM.item_id, fingerprint_item(ITEM))
    assert not seen.is_new(
        ITEM.item_id, fingerprint_item(replace(ITEM, fetched_at=datetime.now(UTC)))
    )


def test_entry_whose_title_changed_is_new_again() -> None:
    seen = SeenSet()
    seen.remember(ITEM.item_id, fingerprint_item(ITEM))
    assert seen.is_new(ITEM.item_id, fingerprint_item(replace(ITEM, title="Polls close")))


def test_seen_set_forgets_oldest_entries_beyond_capacity() -> None:
    seen = SeenSet(capacity=2)
    for index in range(3):
        seen.remember(f"i-{index}", "f")
    assert len(seen) == 2
    assert seen.is_new("i-0", "f") and not seen.is_new("i-2", "f")


def test_lone_surrogate_entry_cannot_be_encoded_and_says_why() -> None:
    with pytest.raises(ValueError, match="cannot be encoded"):
        encode_raw_item(replace(ITEM, title="bad \ud800"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "file:// feeds are disabled"),
        ("ftp://x.example/feed.xml", "only http, https and file"),
        ("gopher://x.example/", "only http, https and file"),
    ],
)
def test_fetch_refuses_schemes_before_any_io(url: str, message: str) -> None:
    async def attempt() -> None:
        async with build_http_client("wirewatch-test", 5.0) as client:
            await fetch_feed(client, url, max_bytes=1000)

    with pytest.raises(FeedError, match=message):
        asyncio.run(attempt())
