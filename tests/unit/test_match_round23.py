"""Tagging round 23: precision on no-topic news and traps, from the tune half of fresh21.

fresh21 is 160 real items in en de es fr pt it ru ar zh ja he ko pl tr, two thirds of them
no-topic false friends with `must_not` traps (price wars, derbies, club and federation elections,
anniversaries of attacks and earthquakes, IT outages said not to be an attack, weather forecasts)
beside real topic items near those borders (ransomware on hospitals, elections, measles and
dengue, market bombings). Its tune half tagged outages said NOT to be an attack (de ja ko),
attacks remembered on a memorial day or an anniversary (ru pl it pt fr), an association's
biennial board vote (pt) and a football federation's election (ko). Older tune halves gave a
typhoon looked back on (zh, fresh19) and a break-in blamed on war damage (he, fresh4). The tune
cases and the guards' own new wordings fail on main at 6355d6c; the near misses that keep their
tag pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH21 = "news_eval_fresh21.jsonl"


@pytest.mark.parametrize(
    ("path", "item_id", "topic"),
    [
        (FRESH21, "de-f21-009", "cyberattack"),  # ... nicht davon aus ... Hackerattacke
        (FRESH21, "ja-f21-002", "cyberattack"),  # サイバー攻撃によるものではない
        (FRESH21, "ko-f21-009", "cyberattack"),  # 외부 해킹 공격 가능성은 없다
        (FRESH21, "ru-f21-002", "terrorism"),  # почтут память жертв терактов
        (FRESH21, "ru-f21-003", "terrorism"),  # В память о жертвах терроризма
        (FRESH21, "pl-f21-007", "terrorism"),  # uczcić pamięć ofiar ... zamachów
        (FRESH21, "it-f21-008", "terrorism"),  # Sono passati quarant'anni dalla strage
        (FRESH21, "pt-f21-005", "terrorism"),  # em memória ao atentado em Madri
        (FRESH21, "pt-f21-007", "terrorism"),  # lembrar das vítimas do atentado
        (FRESH21, "fr-f21-011", "terrorism"),  # Hommage ... aux victimes du terrorisme
        (FRESH21, "pt-f21-002", "elections"),  # Associação ... eleições para biênio
        (FRESH21, "ko-f21-003", "elections"),  # 대한축구협회장 선거에서 ... 당선됐다
        ("news_eval_fresh19.jsonl", "zh-f19-004", "natural_disaster"),  # Iris回顧
        ("news_eval_fresh4.jsonl", "he-f4-004", "armed_conflict"),  # חשוד פרץ למסעדה
    ],
)
def test_tune_false_friends_stay_untagged(
    path: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(path, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # an attack that happened keeps its tag, whatever is said of the stolen data
        (
            "Hackerangriff auf Stadtverwaltung",
            "Es gibt keine Hinweise, dass Daten abgeflossen sind.",
            "de",
            "cyberattack",
        ),
        ("病院がサイバー攻撃を受け電子カルテが停止", "", "ja", "cyberattack"),
        ("랜섬웨어 공격으로 병원 전산망 마비", "", "ko", "cyberattack"),
        # a fresh attack keeps its tag
        ("Теракт в Москве: число погибших выросло до 40", "", "ru", "terrorism"),
        ("Atentado em mercado de Cabul deixa 20 mortos", "", "pt", "terrorism"),
        ("Zamach bombowy w Kabulu, zginęło 20 osób", "", "pl", "terrorism"),
        # a public election keeps its tag
        ("제22대 총선 투표율 67% 기록", "", "ko", "elections"),
        ("Eleições municipais: candidato a prefeito lidera pesquisa", "", "pt", "elections"),
        # a typhoon that kills keeps its tag
        ("台风“山竹”登陆广东 已致3人死亡", "", "zh", "natural_disaster"),
        # the war itself keeps its tag
        ("המלחמה בעזה: חיילים נהרגו בקרב", "", "he", "armed_conflict"),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Es war kein Hackerangriff", "", "de", "cyberattack"),
        ("Президент почтил память жертв теракта в Беслане", "", "ru", "terrorism"),
        ("Cerimônia lembra as vítimas do atentado de 2001", "", "pt", "terrorism"),
    ],
)
def test_guards_reach_new_wording(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, summary, language, taxonomy)
