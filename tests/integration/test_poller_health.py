"""A poller's health on a real broker of its own: ready once it reaches the broker, not ready and
quiet while the broker is dead (kill -9), ready again when the broker comes back on the same data.

A poller left against a stopped broker once wrote 25 MB of log in 30 minutes (aiokafka's failed
reconnects, every feed's failure on every poll); its warnings are now rate-limited per kind.

On the way, what an operator sees: the metrics page parses, carries the poller's metrics and no
worker's, its group's lag on the feeds topic (the registration, then 0), wirewatch_poller_ready,
build and process metrics; and every log line is JSON."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from conftest import FeedServer, child_env
from http_probe import get, sample_total, sample_value, wait_until
from metrics_page import assert_own_metrics_only, families, group_lag, json_log_problems

from streams.feeds.poller import poller_group
from streams.feeds.registry import register_missing
from streams.kafka.admin import ensure_topics
from streams.kafka.localbroker import LocalBroker, free_port, start_local_broker
from streams.settings import Settings, load_settings

pytestmark = pytest.mark.integration

READY_TIMEOUT_SECONDS = 120  # poller start: topics, the feed registered, the first probe
BROKER_DOWN_TIMEOUT_SECONDS = 20  # the probe runs every 3 s and gives up after 4 s
OUTAGE_LOG_WINDOW_SECONDS = 20
# aiokafka's consumer, producer and connection errors repeat every ~0.1 s while the broker is
# gone (hundreds of lines in 20 s before the rate limit); at one line per kind per 5 s, plus the
# one-off lines at the start of the outage, 20 s stay near 20 lines.
MAX_OUTAGE_LOG_LINES = 40
# What a healthy poller writes too, at INFO (not rate-limited), once per poll of the feed (every
# second here): httpx's request line and the poll round's line. Counted and printed apart, so
# the bound above is on the lines the outage adds.
PER_POLL_LINES = ("HTTP Request:", "poll round done:")  # in the JSON lines' messages
RECOVER_TIMEOUT_SECONDS = 120
# The group's lag is read every 15 s, the offsets auto-committed every 5 s.
LAG_TIMEOUT_SECONDS = 60
READY = (200, '{"ready": true, "reasons": []}\n')
GAUGE = "wirewatch_broker_connected"
FETCHES = "wirewatch_feed_fetches_total"
EMITTED = "wirewatch_feed_items_emitted_total"
LAST_CONTACT = "wirewatch_broker_last_contact_timestamp_seconds"

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Health feed</title><link>https://site.example/</link>
<item><title>Port systems restored after outage</title><link>https://site.example/1</link>
<guid>health-1</guid><description>Operations resumed.</description></item>
<item><title>Grid operator reports stable supply</title><link>https://site.example/2</link>
<guid>health-2</guid><description>No disruption.</description></item>
</channel></rss>
"""
LATE_ENTRY = b"""<item><title>Ferry services resume</title><link>https://site.example/3</link>
<guid>health-3</guid><description>Back on schedule.</description></item>
"""


def poller_env(broker: LocalBroker, tmp_path: Path, feed_url: str) -> dict[str, str]:
    """Like the `wirewatch_env` fixture, but on this test's own broker, with one feed polled
    every second so the poller keeps working (and failing) through the outage."""
    prefix = f"p{os.getpid()}x{int(time.time())}."
    return child_env(
        broker,
        prefix,
        tmp_path,
        WIREWATCH_POLLER_METRICS_PORT=str(free_port()),
        WIREWATCH_ALLOWED_NETWORKS="127.0.0.1/32",
        WIREWATCH_FEEDS=feed_url,
        WIREWATCH_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_MIN_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_MAX_POLL_INTERVAL_SECONDS="1",
        WIREWATCH_BACKOFF_BASE_SECONDS="1",
        WIREWATCH_BACKOFF_MAX_SECONDS="2",
        WIREWATCH_LOG_FORMAT="json",
    )


async def register_and_find_coordinator(settings: Settings) -> None:
    await ensure_topics(settings)
    await register_missing(settings, settings.feeds, datetime.now(UTC))
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.broker)
    await admin.start()
    try:
        for _ in range(60):
            try:
                await admin.find_coordinator(poller_group(settings))
                return
            except KafkaError:
                await asyncio.sleep(0.5)
        pytest.fail("the broker's group coordinator did not come up")
    finally:
        await admin.close()


def test_poller_turns_unready_and_quiet_while_broker_is_dead_then_recovers(
    private_broker: LocalBroker,
    tmp_path: Path,
    feed_server: FeedServer,
    spawn: Callable[..., Any],
) -> None:
    (feed_server.directory / "health.xml").write_bytes(FEED)
    env = poller_env(private_broker, tmp_path, feed_server.url("health.xml"))
    port = env["WIREWATCH_POLLER_METRICS_PORT"]
    # The feed registered before the poller starts, on a broker whose group coordinator is up (a
    # fresh broker creates it on the first request): the poller's first lag reading shows it.
    asyncio.run(register_and_find_coordinator(load_settings(environ=env)))
    poller = spawn(["poll"], env)

    wait_until(lambda: get(port, "/livez")[0] == 200, READY_TIMEOUT_SECONDS, "/livez 200",
               poller.output)  # fmt: skip
    assert get(port, "/healthz")[0] == 200  # the older name of /livez
    group, feeds = f"{env['WIREWATCH_APP_ID']}-pollers", f"{env['WIREWATCH_TOPIC_PREFIX']}feeds"
    # The configured feed's registration, written before the poller joined: its first reading.
    wait_until(lambda: sum(group_lag(port).values()) > 0, READY_TIMEOUT_SECONDS,
               "the registration in wirewatch_consumer_group_lag", poller.output)  # fmt: skip
    wait_until(
        lambda: get(port, "/readyz") == READY and sample_value(port, GAUGE) == 1.0,
        READY_TIMEOUT_SECONDS, f"/readyz 200 and {GAUGE} 1", poller.output,
    )  # fmt: skip
    assert sample_value(port, "wirewatch_poller_ready") == 1.0
    # Polling, not only probing: the broker dies under a poller that is doing its work.
    wait_until(
        lambda: sample_total(port, EMITTED) >= 2 and sample_total(port, FETCHES) >= 2,
        READY_TIMEOUT_SECONDS, "the feed's entries emitted and the feed polled again",
        poller.output,
    )  # fmt: skip
    assert (sample_value(port, LAST_CONTACT) or 0) > 0
    expected = {(group, feeds, str(p)) for p in range(2)}
    wait_until(
        lambda: group_lag(port) == dict.fromkeys(expected, 0.0), LAG_TIMEOUT_SECONDS,
        f"wirewatch_consumer_group_lag 0 on {sorted(expected)}", poller.output,
    )  # fmt: skip
    assert_own_metrics_only(families(port), "poller")

    lines_before = len(poller.log_path.read_text(errors="replace").splitlines())
    fetches_before = sample_total(port, FETCHES)
    pid = int((private_broker.data_dir / "broker.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    wait_until(lambda: sample_value(port, GAUGE) == 0.0, BROKER_DOWN_TIMEOUT_SECONDS,
               f"{GAUGE} 0", poller.output)  # fmt: skip
    wait_until(lambda: get(port, "/readyz")[0] == 503, BROKER_DOWN_TIMEOUT_SECONDS,
               "/readyz 503", poller.output)  # fmt: skip
    status, body = get(port, "/readyz")
    assert status == 503 and "broker unreachable" in body, body
    assert sample_value(port, "wirewatch_poller_ready") == 0.0
    assert get(port, "/healthz")[0] == 200  # alive: the event loop still answers

    time.sleep(max(0.0, OUTAGE_LOG_WINDOW_SECONDS - (time.monotonic() - killed_at)))
    window_lines = poller.log_path.read_text(errors="replace").splitlines()[lines_before:]
    outage_lines = [line for line in window_lines if not any(p in line for p in PER_POLL_LINES)]
    print(
        f"poller log lines in {OUTAGE_LOG_WINDOW_SECONDS} s of outage: {len(window_lines)}, "
        f"of which {len(window_lines) - len(outage_lines)} per-poll INFO lines and "
        f"{len(outage_lines)} others (bound {MAX_OUTAGE_LOG_LINES})"
    )
    assert len(outage_lines) < MAX_OUTAGE_LOG_LINES, "\n".join(outage_lines)
    assert any("suppressed" in line for line in outage_lines), "\n".join(outage_lines)
    assert poller.popen.poll() is None, poller.output()
    # The feed kept being fetched: quiet because rate-limited, not because stuck.
    assert sample_total(port, FETCHES) > fetches_before, poller.output()

    restarted = start_local_broker(
        private_broker.port, private_broker.controller_port, private_broker.data_dir
    )
    assert restarted.address == private_broker.address
    wait_until(
        lambda: sample_value(port, GAUGE) == 1.0 and get(port, "/readyz") == READY,
        RECOVER_TIMEOUT_SECONDS, f"{GAUGE} 1 and /readyz 200 after the restart", poller.output,
    )  # fmt: skip
    (feed_server.directory / "health.xml").write_bytes(
        FEED.replace(b"</channel>", LATE_ENTRY + b"</channel>")
    )
    wait_until(lambda: sample_total(port, EMITTED) >= 3, RECOVER_TIMEOUT_SECONDS,
               "a new entry emitted after the restart", poller.output)  # fmt: skip
    assert poller.popen.poll() is None, poller.output()
    assert poller.stop() == 0, poller.output()  # before the broker fixture stops the broker
    problems = json_log_problems(poller.log_path.read_text(errors="replace"), "poller")
    assert not problems, "\n".join(problems[:20])


def test_a_feed_document_that_does_not_parse_is_a_counted_poll_dead_letter(
    wirewatch_env: dict[str, str], feed_server: FeedServer, spawn: Callable[..., Any]
) -> None:
    """The poller dead-letters the document; wirewatch_items_processed_total and
    wirewatch_stage_errors_total count it under stage "poll" (they did not before)."""
    (feed_server.directory / "broken.xml").write_bytes(b"<html><body>not a feed</body></html>")
    env = dict(wirewatch_env, WIREWATCH_FEEDS=feed_server.url("broken.xml"))
    port = env["WIREWATCH_POLLER_METRICS_PORT"]
    poller = spawn(["poll"], env)
    processed = 'wirewatch_items_processed_total{outcome="dead_letter",stage="poll"}'
    wait_until(
        lambda: (sample_value(port, processed) or 0) >= 1, READY_TIMEOUT_SECONDS,
        "the document's dead letter counted", poller.output,
    )  # fmt: skip
    page = families(port)
    errors = page["wirewatch_stage_errors"].samples
    assert {(s.labels["stage"], s.labels["error_type"]) for s in errors if s.value} == {
        ("poll", "FeedError")
    }
    fetches = page["wirewatch_feed_fetches"].samples
    assert any(s.labels["outcome"] == "parse_error" and s.value >= 1 for s in fetches)
    assert poller.stop() == 0, poller.output()
