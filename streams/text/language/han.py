"""Which standard a text of Han characters only is written in, from OpenCC's conversion tables.

Japanese writes many characters in shapes of its own (shinjitai: 会 for 會, 録 for 錄, 辞 for 辭),
Chinese in simplified or in traditional ones. OpenCC (a well-kept converter between the three)
tells them apart: a character that its traditional-to-Japanese table would change is not how
Japanese writes it, and a text that is neither wholly simplified nor wholly traditional, yet all
in Japanese shapes, is Japanese. Kanji-only headlines (与党惨敗, 記録的豪雨) are what it is for.
When every character is written alike (猛暑日), the words decide: wordfreq's Japanese and Chinese
lists, by the likelier segmentation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import opencc

from streams.text.language.lexicon import Lexicon, WordTable


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@dataclass(frozen=True, slots=True)
class HanShapes:
    """OpenCC converters; build once with `load_han_shapes()`."""

    traditional_to_simplified: _Converter
    japanese_to_traditional: _Converter
    traditional_to_japanese: _Converter


def load_han_shapes() -> HanShapes:
    """OpenCC's bundled tables (t2s, jp2t, t2jp); nothing is downloaded."""
    return HanShapes(
        traditional_to_simplified=opencc.OpenCC("t2s"),
        japanese_to_traditional=opencc.OpenCC("jp2t"),
        traditional_to_japanese=opencc.OpenCC("t2jp"),
    )


def han_standard(text: str, shapes: HanShapes) -> str | None:
    """'chinese', 'japanese', or None when every character is written alike in both (震度六弱)."""
    if shapes.traditional_to_japanese.convert(text) != text:
        return "chinese"  # a traditional character Japanese writes otherwise (國, 會, 選舉)
    japanese_shapes = shapes.japanese_to_traditional.convert(text) != text
    if japanese_shapes and shapes.traditional_to_simplified.convert(text) != text:
        return "japanese"  # Japanese shapes beside characters simplified Chinese writes otherwise
    return None


# A character of no listed word costs this (log10), a little below the lists' rarest words.
_UNLISTED_CHARACTER_LOG10 = -7.0
_LONGEST_WORD = 6  # characters; longer list entries are rare compounds
# The best segmentation under one list must beat the other's by this much (log10) to decide.
_WORDS_DECISIVE_LOG10 = 0.5


def han_words_standard(text: str, shapes: HanShapes, lexicon: Lexicon) -> str | None:
    """'japanese' or 'chinese' for Han-only text whose shapes do not tell, by which language's
    words it segments into more likely (猛暑日, 熱中症 are Japanese words; Chinese says 高温天,
    中暑). wordfreq's Chinese list is in simplified characters, so the text is looked up in them.
    None without both lists or when neither segmentation is clearly better."""
    if not lexicon.covers(("ja", "zh")):
        return None
    japanese = _best_segmentation_log10(text, lexicon.log10_frequencies["ja"])
    simplified = shapes.traditional_to_simplified.convert(text)
    chinese = _best_segmentation_log10(simplified, lexicon.log10_frequencies["zh"])
    if japanese >= chinese + _WORDS_DECISIVE_LOG10:
        return "japanese"
    if chinese >= japanese + _WORDS_DECISIVE_LOG10:
        return "chinese"
    return None


def _best_segmentation_log10(text: str, words: WordTable) -> float:
    """log10 probability of the likeliest split of `text` into listed words (dynamic program)."""
    spans = [(start, end) for end in range(1, len(text) + 1)
             for start in range(max(0, end - _LONGEST_WORD), end)]  # fmt: skip
    listed = words.lookup([text[start:end] for start, end in spans], None)  # all at once
    best = [0.0] + [-math.inf] * len(text)
    for (start, end), value in zip(spans, listed, strict=True):
        if value is None:
            if end - start > 1:
                continue
            value = _UNLISTED_CHARACTER_LOG10
        best[end] = max(best[end], best[start] + value)
    return best[-1]
