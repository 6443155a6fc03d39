"""Kanji-only Japanese against Chinese, by the character shapes OpenCC's tables know."""

from __future__ import annotations

import dataclasses

import pytest

from streams.text.language.detect import detect_language
from streams.text.language.han import HanShapes, han_standard, han_words_standard, load_han_shapes
from streams.text.language.lexicon import Lexicon, load_lexicon
from streams.text.language.models import load_detector


@pytest.fixture(scope="module")
def shapes() -> HanShapes:
    return load_han_shapes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("与党惨敗", "japanese"),  # 与 as simplified Chinese writes it, 敗 as traditional does
        ("記録的豪雨", "japanese"),  # 録: neither 錄 (traditional) nor 录 (simplified)
        ("首相官邸前抗議集会", "japanese"),
        ("國會選舉結果公布", "chinese"),  # 國, 會, 舉: Japanese writes 国, 会, 挙
        ("台灣股市大跌", "chinese"),
        ("震度六弱", None),  # written alike in all three
    ],
)
def test_han_standard_follows_the_character_shapes(
    shapes: HanShapes, text: str, expected: str | None
) -> None:
    assert han_standard(text, shapes) == expected


@pytest.mark.parametrize("text", ["与党惨敗", "記録的豪雨", "閣僚辞任"])
def test_kanji_only_snippets_are_japanese_only_with_the_shapes(text: str) -> None:
    detector = load_detector()
    without_shapes = dataclasses.replace(detector, han_shapes=None)
    assert detect_language(text, detector, min_confidence=0.0).code == "ja"
    assert detect_language(text, without_shapes, min_confidence=0.0).code == "zh"


@pytest.fixture(scope="module")
def lists() -> Lexicon:
    return load_lexicon(["ja", "zh"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("猛暑日", "japanese"),  # Japanese weather-news words; Chinese says 高温天, 中暑
        ("熱中症", "japanese"),
        ("食中毒", "japanese"),
        ("股市大跌", "chinese"),
        ("央行降息", "chinese"),
        ("地震", None),  # a word of both
    ],
)
def test_words_decide_han_text_whose_shapes_do_not(
    shapes: HanShapes, lists: Lexicon, text: str, expected: str | None
) -> None:
    assert han_standard(text, shapes) is None
    assert han_words_standard(text, shapes, lists) == expected
