"""The benchmark stream generator (bench/stream.py): deterministic, the promised make-up."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams.codec import decode_raw_item
from streams.errors import DecodeError
from streams.records import Article, Language
from streams.stories.cluster import script_group
from streams.text.clean import clean_summary, clean_text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import stream  # bench/ is not a package: found through the path above

COUNT = 3_000
AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def items() -> list[stream.BenchItem]:
    return stream.realistic_stream(COUNT, seed=7)


def as_article(raw: object) -> Article:
    """Just enough of an article for script_group: the cleaned title and summary."""
    return Article(
        item_id="i", feed_id="f", source="s", link=None,
        title=clean_text(raw.title), summary=clean_summary(raw.summary),  # type: ignore[attr-defined]
        language=Language("und", 0.0), topics=(), published_at=None, fetched_at=AT,
        enriched_at=AT,
    )  # fmt: skip


def test_same_seed_same_bytes_other_seed_other_stream(items: list[stream.BenchItem]) -> None:
    again = stream.realistic_stream(COUNT, seed=7)
    assert [i.encode(AT) for i in items] == [i.encode(AT) for i in again]
    other = stream.realistic_stream(COUNT, seed=8)
    assert {i.key for i in items}.isdisjoint({i.key for i in other if i.kind != "poison"})


def test_count_and_kinds(items: list[stream.BenchItem]) -> None:
    kinds = Counter(item.kind for item in items)
    assert len(items) == COUNT
    assert 0.02 * COUNT <= kinds[stream.ItemKind.UPDATE] <= 0.06 * COUNT
    assert 3 <= kinds[stream.ItemKind.POISON] <= 0.01 * COUNT


def test_script_share_is_about_80_percent_latin(items: list[stream.BenchItem]) -> None:
    groups = Counter(script_group(as_article(item.raw)) for item in items if item.kind != "poison")
    total = sum(groups.values())
    assert 0.76 <= groups["Latin"] / total <= 0.84, groups
    assert {"Cyrillic", "Arabic", "Han", "Devanagari"} <= set(groups), groups
    languages = {item.language for item in items if item.kind != "poison"}
    assert len(languages) == 12


def test_stories_have_one_to_eight_outlets_with_rewritten_titles(
    items: list[stream.BenchItem],
) -> None:
    by_story: dict[int, list[stream.BenchItem]] = {}
    for item in items:
        if item.kind == stream.ItemKind.NEW and item.story is not None:
            by_story.setdefault(item.story, []).append(item)
    sizes = Counter(len(reports) for reports in by_story.values())
    # The last story may be cut short by the item budget; every other one has all its outlets.
    assert set(sizes) <= set(range(1, 9)) and {1, 8} <= set(sizes), sizes
    assert len(by_story) > COUNT / 5  # many distinct stories, not a few repeated
    rewritten = 0
    for reports in by_story.values():
        feeds = [r.raw.feed_id for r in reports if r.raw]
        assert len(set(feeds)) == len(feeds)  # one report per outlet
        rewritten += len({r.raw.title for r in reports if r.raw}) > 1
    assert rewritten > 0.8 * sum(n for size, n in sizes.items() if size > 1)


def test_updates_repeat_an_earlier_id_with_changed_text(items: list[stream.BenchItem]) -> None:
    first: dict[str, stream.BenchItem] = {}
    for item in items:
        if item.kind == stream.ItemKind.UPDATE:
            earlier = first[item.key]  # the original came before it
            assert item.raw is not None and earlier.raw is not None
            assert item.raw.is_update and not earlier.raw.is_update
            assert (item.raw.title, item.raw.summary) != (earlier.raw.title, earlier.raw.summary)
        else:
            first.setdefault(item.key, item)


def test_poison_items_cannot_be_enriched(items: list[stream.BenchItem]) -> None:
    poison = [item for item in items if item.kind == stream.ItemKind.POISON]
    for item in poison:
        try:
            raw = decode_raw_item(item.encode(AT))
        except DecodeError:
            continue
        # Decodable poison has no text once cleaned: the enrich step dead-letters it.
        assert not clean_text(raw.title) and not clean_summary(raw.summary)
    assert any(item.raw is None for item in poison) and any(item.raw for item in poison)


def test_text_items_decode_and_carry_the_stamped_times(items: list[stream.BenchItem]) -> None:
    for item in items[:200]:
        if item.kind != stream.ItemKind.POISON:
            raw = decode_raw_item(item.encode(AT))
            assert raw.item_id == item.key and raw.fetched_at == AT
            assert raw.published_at is not None and raw.published_at < AT


def test_duplicates_scenario_repeats_the_samples() -> None:
    items = stream.build_stream("duplicates", 200, seed=1)
    assert len({item.key for item in items}) == 200
    assert len({item.story for item in items}) == 82
    assert stream.build_stream("duplicates", 200, seed=1)[5].encode(AT) == items[5].encode(AT)
