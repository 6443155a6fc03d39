"""Tagging round 11: rules written from the tune half of the ninth unseen set (fresh9).

A war named with its place ("le conflit en Ukraine", "the war in Ukraine"), a raid or a missile
shot named by the state at war, an army killing people in Gaza are armed conflict (fr en ar); a
party that wins seats, a poll of a party's or leader's support, a poll of candidates standing are
election news (fr tr zh); a glacier or avalanche that killed, a cyclone that cut power, people
displaced ("desalojadas") beside the civil defence are natural disasters (en ru pt); strikers and
demonstrators are protest (ru); an IS cell busted is terrorism whatever case suffix the name takes
(tr); the dollar gaining against the lira is markets (tr). The guards: a strike by the stock
exchange's staff is not market news (it), a warning of a military coup is not a war (ar), a firm
exporting Covid test kits is not an outbreak (zh). Each tune case failed on main at a9d2088.
The war-with-its-place family is carried to it es pt de nl ru, which had no such item in the tune
half: it changed no item of the older sets.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH9 = "news_eval_fresh9.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fr-f9-014", "armed_conflict"),  # le tir sur l'Ukraine d'un missile
        ("fr-f9-022", "armed_conflict"),  # Le conflit en Ukraine a pris un "caractère mondial"
        ("fr-f9-025", "armed_conflict"),  # raids israéliens sur Damas
        ("ar-f9-015", "armed_conflict"),  # الجيش الإسرائيلي يقتل 3 فلسطينيين في غزة
        ("fr-f9-016", "elections"),  # le parti au pouvoir remporte plus des 3/4 des sièges
        ("tr-f9-011", "elections"),  # Anketler ... Erdoğan'a desteğin azaldığını
        ("zh-f9-022", "elections"),  # 遠見民調 ... 宋楚瑜是否參選
        ("en-f9-011", "natural_disaster"),  # glacier collapse kills 6
        ("ru-f9-009", "natural_disaster"),  # отключение света ... из-за прохождения циклона
        ("pt-f9-021", "natural_disaster"),  # Defesa Civil ... desalojadas
        ("ru-f9-008", "protest"),  # Забастовщики ... манифестантов
        ("tr-f9-007", "terrorism"),  # DEAŞ'IN HARAÇ ŞEBEKESİ ÇÖKERTİLDİ
        ("tr-f9-015", "economy_markets"),  # dolar TL karşısında hızlı şekilde değer kazandı
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH9, item_id, taxonomy)


def test_a_strike_at_the_stock_exchange_is_protest_not_market_news(
    taxonomy: CompiledTaxonomy,
) -> None:
    found = item_topics(FRESH9, "it-f9-003", taxonomy)
    assert "economy_markets" not in found
    assert "protest" in found


def test_a_warning_of_a_military_coup_is_not_a_war(taxonomy: CompiledTaxonomy) -> None:
    assert "armed_conflict" not in item_topics(FRESH9, "ar-f9-026", taxonomy)


def test_a_firm_exporting_covid_test_kits_is_not_an_outbreak(taxonomy: CompiledTaxonomy) -> None:
    assert "disease_outbreak" not in item_topics(FRESH9, "zh-f9-007", taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Piazza Affari chiude in rialzo, bene le banche", "it", "economy_markets"),
        ("غارة إسرائيلية على غزة", "ar", "armed_conflict"),
        ("新增确诊病例20例 疫情扩散", "zh", "disease_outbreak"),
        ("The war in Ukraine enters its fourth year", "en", "armed_conflict"),
        ("DEAŞ'a yönelik operasyonda 12 gözaltı", "tr", "terrorism"),
        ("La guerra in Ucraina entra nel quarto anno", "it", "armed_conflict"),
        ("La guerra en Ucrania cumple tres años", "es", "armed_conflict"),
        ("A guerra na Ucrânia completa três anos", "pt", "armed_conflict"),
        ("Der Krieg in der Ukraine geht ins vierte Jahr", "de", "armed_conflict"),
        ("De oorlog in Oekraïne duurt voort", "nl", "armed_conflict"),
        ("Война на Украине продолжается", "ru", "armed_conflict"),
    ],
)
def test_the_rules_and_guards_leave_the_plain_cases_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Un raid de police à Marseille", "fr", "armed_conflict"),
        ("Conflit d'intérêts: un ministre mis en cause", "fr", "armed_conflict"),
        ("Le Racing remporte le derby", "fr", "elections"),
        ("Anket: tatile çıkanların sayısı arttı", "tr", "elections"),
        ("民调显示多数民众支持延长退休年龄", "zh", "elections"),
        ("Glacier retreat measured by researchers", "en", "natural_disaster"),
        ("Família desalojada pela polícia em São Paulo", "pt", "natural_disaster"),
        ("Жители остались без света из-за аварии на подстанции", "ru", "natural_disaster"),
        ("قتل رجل زوجته في القاهرة", "ar", "armed_conflict"),
        ("Dolar bugün ne kadar?", "tr", "economy_markets"),
        ("La guerra de precios llega a Ucrania", "es", "armed_conflict"),
        ("Il conflitto di interessi in Ucraina", "it", "armed_conflict"),
        ("Der Krieg der Worte in der Ukraine", "de", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
