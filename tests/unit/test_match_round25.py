"""Tagging round 25: recall of natural_disaster, armed_conflict, terrorism and protest in the
weakest languages (fr sv nl tr hu it, beside en de es pt), fresh23 tune half.

fresh23 is 185 real items in ten languages: quake tolls and aftershocks, landslides, wildfires
and storms with their dead; Russian drone nights over Ukraine and Gaza's dead under a ceasefire;
knife plots foiled, Islamic State claims and suicide bombers caught; general strikes, marches and
police breaking up crowds; beside false friends (earthquake drills, disaster films, price wars,
military exercises, war films, flood anniversaries, political "earthquakes", a warning day).
The hostages-of-Hamas family (es it sv) is carried to fr nl hu tr from fresh18's tune half.
Its tune half missed aftershocks named alone (nl "naschokken"), the singular "Russische drone"
(nl), an attack "contra Ucrania" (es), a suicide bomber with a suffix ("canlı bombası", tr),
"Allah Akbar" shouted beside a knife (it), unions that "ont battu le pavé" (fr), and police
stepping in on a crowd or detaining a march (tr); it tagged a school earthquake drill (tr), a
drone sent against a forest fire (tr) and a film about a quake (es). The tune cases fail on the
base rules (checked by swapping in 047655b's taxonomy); the near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH23 = "news_eval_fresh23.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("nl-f23-001", "natural_disaster"),  # ... AFAD waarschuwt voor meer naschokken.
        ("nl-f23-007", "armed_conflict"),  # Een Russische drone heeft een gat geslagen in ...
        ("es-f23-007", "armed_conflict"),  # ... un ataque masivo contra Ucrania ... 170 drones
        ("tr-f23-011", "terrorism"),  # DEAŞ’ın 12’nci canlı bombası yakalandı
        ("it-f23-013", "terrorism"),  # Grida “Allah Akbar” e tenta di estrarre un coltello ...
        ("fr-f23-012", "protest"),  # Les syndicats français ont battu le pavé ce mardi ...
        ("tr-f23-016", "protest"),  # ... Yürüyüş yapmak isteyen gruplar gözaltına alındı
        ("tr-f23-017", "protest"),  # ... eylemine gitmek isteyen kitleye polis müdahalesi ...
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH23, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f23-005", "armed_conflict"),  # ... orman yangını ile mücadele ... (İHA) ile destek
        ("tr-f23-019", "natural_disaster"),  # Okulda deprem tatbikatı gerçeği aratmadı
        ("es-f23-019", "natural_disaster"),  # Preestrenan ... la cinta '7:19' ... película ...
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH23, item_id, taxonomy)


def test_hamas_hostages_from_fresh18_tune_are_the_war(taxonomy: CompiledTaxonomy) -> None:
    # the hostage family carried to fr (nl hu tr): "... sur le Hamas pour récupérer les otages"
    assert "armed_conflict" in item_topics("news_eval_fresh18.jsonl", "fr-f18-004", taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # a bank hold-up with hostages is no war (the hostage rule wants Hamas or Gaza)
        ("Prise d'otages dans une banque de Lyon", "fr", "armed_conflict"),
        # hackers' attack against Ukraine is a cyberattack, not the war (the es cyber guard)
        ("Ataque informático contra Ucrania atribuido a piratas rusos", "es", "armed_conflict"),
        # a drone spraying fields is no weapon
        ("İHA ile tarım arazilerinde ilaçlama yapıldı", "tr", "armed_conflict"),
        # suspects detained in a police operation are no march
        ("Operasyonda 12 şüpheli gözaltına alındı", "tr", "protest"),
        # the call to prayer is no attack
        ("Allah akbar, la preghiera del venerdì nella moschea di Roma", "it", "terrorism"),
        # a "pavé" in a cookbook is no march
        ("Un pavé de saumon grillé en dix minutes", "fr", "protest"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # a Russian drone attack named with its drones keeps its tag
        ("Ataque ruso con drones contra Ucrania deja cuatro muertos", "es", "armed_conflict"),
        # an Israeli strike keeps its tag beside the nl singular
        ("Israëlische luchtaanval op Gaza: twintig doden", "nl", "armed_conflict"),
        # a quake with its dead keeps its tag beside the tr drill guard
        ("Deprem: 12 ölü, yüzlerce yaralı", "tr", "natural_disaster"),
        # demonstrators named as such keep their tag
        ("Des milliers de manifestants ont battu le pavé à Paris", "fr", "protest"),
        # a suicide bombing keeps its tag
        ("Bombalı saldırıda 5 kişi hayatını kaybetti", "tr", "terrorism"),
    ],
)
def test_near_misses_stay_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)
