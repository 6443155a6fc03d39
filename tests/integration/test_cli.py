"""The `wirewatch` command as users run it: classify (offline), tail, config and taxonomy check."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, FeedServer
from kafka_io import produce

from streams.kafka.admin import ensure_topics
from streams.settings import load_settings

pytestmark = pytest.mark.integration

CLI_TIMEOUT_SECONDS = 120


def wirewatch(
    args: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        env={**clean_env, **(env or {})},
        cwd=ROOT,
    )


def assert_contract(line: dict[str, object]) -> None:
    assert set(line) >= {"id", "language", "topics"}
    language = line["language"]
    assert isinstance(language, dict) and set(language) == {"code", "confidence"}
    assert isinstance(line["topics"], list)
    for topic in line["topics"]:
        assert set(topic) == {"id", "score", "evidence", "matches"} and topic["evidence"]


def test_classify_reads_json_lines_reports_bad_lines_and_goes_on() -> None:
    items = [
        {
            "id": "a1",
            "title": "Ransomware attack cripples hospital networks",
            "summary": "<p>Hackers demanded a ransom &amp; threatened to leak data.</p>",
        },
        "{not json",
        {"id": "a2", "title": "بدء التصويت في الانتخابات الرئاسية", "language": "ar"},
        {"title": "no id here"},
        {
            "id": 3,
            "title": "Die Börse bricht ein: DAX fällt um sieben Prozent",
            "link": "https://x.example/a",
        },
    ]
    stdin = "\n".join(i if isinstance(i, str) else json.dumps(i) for i in items)
    done = wirewatch(["classify"], stdin)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for line in lines:
        assert_contract(line)
    by_id = {line["id"]: line for line in lines}
    assert set(by_id) == {"a1", "a2", "3"}
    assert by_id["a1"]["language"]["code"] == "en"
    assert [t["id"] for t in by_id["a1"]["topics"]] == ["cyberattack"]
    assert by_id["a2"]["language"]["code"] == "ar"
    assert "elections" in {t["id"] for t in by_id["a2"]["topics"]}
    assert by_id["3"]["language"]["code"] == "de"
    assert "economy_markets" in {t["id"] for t in by_id["3"]["topics"]}
    assert "<stdin>:2: skipped" in done.stderr and "<stdin>:4: skipped" in done.stderr


def test_classify_feeds_from_files_and_http_reports_a_bad_one(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    shutil.copy(FIXTURES / "feeds" / "mixed_multilingual.xml", feed_server.directory)
    rss = FIXTURES / "feeds" / "rss2_basic.xml"
    missing = tmp_path / "missing.xml"
    done = wirewatch(
        ["classify", "--feed", str(rss), str(missing), feed_server.url("mixed_multilingual.xml"),
         str(FIXTURES / "feeds" / "not_a_feed.html")],
        env={"WIREWATCH_ALLOWED_NETWORKS": "127.0.0.1/32"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    for line in lines:
        assert_contract(line)
    assert len(lines) >= 12 + 1
    assert f"{missing}: skipped" in done.stderr
    assert "not_a_feed.html: skipped" in done.stderr


def test_tail_prints_topic_messages_readably(
    kafka_broker: object, wirewatch_env: dict[str, str]
) -> None:
    settings = load_settings(environ=wirewatch_env)
    asyncio.run(ensure_topics(settings))
    alert = (FIXTURES / "alert_example.json").read_bytes()
    asyncio.run(
        produce(settings.broker, settings.topic("alerts"), [(b"i-1", alert), (b"i-2", b"\xff")])
    )
    done = wirewatch(
        ["tail", "alerts", "--from-beginning", "--max-messages", "2", "--timeout", "30"],
        env=wirewatch_env,
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith(f"{settings.topic('alerts')}[") and "key=i-1" in first
    assert '"rule_id":"watched-topics"' in first
    assert "key=i-2 INVALID" in second


def test_tail_stops_at_exactly_max_messages_and_refuses_a_missing_topic(
    kafka_broker: object, wirewatch_env: dict[str, str]
) -> None:
    settings = load_settings(environ=wirewatch_env)
    asyncio.run(ensure_topics(settings))
    alert = (FIXTURES / "alert_example.json").read_bytes()
    asyncio.run(
        produce(settings.broker, settings.topic("alerts"),
                [(f"i-{n}".encode(), alert) for n in range(10)])
    )  # fmt: skip
    done = wirewatch(
        ["tail", "alerts", "--from-beginning", "--max-messages", "3", "--timeout", "30"],
        env=wirewatch_env,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3
    missing = wirewatch(["tail", "no.such.topic", "--timeout", "5"], env=wirewatch_env)
    assert missing.returncode == 2
    assert "'no.such.topic' does not exist" in missing.stderr and "Traceback" not in missing.stderr


def test_config_prints_effective_settings_from_environment() -> None:
    done = wirewatch(["config"], env={"WIREWATCH_TOPIC_PREFIX": "news."})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["topic_prefix"] == "news."


def test_user_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    done = wirewatch(["config"], env={"WIREWATCH_PARTITONS": "3"})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "wirewatch: environment: unknown variable WIREWATCH_PARTITONS; see `wirewatch config`"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\n[[topics]]\nid = "x"\nlabel = "X"\nthreshold = "high"\n')
    checked = wirewatch(["taxonomy", "check", str(bad)])
    assert checked.returncode == 1
    assert "bad.toml" in checked.stderr and "Traceback" not in checked.stderr
    # The old name still works and says where the command went.
    moved = wirewatch(["topics", "check", str(bad)])
    assert moved.returncode == 1
    assert "moved to `taxonomy check`" in moved.stderr and "bad.toml" in moved.stderr


def test_config_option_is_taken_before_or_after_the_subcommand(tmp_path: Path) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text("spike_factor = 2.5\n")
    for args in (["--config", str(config), "config"], ["config", "--config", str(config)]):
        done = wirewatch(args)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["spike_factor"] == 2.5


def test_config_refuses_what_a_worker_would_refuse_later(tmp_path: Path) -> None:
    cases = {
        "WIREWATCH_TAXONOMY_PATH": (str(tmp_path / "missing.toml"), "missing.toml"),
        "WIREWATCH_STORY_HORIZON_SECONDS": ("99999999", "story_horizon_seconds"),
        "WIREWATCH_SECURITY_PROTOCOL": ("TLS", "security_protocol"),
        "WIREWATCH_LOG_FORMAT": ("yaml", "log_format"),
    }
    for name, (value, named) in cases.items():
        done = wirewatch(["config"], env={name: value})
        assert done.returncode == 2, (name, done.stdout)
        assert named in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_an_unreachable_broker_is_one_line_within_the_connect_timeout() -> None:
    env = {"WIREWATCH_BROKER": "127.0.0.1:1", "WIREWATCH_CONNECT_TIMEOUT_SECONDS": "3"}
    for args in (["feeds", "list"], ["tail", "alerts"]):
        done = wirewatch(args, env=env)
        assert done.returncode == 2
        assert done.stderr == (
            "wirewatch: cannot use the Kafka broker at 127.0.0.1:1: nothing listens at "
            "127.0.0.1:1 (connection refused); is the broker up?\n"
        )


def test_run_exits_non_zero_naming_the_process_that_died(
    wirewatch_env: dict[str, str], tmp_path: Path
) -> None:
    # The worker cannot serve its metrics on a port that is taken, so it exits at start-up.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**wirewatch_env, "WIREWATCH_WORKER_METRICS_PORT": str(taken.getsockname()[1])}
        env["WIREWATCH_FEEDS"] = "http://127.0.0.1:9/none.xml"  # no sample feed server needed
        done = wirewatch(["run"], env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the worker" in done.stderr and "worker.log" in done.stderr


def test_story_routes_counts_the_last_hours_of_story_route_and_prints_a_plan_that_loads(
    kafka_broker: object, wirewatch_env: dict[str, str], tmp_path: Path
) -> None:
    from aiokafka import AIOKafkaProducer

    settings = load_settings(environ=wirewatch_env)
    asyncio.run(ensure_topics(settings))
    now_ms = int(time.time() * 1000)
    line = b'{"item_id":"i-x"}'
    # (group, articles in the message, age in hours): the 30-hour-old message is outside --hours 24.
    messages = [("Latin|en", 7, 30), ("Latin|en", 5, 1), ("Latin|en", 4, 2), ("Latin|es", 3, 1),
                ("Han|zh", 2, 3)]  # fmt: skip

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.broker, acks="all")
        await producer.start()
        try:
            for group, articles, hours in messages:
                await producer.send_and_wait(
                    settings.topic("story-route"), b"\n".join([line] * articles),
                    key=group.encode(), timestamp_ms=now_ms - hours * 3_600_000,
                )  # fmt: skip
        finally:
            await producer.stop()

    asyncio.run(send())
    done = wirewatch(["story-routes", "--partitions", "2"], env=wirewatch_env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("14 articles in 3 story groups over 2 partitions"), done.stdout
    assert "today (hashed keys)" in lines[1]
    assert lines[2] == "  with the plan below: [9, 5], busiest 1.29x its fair share"
    toml = done.stdout.split("# wirewatch.toml\n", 1)[1].split("\n\n", 1)[0]
    config = tmp_path / "plan.toml"
    config.write_text("partitions = 2\n" + toml + "\n")
    plan = load_settings(config, environ={}).story_route_plan
    assert plan == {"Latin|en": 0, "Latin|es": 1, "Han|zh": 1}
    env_line = next(x for x in lines if x.startswith("WIREWATCH_STORY_ROUTE_PLAN="))
    planned = wirewatch(
        ["story-routes", "--hours", "48"],
        env={**wirewatch_env, "WIREWATCH_STORY_ROUTE_PLAN": env_line.split("=", 1)[1],
             "WIREWATCH_PARTITIONS": "2"},
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    assert planned.stdout.startswith("21 articles in 3 story groups over 2 partitions")
    assert "today (story_route_plan): [16, 5]" in planned.stdout
