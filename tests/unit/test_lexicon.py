"""Word frequencies from wordfreq's bundled lists (no download), as the language step reads them."""

from __future__ import annotations

import math
import pickle

import pytest
import wordfreq

from streams.text.language.lexicon import (
    UNKNOWN_WORD_LOG10,
    Lexicon,
    WordTable,
    count_yat_reflexes,
    load_lexicon,
    serbian_latin,
    text_words,
    word_log10_likelihoods,
)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(["id", "ms", "sr", "no"])


def test_lists_load_under_our_codes(lexicon: Lexicon) -> None:
    assert lexicon.covers(["id", "ms", "sr", "no"])
    assert not lexicon.covers(["id", "gl"])


def test_each_list_is_wordfreqs_own_frequencies_in_log10(lexicon: Lexicon) -> None:
    for code, source in (("id", "id"), ("sr", "sh")):
        frequencies = wordfreq.get_frequency_dict(source, wordlist="small")
        expected = {word: math.log10(value) for word, value in frequencies.items()}
        table = lexicon.log10_frequencies[code]
        assert len(table) == len(expected)
        assert all(table.get(word) == value for word, value in expected.items())
        words = list(expected)
        assert table.lookup(words, None) == [expected[word] for word in words]


def test_a_word_table_reads_like_the_dict_it_was_built_from() -> None:
    frequencies = {"karena": -3.25, "persen": -3.5, "yang": -1.75, "kerana": -6.0}
    table = WordTable(frequencies)
    assert len(table) == 4 and table.min_value() == -6.0
    for word, value in frequencies.items():
        assert word in table and table.get(word) == value
    unlisted = ["kerena", "Karena", "karena ", "", "qqxzv", *(f"w{n}" for n in range(10_000))]
    assert not any(word in table for word in unlisted)
    assert all(table.get(word) is None and table.get(word, -9.0) == -9.0 for word in unlisted)
    assert table.lookup(["yang", "qqxzv", "karena"], -6.5) == [-1.75, -6.5, -3.25]
    assert table.lookup([], -6.5) == [] and 3 not in table
    with pytest.raises(TypeError, match="hashes"):  # another process's hashes differ
        pickle.dumps(table)


def test_loading_leaves_nothing_in_wordfreqs_caches() -> None:
    # wordfreq's lru caches are unbounded and would hold a second and third copy of every list
    # for the life of the worker.
    wordfreq.get_frequency_dict.cache_clear()
    wordfreq.get_frequency_list.cache_clear()
    load_lexicon(["da", "no"])
    assert wordfreq.get_frequency_dict.cache_info().currsize == 0
    assert wordfreq.get_frequency_list.cache_info().currsize == 0


def test_a_language_without_a_list_is_refused() -> None:
    with pytest.raises(LookupError, match="'gl'"):
        load_lexicon(["gl"])


def test_words_are_lower_cased_without_surrounding_punctuation() -> None:
    assert text_words('"Pemilu," kata—KPU (Jakarta)…') == ["pemilu", "kata—kpu", "jakarta"]


def test_serbian_cyrillic_is_spelled_in_latin_letters() -> None:
    assert serbian_latin(["скупштина", "избори", "њихов"]) == ["skupština", "izbori", "njihov"]


def test_spellings_favour_their_own_language(lexicon: Lexicon) -> None:
    indonesian = word_log10_likelihoods(["karena", "persen"], ["id", "ms"], lexicon)
    malay = word_log10_likelihoods(["kerana", "peratus"], ["id", "ms"], lexicon)
    assert indonesian["id"] > indonesian["ms"] + 1
    assert malay["ms"] > malay["id"] + 1


def test_an_unknown_word_counts_as_rarer_than_any_listed_word(lexicon: Lexicon) -> None:
    assert word_log10_likelihoods(["qqxzv"], ["id"], lexicon) == {"id": UNKNOWN_WORD_LOG10}
    assert lexicon.log10_frequencies["id"].min_value() > UNKNOWN_WORD_LOG10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vreme je da se promeni deo zakona", (3, 0)),
        ("vrijeme je da se promijeni dio zakona", (0, 3)),
        # -ije endings of -ija nouns and je after a vowel are in all three standards.
        ("Policija Srbije i njegov projekat", (0, 0)),
        ("video snimak", (0, 0)),
    ],
)
def test_yat_reflexes_are_counted_where_the_other_spelling_is_a_listed_word(
    lexicon: Lexicon, text: str, expected: tuple[int, int]
) -> None:
    assert count_yat_reflexes(text_words(text), lexicon) == expected
