"""Tagging round 7: a volcano studied, a state at war named as attacker, hackers' "attacks".

A study of a dormant volcano names eruptions but no event (en de fr es); "Iran strikes Israel" and
"la Russie a poursuivi ses attaques" name the states where earlier rules wanted an adjective
("Israeli strike", "attaque russe"); hackers who "attack" a country's websites stay a cyberattack.
Each case failed on the taxonomy before this round (commit 7a9eb58), except the guards, which keep
the new state-at-war rule from firing on walkouts and on hacking.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import topics, tune_item


def test_dormant_volcano_study_is_no_disaster(taxonomy: CompiledTaxonomy) -> None:
    item = tune_item("news_eval_fresh4.jsonl", "en-f4-011")
    assert "natural_disaster" not in topics(
        str(item["title"]), str(item["summary"]), "en", taxonomy
    )


@pytest.mark.parametrize(
    ("language", "title", "summary"),
    [
        (
            "de",
            "Vulkanausbruch: Forscher legen Studie zum ruhenden Vulkan vor",
            "Die Eruption vor 2000 Jahren trug Asche bis in die Region.",
        ),
        (
            "fr",
            "Un volcan endormi cache du magma",
            "Une étude de chercheurs sur les éruptions passées.",
        ),
        (
            "es",
            "Un volcán dormido esconde magma",
            "Un estudio de investigadores sobre la erupción.",
        ),
    ],
)
def test_volcano_study_in_other_languages_is_no_disaster(
    language: str, title: str, summary: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "natural_disaster" not in topics(title, summary, language, taxonomy)


def test_an_eruption_that_moves_people_is_still_a_disaster(taxonomy: CompiledTaxonomy) -> None:
    assert "natural_disaster" in topics(
        "Volcano erupts in Iceland, residents evacuated",
        "The eruption forced residents of Grindavik to leave; researchers monitor the lava.",
        "en",
        taxonomy,
    )


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en", "Israel strikes Iran"),
        ("en", "Russia attacks on Ukraine energy grid continue"),
        ("fr", "La Russie frappe l'Ukraine"),
    ],
)
def test_a_state_named_as_attacker_is_armed_conflict(
    language: str, title: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "armed_conflict" in topics(title, "", language, taxonomy)


def test_french_war_live_page_with_russian_attacks_is_tagged(taxonomy: CompiledTaxonomy) -> None:
    item = tune_item("news_eval_fresh5.jsonl", "fr-f5-008")
    assert "armed_conflict" in topics(str(item["title"]), str(item["summary"]), "fr", taxonomy)


def test_a_walkout_in_israel_is_no_war(taxonomy: CompiledTaxonomy) -> None:
    found = topics(
        "General strike in Israel as protesters demand hostage deal",
        "A strike in Israel shut down airports.",
        "en",
        taxonomy,
    )
    assert "protest" in found
    assert "armed_conflict" not in found


@pytest.mark.parametrize(
    ("language", "title", "summary"),
    [
        (
            "en",
            "Hackers attack on Israel websites",
            "The group claimed the attack on Israel sites.",
        ),
        ("fr", "Des pirates frappent l'Ukraine", "Une attaque contre les sites de l'Ukraine."),
    ],
)
def test_hackers_attacking_a_country_is_no_war(
    language: str, title: str, summary: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "armed_conflict" not in topics(title, summary, language, taxonomy)
