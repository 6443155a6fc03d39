"""`wirewatch classify`: the enrich step on JSON Lines or feed documents, without Kafka.

The output for an item is what the pipeline's articles topic carries for it (language and topics),
because both call `pipeline.enrich`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

from streams.errors import ContentError, DecodeError, FeedError
from streams.feeds.http import Fetcher
from streams.feeds.parse import FeedSource, parse_feed
from streams.feeds.poller import fetch_config
from streams.pipeline import Enricher, enrich
from streams.records import Article, RawItem
from streams.settings import Settings

CLASSIFY_FEED_ID = "classify"


def item_from_json(data: Any, now: datetime) -> RawItem:
    """A RawItem from one classify input object; raises DecodeError when it is malformed."""
    if not isinstance(data, dict):
        raise DecodeError("each line must be a JSON object")
    item_id, title = data.get("id"), data.get("title")
    if not isinstance(item_id, str | int) or isinstance(item_id, bool):
        raise DecodeError("field 'id' (string) is required")
    if not isinstance(title, str):
        raise DecodeError("field 'title' (string) is required")
    summary, hint, link = data.get("summary") or "", data.get("language"), data.get("link")
    for name, value in (("summary", summary), ("language", hint), ("link", link)):
        if value is not None and not isinstance(value, str):
            raise DecodeError(f"field {name!r} must be a string")
    return RawItem(
        item_id=str(item_id),
        feed_id=CLASSIFY_FEED_ID,
        feed_url="",
        source=str(data.get("source") or ""),
        guid=str(item_id),
        link=link,
        title=title,
        summary=summary,
        language_hint=hint or None,
        published_at=None,
        fetched_at=now,
    )


def classification_of(article: Article, item_id: str) -> dict[str, Any]:
    """The classify contract: id, language {code, confidence}, and topics [{id, score, evidence,
    matches [{term, field, start, end}]}], as the articles topic carries them."""
    return {
        "id": item_id,
        "language": {
            "code": article.language.code,
            "confidence": round(article.language.confidence, 4),
        },
        "topics": [
            {
                "id": tag.id,
                "score": round(tag.score, 4),
                "evidence": list(tag.evidence),
                "matches": [
                    {"term": m.term, "field": m.field, "start": m.start, "end": m.end}
                    for m in tag.matches
                ],
            }
            for tag in article.topics
        ],
    }


def classify_lines(
    lines: Iterable[tuple[str, int, str]], enricher: Enricher, now: datetime, errors: TextIO
) -> Iterator[bytes]:
    """Classify JSON Lines; report each bad line on `errors` (file:line: reason) and go on."""
    for name, number, line in lines:
        if not line.strip():
            continue
        try:
            data = orjson.loads(line.encode("utf-8", "surrogateescape"))
            item = item_from_json(data, now)
            article = enrich(item, enricher, now)
        except (orjson.JSONDecodeError, DecodeError, ContentError) as exc:
            print(f"{name}:{number}: skipped: {exc}", file=errors)
            continue
        yield orjson.dumps(classification_of(article, item.item_id))


def _read_feed(target: str, settings: Settings) -> tuple[bytes, str, str | None]:
    if "://" not in target:
        path = Path(target)
        try:
            return path.read_bytes(), path.resolve().as_uri(), None
        except OSError as exc:
            raise FeedError(f"{target}: cannot read ({exc.strerror})") from None

    async def fetch() -> tuple[bytes, str, str | None]:
        # The same fetcher and address policy as the poller: classify is not a way around them.
        async with Fetcher(fetch_config(settings)) as fetcher:
            response = await fetcher.fetch(target)
        if response.body is None:
            raise FeedError(f"{target}: HTTP {response.status}")
        return response.body, response.url, response.content_type

    return asyncio.run(fetch())


def classify_feeds(
    targets: Sequence[str], enricher: Enricher, now: datetime, settings: Settings, errors: TextIO
) -> Iterator[bytes]:
    """Classify each feed's entries; a feed that fails is reported on `errors`, others go on."""
    for target in targets:
        try:
            body, url, content_type = _read_feed(target, settings)
            parsed = parse_feed(body, FeedSource.from_url(url), now, content_type)
        except FeedError as exc:
            print(f"{target}: skipped: {exc}", file=errors)
            continue
        for item in parsed.items:
            try:
                article = enrich(item, enricher, now)
            except ContentError as exc:
                # One entry with nothing to classify (an empty title and summary) must not hide
                # the rest of the feed: it is reported and the next entry is classified.
                print(f"{target}: entry {item.link or item.item_id}: skipped: {exc}", file=errors)
                continue
            result = classification_of(article, item.item_id)
            result["title"], result["link"] = item.title, item.link
            yield orjson.dumps(result)
