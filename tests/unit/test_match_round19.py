"""Tagging round 19: elections precision, from the tune half of the seventeenth unseen set.

fresh17 sits on the border of the elections scope in en de es fr it pt ru ar zh ja ko tr pl nl:
real election news (campaigns, counts, turnout, voting-intention polls, referendums) beside its
false friends (party leadership races, votes of confidence and censure motions, club, federation
and association elections, conclaves, award popularity votes, popularity ratings, student
councils, a vote-counting device). Its tune half tagged a club's electoral board (es), a censure
motion vote (es), a president's popularity rating (fr), the conclave by its verbs and cardinals
(it), a fencing federation re-electing its head (ru), the Speaker chosen by the parliament (tr),
student councils, party members' electoral rights and a vote-counting device (zh) and a vote at
Zamalek (ar); it missed turnout figures of the electorate (nl) and campaigning beside a candidate
for Congress (en). The tune cases fail on main at 02d24a9; the real-news cases pass before and
after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics

FRESH17 = "news_eval_fresh17.jsonl"


@pytest.mark.parametrize(
    "item_id",
    [
        "es-f17-004",  # La Junta Electoral consagró al nuevo presidente, el socio vitalicio
        "es-f17-010",  # El Congreso rechaza por votación la moción de Unidos Podemos
        "fr-f17-009",  # la cote de popularité du président ... selon un sondage CSA-Les Echos
        "it-f17-005",  # i cardinali riuniti in conclave hanno eletto il nuovo Papa
        "it-f17-008",  # Prima fumata nera del Conclave ... hanno votato 133 cardinali elettori
        "ru-f17-012",  # Президент Федерации фехтования России переизбран на новый срок
        "tr-f17-012",  # Meclis Başkanlığı için seçim yapıldı
        "zh-f17-001",  # 唱票与计票 (a how-to for counting any vote)
        "zh-f17-002",  # 换届选举选票计票器 (a vote-counting device)
        "zh-f17-003",  # 有选举权党员数 (party members' electoral rights)
        "zh-f17-006",  # 我校学生会竞选大会
        "ar-f17-013",  # محمد صلاح يدلي بصوته في إنتخابات الزمالك
    ],
)
def test_tune_false_friends_stay_untagged(item_id: str, taxonomy: CompiledTaxonomy) -> None:
    assert "elections" not in item_topics(FRESH17, item_id, taxonomy)


@pytest.mark.parametrize(
    "item_id",
    [
        "nl-f17-005",  # opkomstcijfers ... 23,4 procent van de kiesgerechtigden gestemd
        "en-f17-022",  # as the vote nears ... she campaigned with Rep. Jennifer Weston
    ],
)
def test_tune_items_are_tagged(item_id: str, taxonomy: CompiledTaxonomy) -> None:
    assert "elections" in item_topics(FRESH17, item_id, taxonomy)


@pytest.mark.parametrize(
    "item_id",
    [
        "fr-f17-001",  # Présidentielle : le candidat en tête au premier tour gagne-t-il toujours
        "it-f17-003",  # Ci si può fidare dei sondaggi elettorali?
        "it-f17-004",  # Elezioni: instant poll delle ore 15
        "ru-f17-001",  # Выборы президента России проходили 15, 16 и 17 марта
        "ru-f17-002",  # Центризбирком обнародовал результаты подсчета 100% протоколов
        "tr-f17-001",  # O anket şirketi 2. tur seçim oy oranları için ne diyor?
        "tr-f17-004",  # AKP seçimde yüzde kaç aldı?
        "zh-f17-010",  # 2024年台湾总统选举结果将在明天(13日)揭晓
        "zh-f17-011",  # “中选会”公布大选结果 蔡817万票写历史
        "ar-f17-002",  # فرز الأصوات داخل اللجان الفرعية لانتخابات النواب
        "nl-f17-004",  # Opkomst verkiezingen 47 procent
        "pt-f17-007",  # Divulgada primeira pesquisa Datafolha no 2º turno
        "en-f17-018",  # Dispatches from the 2022 campaign trail
        "de-f17-012",  # Stichwahl ... wer neuer Bürgermeister wird
    ],
)
def test_guards_leave_real_election_news_tagged(item_id: str, taxonomy: CompiledTaxonomy) -> None:
    assert "elections" in item_topics(FRESH17, item_id, taxonomy)
