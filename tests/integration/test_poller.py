"""The poller against real HTTP servers and the real broker: registry, validators, failures,
updates, restarts, two pollers sharing the feeds, an oversized entry that neither blocks its feed
nor repeats the others, and a long feed delivered in capped batches."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from conftest import FIXTURES, ROOT, free_port
from feed_site import FeedSite, Route, rss, serve_site
from kafka_io import consume

from streams.feeds.polling import MAX_ENTRY_BYTES, TRUNCATION_MARKER
from streams.settings import Settings, load_settings

pytestmark = pytest.mark.integration

WAIT_SECONDS = 90.0
METRICS_TIMEOUT_SECONDS = 10.0
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><title>&b;</title><item><title>&b;</title></item></channel></rss>
"""


@pytest.fixture
def site() -> Iterator[FeedSite]:
    with serve_site() as served:
        yield served


@pytest.fixture
def poller_env(wirewatch_env: dict[str, str]) -> dict[str, str]:
    """Poll every second or so, so a test sees several rounds quickly."""
    return dict(
        wirewatch_env,
        WIREWATCH_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_MAX_POLL_INTERVAL_SECONDS="1",
    )


def cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def feed_rows(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in cli(["feeds", "list", "--json"], env).splitlines()]
    return {row["url"]: row for row in rows}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def raw_items(settings: Settings, count: int, settle: float = 3.0) -> list[dict[str, Any]]:
    records = asyncio.run(
        consume(settings.broker, settings.topic("raw-items"), lambda r: len(r) >= count,
                WAIT_SECONDS, settle_seconds=settle)
    )  # fmt: skip
    return [orjson.loads(r.value or b"") for r in records]


def scrape(env: dict[str, str]) -> dict[str, float]:
    """The poller's metrics page as {series: value}."""
    url = f"http://127.0.0.1:{env['WIREWATCH_POLLER_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=METRICS_TIMEOUT_SECONDS) as response:
        text = response.read().decode()
    series = (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    return {name: float(value) for name, value in series}


def error_lines(output: str) -> list[str]:
    """The poller's own ERROR lines and any traceback. aiokafka logs a coordinator lookup that
    the test broker's fresh group coordinator cannot answer yet at ERROR, then retries."""
    return [
        line for line in output.splitlines() if "[ERROR] streams." in line or "Traceback" in line
    ]


def test_validators_updates_and_restart_without_re_emission(
    site: FeedSite, poller_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    settings = load_settings(environ=poller_env)
    site.routes["/news.xml"] = Route(rss("News", [("a", "First story"), ("b", "Second story")]))
    cli(["feeds", "add", site.url("/news.xml"), "--name", "News"], poller_env)
    first = spawn(["poll"], poller_env)
    items = raw_items(settings, 2)
    assert sorted(i["guid"] for i in items) == ["a", "b"], first.output()
    # Conditional GET: later requests carry the validator and get 304, costing no parsing.
    wait_for(lambda: any("if-none-match" in h for h in site.hits("/news.xml")), "a 304 round")

    site.routes["/news.xml"].body = rss(
        "News", [("a", "First story, corrected"), ("b", "Second story")]
    )
    items = raw_items(settings, 3)
    updates = [i for i in items if i["is_update"]]
    assert [(u["guid"], u["title"]) for u in updates] == [("a", "First story, corrected")]
    assert first.stop() == 0

    before = len(site.hits("/news.xml"))
    second = spawn(["poll"], poller_env)
    wait_for(lambda: len(site.hits("/news.xml")) >= before + 2, "two polls by the new poller")
    # The validators came back from Kafka: the restarted poller's first request is conditional.
    assert "if-none-match" in site.hits("/news.xml")[before], second.output()
    assert len(raw_items(settings, 3, settle=2.0)) == 3
    row = feed_rows(poller_env)[site.url("/news.xml")]
    assert row["health"] == "ok" and row["items_seen"] == 3


def test_failures_back_off_recover_redirects_gone_and_unsafe_addresses(
    site: FeedSite, poller_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    settings = load_settings(environ=poller_env)
    site.routes["/flaky.xml"] = Route(rss("Flaky", [("f1", "Flaky story")]), failures=[503, 503])
    site.routes["/moved.xml"] = Route(status=301, headers={"Location": "/new-home.xml"})
    site.routes["/new-home.xml"] = Route(rss("Moved", [("m1", "Moved story")]))
    site.routes["/temp.xml"] = Route(status=302, headers={"Location": "/elsewhere.xml"})
    site.routes["/elsewhere.xml"] = Route(rss("Temp", [("t1", "Temp story")]))
    site.routes["/gone.xml"] = Route(status=410)
    site.routes["/bomb.xml"] = Route(BOMB)
    # 10.0.0.1 is never contacted: the address is refused before any connection.
    site.routes["/sneaky.xml"] = Route(status=302, headers={"Location": "http://10.0.0.1/feed"})
    paths = ["/flaky.xml", "/moved.xml", "/temp.xml", "/gone.xml", "/bomb.xml", "/sneaky.xml"]
    for path in paths:
        cli(["feeds", "add", site.url(path)], poller_env)
    poller = spawn(["poll"], poller_env)

    items = raw_items(settings, 3)
    assert sorted(i["guid"] for i in items) == ["f1", "m1", "t1"], poller.output()
    wait_for(lambda: len(site.hits("/temp.xml")) >= 2, "a second poll of the temporary redirect")
    rows = feed_rows(poller_env)
    flaky = rows[site.url("/flaky.xml")]
    assert flaky["health"] == "ok" and flaky["consecutive_failures"] == 0
    assert "503" in (flaky["last_error"] or "")  # the error stays on record after recovery
    assert rows[site.url("/moved.xml")]["current_url"] == site.url("/new-home.xml")
    assert rows[site.url("/temp.xml")]["current_url"] == site.url("/temp.xml")
    gone = rows[site.url("/gone.xml")]
    assert gone["health"] == "disabled" and "410" in gone["disabled_reason"]
    assert rows[site.url("/bomb.xml")]["health"] in ("backoff", "failing")
    assert "ENTITY" in rows[site.url("/bomb.xml")]["last_error"]
    sneaky = rows[site.url("/sneaky.xml")]
    assert sneaky["health"] in ("backoff", "failing") and "10.0.0.1" in sneaky["last_error"]
    # A permanent redirect is remembered: later polls go straight to the new address.
    moved_hits = len(site.hits("/moved.xml"))
    wait_for(lambda: len(site.hits("/new-home.xml")) >= 3, "polls of the new address")
    assert len(site.hits("/moved.xml")) == moved_hits
    assert len(site.hits("/gone.xml")) == 1
    letters = asyncio.run(
        consume(settings.broker, settings.topic("dead-letters"), lambda r: len(r) >= 1, 30.0)
    )
    dead = [orjson.loads(r.value or b"") for r in letters]
    assert any(d["extra"].get("feed_url") == site.url("/bomb.xml") for d in dead)


def test_feeds_added_at_run_time_are_shared_by_two_pollers_and_survive_one_leaving(
    site: FeedSite, poller_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    env = dict(poller_env, WIREWATCH_PARTITIONS="4")
    settings = load_settings(environ=env)
    paths = [f"/feed-{n}.xml" for n in range(6)]
    for path in paths:
        site.routes[path] = Route(rss(path, [(f"{path}#1", f"Story one of {path}")]))
    first = spawn(["poll"], env)
    second = spawn(["poll"], dict(env, WIREWATCH_POLLER_METRICS_PORT=str(free_port())))
    # Both pollers have joined the group and split the registry's partitions.
    wait_for(
        lambda: "took" in first.log_path.read_text() and "took" in second.log_path.read_text(),
        "both pollers to take partitions",
    )
    for path in paths:
        cli(["feeds", "add", site.url(path)], env)
    items = raw_items(settings, len(paths))
    assert Counter(i["guid"] for i in items) == Counter(f"{p}#1" for p in paths), (
        first.output() + second.output()
    )
    # Each poller took a share of the registry partitions.
    assert "took" in first.log_path.read_text() and "took" in second.log_path.read_text()

    cli(["feeds", "remove", site.url(paths[0])], env)
    assert first.stop() == 0
    for path in paths:
        site.routes[path].body = rss(path, [(f"{path}#1", f"Story one of {path}"),
                                            (f"{path}#2", f"Story two of {path}")])  # fmt: skip
    items = raw_items(settings, len(paths) + len(paths) - 1)
    guids = Counter(i["guid"] for i in items)
    assert all(count == 1 for count in guids.values()), guids
    assert f"{paths[0]}#2" not in guids
    assert {f"{p}#2" for p in paths[1:]} <= set(guids), second.output()


def test_feed_lists_import_into_the_registry_and_export_back(
    poller_env: dict[str, str], tmp_path: Any
) -> None:
    from streams.feeds.feedlist import read_feed_list

    source = FIXTURES / "feedlists" / "nested_folders.opml"
    imported = read_feed_list(source)
    cli(["feeds", "import", str(source)], poller_env)
    cli(["feeds", "import", str(FIXTURES / "feedlists" / "feeds.toml")], poller_env)
    rows = feed_rows(poller_env)
    assert {feed.url for feed in imported} <= set(rows)
    assert all(rows[feed.url]["health"] == "new" for feed in imported)

    for form, suffix in (("opml", ".opml"), ("toml", ".toml"), ("yaml", ".yaml")):
        exported = tmp_path / f"export{suffix}"
        exported.write_text(cli(["feeds", "export", "--format", form], poller_env))
        assert {feed.url for feed in read_feed_list(exported)} == set(rows)

    first = imported[0]
    cli(["feeds", "remove", first.url], poller_env)
    assert first.url not in feed_rows(poller_env)
    bad = tmp_path / "bad.opml"
    bad.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="x"/></body></opml>'
    )
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "feeds", "import", str(bad)],
        env=poller_env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "bad.opml" in done.stderr and "Traceback" not in done.stderr


def rss_with_summaries(entries: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 document with (guid, title, summary) entries."""
    items = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        f"<description>{summary}</description></item>"
        for guid, title, summary in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>'
        f"<link>https://site.example/</link>{items}</channel></rss>"
    ).encode()


def test_an_oversized_entry_is_cut_or_dead_lettered_and_its_feed_flows_once(
    site: FeedSite, poller_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    settings = load_settings(environ=poller_env)
    huge_summary = "Flood waters rose again overnight. " * 60_000  # 2.1 MB, over Kafka's 1 MB
    huge_guid = "g" * 300_000  # no cut can bring this entry under the budget
    body = rss_with_summaries([
        ("good-1", "Bridge reopens", "Traffic flows again."),
        ("big-1", "Flood report", huge_summary),
        ("good-2", "Port strike ends", "Dockers return to work."),
        (huge_guid, "Unsendable", "Its guid alone is too large."),
        ("good-3", "Vote count starts", "Polls closed at eight."),
    ])  # fmt: skip
    # No ETag: every poll gets the whole document and parses it again, so a re-send would show.
    site.routes["/big.xml"] = Route(body, use_etag=False)
    cli(["feeds", "add", site.url("/big.xml"), "--name", "Big"], poller_env)
    poller = spawn(["poll"], poller_env)

    wait_for(lambda: len(site.hits("/big.xml")) >= 4, "four polls of the feed")
    items = raw_items(settings, 4)
    by_guid = Counter(i["guid"] for i in items)
    assert by_guid == Counter(["good-1", "big-1", "good-2", "good-3"]), poller.output()
    big = next(i for i in items if i["guid"] == "big-1")
    assert big["summary"].endswith(TRUNCATION_MARKER) and big["title"] == "Flood report"
    assert len(orjson.dumps(big)) <= MAX_ENTRY_BYTES

    letters = asyncio.run(
        consume(settings.broker, settings.topic("dead-letters"), lambda r: len(r) >= 1,
                WAIT_SECONDS, settle_seconds=2.0)
    )  # fmt: skip
    dead = [orjson.loads(r.value or b"") for r in letters]
    assert len(dead) == 1, dead  # once, not once per poll
    assert dead[0]["stage"] == "poll" and "budget" in dead[0]["reason"]
    assert dead[0]["extra"]["feed_url"] == site.url("/big.xml")

    row = feed_rows(poller_env)[site.url("/big.xml")]
    assert row["health"] == "ok" and row["consecutive_failures"] == 0, row
    metrics = scrape(poller_env)
    assert metrics["wirewatch_feed_items_truncated_total"] == 1
    assert metrics['wirewatch_items_processed_total{outcome="dead_letter",stage="poll"}'] == 1
    assert metrics['wirewatch_items_processed_total{outcome="ok",stage="poll"}'] == 4
    assert error_lines(poller.output()) == []


def test_a_feed_longer_than_the_cap_is_delivered_whole_over_successive_polls(
    site: FeedSite, poller_env: dict[str, str], spawn: Callable[..., Any]
) -> None:
    env = dict(poller_env, WIREWATCH_MAX_ENTRIES_PER_POLL="300")
    settings = load_settings(environ=env)
    guids = [f"long-{n}" for n in range(2000)]
    # With an ETag: polls that drain a backlog must not be conditional, or a 304 would stop them.
    site.routes["/long.xml"] = Route(rss("Long", [(g, f"Story {g}") for g in guids]))
    cli(["feeds", "add", site.url("/long.xml")], env)
    poller = spawn(["poll"], env)

    items = raw_items(settings, len(guids))
    assert Counter(i["guid"] for i in items) == Counter(guids), poller.output()
    polls = len(site.hits("/long.xml"))
    assert polls >= 7  # 2,000 entries at 300 a poll
    metrics = scrape(env)
    assert metrics['wirewatch_feed_items_held_back_total{reason="cap"}'] > 0
    assert metrics['wirewatch_feed_items_held_back_total{reason="kafka"}'] == 0
    assert metrics['wirewatch_feed_items_emitted_total{kind="new"}'] == len(guids)
    assert error_lines(poller.output()) == []
