"""Tagging round 31: recall in tr fr it pt de, fresh28 tune half.

fresh28 is 168 real items in five languages (tr fr it pt de), about a third of them false friends
with no topic: club, union and society elections, price wars, earthquake drills, flood and
landslide risk reports, disease studies and definitions, a political "earthquake". Its tune half
missed a union mobilisation (fr), a legislative by-election named in the singular (fr), regional
and municipal votes named by their noun (it), a "cybergang" (it), a landslide that cut rail
traffic (de) and a rise in measles told as people falling ill (de); it tagged earthquake drills
and an anniversary (tr), flood and landslide risk reports (it), a union's and a club's electoral
committee (pt), a central bank robbed by hackers as market news (de) and a measles virus as malware
(it). The tune cases fail on the base rules (checked against c69402e's taxonomy); the near misses
pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH28 = "news_eval_fresh28.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fr-f28-002", "protest"),  # la CGT reste mobilisée contre la réforme des retraites
        ("fr-f28-003", "protest"),  # ont mobilisé hier, à l'appel de l'ensemble des syndicats
        ("fr-f28-010", "elections"),  # L'analyse du second tour de la législative partielle
        ("it-f28-003", "elections"),  # I risultati di Regionali in Piemonte e Amministrative 2019
        ("it-f28-012", "cyberattack"),  # ... il principale bersaglio delle cybergang
        ("de-f28-007", "natural_disaster"),  # Eine Erdrutsche ... hat den Fernverkehr ... gestört
        ("de-f28-029", "disease_outbreak"),  # Sprunghafter Anstieg bei Masern
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH28, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f28-019", "natural_disaster"),  # okullarda deprem tatbikatı ... Deprem Haftası
        ("tr-f28-021", "natural_disaster"),  # depremlerin yıl dönümünde ... deprem tatbikatı
        ("it-f28-007", "natural_disaster"),  # Le frane e le inondazioni sono frequenti in Italia
        ("it-f28-008", "natural_disaster"),  # Rapporto ... sul Rischio ... da Frane e Inondazioni
        ("pt-f28-021", "elections"),  # assembléia de sócios ... Comissão Eleitoral
        ("pt-f28-025", "elections"),  # processo eleitoral ... do Sindicato dos Árbitros
        ("de-f28-020", "economy_markets"),  # Hacker erpressen EZB
        ("de-f28-022", "economy_markets"),  # Hacker greifen die Europäische Zentralbank an
        ("it-f28-034", "cyberattack"),  # Il morbillo è una malattia infettiva causata dal virus
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH28, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        # strikes, votes, quakes, outbreaks and attacks of the tune half keep their tags
        ("tr-f28-002", "natural_disaster"),  # ... 7.7 ve 7.6 büyüklüğündeki depremlerde bilanço
        ("tr-f28-010", "elections"),  # 31 Mart Mahalli İdareler Genel Seçimleri'nde oy kullanan
        ("fr-f28-021", "economy_markets"),  # L'indice parisien perdait 0,69% ... Crowdstrike
        ("it-f28-001", "elections"),  # Seggi elettorali aperti per scegliere il sindaco
        ("pt-f28-007", "natural_disaster"),  # Deslizamento de terras, cheias ... chuvas torrenciais
        ("de-f28-001", "protest"),  # ... Warnstreik und einer Kundgebung der Polizisten
        ("de-f28-020", "cyberattack"),  # Hacker erpressen EZB
    ],
)
def test_tune_items_keep_their_tags(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH28, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # a real quake keeps its tag beside a word of a foreseen one
        (
            "Malatya'da 5,6 büyüklüğünde deprem: 2 kişi hayatını kaybetti",
            "Uzmanlar olası artçı sarsıntılara karşı uyardı.",
            "tr",
            "natural_disaster",
        ),
        # a regional vote with its winner, and a public election beside a union
        (
            "Regionali in Sardegna, vince Todde",
            "Lo spoglio si è concluso nella notte.",
            "it",
            "elections",
        ),
        (
            "Eleições municipais: Tribunal Regional Eleitoral divulga resultado",
            "O candidato do PT venceu no segundo turno.",
            "pt",
            "elections",
        ),
        # a market slide beside the central bank keeps its tag
        (
            "DAX fällt nach Zinsentscheid der EZB",
            "Die Anleger reagierten enttäuscht auf die Notenbank.",
            "de",
            "economy_markets",
        ),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
