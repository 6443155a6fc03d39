"""`classify` without Kafka: an entry with nothing to classify is reported, the rest go on."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import orjson

from streams.classify import classify_feeds, classify_lines
from streams.pipeline import build_enricher
from streams.settings import load_settings

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
# Three entries; the second holds only markup, so cleaning leaves nothing to classify.
FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://example.org/</link>
<item><title>Ransomware attack shuts down port systems</title><link>https://example.org/1</link>
<description>Hackers encrypted the terminal systems overnight.</description></item>
<item><title>&lt;br/&gt;</title><link>https://example.org/2</link>
<description>&lt;img src="https://example.org/2.jpg"/&gt;</description></item>
<item><title>Parliament election results delayed by a recount</title>
<link>https://example.org/3</link><description>Turnout was 61 percent.</description></item>
</channel></rss>"""


def test_an_entry_with_no_text_is_reported_and_the_rest_of_the_feed_is_classified(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wire.xml"
    path.write_bytes(FEED)
    settings = load_settings(environ={})
    errors = io.StringIO()
    enricher = build_enricher(settings)
    results = [orjson.loads(line) for line in classify_feeds([str(path)], enricher, NOW,
                                                             settings, errors)]  # fmt: skip
    assert [r["link"] for r in results] == ["https://example.org/1", "https://example.org/3"]
    assert "https://example.org/2: skipped:" in errors.getvalue()


def test_a_json_line_with_no_text_is_reported_and_the_next_lines_are_classified() -> None:
    lines = [
        ("in.jsonl", 1, '{"id": "a", "title": "", "summary": ""}'),
        ("in.jsonl", 2, '{"id": "b", "title": "Ransomware attack on a port", "summary": ""}'),
    ]
    errors = io.StringIO()
    results = list(classify_lines(lines, build_enricher(load_settings(environ={})), NOW, errors))
    assert [orjson.loads(r)["id"] for r in results] == ["b"]
    assert errors.getvalue().startswith("in.jsonl:1: skipped:")
