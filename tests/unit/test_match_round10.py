"""Tagging round 10: rules written from the tune half of the eighth unseen set (fresh8).

A storm that cuts power, fells trees or drowns someone, and a typhoon or heavy rain that grounds
flights, is a natural disaster (fi hu he ja); a Swedish party-preference poll or snap election is
election news; "KLB" beside a disease is an Indonesian outbreak declaration; a truce agreement in
the Thai-Cambodian border war is armed conflict; the leu rising or falling is markets. The guards:
a central bank, the exchange or a share hit by hackers is a cyberattack and not market news (da no
sv fi hu); Israel's "pengeboman" of Gaza is war, not terrorism; "KLB" alone is also a party
congress. Each tune case failed on main at b24511c.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH8 = "news_eval_fresh8.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fi-f8-008", "natural_disaster"),  # syysmyrsky katkaisi ... sähköt
        ("fi-f8-009", "natural_disaster"),  # tuulen takia sähköt ... poikki
        ("hu-f8-011", "natural_disaster"),  # viharok után | kidőlt fákat
        ("he-f8-002", "natural_disaster"),  # קרס בעקבות הרוחות העזות
        ("ja-f8-003", "natural_disaster"),  # 台風14号 ... 欠航
        ("ja-f8-010", "natural_disaster"),  # 大雨の影響で ... 通信障害
        ("sv-f8-001", "elections"),  # eventuellt extraval
        ("sv-f8-002", "elections"),  # om det var val i dag, partisympatiundersökning
        ("id-f8-023", "disease_outbreak"),  # KLB campak
        ("th-f8-009", "armed_conflict"),  # ละเมิดข้อตกลงสงบศึก
        ("ro-f8-010", "economy_markets"),  # Leul s-a apreciat pe piața interbancară
        ("fi-f8-013", "economy_markets"),  # pörsseissä rytisee
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH8, item_id, taxonomy)


@pytest.mark.parametrize("item_id", ["da-f8-008", "da-f8-009", "da-f8-010", "hu-f8-014"])
def test_a_bank_or_share_hit_by_hackers_or_fraud_is_not_market_news(
    item_id: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "economy_markets" not in item_topics(FRESH8, item_id, taxonomy)


def test_ddos_on_the_central_bank_is_still_a_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    assert "cyberattack" in item_topics(FRESH8, "da-f8-008", taxonomy)


def test_israels_bombing_of_gaza_is_war_not_terrorism(taxonomy: CompiledTaxonomy) -> None:
    found = item_topics(FRESH8, "id-f8-019", taxonomy)
    assert "terrorism" not in found
    assert "armed_conflict" in found


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Pengeboman gereja di Surabaya tewaskan 13 orang", "id", "terrorism"),
        ("Nationalbanken hæver renten", "da", "economy_markets"),
        ("Norges Bank hever renten", "no", "economy_markets"),
        ("Riksbanken höjer räntan", "sv", "economy_markets"),
        ("Leul s-a depreciat în fața euro", "ro", "economy_markets"),
        ("Hackare slog ut Riksbankens webbplats", "sv", "cyberattack"),
    ],
)
def test_the_guards_leave_the_plain_cases_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("KLB Partai Demokrat digelar di Deli Serdang", "id", "disease_outbreak"),
        ("סערה פוליטית: הקואליציה קרסה", "he", "natural_disaster"),
        ("Tuuli kääntyi: puolue nousi kyselyn kärkeen", "fi", "natural_disaster"),
        ("Sähköt poikki Helsingissä vian vuoksi", "fi", "natural_disaster"),
        ("台風の進路予想", "ja", "natural_disaster"),
        ("Politikai vihar tört ki a parlamentben", "hu", "natural_disaster"),
        ("Partisympatisörer samlades i Malmö", "sv", "elections"),
        ("สองพรรคสงบศึก", "th", "armed_conflict"),
        ("Hackere lammer hjemmesiden for Norges Bank", "no", "economy_markets"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
