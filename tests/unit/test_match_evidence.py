"""Event evidence per topic: a topic that lists `evidence` terms for a language is tagged only when
one of them is found besides the score reaching the threshold (a disease name without cases,
spread or patients is not an outbreak; an "election" with no voters, ballots, parties or public
office is not a public election; "terrorism" with no attacker or group, means of attack, civilian
victim, plot, threat level or designation is a metaphor). Languages without an evidence list, and
the all-languages fallback, tag on the score alone. The real items are from tune splits (read from
the files by id) and each untagged one was tagged before its topic had evidence lists (commit
ef223dd for elections and disease_outbreak, 5d52512 for terrorism)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    check_taxonomy,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
)

DATA = Path(__file__).parents[2] / "bench" / "data"

RULES = """
schema_version = 1

[[topics]]
id = "outbreak"
label = "Outbreak"
iptc = "medtop:20000446"
threshold = 2.0

[topics.rules.en]
evidence = ["cases|infections", "hospital*"]
not = ["hospital pass"]
[topics.rules.en.terms]
"cholera" = 2

[topics.rules.de.terms]
"cholera" = 2
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def ids(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


def test_topic_with_evidence_terms_is_not_tagged_without_them(small: CompiledTaxonomy) -> None:
    assert ids("Cholera", "A history of the disease in art.", "en", small) == set()


def test_topic_is_tagged_when_an_evidence_term_is_found(small: CompiledTaxonomy) -> None:
    assert ids("Cholera", "Forty new cases in the port.", "en", small) == {"outbreak"}
    # Any one group is enough, in title or summary, in any of its forms.
    assert ids("Cholera: hospitals full", "", "en", small) == {"outbreak"}


def test_evidence_adds_nothing_to_the_score(small: CompiledTaxonomy) -> None:
    (tag,) = match_topics("", "Cholera cases rise.", "en", small)
    assert tag.score == 2.0 and tag.evidence == ("Cholera",)


def test_evidence_inside_an_exclusion_does_not_count(small: CompiledTaxonomy) -> None:
    assert ids("", "Cholera jokes and a hospital pass.", "en", small) == set()


def test_language_without_evidence_terms_tags_on_the_score_alone(small: CompiledTaxonomy) -> None:
    assert ids("", "Cholera in der Kunstgeschichte.", "de", small) == {"outbreak"}


def test_fallback_for_unruled_languages_needs_no_evidence(small: CompiledTaxonomy) -> None:
    # "und" and languages without rules use every language's terms and no evidence list.
    assert ids("", "Cholera", "und", small) == {"outbreak"}
    assert ids("", "Cholera", "nl", small) == {"outbreak"}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("evidence = []", "evidence must be a non-empty list"),
        ('evidence = "cases"', "evidence must be a non-empty list"),
        ('evidence = ["ca*"]', "needs at least 3 letters"),
    ],
)
def test_check_rejects_a_bad_evidence_list(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace('evidence = ["cases|infections", "hospital*"]', body), "utf-8")
    problems = check_taxonomy(path)
    assert len(problems) == 1 and fragment in problems[0], problems


# --- the bundled taxonomy on real tune items ------------------------------------------------------


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def read(name: str) -> dict[str, dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return {item["id"]: item for item in map(json.loads, lines)}


# (file, tune item id, topic no longer tagged, why)
UNTAGGED = [
    # A sports award's "verkiezing": no voters, ballots, parties or office.
    ("news_eval_tune2.jsonl", "nl-t2-017", "elections"),
    # Ransomware "with Covid": the pandemic named, no case, spread or patient.
    ("news_eval_europe.jsonl", "it-eu-012", "disease_outbreak"),
    # A singer reports his own infection: 感染 alone, no 感染者, 感染拡大 or hospital.
    ("news_eval_fresh3.jsonl", "ja-f3-014", "disease_outbreak"),
    # Phone fraud called "a new form of terrorism": no attacker group, bomb, civilian victim, plot
    # or designation (a murder by the victim of the fraudsters is not one).
    ("news_eval_europe.jsonl", "ru-eu-016", "terrorism"),
]


@pytest.mark.parametrize(("name", "item_id", "topic"), UNTAGGED)
def test_tune_item_without_event_evidence_is_not_tagged(
    name: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    item = read(name)[item_id]
    assert item.get("split", "tune") == "tune"
    assert topic not in item["topics"]
    assert topic not in ids(item["title"], item["summary"], item["language"], taxonomy)


# Tune items of the same topics that show the event and stay tagged.
TAGGED = [
    ("news_eval_fresh3.jsonl", "sv-f3-017", "disease_outbreak"),
    ("news_eval_europe.jsonl", "el-eu-036", "disease_outbreak"),
    ("news_eval_europe.jsonl", "nl-eu-007", "elections"),
    ("tagging_dev.jsonl", "pt-005", "elections"),
    # A terror threat level lowered (nl: dreigingsbeeld), a commando with firearms (it), security
    # forces in a firefight with terrorists (zh 交火).
    ("news_eval_europe.jsonl", "nl-eu-043", "terrorism"),
    ("news_eval_europe.jsonl", "it-eu-025", "terrorism"),
    ("news_eval_europe.jsonl", "zh-eu-021", "terrorism"),
]


@pytest.mark.parametrize(("name", "item_id", "topic"), TAGGED)
def test_tune_item_with_event_evidence_stays_tagged(
    name: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    item = read(name)[item_id]
    assert item.get("split", "tune") == "tune" and topic in item["topics"]
    assert topic in ids(item["title"], item["summary"], item["language"], taxonomy)
