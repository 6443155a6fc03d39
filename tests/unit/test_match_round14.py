"""Tagging round 14: precision rule families written from the tune half of the twelfth unseen set.

The set (fresh12) is a feed-like stream in en de es it ru pl id vi th sv el ro, two thirds of it
with no topic. Guards: a company going public or a club raising share capital is no market news
("se lista la Bursa de Valori", "αύξηση μετοχικού κεφαλαίου"), nor is a protest against a price
rise ("Demo Tolak Kenaikan Harga BBM"); a tsunami said of a Covid wave, a game postponed for bad
weather and a count of people in flood-risk areas are no disaster; a war named as what moved a
stock index is market news (th), a rally's demand for a new election is the rally (th), war
counted among causes of death is no war news (en). Recall: hostages freed from Gaza are the Gaza
war, an eruption that shuts an airport is a disaster, Russian rockets that fell are the war (pl),
clashes with the police are a protest (ru). Each case fails on main at 5ae3212. The families
were carried to the other round languages where the blocks lacked them (the text cases below);
on the older sets they changed nothing but seven gains.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH12 = "news_eval_fresh12.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("de-f12-007", "armed_conflict"),  # Drei weitere Hamas-Geiseln an Rotes Kreuz übergeben
        ("it-f12-005", "natural_disaster"),  # Eruzione Etna, chiuso l'aeroporto di Catania
        ("pl-f12-007", "armed_conflict"),  # eksplozja w Przewodowie ... spadły rosyjskie rakiety
        ("ru-f12-016", "protest"),  # пострадали в ходе столкновений с полицией ... митинг
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH12, item_id, taxonomy)


@pytest.mark.parametrize(
    ("path", "item_id", "topic"),
    [
        (FRESH12, "ro-f12-007", "economy_markets"),  # intenția de a se lista la Bursa de Valori
        (FRESH12, "el-f12-006", "economy_markets"),  # αύξηση μετοχικού κεφαλαίου της ΠΑΕ ΠΑΟΚ
        (FRESH12, "vi-f12-008", "natural_disaster"),  # "Sóng thần" Covid-19 ... tâm chấn mới
        (FRESH12, "el-f12-015", "natural_disaster"),  # αναβλήθηκε λόγω της κακοκαιρίας
        (FRESH12, "it-f12-010", "natural_disaster"),  # territori a rischio idrogeologico
        ("news_eval_fresh3.jsonl", "id-f3-013", "economy_markets"),  # Demo Tolak Kenaikan Harga BBM
        ("news_eval_fresh3.jsonl", "id-f3-014", "economy_markets"),  # Tolak Harga BBM Naik
        ("news_eval_tune2.jsonl", "th-t2-022", "armed_conflict"),  # หุ้นไทยร่วงหนัก ... ข่าวร้ายสงคราม
        ("news_eval_tune2.jsonl", "th-t2-002", "elections"),  # ชุมนุมหนุน ... ยุบสภาเลือกตั้งใหม่
        (
            "news_eval_asia_en.jsonl",
            "en-news-021",
            "armed_conflict",
        ),  # armed conflict as a cause of death
    ],
)
def test_tune_traps_are_not_tagged(
    path: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(path, item_id, taxonomy)


@pytest.mark.parametrize(
    ("language", "title", "summary", "topic"),
    [
        (
            "de",
            "Porsche-Börsengang: Aktie startet",
            "Der Börsengang bringt neun Milliarden.",
            "economy_markets",
        ),
        (
            "en",
            "Covid tsunami in Tokyo",
            "Officials warn residents as a tsunami of coronavirus infections hits the city.",
            "natural_disaster",
        ),
        (
            "id",
            "Tsunami Covid di Jakarta",
            "Warga diminta waspada karena tsunami kasus covid melanda kota.",
            "natural_disaster",
        ),
    ],
)
def test_carried_guards(
    language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("language", "title", "summary", "topic"),
    [
        (
            "en",
            "Three more hostages freed",
            "Hamas handed the hostages to the Red Cross in Gaza.",
            "armed_conflict",
        ),
        (
            "es",
            "Liberados tres rehenes",
            "Hamás entregó a los rehenes a la Cruz Roja en Gaza.",
            "armed_conflict",
        ),
        (
            "en",
            "Etna erupts again",
            "The eruption closed Catania airport and flights were cancelled.",
            "natural_disaster",
        ),
    ],
)
def test_carried_families_tag(
    language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
