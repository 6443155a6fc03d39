"""Round 3 of cross-language links: evidence that survives scripts the first rounds missed.

Each test states one way a real report writes a number or a name that the other languages
write differently (bench/README.md, "Round 3"), and the digest both must reduce it to.
"""

from __future__ import annotations

from streams.stories.links import extract_numbers


def test_japanese_middle_dot_after_a_magnitude_is_a_decimal_point() -> None:
    # Kyodo and Yomiuri write "M7・6"; the English report of the same quake writes 7.6.
    assert extract_numbers("マグニチュード(M)は7・6と推定される") == extract_numbers("a 7.6 quake")
    assert extract_numbers("Ｍ６・８の地震") == frozenset({"6.8"})


def test_japanese_middle_dot_before_a_percent_sign_is_a_decimal_point() -> None:
    assert extract_numbers("予想得票率は51・7%") == frozenset({"51.7"})


def test_japanese_middle_dot_between_month_and_day_is_not_a_number() -> None:
    # "6・3" is the 3 June election, "12・3" the martial law of 3 December: no 6.3 magnitude.
    assert extract_numbers("6・3韓国大統領選挙、12・3非常戒厳") == frozenset()
