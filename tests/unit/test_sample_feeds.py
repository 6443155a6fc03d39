"""The bundled sample feeds and the multilingual fixture get the languages and topics an analyst
gives them (tests/fixtures/sample_expectations.json), through the same `enrich` as the pipeline."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams.feeds.parse import FeedSource, parse_feed
from streams.pipeline import Enricher, build_enricher, enrich
from streams.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = json.loads((ROOT / "tests" / "fixtures" / "sample_expectations.json").read_text())
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return build_enricher(load_settings(environ={}))


def disagreements(path: Path, truth: dict[str, dict[str, object]], enricher: Enricher) -> list[str]:
    wrong = []
    items = parse_feed(path.read_bytes(), FeedSource.from_url(path.as_uri()), NOW).items
    assert items, path
    for item in items:
        key = item.guid if item.guid in truth else (item.guid or "").rsplit("/", 1)[-1]
        expected = truth[key]
        article = enrich(item, enricher, NOW)
        topics = sorted(tag.id for tag in article.topics)
        if article.language.code != expected["language"] or topics != sorted(expected["topics"]):  # type: ignore[call-overload]
            wrong.append(f"{key}: got {article.language.code} {topics}, expected {expected}")
    return wrong


@pytest.mark.parametrize(
    "path", sorted((ROOT / "streams" / "data" / "feeds").iterdir()), ids=lambda p: p.name
)
def test_bundled_sample_feed_items_get_expected_language_and_topics(
    path: Path, enricher: Enricher
) -> None:
    assert disagreements(path, EXPECTED["bundled"], enricher) == []


def test_mixed_multilingual_fixture_items_get_expected_language_and_topics(
    enricher: Enricher,
) -> None:
    path = ROOT / "tests" / "fixtures" / "feeds" / "mixed_multilingual.xml"
    assert disagreements(path, EXPECTED["mixed_multilingual"], enricher) == []
