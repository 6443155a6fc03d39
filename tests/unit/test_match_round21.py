"""Tagging round 21: natural_disaster and armed_conflict recall, from the tune half of fresh19.

fresh19 is 159 real items in en de es fr ru ar zh ja pt it tr hu nl id: quake tolls and
aftershocks, typhoons and hurricanes by name, floods, mudslides, droughts and heatwaves; drone and
missile strikes, attacks on Gaza and Ukraine, villages taken, ceasefire talks; beside false
friends (price wars, military parades, war anniversaries, films and games, derbies, climate
summits, weather forecasts, studied volcanoes). Its tune half missed the war named by its two
belligerents ("Guerre Russie-Ukraine", fr), a state at war attacking another with a verb ("Rússia
ataca Ucrânia", pt), an attack by the Israeli army (id), a drone attack written 無人機攻撃 (ja), a
drone that fell on a house (ru) and a river of mud and debris (it); it tagged a volcano studied to
forecast its eruptions (fr). The tune cases fail on main at 1cfa231; the near misses pass before
and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH19 = "news_eval_fresh19.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fr-f19-010", "armed_conflict"),  # Guerre Russie-Ukraine : des images de drone ...
        ("pt-f19-006", "armed_conflict"),  # Rússia ataca Ucrânia e deixa pelo menos 18 civis mortos
        ("id-f19-005", "armed_conflict"),  # Akibat Serangan Tentara Israel, ... di Gaza ...
        ("ja-f19-007", "armed_conflict"),  # オデッサに無人機攻撃、3人死亡 集合住宅損傷
        ("ru-f19-002", "armed_conflict"),  # Беспилотники летели на Москву ... после падения дрона
        ("it-f19-005", "natural_disaster"),  # ... un fiume di fango e detriti ha travolto ...
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH19, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fr-f19-005", "natural_disaster"),  # ... pour anticiper les éruptions des volcans
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH19, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # hackers attack too: a cyberattack on Russia is no war
        ("Serangan siber Rusia lumpuhkan situs pemerintah", "id", "armed_conflict"),
        # researchers forecasting eruptions are no eruption
        ("Des chercheurs veulent prévoir les éruptions de l'Etna", "fr", "natural_disaster"),
        # a price war keeps its exclusion
        ("Guerre des prix entre la Russie et l'Ukraine sur le blé", "fr", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # the guard covers volcanoes only: a quake nobody could forecast keeps its tag
        ("Personne n'a pu prévoir le séisme qui a fait 300 morts", "fr", "natural_disaster"),
        # a landslide told with its dead keeps its tag
        ("Ischia, frana e colata di fango: due morti", "it", "natural_disaster"),
        # an Israeli air strike keeps its tag
        ("Serangan udara Israel tewaskan 20 orang di Gaza", "id", "armed_conflict"),
    ],
)
def test_near_misses_stay_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)
