"""Fetch a feed document over HTTP(S), or from a local file when that is enabled.

feedparser has no network timeout, so wirewatch fetches with httpx and hands feedparser the bytes.
The body is read in chunks and cut off at a size cap, so a huge or endless response cannot
exhaust memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from streams.errors import FeedError


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # the URL finally fetched, after redirects
    status: int
    body: bytes
    content_type: str | None


def build_http_client(user_agent: str, timeout_seconds: float) -> httpx.AsyncClient:
    """An HTTP client with wirewatch's User-Agent, timeouts and redirect limit."""
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 10.0)),
        follow_redirects=True,
        max_redirects=5,
    )


async def fetch_feed(
    client: httpx.AsyncClient, url: str, max_bytes: int, allow_file: bool = False
) -> FetchResult:
    """GET `url` and return its body; raises FeedError for bad schemes, HTTP errors and caps."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        if not allow_file:
            raise FeedError(f"{url}: file:// feeds are disabled; set allow_file_urls = true")
        return _read_file(url, max_bytes)
    if scheme not in ("http", "https"):
        raise FeedError(f"{url}: only http, https and file URLs are fetched, not {scheme!r}")
    try:
        async with client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FeedError(f"{url}: HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"{url}: body larger than {max_bytes} bytes")
                chunks.append(chunk)
            return FetchResult(
                str(response.url),
                response.status_code,
                b"".join(chunks),
                response.headers.get("content-type"),
            )
    except httpx.HTTPError as exc:
        raise FeedError(f"{url}: {type(exc).__name__}: {exc}") from None


def _read_file(url: str, max_bytes: int) -> FetchResult:
    path = Path(unquote(urlsplit(url).path))
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(f"{url}: cannot read ({exc.strerror})") from None
    if len(body) > max_bytes:
        raise FeedError(f"{url}: file larger than {max_bytes} bytes")
    return FetchResult(url, 200, body, None)
