"""Which standard a text of Han characters only is written in, from OpenCC's conversion tables.

Japanese writes many characters in shapes of its own (shinjitai: 会 for 會, 録 for 錄, 辞 for 辭),
Chinese in simplified or in traditional ones. OpenCC (a well-kept converter between the three)
tells them apart: a character that its traditional-to-Japanese table would change is not how
Japanese writes it, and a text that is neither wholly simplified nor wholly traditional, yet all
in Japanese shapes, is Japanese. Kanji-only headlines (与党惨敗, 記録的豪雨) are what it is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import opencc


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
