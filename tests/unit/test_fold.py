"""Tests for the matching form of text: Arabic marks and variants, accents, dotted i, ё."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from streams.text.fold import WORD_PATTERN, fold_for_matching, split_words


def test_arabic_harakat_and_tatweel_are_removed() -> None:
    assert fold_for_matching("الانْتِخَابَاتُ", "ar") == "الانتخابات"
    assert fold_for_matching("انتخـــابات", "ar") == "انتخابات"
    assert fold_for_matching("إلكترونيًا", "ar") == "الكترونيا"


@pytest.mark.parametrize(
    ("written", "folded"),
    [("أمن", "امن"), ("إرهاب", "ارهاب"), ("آخر", "اخر"), ("ٱلله", "الله"), ("مستشفى", "مستشفي"),
     ("مدينة", "مدينه"), ("مؤتمر", "موتمر"), ("رئيس", "رييس")],
)  # fmt: skip
def test_arabic_letter_variants_are_unified(written: str, folded: str) -> None:
    assert fold_for_matching(written, "ar") == folded


def test_persian_letters_fold_to_their_arabic_forms_and_zwnj_is_dropped() -> None:
    assert fold_for_matching("کاندید", "fa") == "كانديد"
    assert fold_for_matching("رأی‌گیری", "fa") == "رايگيري"


@pytest.mark.parametrize(
    ("written", "language", "folded"),
    [
        ("Élections", "fr", "elections"),
        ("Elección", "es", "eleccion"),
        ("Eleição", "pt", "eleicao"),
        ("Città", "it", "citta"),
        ("Wähler", "de", "wahler"),
        ("Straße", "de", "strasse"),
    ],
)
def test_latin_accents_and_case_are_folded(written: str, language: str, folded: str) -> None:
    assert fold_for_matching(written, language) == folded


def test_turkish_dotted_and_dotless_i_fold_to_one_form() -> None:
    assert fold_for_matching("SEÇİM", "tr") == fold_for_matching("seçim", "tr") == "secim"
    assert fold_for_matching("SALDIRI", "tr") == fold_for_matching("saldırı", "tr") == "saldiri"
    assert "\u0307" not in fold_for_matching("İstanbul", "tr")


def test_cyrillic_yo_becomes_ye_but_short_i_is_kept() -> None:
    assert fold_for_matching("Вооружённый", "ru") == "вооруженный"
    assert fold_for_matching("ВОЙНА", "ru") == "война"
    assert fold_for_matching("її", "uk") == "її"


def test_vietnamese_keeps_its_tone_marks() -> None:
    assert fold_for_matching("Bầu cử", "vi") == "bầu cử"


def test_word_pattern_keeps_arabic_marks_inside_one_word() -> None:
    words = WORD_PATTERN.findall("فازَ بالانتخـابات، ثمّ cyber-attack")
    assert words == ["فازَ", "بالانتخـابات", "ثمّ", "cyber", "attack"]


@given(st.text(max_size=60), st.sampled_from(["ar", "en", "fr", "de", "ru", "tr", "fa", "zh"]))
def test_folding_never_crashes_and_is_idempotent(text: str, language: str) -> None:
    once = fold_for_matching(text, language)
    assert fold_for_matching(once, language) == once


def test_unspaced_split_cuts_words_where_chinese_meets_latin_or_digits() -> None:
    assert split_words("遭受DDoS攻击，2024年大选", unspaced=True)[1::2] == [
        "遭受", "DDoS", "攻击", "2024", "年大选",
    ]  # fmt: skip
    assert split_words("遭受DDoS攻击，2024年大选")[1::2] == ["遭受DDoS攻击", "2024年大选"]


@given(st.text(max_size=80))
@example("\u3040")  # unassigned, inside the Hiragana block: a gap, not a word
@example("選挙・結果")  # the katakana middle dot separates words
def test_unspaced_split_gives_back_the_text_with_words_in_odd_places(text: str) -> None:
    parts = split_words(text, unspaced=True)
    assert "".join(parts) == text
    assert all(WORD_PATTERN.fullmatch(word) for word in parts[1::2])
