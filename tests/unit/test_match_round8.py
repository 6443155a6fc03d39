"""Tagging round 8: rating downgrades, a state named as attacker in Italian, war casualties, storms.

A rating agency cutting a country's debt is a bond-market story (en de fr es it pt); "attacchi
congiunti russi" names the attacking states a word away from "attacchi" (it); "87 muertos en Gaza"
adds the dead of a war zone to "ataques israelíes" (es); a named "borrasca" that drives people
from their homes is a disaster (es). Each case failed on the taxonomy before this round (commit
00ec1db) except the guards, which keep the new rules off company ratings, hackers and accidents.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import topics, tune_item


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("it-f6-002", "economy_markets"),
        ("it-f6-013", "armed_conflict"),
        ("es-f6-023", "armed_conflict"),
        ("es-f6-005", "natural_disaster"),
    ],
)
def test_fresh6_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    item = tune_item("news_eval_fresh6.jsonl", item_id)
    assert topic in topics(
        str(item["title"]), str(item["summary"]), str(item["language"]), taxonomy
    )


@pytest.mark.parametrize(
    ("title", "summary", "language"),
    [
        ("Moody's downgrades Italy's sovereign debt to one notch above junk", "", "en"),
        (
            "Fitch stuft Frankreich herab",
            "Die Ratingagentur Fitch hat die Bonität Frankreichs herabgestuft.",
            "de",
        ),
        ("L'agence de notation Moody's abaisse la note de la Belgique", "", "fr"),
        ("Standard & Poor's rebaja la calificación de la deuda de Argentina", "", "es"),
        ("Il giudizio di Fitch: declassamento del debito pubblico italiano", "", "it"),
        ("Moody's rebaixa a nota de crédito do Brasil", "", "pt"),
    ],
)
def test_rating_downgrade_of_a_country_is_markets(
    title: str, summary: str, language: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "economy_markets" in topics(title, summary, language, taxonomy)


def test_italian_attacks_with_the_states_a_word_away_are_armed_conflict(
    taxonomy: CompiledTaxonomy,
) -> None:
    title = "Attacchi congiunti russi e turchi nel nord della Siria"
    assert "armed_conflict" in topics(title, "", "it", taxonomy)


def test_spanish_dead_in_a_war_zone_add_to_israeli_attacks(taxonomy: CompiledTaxonomy) -> None:
    summary = "Sanidad notificó 40 muertos y 200 heridos en Gaza en ataques israelíes en 24 horas."
    assert "armed_conflict" in topics("Jornada sangrienta", summary, "es", taxonomy)


def test_spanish_storm_that_evacuates_people_is_a_disaster(taxonomy: CompiledTaxonomy) -> None:
    title = "Más de 3.000 desalojados en Málaga por la borrasca Martinho"
    assert "natural_disaster" in topics(title, "", "es", taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # guards: a company's rating, a forecast storm, hackers, a road accident
        ("Fitch conferma il rating di Enel", "it", "economy_markets"),
        (
            "Moody's eleva la calificación de Telefónica tras sus resultados",
            "es",
            "economy_markets",
        ),
        ("La borrasca trae lluvias al norte este fin de semana", "es", "natural_disaster"),
        ("Attacchi hacker russi ai siti di ministeri italiani", "it", "armed_conflict"),
        (
            "Los heridos del accidente de autobús en Ucrania ya están en casa",
            "es",
            "armed_conflict",
        ),
    ],
)
def test_new_rules_stay_off_ordinary_news(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
