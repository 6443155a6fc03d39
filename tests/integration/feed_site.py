"""A programmable feed web site on loopback for poller tests: each path answers what a test says."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from xml.sax.saxutils import escape


def rss(title: str, entries: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 document with (guid, title) entries."""
    items = "".join(
        f'<item><guid isPermaLink="false">{escape(guid)}</guid><title>{escape(text)}</title>'
        f"<description>{escape(text)}.</description></item>"
        for guid, text in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://site.example/</link>{items}</channel></rss>"
    ).encode()


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Statuses to answer first, one per request, before the normal answer (e.g. [503, 503]).
    failures: list[int] = field(default_factory=list)
    use_etag: bool = True


@dataclass
class FeedSite:
    port: int = 0
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [headers for p, headers in self.requests if p == path]


def _handler(site: FeedSite) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with site.lock:
                site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = site.routes.get(self.path)
                failure = route.failures.pop(0) if route and route.failures else None
            if route is None:
                self.send_error(404)
                return
            if failure is not None:
                self.send_response(failure)
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = f'"{hashlib.sha256(route.body).hexdigest()[:16]}"'
            if route.status == 200 and route.use_etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.status == 200 and route.use_etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

    return Handler


@contextmanager
def serve_site() -> Iterator[FeedSite]:
    """A FeedSite served on 127.0.0.1 until the block ends."""
    site = FeedSite()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
