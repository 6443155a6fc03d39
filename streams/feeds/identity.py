"""Stable ids for feeds and items, so a re-polled entry keeps its Kafka key."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

FEED_ID_PREFIX = "f-"
ITEM_ID_PREFIX = "i-"
FEED_ID_HEX_CHARS = 16  # 64 bits: a deployment follows thousands of feeds, not billions
ITEM_ID_HEX_CHARS = 32  # 128 bits: items accumulate without bound, keep collisions out of reach

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_WHITESPACE_RUN = re.compile(r"\s+")


def normalise_feed_url(url: str) -> str:
    """Return `url` in the one spelling that identifies its feed.

    Lower-cases the scheme and host, drops a default port and the fragment, writes an empty path
    as "/" and upper-cases percent escapes (RFC 3986 §6.2.2). Path, query and trailing slashes are
    kept: servers may treat "/feed" and "/feed/" as different resources.
    Raises ValueError for a blank URL.
    """
    stripped = url.strip()
    if not stripped:
        raise ValueError("a feed URL cannot be blank")
    parts = urlsplit(stripped)
    scheme = parts.scheme.lower()
    path = _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), parts.path) or "/"
    query = _PERCENT_ESCAPE.sub(lambda m: m.group(0).upper(), parts.query)
    return urlunsplit((scheme, _normalise_netloc(scheme, parts.netloc), path, query, ""))


def _normalise_netloc(scheme: str, netloc: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = hostport.lower(), ""
    # An IPv6 literal keeps its colons inside brackets, so only a colon after "]" starts a port.
    split_at = host.rfind(":")
    if split_at > host.rfind("]"):
        host, port = host[:split_at], host[split_at + 1 :]
    if port and port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    rebuilt = f"{host}:{port}" if port else host
    return f"{userinfo}@{rebuilt}" if userinfo else rebuilt


def derive_feed_id(url: str) -> str:
    """Return the feed's stable short id: "f-" and 16 hex digits of sha256 of the normalised URL.

    Raises ValueError for a blank URL.
    """
    digest = hashlib.sha256(normalise_feed_url(url).encode("utf-8")).hexdigest()
    return FEED_ID_PREFIX + digest[:FEED_ID_HEX_CHARS]


def derive_item_id(
    feed_id: str, guid: str | None, link: str | None, title: str, summary: str
) -> str:
    """Return the item's stable id: feed + guid, else feed + link, else feed + content hash.

    A blank guid or link counts as absent. The content fallback collapses whitespace and applies
    NFC first, so a feed that re-renders the same entry with other line breaks keeps its id.
    """
    guid_key = (guid or "").strip()
    link_key = (link or "").strip()
    if guid_key:
        kind, value = "guid", guid_key
    elif link_key:
        kind, value = "link", link_key
    else:
        kind, value = "content", f"{_normalise_text(title)}\x00{_normalise_text(summary)}"
    # NUL separators: no field can make two different (kind, value) pairs hash the same input.
    material = f"{feed_id}\x00{kind}\x00{value}".encode("utf-8", "surrogatepass")
    return ITEM_ID_PREFIX + hashlib.sha256(material).hexdigest()[:ITEM_ID_HEX_CHARS]


def _normalise_text(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", text)).strip()
