"""Tests for loading, checking and compiling the taxonomy rule file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.tagging.taxonomy import (
    Piece,
    TaxonomyError,
    check_taxonomy,
    compile_taxonomy,
    load_taxonomy,
    parse_term,
)

CORE_TOPICS = {
    "elections", "cyberattack", "armed_conflict", "terrorism", "natural_disaster",
    "disease_outbreak", "protest", "economy_markets",
}  # fmt: skip
LANGUAGES = {"en", "ar", "fr", "es", "de", "ru", "uk", "pt", "it", "tr", "fa", "zh"}
BUNDLED = Path(__file__).resolve().parents[2] / "streams" / "data" / "taxonomy.toml"

GOOD = """\
schema_version = 1

[[topics]]
id = "elections"
label = "Elections"
iptc = "medtop:20000574"
threshold = 2.0

[topics.rules.en.terms]
"election|elections" = 2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_taxonomy_has_the_core_topics_in_twelve_languages() -> None:
    taxonomy = load_taxonomy()
    assert {topic.id for topic in taxonomy.topics} == CORE_TOPICS
    for topic in taxonomy.topics:
        # Issue 15 adds languages; the twelve core ones stay in every topic.
        assert {rules.language for rules in topic.rules} >= LANGUAGES, topic.id
        assert re.fullmatch(r"medtop:\d{8}", topic.iptc)


def test_bundled_taxonomy_checks_clean() -> None:
    assert check_taxonomy(BUNDLED) == []


def test_good_file_checks_clean_and_loads(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert check_taxonomy(path) == []
    taxonomy = load_taxonomy(path)
    assert taxonomy.topics[0].rules[0].terms == (("election|elections", 2.0),)
    assert taxonomy.title_weight == 1.5


def test_short_stem_is_reported_with_file_line_topic_language_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '"el*" = 1\n')
    (problem,) = check_taxonomy(path)
    assert problem.startswith(f"{path}:11: topic 'elections', language 'en'")
    assert "at least 3 letters" in problem


def test_bad_weight_is_reported_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '"vote" = "high"\n')
    (problem,) = check_taxonomy(path)
    assert f"{path}:11:" in problem
    assert "must be a number > 0" in problem


def test_unknown_rule_key_names_the_allowed_keys(tmp_path: Path) -> None:
    text = GOOD.replace("[topics.rules.en.terms]", '[topics.rules.en]\nexcept = ["x"]\n'
                        "[topics.rules.en.terms]")  # fmt: skip
    (problem,) = check_taxonomy(write(tmp_path, text))
    assert "unknown key 'except'" in problem
    assert "'not'" in problem


def test_bad_iptc_code_and_missing_threshold_are_both_reported(tmp_path: Path) -> None:
    text = GOOD.replace('iptc = "medtop:20000574"', 'iptc = "election"').replace(
        "threshold = 2.0\n", ""
    )
    problems = check_taxonomy(write(tmp_path, text))
    assert len(problems) == 2
    assert any("iptc" in p for p in problems) and any("threshold" in p for p in problems)


def test_duplicate_topic_id_is_reported(tmp_path: Path) -> None:
    problems = check_taxonomy(write(tmp_path, GOOD + "\n" + GOOD.replace("schema_version = 1", "")))
    assert any("defined twice" in p for p in problems)


def test_toml_syntax_error_is_reported_with_its_line(tmp_path: Path) -> None:
    (problem,) = check_taxonomy(write(tmp_path, GOOD + '"vote = 1\n'))
    assert "not valid TOML" in problem and "line 11" in problem


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (problem,) = check_taxonomy(tmp_path / "absent.toml")
    assert "cannot read" in problem


def test_load_raises_taxonomy_error_with_the_first_problem(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '"el*" = 1\n"~a b" = 1\n')
    with pytest.raises(TaxonomyError, match=r"rules\.toml:11: .*\(and 1 more"):
        load_taxonomy(path)


def test_parse_term_splits_alternatives_stems_and_compounds() -> None:
    assert parse_term("Cyber-Attack*|DDoS", "en") == (
        (Piece("=", "cyber"), Piece("^", "attack")),
        (Piece("=", "ddos"),),
    )
    assert parse_term("~Wahlkampf", "de") == ((Piece("~", "wahlkampf"),),)
    assert parse_term("選舉", "zh") == ((Piece("~", "選舉"),),)
    assert parse_term("انتخـابات", "ar") == ((Piece("=", "انتخابات"),),)


def test_term_mixing_chinese_and_latin_in_one_word_names_line_topic_and_language(
    tmp_path: Path,
) -> None:
    text = GOOD.replace("[topics.rules.en.terms]", '[topics.rules.zh.terms]\n"G20峰会" = 1\n'
                        "[topics.rules.en.terms]")  # fmt: skip
    path = write(tmp_path, text)
    (problem,) = check_taxonomy(path)
    assert problem.startswith(f"{path}:10: topic 'elections', language 'zh'")
    assert "each script as a term of its own" in problem


@pytest.mark.parametrize(
    "spec", ["a*b", "~two words", "el*", "選 舉", "||", "...", "~ab", "DDoS攻击", "选举2024"]
)
def test_parse_term_rejects_unmatchable_terms(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_term(spec, "en")


def test_compile_builds_one_matcher_per_language_and_a_fallback() -> None:
    compiled = compile_taxonomy(load_taxonomy())
    assert set(compiled.matchers) == set(load_taxonomy().languages) >= LANGUAGES
    assert compiled.fallback.depth >= max(m.depth for m in compiled.matchers.values())
    assert compiled.matchers["de"].infix is not None
    assert compiled.matchers["en"].infix is None
