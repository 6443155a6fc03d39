"""Tagging round 27: why pooled held-out recall stays at .86 in hu tr sv fr nl (no new set).

The round classified the tune-half misses of the weak languages, each set scored with the rules it
was first scored with, and tried a structural change: in hu tr sv fr nl a term of weight 1.5 made
decisive (every topic but economy_markets), and the last word of every hu and tr term phrase made
a stem, since both languages put case, plural and possessive suffixes on the phrase's last word
("kuş gribinin", "közvélemény-kutatás"). On the pooled held-out halves it gave recall .859 -> .863
(+9 true positives) but one more no-topic item and one more trap tagged, so by the criterion
written before the score it was reverted (commit 34da2a6 holds it; bench/README "Round 27").
Round 28 scored a fresh unseen set (news_eval_fresh25) with and without it; it met that round's
pre-set criterion and 34da2a6's taxonomy was adopted (bench/README "Round 28").

What is pinned here:
- the tune-half false friends the weight change would have tagged (an indicator named in passing,
  a hazard explainer): they stay untagged on the rules as they are, and must stay so under any
  later structural change;
- the morphology hole in hu and tr, closed by the adopted change: wordings with suffixed phrase
  heads and names that the rules before round 28 did not tag (strict xfails until round 28).
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics


@pytest.mark.parametrize(
    ("path", "item_id", "topic"),
    [
        # "déficit à 5 % du PIB": a budget story, no market news
        ("news_eval_fresh5.jsonl", "fr-f5-007", "economy_markets"),
        # "l'IRA (Inflation Reduction Act)": a law's name
        ("news_eval_fresh6.jsonl", "fr-f6-007", "economy_markets"),
        # strikers want compensation "voor de hoge inflatie": a strike, not market news
        ("news_eval_fresh14.jsonl", "nl-f14-031", "economy_markets"),
        # "Sel felaketi ve su taşkınlarının sebepleri ... bir doğa olayıdır": a flood explainer
        ("news_eval_fresh20.jsonl", "tr-f20-018", "natural_disaster"),
    ],
)
def test_tune_false_friends_stay_untagged(
    path: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(path, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # "kozvelemeny kutat" is written as a whole word and never matches "közvélemény-kutatás"
        pytest.param(
            "Közvélemény-kutatás: szoros verseny a két párt között",
            "A felmérés szerint a különbség két százalékpont.",
            "hu",
            "elections",
        ),
        # "kızamık" and "kuş gribi" are whole words: "kızamıktan", "gribinin" are missed
        pytest.param(
            "Kızamıktan ölenlerin sayısı arttı",
            "Sağlık Bakanlığı okullarda aşı kampanyası başlattı.",
            "tr",
            "disease_outbreak",
        ),
        pytest.param(
            "Kuş gribinin yayılması sürüyor",
            "Çiftliklerde binlerce tavuk itlaf edildi.",
            "tr",
            "disease_outbreak",
        ),
        pytest.param(
            "Tsunamiye karşı uyarı yapıldı",
            "Kıyıdaki binlerce kişi tahliye edildi.",
            "tr",
            "natural_disaster",
        ),
    ],
)
def test_inflected_heads(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # near misses: suffixed forms the rules already match (a stem or a second word) stay tagged
        (
            "Genel greve hazırlanıyorlar",
            "Sendikalar cuma günü iş bırakacak.",
            "tr",
            "protest",
        ),
        (
            "Ballisztikus rakétákat lőtt ki Oroszország Ukrajnára",
            "Kijevben robbanások hallatszottak.",
            "hu",
            "armed_conflict",
        ),
        (
            "Merkez Bankası'nın faiz kararı açıklandı",
            "Piyasalar kararı bekliyordu.",
            "tr",
            "economy_markets",
        ),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
