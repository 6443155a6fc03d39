"""The fetcher's header rules, without a server: Retry-After, Cache-Control and conditional GET."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.feeds.http import (
    Validators,
    build_conditional_headers,
    parse_max_age,
    parse_retry_after,
)

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("Thu, 26 Nov 2026 12:01:30 GMT", 90.0),
        ("Thu, 26 Nov 2026 11:00:00 GMT", 0.0),  # a date in the past means "now"
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("max-age=600", 600.0),
        ("public, max-age=60, must-revalidate", 60.0),
        ('max-age="30"', 30.0),
        ("no-cache, max-age=600", None),
        ("no-store", None),
        ("max-age=abc", None),
        ("", None),
    ],
)
def test_max_age_is_read_unless_caching_is_forbidden(value: str, seconds: float | None) -> None:
    assert parse_max_age(value) == seconds


def test_conditional_headers_send_both_validators_we_hold() -> None:
    both = build_conditional_headers(Validators('"v1"', "Wed, 25 Nov 2026 10:00:00 GMT"))
    assert both == {
        "If-None-Match": '"v1"',
        "If-Modified-Since": "Wed, 25 Nov 2026 10:00:00 GMT",
    }
    assert build_conditional_headers(Validators()) == {}
