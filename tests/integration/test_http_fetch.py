"""The feed fetcher against real HTTP servers on loopback: validators, decoding, caps, redirects."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import gzip
import ipaddress
import socket
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpcore
import pytest
from aiohttp import web

from streams.errors import SettingsError
from streams.feeds.http import (
    ACCEPT_ENCODING,
    FetchConfig,
    Fetcher,
    FetchError,
    FetchErrorKind,
    FetchResponse,
    GuardedNetworkBackend,
    Validators,
)
from streams.feeds.netguard import AddressPolicy, UnsafeAddressError

pytestmark = pytest.mark.integration

FETCH_TIMEOUT_SECONDS = 10  # bound on every awaited fetch in these tests
SERVER_SHUTDOWN_SECONDS = 2
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
NO_VALIDATORS = Validators()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Server:
    """A real aiohttp server; tests put handlers into `routes` and read what it saw."""

    host: str
    port: int = 0
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[web.Request] = field(default_factory=list)
    active: int = 0
    peak_active: int = 0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        self.active += 1
        self.peak_active = max(self.peak_active, self.active)
        try:
            handler = self.routes.get(request.path)
            if handler is None:
                return web.Response(status=404, text="no such route in this test")
            return await handler(request)
        finally:
            self.active -= 1


async def start_server(host: str) -> tuple[Server, web.AppRunner]:
    server = Server(host)
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.dispatch)
    runner = web.AppRunner(app, shutdown_timeout=SERVER_SHUTDOWN_SECONDS, handler_cancellation=True)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    server.port = int(sock.getsockname()[1])
    await web.SockSite(runner, sock).start()
    return server, runner


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    """A real HTTP server on 127.0.0.1 and a free port."""
    started, runner = await start_server("127.0.0.1")
    yield started
    await runner.cleanup()


@pytest.fixture
async def other_loopback_server() -> AsyncIterator[Server]:
    """A server on 127.0.0.2: loopback on Linux, answers, but is outside a 127.0.0.1/32 policy."""
    started, runner = await start_server("127.0.0.2")
    yield started
    await runner.cleanup()


LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@pytest.fixture(autouse=True)
def no_traffic_off_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Tripwire: a connect to anything but a 127/8 address fails the test and sends nothing.

    The guarded backend hands httpcore's socket layer checked IP addresses only, so a hostname or
    a non-loopback address arriving here means the guard was bypassed (e.g. by an httpx upgrade).
    """
    attempts: list[str] = []
    connect = httpcore.AnyIOBackend.connect_tcp

    async def connect_loopback_only(
        self: httpcore.AnyIOBackend, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        try:
            is_loopback = ipaddress.ip_address(host) in LOOPBACK
        except ValueError:
            is_loopback = False
        if not is_loopback:
            attempts.append(f"{host}:{port}")
            raise httpcore.ConnectError(f"tripwire: test tried to connect to {host}:{port}")
        return await connect(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", connect_loopback_only)
    yield attempts
    assert attempts == [], f"connections attempted off loopback: {attempts}"


# Only 127.0.0.1 is allowed; short timeouts so that failures show quickly.
BASE_CONFIG = FetchConfig(
    user_agent="wirewatch-test/1.0",
    connect_timeout=2.0,
    read_timeout=5.0,
    total_timeout=8.0,
    policy=AddressPolicy.from_strings(["127.0.0.1/32"]),
)


def make_config(**changes: Any) -> FetchConfig:
    return dataclasses.replace(BASE_CONFIG, **changes)


async def fetch(
    config: FetchConfig,
    url: str,
    validators: Validators = NO_VALIDATORS,
) -> FetchResponse:
    async with Fetcher(config) as fetcher:
        return await asyncio.wait_for(fetcher.fetch(url, validators), FETCH_TIMEOUT_SECONDS)


async def fetch_error(config: FetchConfig, url: str) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetch(config, url)
    return caught.value


def redirect(status: int, location: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location})

    return handler


def serve(body: bytes = FEED, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=headers)

    return handler


def gzip_zeros(total_bytes: int) -> bytes:
    """gzip of `total_bytes` zero bytes, compressed piecewise so the test itself stays small."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(total_bytes // len(block))]
    parts.append(compressor.flush())
    return b"".join(parts)


# --- conditional requests ------------------------------------------------------------------------


async def test_validators_from_200_are_sent_back_and_answered_with_304(server: Server) -> None:
    async def conditional(request: web.Request) -> web.StreamResponse:
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        return web.Response(
            body=FEED,
            content_type="application/rss+xml",
            headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED},
        )

    server.routes["/feed"] = conditional
    config = make_config()
    first = await fetch(config, server.url("/feed"))
    assert (first.status, first.body) == (200, FEED)
    assert first.validators == Validators(ETAG, LAST_MODIFIED)
    assert first.content_type is not None and first.content_type.startswith("application/rss+xml")

    second = await fetch(config, server.url("/feed"), first.validators)
    assert (second.status, second.body) == (304, None)
    assert second.validators == Validators(ETAG, LAST_MODIFIED)
    sent = server.requests[-1].headers
    assert sent["If-None-Match"] == ETAG
    assert sent["If-Modified-Since"] == LAST_MODIFIED
    assert sent["User-Agent"] == "wirewatch-test/1.0"
    assert "application/rss+xml" in sent["Accept"]
    assert "If-None-Match" not in server.requests[0].headers


async def test_first_request_sends_accept_encoding_with_gzip_and_deflate(server: Server) -> None:
    server.routes["/feed"] = serve()
    await fetch(make_config(), server.url("/feed"))
    offered = server.requests[0].headers["Accept-Encoding"]
    assert offered == ACCEPT_ENCODING
    assert {"gzip", "deflate"} <= {c.strip() for c in offered.split(",")}


# --- content decoding and size caps --------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # RFC 9110 "deflate": the zlib format
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, seen in use
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
async def test_compressed_body_is_decoded(
    server: Server, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = FEED * 200
    wire = encode(body)
    server.routes["/feed"] = serve(wire, headers={"Content-Encoding": encoding})
    response = await fetch(make_config(), server.url("/feed"))
    assert response.body == body
    assert response.wire_bytes == len(wire) < len(body)


async def test_brotli_body_is_decoded_when_brotli_is_installed(server: Server) -> None:
    brotli = pytest.importorskip("brotli")
    assert "br" in ACCEPT_ENCODING
    body = FEED * 200
    server.routes["/feed"] = serve(brotli.compress(body), headers={"Content-Encoding": "br"})
    response = await fetch(make_config(), server.url("/feed"))
    assert response.body == body


async def test_gzip_bomb_is_refused_at_the_cap_quickly_and_in_little_memory(
    server: Server,
) -> None:
    bomb = gzip_zeros(50 * 1024 * 1024)
    assert len(bomb) < 100 * 1024  # 50 MB of zeros in ~50 KB on the wire
    server.routes["/bomb"] = serve(bomb, headers={"Content-Encoding": "gzip"})
    cap = 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    try:
        error = await fetch_error(make_config(max_body_bytes=cap), server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind is FetchErrorKind.TOO_LARGE
    assert time.monotonic() - started < 5
    # A decoder that inflates a whole network chunk at once would hold ~64 MB here.
    assert peak < 8 * cap, f"peak traced memory {peak} bytes"


async def test_content_length_over_the_cap_is_refused_without_reading_the_body(
    server: Server,
) -> None:
    async def announce_huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.content_length = 500 * 1024 * 1024
        await response.prepare(request)
        await response.write(b"<rss>")
        await asyncio.sleep(FETCH_TIMEOUT_SECONDS)  # never finishes: only the header can refuse
        return response

    server.routes["/huge"] = announce_huge
    started = time.monotonic()
    error = await fetch_error(make_config(max_body_bytes=1024 * 1024), server.url("/huge"))
    assert error.kind is FetchErrorKind.TOO_LARGE
    assert "Content-Length" in str(error) and server.url("/huge") in str(error)
    assert time.monotonic() - started < 3


async def test_streamed_body_over_the_cap_is_refused(server: Server) -> None:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to refuse early
        await response.prepare(request)
        for _ in range(100):
            await response.write(bytes(64 * 1024))
        return response

    server.routes["/endless"] = endless
    error = await fetch_error(make_config(max_body_bytes=256 * 1024), server.url("/endless"))
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_body_exactly_at_the_cap_is_accepted(server: Server) -> None:
    body = b"x" * 4096
    server.routes["/feed"] = serve(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    response = await fetch(make_config(max_body_bytes=4096), server.url("/feed"))
    assert response.body == body


async def test_unknown_content_encoding_is_a_network_error(server: Server) -> None:
    server.routes["/feed"] = serve(b"????", headers={"Content-Encoding": "compress"})
    error = await fetch_error(make_config(), server.url("/feed"))
    assert error.kind is FetchErrorKind.NETWORK
    assert "compress" in str(error)


# --- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
async def test_permanent_redirect_sets_permanent_url(server: Server, status: int) -> None:
    server.routes["/old/feed"] = redirect(status, "../new/feed")  # relative: resolved by us
    server.routes["/new/feed"] = serve()
    response = await fetch(make_config(), server.url("/old/feed"))
    assert response.status == 200 and response.body == FEED
    assert response.url == server.url("/new/feed")
    assert response.permanent_url == server.url("/new/feed")


@pytest.mark.parametrize("status", [302, 303, 307])
async def test_temporary_redirect_is_followed_but_not_stored(server: Server, status: int) -> None:
    server.routes["/feed"] = redirect(status, "/elsewhere")
    server.routes["/elsewhere"] = serve()
    response = await fetch(make_config(), server.url("/feed"))
    assert response.body == FEED and response.url == server.url("/elsewhere")
    assert response.permanent_url is None


async def test_permanent_then_temporary_redirect_is_not_stored(server: Server) -> None:
    server.routes["/a"] = redirect(301, "/b")
    server.routes["/b"] = redirect(302, "/c")
    server.routes["/c"] = serve()
    response = await fetch(make_config(), server.url("/a"))
    assert response.url == server.url("/c")
    assert response.permanent_url is None


async def test_redirect_loop_is_a_redirect_error(server: Server) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = redirect(302, "/a")
    error = await fetch_error(make_config(), server.url("/a"))
    assert error.kind is FetchErrorKind.REDIRECT
    assert "loop" in str(error)
    assert len(server.requests) == 2


async def test_six_redirects_exceed_the_limit_of_five(server: Server) -> None:
    for hop in range(6):
        server.routes[f"/{hop}"] = redirect(301, f"/{hop + 1}")
    server.routes["/6"] = serve()
    error = await fetch_error(make_config(max_redirects=5), server.url("/0"))
    assert error.kind is FetchErrorKind.REDIRECT
    assert "more than 5 redirects" in str(error)
    assert len(server.requests) == 6  # the seventh URL is never requested


async def test_five_redirects_are_within_the_limit(server: Server) -> None:
    for hop in range(5):
        server.routes[f"/{hop}"] = redirect(301, f"/{hop + 1}")
    server.routes["/5"] = serve()
    response = await fetch(make_config(max_redirects=5), server.url("/0"))
    assert response.body == FEED and response.permanent_url == server.url("/5")


async def test_redirect_to_another_loopback_address_is_refused_before_connecting(
    server: Server, other_loopback_server: Server
) -> None:
    other_loopback_server.routes["/secret"] = serve(b"internal")
    server.routes["/feed"] = redirect(302, other_loopback_server.url("/secret"))
    error = await fetch_error(make_config(), server.url("/feed"))
    assert error.kind is FetchErrorKind.UNSAFE_ADDRESS
    assert "127.0.0.2" in str(error) and server.url("/feed") in str(error)
    assert other_loopback_server.requests == []


@pytest.mark.parametrize(
    "target",
    [
        "http://10.0.0.1/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:10.0.0.1]/",
        "http://100.100.100.200/",  # CGNAT range, Alibaba Cloud's metadata address
    ],
)
async def test_redirect_to_internal_network_is_refused(server: Server, target: str) -> None:
    # The refusal happens on the literal address before any socket is opened, so no packet
    # leaves the machine even if such a network were reachable from here.
    server.routes["/feed"] = redirect(301, target)
    error = await fetch_error(make_config(), server.url("/feed"))
    assert error.kind is FetchErrorKind.UNSAFE_ADDRESS


async def test_loopback_feed_is_refused_when_the_policy_allows_nothing(server: Server) -> None:
    server.routes["/feed"] = serve()
    error = await fetch_error(make_config(policy=AddressPolicy()), server.url("/feed"))
    assert error.kind is FetchErrorKind.UNSAFE_ADDRESS
    assert server.requests == []


async def test_hostname_resolving_to_loopback_is_refused(server: Server) -> None:
    server.routes["/feed"] = serve()
    url = f"http://localhost:{server.port}/feed"
    error = await fetch_error(make_config(policy=AddressPolicy()), url)
    assert error.kind is FetchErrorKind.UNSAFE_ADDRESS
    assert "localhost" in str(error)
    assert server.requests == []


async def test_redirect_to_a_file_url_is_refused_even_when_files_are_allowed(
    server: Server, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("do not leak")
    server.routes["/feed"] = redirect(302, secret.as_uri())
    error = await fetch_error(make_config(allow_file=True), server.url("/feed"))
    assert error.kind is FetchErrorKind.SCHEME


async def test_connect_time_guard_refuses_an_address_the_policy_does_not_allow() -> None:
    # The second line of defence against DNS rebinding: whatever the name resolved to before,
    # the connection itself only goes to an address checked at connect time.
    connections = 0

    def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    listener = await asyncio.start_server(count, "127.0.0.1", 0)
    port = int(listener.sockets[0].getsockname()[1])
    try:
        guarded = GuardedNetworkBackend(AddressPolicy())
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(UnsafeAddressError):
                await asyncio.wait_for(guarded.connect_tcp(host, port), FETCH_TIMEOUT_SECONDS)
        allowed = GuardedNetworkBackend(AddressPolicy.from_strings(["127.0.0.1/32"]))
        stream = await asyncio.wait_for(allowed.connect_tcp("127.0.0.1", port), 5)
        await stream.aclose()
        await asyncio.sleep(0.05)
    finally:
        listener.close()
        await listener.wait_closed()
    assert connections == 1


async def test_dns_rebinding_between_check_and_connect_is_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A hostile DNS server answers the first lookup with an allowed address and later ones with
    # an internal address. The name is fake (.test is reserved), so no query leaves the machine.
    server.routes["/feed"] = serve()
    loop = asyncio.get_running_loop()
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    lookups: list[str] = []

    async def rebinding_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        assert host == "feeds.rebind.test", host
        address = next(answers)
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding_getaddrinfo)
    error = await fetch_error(make_config(), f"http://feeds.rebind.test:{server.port}/feed")
    assert error.kind is FetchErrorKind.UNSAFE_ADDRESS
    assert "127.0.0.2" in str(error)
    assert lookups == ["127.0.0.1", "127.0.0.2"]  # checked before the request, then at connect
    assert server.requests == []


# --- statuses the poller acts on -----------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_in_seconds_is_parsed(server: Server, status: int) -> None:
    server.routes["/feed"] = serve(b"slow down", status=status, headers={"Retry-After": "7"})
    response = await fetch(make_config(), server.url("/feed"))
    assert response.status == status and response.body is None
    assert response.retry_after_seconds == 7


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_as_http_date_is_measured_from_the_server_date(
    server: Server, status: int
) -> None:
    server_now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # far from our clock on purpose
    later = server_now + timedelta(seconds=120)

    async def busy(request: web.Request) -> web.StreamResponse:
        response = web.Response(status=status, text="busy")
        response.headers["Date"] = email.utils.format_datetime(server_now, usegmt=True)
        response.headers["Retry-After"] = email.utils.format_datetime(later, usegmt=True)
        return response

    server.routes["/feed"] = busy
    response = await fetch(make_config(), server.url("/feed"))
    assert response.retry_after_seconds == 120


async def test_retry_after_is_ignored_on_success(server: Server) -> None:
    server.routes["/feed"] = serve(headers={"Retry-After": "7"})
    response = await fetch(make_config(), server.url("/feed"))
    assert response.retry_after_seconds is None


@pytest.mark.parametrize(
    ("cache_control", "expected"),
    [("public, max-age=600", 600.0), ('max-age="90"', 90.0), ("no-cache, max-age=600", None)],
)
async def test_cache_control_max_age_is_parsed(
    server: Server, cache_control: str, expected: float | None
) -> None:
    server.routes["/feed"] = serve(headers={"Cache-Control": cache_control})
    response = await fetch(make_config(), server.url("/feed"))
    assert response.max_age_seconds == expected


@pytest.mark.parametrize("status", [404, 410, 500])
async def test_error_status_is_returned_without_body(server: Server, status: int) -> None:
    server.routes["/feed"] = serve(b"gone", status=status)
    response = await fetch(make_config(), server.url("/feed"))
    assert (response.status, response.body) == (status, None)


# --- concurrency and timeouts --------------------------------------------------------------------


def slow(seconds: float) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.Response(body=FEED)

    return handler


async def test_per_host_limit_holds_under_ten_concurrent_fetches(server: Server) -> None:
    server.routes["/feed"] = slow(0.1)
    async with Fetcher(make_config(max_per_host=2)) as fetcher:
        results = await asyncio.wait_for(
            asyncio.gather(*(fetcher.fetch(server.url(f"/feed?n={n}")) for n in range(10))),
            FETCH_TIMEOUT_SECONDS,
        )
    assert [r.status for r in results] == [200] * 10
    assert len(server.requests) == 10
    assert server.peak_active == 2


async def test_overall_limit_holds_across_hosts(
    server: Server, other_loopback_server: Server
) -> None:
    for each in (server, other_loopback_server):
        each.routes["/feed"] = slow(0.1)
    policy = AddressPolicy.from_strings(["127.0.0.1/32", "127.0.0.2/32"])
    urls = [s.url(f"/feed?n={n}") for n in range(6) for s in (server, other_loopback_server)]
    async with Fetcher(make_config(policy=policy, max_concurrency=3, max_per_host=3)) as fetcher:
        peak = 0

        async def watch() -> None:
            nonlocal peak
            while True:
                peak = max(peak, server.active + other_loopback_server.active)
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.wait_for(
                asyncio.gather(*(fetcher.fetch(u) for u in urls)), FETCH_TIMEOUT_SECONDS
            )
        finally:
            watcher.cancel()
    assert len(server.requests) + len(other_loopback_server.requests) == 12
    assert peak == 3


async def test_total_timeout_fires_on_a_server_that_trickles_bytes(server: Server) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(100):  # one byte every 0.1 s: the read timeout alone never fires
            await response.write(b" ")
            await asyncio.sleep(0.1)
        return response

    server.routes["/feed"] = trickle
    started = time.monotonic()
    error = await fetch_error(make_config(read_timeout=5.0, total_timeout=1.0), server.url("/feed"))
    assert error.kind is FetchErrorKind.TIMEOUT
    assert 0.9 < time.monotonic() - started < 3


async def test_read_timeout_fires_on_a_silent_server(server: Server) -> None:
    server.routes["/feed"] = slow(5)
    error = await fetch_error(make_config(read_timeout=0.5), server.url("/feed"))
    assert error.kind is FetchErrorKind.TIMEOUT


async def test_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        error = await fetch_error(make_config(), f"http://127.0.0.1:{port}/feed")
    assert error.kind is FetchErrorKind.NETWORK


@pytest.mark.parametrize(
    "change",
    [{"max_per_host": 0}, {"max_concurrency": 0}, {"total_timeout": 0}, {"max_redirects": -1}],
)
def test_config_that_would_stall_or_misbehave_is_a_settings_error(change: dict[str, Any]) -> None:
    with pytest.raises(SettingsError, match=next(iter(change))):
        make_config(**change)


# --- schemes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1/", "javascript:alert(1)", "feed.xml"]
)
async def test_non_http_scheme_is_refused(url: str) -> None:
    error = await fetch_error(make_config(), url)
    assert error.kind is FetchErrorKind.SCHEME


async def test_file_url_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    error = await fetch_error(make_config(), path.as_uri())
    assert error.kind is FetchErrorKind.SCHEME
    response = await fetch(make_config(allow_file=True), path.as_uri())
    assert (response.status, response.body) == (200, FEED)


async def test_file_url_over_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * 2048)
    error = await fetch_error(make_config(allow_file=True, max_body_bytes=1024), path.as_uri())
    assert error.kind is FetchErrorKind.TOO_LARGE
