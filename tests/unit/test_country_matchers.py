"""A language's country-name pattern can be built ahead of its first use, off an event loop.

Building one takes 40-210 ms of CPU the first time (bench/README.md, "Thirteenth cut"); the link
agent builds it in a thread before the first story in a language reaches `link_step`."""

from __future__ import annotations

from streams.stories.countries import build_matcher, extract_countries, matcher_built


def test_a_built_matcher_is_known_for_every_variant_of_its_language() -> None:
    # Only build_matcher marks a language, so no other test's use of extract_countries counts.
    assert not matcher_built("sk-SK")
    build_matcher("sk-SK")
    assert matcher_built("sk")
    assert matcher_built("sk-SK")
    assert not matcher_built("sl")
    assert extract_countries("Slovensko a Rakúsko podpísali dohodu", "sk") == {"SK", "AT"}


def test_a_language_without_names_is_built_and_still_vetoes_nothing() -> None:
    build_matcher("xx")
    assert matcher_built("xx")
    assert extract_countries("anything at all", "xx") == frozenset()
