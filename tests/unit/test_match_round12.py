"""Tagging round 12: rules written from the tune half of the tenth unseen set (fresh10).

Workers who stop work are protest ("METROVIÁRIOS CRUZAM OS BRAÇOS", "paralisação dos
metroviários"), a campaign motorcade with office-holders and a pollster headline with a
candidate's share are election news (pt); a march someone launches is a protest (zh 發起...遊行);
a defence ministry announcing a town's capture is armed conflict (ar). The guards: a tumult inside
a club's board meeting is no protest (pt), last year's election named as the setting of an
offence tried now is no election (ko), a football association's congress electing its officers
is no public election (zh, carried to ja and he, which had no such tune item). From the tune
halves of older sets: an independent candidacy (ko 무소속 출마), strikes named with the state or the
country struck (ar ضربات إسرائيل, a penalty kick guarded), the consumer price index, the
traditional 通脹 and Hong Kong's exchange (zh), a share of the votes in a round of voting (fr), an
inflation estimate (nl), fuel and energy prices (pt). Each tune case and each guard case failed
on main at cf1c96e.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH10 = "news_eval_fresh10.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("pt-f10-013", "protest"),  # METROVIÁRIOS CRUZAM OS BRAÇOS ... paralisação dos metroviários
        ("pt-f10-023", "elections"),  # Carreata de Glauco Kaizer reúne senadores
        ("pt-f10-001", "elections"),  # Ibope: Bolsonaro tem 57%, e Haddad, 43%
        ("zh-f10-001", "protest"),  # 發起所謂「九龍大遊行」
        ("ar-f10-022", "armed_conflict"),  # وزارة الدفاع الروسية تعلن السيطرة الكاملة على ...
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH10, item_id, taxonomy)


@pytest.mark.parametrize(
    ("path", "item_id", "topic"),
    [
        ("news_eval_fresh4.jsonl", "ko-f4-007", "elections"),  # 무소속 출마 선언
        ("news_eval_fresh5.jsonl", "ar-f5-008", "armed_conflict"),  # لضربات إسرائيل بسوريا
        ("news_eval_fresh5.jsonl", "zh-f5-002", "economy_markets"),  # 消費物價指數 ... 通脹
        ("news_eval_fresh4.jsonl", "zh-f4-005", "economy_markets"),  # 港交所8号风球下运作
        ("news_eval_europe.jsonl", "fr-eu-009", "elections"),  # 30 % des voix ... premier tour
        ("news_eval_tune2.jsonl", "nl-t2-015", "economy_markets"),  # raming van de inflatie
        ("news_eval_fresh4.jsonl", "pt-f4-002", "economy_markets"),  # preço dos combustíveis
    ],
)
def test_older_tune_items_are_tagged(
    path: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in item_topics(path, item_id, taxonomy)


def test_a_tumult_in_a_club_board_meeting_is_not_a_protest(taxonomy: CompiledTaxonomy) -> None:
    assert "protest" not in item_topics(FRESH10, "pt-f10-019", taxonomy)


def test_last_years_election_as_the_setting_of_an_offence_is_not_election_news(
    taxonomy: CompiledTaxonomy,
) -> None:
    assert "elections" not in item_topics(FRESH10, "ko-f10-013", taxonomy)


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("中国足协换届选举 会员代表投票选出新一届主席", "zh"),
        ("日本サッカー協会の会長選挙で投票", "ja"),
        ('בחירות בהתאחדות לכדורגל: הצבעה על יו"ר חדש', "he"),
    ],
)
def test_an_associations_vote_is_not_a_public_election(
    title: str, language: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "elections" not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Manifestantes provocam tumulto no centro de São Paulo", "pt", "protest"),
        ("Datafolha: Lula tem 45% e Bolsonaro 33%", "pt", "elections"),
        ("市民發起遊行 反對新法", "zh", "protest"),
        ("台湾大选投票结束 开票", "zh", "elections"),
        ("衆院選の投票始まる", "ja", "elections"),
        ("הבחירות לכנסת: אחוז ההצבעה", "he", "elections"),
        ("지방선거 투표율 역대 최고", "ko", "elections"),
        ("الجيش الروسي يسيطر على بلدة في دونيتسك", "ar", "armed_conflict"),
        ("ضربة جوية أمريكية في اليمن", "ar", "armed_conflict"),
    ],
)
def test_the_rules_and_guards_leave_the_plain_cases_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Carreata contra o governador reúne comerciantes", "pt", "elections"),
        ("Datafolha: Lula tem 35% de aprovação", "pt", "elections"),
        ("Ibope: novela tem 30 pontos", "pt", "elections"),
        ("Sessão da Câmara termina em tumulto", "pt", "protest"),
        ("组织花车游行庆祝春节", "zh", "protest"),
        ("市政府组织国庆大游行", "zh", "protest"),
        ("الدفاع المدني يسيطر على حريق في مصنع", "ar", "armed_conflict"),
        ("지난해 지방선거 이후 처음 열린 군의회 본회의", "ko", "elections"),
        ("ضربة جزاء لإسرائيل في الدقيقة الأخيرة", "ar", "armed_conflict"),
        ("Le club élit son président avec 60 % des voix au premier tour", "fr", "elections"),
        ("ضربات الترجيح تحسم المباراة", "ar", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
