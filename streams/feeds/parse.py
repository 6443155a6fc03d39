"""Turn a fetched feed body (RSS 2.0, RSS 1.0/RDF, Atom or JSON Feed) into RawItems."""

from __future__ import annotations

import calendar
import io
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import orjson

from streams.errors import FeedError
from streams.feeds.identity import derive_feed_id, derive_item_id
from streams.records import UNDETERMINED, RawItem

DEFAULT_MAX_ENTRIES = 500
# A publisher's clock or time zone can be a few hours off; a date further ahead than this is a
# placeholder or a typo, and left as is it would pin the item to the top of every "newest" view.
FUTURE_TOLERANCE = timedelta(days=1)
JSON_CONTENT_TYPES = frozenset({"application/feed+json", "application/json"})
LINK_SCHEMES = frozenset({"http", "https"})

# A DTD that declares entities is the only way to an entity bomb or an external entity. feedparser 6
# is not safe by itself: its loose parser expands entities whose values hold no "&", so one 50 kB
# entity referenced 20,000 times becomes a 1 GB title (measured: 21 s, 3 GB RSS). Feeds have no use
# for entity declarations, so the needle is searched in every encoding feedparser can sniff.
_ENTITY_DECLARATION_NEEDLES = tuple(
    "<!ENTITY".encode(codec)
    for codec in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
)
_DATE_KEYS = ("published_parsed", "updated_parsed", "created_parsed")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to poll: where it lives, what to call it, and the language it is known to use."""

    url: str
    name: str  # "" means: use the feed's own title
    feed_id: str
    language_hint: str | None = None

    @classmethod
    def from_url(
        cls, url: str, name: str | None = None, language_hint: str | None = None
    ) -> FeedSource:
        """Build a source whose feed id is derived from `url`; raises ValueError for a blank URL."""
        return cls(
            url=url.strip(),
            name=(name or "").strip(),
            feed_id=derive_feed_id(url),
            language_hint=normalise_language(language_hint),
        )


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What one body held: the feed's title and language, its items, and what looked wrong."""

    title: str
    language: str | None
    items: tuple[RawItem, ...]
    warnings: tuple[str, ...]
    ttl_seconds: float | None = None  # RSS 2.0 <ttl>: how long the publisher asks us to cache
    dropped_entries: int = 0  # entries after the first `max_entries`, not turned into items


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry as either format states it, before ids, links and dates are settled."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    language: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class _FeedContent:
    title: str
    language: str | None
    entries: tuple[_Entry, ...]
    warnings: tuple[str, ...]
    ttl_seconds: float | None = None


def parse_feed(
    body: bytes,
    source: FeedSource,
    fetched_at: datetime,
    content_type: str | None = None,
    max_entries: int = DEFAULT_MAX_ENTRIES,
) -> ParsedFeed:
    """Parse `body` as fetched from `source` into RawItems, in document order.

    Only the first `max_entries` entries are kept. Title and summary keep their HTML; links are
    resolved against the feed URL and kept only when http(s); a date more than a day after
    `fetched_at` is replaced by `fetched_at`. Raises FeedError when the body holds nothing usable:
    not a feed, undecodable JSON, a parser error with no entries, an entity declaration, or entries
    none of which has a title or summary. Raises ValueError for a naive `fetched_at`.
    """
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    if max_entries < 1:
        raise ValueError(f"max_entries must be at least 1, got {max_entries}")
    if not body.strip():
        raise FeedError(f"feed {source.url}: empty body")
    if _is_json_body(body, content_type):
        content = _read_json_feed(body, source)
    else:
        content = _read_xml_feed(body, source, content_type)
    return _assemble_feed(content, source, fetched_at, max_entries)


def _is_json_body(body: bytes, content_type: str | None) -> bool:
    """Tell whether `body` is JSON: sniffed from its first byte, else from the content type."""
    first = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    # Servers often mislabel feeds, so the body's own first byte wins over the header.
    if first in (b"{", b"<"):
        return first == b"{"
    return _media_type(content_type) in JSON_CONTENT_TYPES


def _media_type(content_type: str | None) -> str:
    """Return the lower-cased media type of a Content-Type header, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def normalise_language(tag: str | None) -> str | None:
    """Return the primary subtag of a language tag ('en-US' -> 'en'), or None when unusable."""
    primary = re.split(r"[-_]", (tag or "").strip().lower(), maxsplit=1)[0]
    if not _LANGUAGE_TAG.fullmatch(primary) or primary == UNDETERMINED:
        return None
    return primary


def _refuse_entity_declarations(body: bytes, source: FeedSource) -> None:
    """Raise FeedError when `body` declares XML entities (entity bombs, external entities)."""
    if any(needle in body for needle in _ENTITY_DECLARATION_NEEDLES):
        raise FeedError(
            f"feed {source.url}: refused: the document declares XML entities (<!ENTITY), "
            "which feeds never need and entity bombs and external-entity attacks rely on"
        )


def _read_xml_feed(body: bytes, source: FeedSource, content_type: str | None) -> _FeedContent:
    """Read an RSS 2.0, RSS 1.0/RDF or Atom body with feedparser; raises FeedError if unusable."""
    _refuse_entity_declarations(body, source)
    # feedparser reads the header only for the charset and RFC 3023's rules; a charset-less text/*
    # type would make it assume us-ascii and flag every UTF-8 feed, so only the charset is passed.
    charset = _charset_parameter(content_type)
    headers = {
        "content-type": f"application/xml; charset={charset}" if charset else "application/xml",
        "content-location": source.url,  # the base URI for relative links
    }
    try:
        # A stream, never bare bytes: feedparser.parse(b"/etc/x.xml") opens that local file.
        # Its HTML sanitizer stays on: it drops script, style and event handlers, keeps markup.
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except Exception as exc:  # feedparser's own bug on hostile input is still this feed's problem
        raise FeedError(f"feed {source.url}: the parser failed: {exc!r}") from exc
    entries = tuple(_entry_from_feedparser(e) for e in parsed.get("entries", ()))
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not entries and problem is not None:
        raise FeedError(f"feed {source.url}: not a readable feed: {_describe(problem)}")
    if not entries and not parsed.get("version"):
        raise FeedError(f"feed {source.url}: not a feed: no RSS, RDF or Atom document found")
    channel = parsed.get("feed", {})
    title_detail = channel.get("title_detail") or {}
    return _FeedContent(
        title=_text(channel.get("title")).strip(),
        language=normalise_language(_text(channel.get("language") or title_detail.get("language"))),
        entries=entries,
        warnings=(f"feedparser bozo: {_describe(problem)}",) if problem else (),
        ttl_seconds=_ttl_seconds(channel.get("ttl")),
    )


def _ttl_seconds(value: object) -> float | None:
    """Return an RSS 2.0 <ttl> (whole minutes) in seconds, or None when absent or not positive."""
    try:
        minutes = float(_text(value).strip())
    except ValueError:
        return None
    # "inf" and "nan" parse as floats; a ttl must be a finite positive number of minutes.
    return minutes * 60.0 if math.isfinite(minutes) and minutes > 0 else None


def _charset_parameter(content_type: str | None) -> str | None:
    match = re.search(r";\s*charset\s*=\s*\"?([\w.:-]+)", content_type or "", re.IGNORECASE)
    return match.group(1) if match else None


def _describe(exc: object) -> str:
    return f"{type(exc).__name__}: {exc}"


def _entry_from_feedparser(entry: Mapping[str, Any]) -> _Entry:
    contents = entry.get("content") or ()
    first_content = contents[0].get("value") if contents else None
    title_detail = entry.get("title_detail") or {}
    # Plain dict lookups: FeedParserDict maps a missing "updated_parsed" to "published_parsed"
    # with a DeprecationWarning on every entry.
    dates = dict(entry.items())
    return _Entry(
        guid=_text(entry.get("id")) or None,
        link=_text(entry.get("link")) or None,
        title=_text(entry.get("title")),
        summary=_text(entry.get("summary")) or _text(first_content),
        language=normalise_language(_text(entry.get("language") or title_detail.get("language"))),
        published_at=_from_struct_time(next(filter(None, map(dates.get, _DATE_KEYS)), None)),
    )


def _from_struct_time(value: object) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _read_json_feed(body: bytes, source: FeedSource) -> _FeedContent:
    """Read a JSON Feed 1.0 or 1.1 body with orjson; raises FeedError if unusable."""
    try:
        document = orjson.loads(body.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"feed {source.url}: not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError(f"feed {source.url}: not a JSON Feed: no top-level 'items' array")
    warnings: list[str] = []
    version = document.get("version")
    if not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/")):
        warnings.append(f"JSON Feed version missing or unknown: {version!r}")
    raw_items = document["items"]
    entries = tuple(_entry_from_json(item) for item in raw_items if isinstance(item, dict))
    if len(entries) < len(raw_items):
        warnings.append(
            f"skipped {len(raw_items) - len(entries)} JSON Feed items that are not objects"
        )
    return _FeedContent(
        title=_text(document.get("title")).strip(),
        language=normalise_language(_text(document.get("language"))),
        entries=entries,
        warnings=tuple(warnings),
    )


def _entry_from_json(item: Mapping[str, Any]) -> _Entry:
    raw_id = item.get("id")
    # JSON Feed 1.0 §items: id is a string, but publishers also send numbers; bool is a mistake.
    guid = (
        str(raw_id)
        if isinstance(raw_id, str | int | float) and not isinstance(raw_id, bool)
        else ""
    )
    return _Entry(
        guid=guid or None,
        link=_text(item.get("url")) or _text(item.get("external_url")) or None,
        title=_text(item.get("title")),
        summary=(
            _text(item.get("summary"))
            or _text(item.get("content_html"))
            or _text(item.get("content_text"))
        ),
        language=normalise_language(_text(item.get("language"))),
        published_at=_from_rfc3339(
            _text(item.get("date_published")) or _text(item.get("date_modified"))
        ),
    )


def _from_rfc3339(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        # RFC 3339 requires an offset; a publisher that left it out almost always meant UTC.
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _assemble_feed(
    content: _FeedContent, source: FeedSource, fetched_at: datetime, max_entries: int
) -> ParsedFeed:
    """Turn entries into RawItems with ids, resolved links and checked dates, counting oddities."""
    fetched_utc = fetched_at.astimezone(UTC)
    source_name = source.name or content.title or urlsplit(source.url).hostname or source.url
    items: list[RawItem] = []
    seen_ids: set[str] = set()
    skipped_empty = duplicates = future_dated = 0
    for entry in content.entries[:max_entries]:
        if not entry.title.strip() and not entry.summary.strip():
            skipped_empty += 1
            continue
        link = resolve_link(source.url, entry.link)
        guid = (entry.guid or "").strip() or None
        item_id = derive_item_id(source.feed_id, guid, link, entry.title, entry.summary)
        if item_id in seen_ids:
            duplicates += 1
            continue
        seen_ids.add(item_id)
        published_at = entry.published_at
        if published_at is not None and published_at > fetched_utc + FUTURE_TOLERANCE:
            future_dated += 1
            published_at = fetched_utc
        items.append(
            RawItem(
                item_id=item_id,
                feed_id=source.feed_id,
                feed_url=source.url,
                source=source_name,
                guid=guid,
                link=link,
                title=entry.title,
                summary=entry.summary,
                language_hint=source.language_hint or entry.language or content.language,
                published_at=published_at,
                fetched_at=fetched_utc,
            )
        )
    if content.entries and not items and skipped_empty:
        raise FeedError(f"feed {source.url}: no entry has a title or a summary")
    warnings = [
        *content.warnings,
        *_count_warnings(
            truncated=max(0, len(content.entries) - max_entries),
            max_entries=max_entries,
            skipped_empty=skipped_empty,
            duplicates=duplicates,
            future_dated=future_dated,
        ),
    ]
    return ParsedFeed(
        title=content.title,
        language=content.language,
        items=tuple(items),
        warnings=tuple(warnings),
        ttl_seconds=content.ttl_seconds,
        dropped_entries=max(0, len(content.entries) - max_entries),
    )


def _count_warnings(
    truncated: int, max_entries: int, skipped_empty: int, duplicates: int, future_dated: int
) -> Iterable[str]:
    if truncated:
        yield f"kept the first {max_entries} entries, dropped {truncated}"
    if skipped_empty:
        yield f"skipped {skipped_empty} entries with neither title nor summary"
    if duplicates:
        yield f"skipped {duplicates} entries repeating an earlier entry's id"
    if future_dated:
        yield f"{future_dated} entries dated more than a day ahead were dated at fetch time"


def resolve_link(base_url: str, link: str | None) -> str | None:
    """Resolve `link` against the feed URL; None unless the result is an http(s) URL."""
    if not link or not link.strip():
        return None
    try:
        resolved = urljoin(base_url, link.strip())
        parts = urlsplit(resolved)
    except ValueError:  # urllib rejects malformed IPv6 hosts such as "http://[oops/"
        return None
    return resolved if parts.scheme.lower() in LINK_SCHEMES and parts.netloc else None
