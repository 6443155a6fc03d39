"""Tagging round 35: recall in hu sv tr by morphology, fresh32 tune half.

fresh32 is 167 real items in hu sv tr, about a third of them false friends with no topic: club
presidents elected at a general assembly, association annual meetings, school and university
choices ("gymnasievalet", "üniversite tercihi"), earthquake drills, explainers and small quakes
felt without damage, fire-risk notices, strike explainers, war-museum exhibitions, 1956
commemorations, obesity as a "népbetegség", football "attack" and "defence". Its tune half missed
words the taxonomy already had, in forms it did not list: Turkish evidence words with case and
possessive suffixes ("illerinde", "alarma", "kontrol altında"), the flu softened before a suffix
("gribe yakalandı"), Swedish compounds and definite forms ("Valdagen", "valdagsundersökning",
"bopriserna", "bostadsrättspriserna"); and a few terms it lacked: "hain saldırı" (tr terrorism),
fuel prices (tr), an intrusion into an IT environment (sv). The tune half tagged voters' trust in
party leaders as an election (sv). The tune cases fail on the base rules (tagging-round35's
c89e6c2); the morphology cases, written for this test, show the same forms in other rules; the
near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH32 = "news_eval_fresh32.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f32-006", "terrorism"),  # ... Gaziantep'teki hain saldırının hedefinin polis olduğunu
        ("tr-f32-039", "disease_outbreak"),  # Solunum yolu enfeksiyonları artıyor.
        ("tr-f32-040", "disease_outbreak"),  # ... 400 bine yakın kişi gribe yakalandı!
        (
            "tr-f32-045",
            "natural_disaster",
        ),  # ... illerinde çıkan orman yangınları ekipleri alarma geçirdi
        (
            "tr-f32-047",
            "natural_disaster",
        ),  # Orman Yangınları Kontrol Altında – Soğutma Çalışmaları
        ("tr-f32-054", "economy_markets"),  # ... Motorin fiyatında yaşanan 28 kuruşluk artışın
        ("sv-f32-005", "cyberattack"),  # ... drabbades av ett intrång i sin it-miljö
        ("sv-f32-020", "elections"),  # VAL 2022: TV4:s stora valdagsundersökning
        ("sv-f32-029", "elections"),  # Valdagen går mot sitt slut – och USA håller andan.
        ("sv-f32-055", "economy_markets"),  # ... bostadsrättspriserna i Stockholm ... föll rejält
        ("sv-f32-056", "economy_markets"),  # Här faller bopriserna
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH32, item_id, taxonomy)


def test_tune_false_friend_stays_untagged(taxonomy: CompiledTaxonomy) -> None:
    # "”Paradoxalt” stöd för Busch | Väljarnas förtroende är nästan lika högt för ... partiledarna"
    assert "elections" not in item_topics(FRESH32, "sv-f32-019", taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        # outbreaks, quakes, votes and markets of the tune half keep their tags
        ("tr-f32-001", "natural_disaster"),  # Yaşamını yitirenlerin sayısı Marmara depremini geçti
        ("tr-f32-029", "natural_disaster"),  # ... Kocaali ilçesinde ... oluşan sel felaketi
        ("tr-f32-038", "disease_outbreak"),  # Mevsimsel grip vakaları artıyor, grip salgını ...
        ("hu-f32-043", "natural_disaster"),  # ... levonuljon az évtized árvize
    ],
)
def test_tune_items_keep_their_tags(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH32, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # tr evidence words with their suffixes: a flood told with "ilde", "evlerini", "halkı"
        (
            "Karadeniz'de sel felaketi",
            "Üç ilde evlerini su basan halkı korku sardı.",
            "tr",
            "natural_disaster",
        ),
        # tr "hain saldırı" with its suffixes, its dead told by "yaşamını yitirdi"
        (
            "Karakola hain saldırı",
            "Saldırıda iki asker yaralanırken bir sivil yaşamını yitirdi.",
            "tr",
            "terrorism",
        ),
        # sv compounds and definite forms of the election words
        (
            "Valresultaten klara i natt",
            "Valnattens stora vinnare blev oppositionen.",
            "sv",
            "elections",
        ),
        # sv storm names in the plural and definite
        (
            "Orkanerna drar in över Karibien",
            "Tusentals människor har evakuerats och hus har förstörts.",
            "sv",
            "natural_disaster",
        ),
        # hu: a storm's dead in the plural ("meghaltak")
        (
            "Vihar tombolt az országban",
            "A vihar miatt hárman meghaltak.",
            "hu",
            "natural_disaster",
        ),
    ],
)
def test_inflected_forms_are_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


def test_near_miss_poll_keeps_its_tag(taxonomy: CompiledTaxonomy) -> None:
    # a party-preference poll keeps its tag beside the trust-rating guard
    title = "Ny mätning: Sverigedemokraterna tappar"
    summary = "Väljarna flyr partiet inför valet enligt Demoskop."
    assert "elections" in topics(title, summary, "sv", taxonomy)


def test_near_miss_drill_stays_untagged(taxonomy: CompiledTaxonomy) -> None:
    # a drill stays no disaster whatever the suffixes of the evidence words
    title = "Okullarda deprem tatbikatı yapıldı"
    summary = "Öğrenciler tatbikatta binalardan tahliye edildi."
    assert "natural_disaster" not in topics(title, summary, "tr", taxonomy)
