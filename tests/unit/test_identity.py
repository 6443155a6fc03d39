"""Stable feed and item ids: same input, same id; the right field decides."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streams.feeds.identity import derive_feed_id, derive_item_id, normalise_feed_url

FEED_ID = re.compile(r"f-[0-9a-f]{16}")
ITEM_ID = re.compile(r"i-[0-9a-f]{32}")
FEED = "f-0123456789abcdef"


def test_feed_id_is_f_prefix_and_16_hex_digits() -> None:
    assert FEED_ID.fullmatch(derive_feed_id("https://news.example.com/rss"))


@pytest.mark.parametrize(
    "spelling",
    [
        "https://news.example.com/rss",
        "  https://news.example.com/rss\n",
        "HTTPS://News.Example.COM/rss",
        "https://news.example.com:443/rss",
        "https://news.example.com/rss#top",
    ],
)
def test_feed_id_ignores_case_of_host_default_port_fragment_and_padding(spelling: str) -> None:
    assert derive_feed_id(spelling) == derive_feed_id("https://news.example.com/rss")


@pytest.mark.parametrize(
    "other",
    [
        "http://news.example.com/rss",
        "https://news.example.com/rss/",
        "https://news.example.com/RSS",
        "https://news.example.com/rss?lang=fr",
        "https://news.example.com:8443/rss",
        "https://example.com/rss",
    ],
)
def test_feed_id_differs_when_scheme_path_query_port_or_host_differ(other: str) -> None:
    assert derive_feed_id(other) != derive_feed_id("https://news.example.com/rss")


def test_normalised_url_writes_empty_path_as_slash_and_uppercases_escapes() -> None:
    assert normalise_feed_url("http://Example.org:80") == "http://example.org/"
    assert normalise_feed_url("http://example.org/a%2fb?q=%c3%a9") == (
        "http://example.org/a%2Fb?q=%C3%A9"
    )


def test_normalised_url_keeps_ipv6_literal_and_drops_only_a_default_port() -> None:
    assert normalise_feed_url("http://[::1]:80/feed") == "http://[::1]/feed"
    assert normalise_feed_url("http://[::1]:8080/feed") == "http://[::1]:8080/feed"


def test_blank_feed_url_is_rejected() -> None:
    with pytest.raises(ValueError, match="blank"):
        derive_feed_id("   ")


def test_item_id_is_i_prefix_and_32_hex_digits() -> None:
    assert ITEM_ID.fullmatch(derive_item_id(FEED, "guid-1", None, "t", "s"))


def test_guid_decides_the_id_even_when_link_title_and_summary_change() -> None:
    first = derive_item_id(FEED, "guid-1", "https://a.example/1", "Title", "Summary")
    edited = derive_item_id(FEED, "guid-1", "https://a.example/1?utm=x", "Title v2", "Other")
    assert first == edited


def test_link_decides_the_id_when_guid_is_absent() -> None:
    first = derive_item_id(FEED, None, "https://a.example/1", "Title", "Summary")
    assert first == derive_item_id(FEED, None, "https://a.example/1", "Edited", "Edited")
    assert first != derive_item_id(FEED, None, "https://a.example/2", "Title", "Summary")


@pytest.mark.parametrize("blank_guid", [None, "", "   ", "\n\t"])
def test_whitespace_only_guid_counts_as_absent(blank_guid: str | None) -> None:
    assert derive_item_id(FEED, blank_guid, "https://a.example/1", "t", "s") == derive_item_id(
        FEED, None, "https://a.example/1", "t", "s"
    )


def test_content_hash_decides_the_id_without_guid_or_link() -> None:
    first = derive_item_id(FEED, None, None, "Road closed", "Use the ring road.")
    assert first == derive_item_id(FEED, "  ", "", "Road closed", "Use the ring road.")
    assert first != derive_item_id(FEED, None, None, "Road reopened", "Use the ring road.")
    assert first != derive_item_id(FEED, None, None, "Road closed", "Use the bypass.")


def test_content_hash_ignores_line_breaks_and_unicode_composition() -> None:
    composed = derive_item_id(FEED, None, None, "Élection à Lyon", "Résultats\n  du vote")
    decomposed = derive_item_id(
        FEED, None, None, "E\u0301lection a\u0300 Lyon", "  Re\u0301sultats du\tvote "
    )
    assert composed == decomposed


def test_same_guid_in_two_feeds_gives_two_ids() -> None:
    assert derive_item_id("f-aaaaaaaaaaaaaaaa", "1", None, "t", "s") != derive_item_id(
        "f-bbbbbbbbbbbbbbbb", "1", None, "t", "s"
    )


def test_guid_and_link_with_the_same_text_give_different_ids() -> None:
    url = "https://a.example/1"
    assert derive_item_id(FEED, url, None, "t", "s") != derive_item_id(FEED, None, url, "t", "s")


def test_moving_text_between_title_and_summary_changes_the_content_id() -> None:
    assert derive_item_id(FEED, None, None, "ab", "c") != derive_item_id(
        FEED, None, None, "a", "bc"
    )


@given(
    guid=st.none() | st.text(),
    link=st.none() | st.text(),
    title=st.text(),
    summary=st.text(),
)
def test_item_id_is_deterministic_and_well_formed_for_any_text(
    guid: str | None, link: str | None, title: str, summary: str
) -> None:
    item_id = derive_item_id(FEED, guid, link, title, summary)
    assert ITEM_ID.fullmatch(item_id)
    assert item_id == derive_item_id(FEED, guid, link, title, summary)


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1))
def test_feed_id_is_well_formed_and_normalisation_is_idempotent(path: str) -> None:
    url = f"https://example.com/{path}"
    try:
        once = normalise_feed_url(url)
    except ValueError:  # urllib rejects some bracket sequences as malformed IPv6 hosts
        return
    assert normalise_feed_url(once) == once
    assert FEED_ID.fullmatch(derive_feed_id(url))
