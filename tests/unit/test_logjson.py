"""JSON log lines (log_format = "json") and the redaction of secrets in both formats."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import sys
from datetime import datetime, timedelta

from streams.logjson import (
    REDACTED,
    JsonFormatter,
    RedactingFormatter,
    apply_log_format,
    formatter_for,
    log_secrets,
)
from streams.lograte import RateLimitFilter
from streams.settings import load_settings

SECRET = 'pa"ss\\word-4711'  # a quote and a backslash: JSON escapes both


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"login failed with {SECRET}")
        except RuntimeError:
            exc_info = sys.exc_info()
    return logging.LogRecord(
        "aiokafka.conn", logging.WARNING, __file__, 7, message, args or None, exc_info
    )


def test_a_record_is_one_json_object_with_the_agreed_fields() -> None:
    line = JsonFormatter("poller").format(record("feed %s:\nfailed", "f-1"))
    assert "\n" not in line  # one object per line, whatever the message holds
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message", "role", "pid"}
    assert entry["level"] == "WARNING" and entry["logger"] == "aiokafka.conn"
    assert entry["message"] == "feed f-1:\nfailed" and entry["role"] == "poller"
    assert entry["time"].endswith("Z")
    parsed = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert parsed.utcoffset() == timedelta(0)


def test_an_exception_comes_with_its_traceback() -> None:
    entry = json.loads(JsonFormatter("worker").format(record("probe failed", exc=True)))
    assert "Traceback" in entry["exception"] and "RuntimeError" in entry["exception"]


def test_secrets_from_the_settings_never_reach_a_json_or_text_line() -> None:
    # Built directly: a password needs a SASL or TLS protocol, which load_settings checks.
    defaults = load_settings(environ={})
    settings = dataclasses.replace(
        defaults, sasl_password=SECRET, ssl_key_password="k3y-pass", log_format="json"
    )
    assert log_secrets(settings) == (SECRET, "k3y-pass")
    text_settings = dataclasses.replace(settings, log_format="text")
    lines = [
        formatter_for(settings, "worker").format(record("login as u/%s, key k3y-pass", SECRET)),
        formatter_for(settings, "worker").format(record("retrying", exc=True)),
        formatter_for(text_settings, "run").format(record("password=%s", SECRET)),
        formatter_for(text_settings, "run").format(record("retrying", exc=True)),
    ]
    for line in lines[:2]:
        json.loads(line)  # still valid JSON
    for line in lines:
        assert "4711" not in line and "k3y-pass" not in line, line
        assert REDACTED in line, line


def test_settings_choose_the_format_and_a_handler_keeps_its_text_shape() -> None:
    json_settings = load_settings(environ={"WIREWATCH_LOG_FORMAT": "json"})
    assert isinstance(formatter_for(json_settings, "worker"), JsonFormatter)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    apply_log_format([handler], load_settings(environ={}), "poller")
    assert isinstance(handler.formatter, RedactingFormatter)
    assert handler.formatter.format(record("hello")) == "[WARNING] hello"
    apply_log_format([handler], json_settings, "poller")  # already ours: left alone
    assert isinstance(handler.formatter, RedactingFormatter)


def test_a_json_logger_writes_one_parseable_line_per_record_with_rate_limit_notes() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("poller"))
    clock = iter([0.0, 1.0, 2.0, 10.0]).__next__
    handler.addFilter(RateLimitFilter(5.0, clock=clock))
    logger = logging.getLogger("wirewatch.test.json")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for _ in range(4):
            logger.warning("broker %s gone", "b1")
    finally:
        logger.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["message"] for e in entries] == [
        "broker b1 gone",
        "broker b1 gone [2 similar lines suppressed in 10 s]",
    ]
