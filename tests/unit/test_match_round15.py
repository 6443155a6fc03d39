"""Tagging round 15: rule families written from the tune half of the thirteenth unseen set.

Recall in hu tr fa nl fr (fresh13), the languages whose pooled held-out recall was lowest.
Villages or towns taken or lost ("két falut is elbuktak az ukránok") are front news without an
attack word (hu, carried to nl fr); a river's flood wave beside the dams and sandbags it tests
("az átázott gátak", "Levonulóban az árhullám") is a natural disaster (hu, carried to nl); union
"acties" for a collective agreement are a strike (nl); a party pulling ahead by points is a poll
of voting intention (fr). Guards: an election named as absent ("Se választás, se ... népszavazás
sem volt") is no election (hu), and a "transfer bomb" is a big signing, not a war (tr). The tune,
guard and carry cases fail on main at b081138; the near misses pass before and after. The rules
changed no item of any older set.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH13 = "news_eval_fresh13.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("hu-f13-005", "armed_conflict"),  # Új áttörés a fronton: két falut is elbuktak az ukránok
        ("hu-f13-017", "natural_disaster"),  # az átázott gátak ... Levonulóban az árhullám
        ("nl-f13-001", "protest"),  # overlast door cao-acties
        ("fr-f13-004", "elections"),  # Le Rassemblement National creuse l'écart avec Renaissance
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH13, item_id, taxonomy)


def test_an_election_named_as_absent_is_no_election(taxonomy: CompiledTaxonomy) -> None:
    assert "elections" not in item_topics(FRESH13, "hu-f13-014", taxonomy)


def test_a_transfer_bomb_is_no_war(taxonomy: CompiledTaxonomy) -> None:
    assert "armed_conflict" not in item_topics(FRESH13, "tr-f13-011", taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Het dorp Vovtsje is veroverd, meldt Moskou", "", "nl", "armed_conflict"),
        ("L'armée russe prend la localité de Nevelskoïé", "", "fr", "armed_conflict"),
        (
            "De Maas bereikt de hoogste stand",
            "Vrijwilligers vullen zandzakken op de dijk.",
            "nl",
            "natural_disaster",
        ),
        ("Tetőzött a Tisza", "Homokzsákokkal erősítik a gátakat.", "hu", "natural_disaster"),
        ("Buschauffeurs: cao-acties van de vakbond gaan door", "", "nl", "protest"),
        ("La France insoumise devance les Républicains de trois points", "", "fr", "elections"),
    ],
)
def test_the_families_carry_to_other_languages(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Acties deze week bij Albert Heijn: twee halen, één betalen", "nl", "protest"),
        ("La Renaissance de Berkane creuse l'écart en tête du championnat", "fr", "elections"),
        ("Tetőzött az infláció, apad a forint árfolyama", "hu", "natural_disaster"),
        ("A szurkolók elfoglalták a helyüket a lelátón", "hu", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
