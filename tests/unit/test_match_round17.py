"""Tagging round 17: rule families written from the tune half of the fifteenth unseen set.

fresh15 is feed-like: whole headline lists from homepages, section pages, tickers and briefings in
en de es fr ru ar zh ja pt it, three quarters of it with no topic. Its tune half showed false
friends (flag football "spreading like wildfire", the cardinals' 選挙(コンクラーベ), a former
central bank president talking politics) and misses (a president who "beat her rival for another
term", farmers' tractors in a blockade, a drone "сбитом" over Moscow and the "поле боя", a suicide
bombing in traditional Chinese, a storm that forces evacuations in Arabic). The conclave guard is
carried from ja to ru zh uk tr ko el, the central-bank guard from pt to es and en. The tune and
carry cases fail on main at b5898bd; the near misses and real-news cases pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH15 = "news_eval_fresh15.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("en-f15-017", "elections"),  # beat her rival Aécio Neves for another term as president
        ("fr-f15-002", "protest"),  # colère des agriculteurs : 150 tracteurs ... le barrage
        ("ru-f15-001", "armed_conflict"),  # Штурмовики ... на поле боя
        ("ru-f15-005", "armed_conflict"),  # о втором сбитом над Москвой беспилотнике
        ("zh-f15-014", "terrorism"),  # 恐怖組織ISIS-K ... 自殺炸彈攻擊
        ("ar-f15-014", "natural_disaster"),  # بإجلاء السكان ... إنقطاع الكهرباء جراء عاصفة
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH15, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("en-f15-014", "natural_disaster"),  # spreading like wildfire among US girls
        ("ja-f15-012", "elections"),  # 後継者を決める選挙(コンクラーベ)で投票する ... 枢機卿
        ("pt-f15-020", "economy_markets"),  # diz Campos Neto, ex-presidente do Banco Central
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH15, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Выборы нового папы римского: кардиналы собрались на конклав", "ru", "elections"),
        ("枢机主教齐聚梵蒂冈 教宗选举明日开始投票", "zh", "elections"),
        (
            "Конклав: кардинали оберуть нового папу римського, вибори почнуться в середу",
            "uk",
            "elections",
        ),
        ("Yeni papa seçimi için kardinaller konklava toplandı", "tr", "elections"),
        ("교황 선출 콘클라베 투표 시작… 추기경 133명 참석", "ko", "elections"),
        (
            "Κονκλάβι: οι καρδινάλιοι ξεκινούν την ψηφοφορία για την εκλογή νέου Πάπα",
            "el",
            "elections",
        ),
        ("El expresidente del Banco Central critica al Gobierno", "es", "economy_markets"),
        ("Former central bank governor joins opposition party", "en", "economy_markets"),
        ("The new app is spreading like wildfire among teenagers", "en", "natural_disaster"),
    ],
)
def test_carried_guards_hold(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Putin wins fifth term as president with 87% of the vote", "en", "elections"),
        ("Opposition leader seeks a second term as mayor of Istanbul", "en", "elections"),
        ("Des agriculteurs en colère bloquent l'autoroute avec leurs tracteurs", "fr", "protest"),
        ("Обломки сбитого беспилотника упали на жилой дом в Курске", "ru", "armed_conflict"),
        ("喀布爾發生自殺炸彈攻擊 數十人死亡", "zh", "terrorism"),
    ],
)
def test_the_families_carry_to_other_headlines(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Wildfire forces thousands to evacuate in California", "en", "natural_disaster"),
        ("Central bank raises interest rates to curb inflation", "en", "economy_markets"),
        ("Banco Central eleva juros para 10,5% ao ano", "pt", "economy_markets"),
        ("El Banco Central baja los tipos de interés al 3%", "es", "economy_markets"),
        ("参院選の投票率は過去最低に", "ja", "elections"),
        ("Выборы в Госдуму: явка составила 40 процентов", "ru", "elections"),
        ("台湾大选投票开始 选民排队投票", "zh", "elections"),
        ("Yerel seçim sonuçları: CHP önde", "tr", "elections"),
        ("대선 개표 결과 민주당 후보 당선", "ko", "elections"),
        ("Εκλογές: η ΝΔ προηγείται στις δημοσκοπήσεις", "el", "elections"),
    ],
)
def test_guards_leave_real_news_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Pupils return to school for the second term after the holidays", "en", "elections"),
        ("Salon de l'agriculture : les tracteurs de collection exposés à Paris", "fr", "protest"),
        ("Футболисты вышли на поле после перерыва", "ru", "armed_conflict"),
        ("عاصفة ترابية تضرب الرياض", "ar", "natural_disaster"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
