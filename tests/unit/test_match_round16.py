"""Tagging round 16: rule families written from the tune half of the fourteenth unseen set.

fresh14 holds recall items in hu tr fr nl and, for half of it, no-topic items with false friends in
thirteen languages. Its tune half showed that a party's internal race for its leader is taken for
a public election in ja ko he ru hu (the LDP's 総裁選, a Korean 전당대회, Labour's primaries for
"יו"ר", a party congress re-electing its chairman, Likud members' votes); the guard the family
already had in en es it el is carried there, and on to fr tr pt. Smaller families: a volcano
studied (nl, carried to hu it), lava told by the homes it destroyed (hu, carried to nl), unions
back "dans la rue" (fr), work "gestaakt" by workers or whole sectors (nl), one person testing
positive for Covid (es, carried from en to fr pt it) and a loneliness "epidemic" across a
headline (en). The tune, guard and carry cases fail on main at 255147a; the near misses pass
before and after. No tune or dev line of any older set changed.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH14 = "news_eval_fresh14.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("hu-f14-026", "natural_disaster"),  # borított be a láva ... 200 lakóház pusztult el
        ("fr-f14-019", "protest"),  # Retraites: de retour dans la rue, les syndicats
        ("nl-f14-031", "protest"),  # veel gestaakt in verschillende sectoren
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH14, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("ja-f14-001", "elections"),  # 自民党の総裁選挙は4日に投開票 ... 決選投票
        ("ja-f14-003", "elections"),  # 石破元幹事長、自民総裁選に立候補へ
        ("ko-f14-005", "elections"),  # 전국당원대회(전당대회) ... 차기 당대표와 최고위원
        ("he-f14-002", "elections"),  # בבחירות לראשות הליכוד
        ("he-f14-004", "elections"),  # ניצחה בפריימריז ונבחרה ליו"ר העבודה
        ("he-f14-005", "elections"),  # הקדמת הפריימריז ... לתפקיד יו"ר המפלגה
        ("ru-f14-003", "elections"),  # переизбран председателем ... съезда партии
        ("hu-f14-024", "elections"),  # a párt ... tagjai voksainak
        ("es-f14-001", "disease_outbreak"),  # acaba de dar positivo ... COVID-19
        ("en-f14-003", "disease_outbreak"),  # loneliness ... has hit epidemic levels
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH14, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Lava bedolft tientallen huizen op La Palma", "", "nl", "natural_disaster"),
    ],
)
def test_the_families_carry_to_other_languages(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Faure réélu premier secrétaire avec 55 % des voix des adhérents", "fr", "elections"),
        ("CHP kurultayında genel başkanlık seçimi yapıldı", "tr", "elections"),
        ("Eleição para presidente do partido: Pedro Nuno Santos eleito", "pt", "elections"),
        ("Le chanteur testé positif au Covid-19 annule son concert", "fr", "disease_outbreak"),
        ("Il cantante è positivo al covid: rinviato il concerto", "it", "disease_outbreak"),
        ("A cantora testou positivo para covid e cancela o show", "pt", "disease_outbreak"),
        ("Onderzoekers willen vulkaanuitbarstingen beter voorspellen", "nl", "natural_disaster"),
        ("Kutatók szerint előre jelezhető a következő vulkánkitörés", "hu", "natural_disaster"),
        ("Ricercatori studiano l'eruzione del vulcano Stromboli", "it", "natural_disaster"),
    ],
)
def test_carried_guards_hold(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("衆院選で自民党総裁の石破首相が街頭演説", "ja", "elections"),
        ("대선 개표 결과 민주당 후보 당선 확실", "ko", "elections"),
        ("סקר: הליכוד בראשות נתניהו מקבל 30 מנדטים בבחירות לכנסת", "he", "elections"),
        ("Председатель ЦИК подвела итоги выборов в Госдуму", "ru", "elections"),
        ("Madrid registra 500 nuevos casos de covid en residencias", "es", "disease_outbreak"),
        ("Vulkaanuitbarsting op IJsland: honderden bewoners geëvacueerd", "nl", "natural_disaster"),
    ],
)
def test_guards_leave_real_news_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("De zoekactie naar de vermiste wandelaar is gestaakt", "nl", "protest"),
        ("Des milliers de sans-abri dorment dans la rue cet hiver", "fr", "protest"),
        ("A láva megszilárdult, a kutatók mintát vettek belőle", "hu", "natural_disaster"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
