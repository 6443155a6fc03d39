"""Tagging round 33: precision and no-topic items, fresh30 tune half.

fresh30 is 186 real items in ten languages (en de es fr ru ar pt id ja ko), 103 of them with no
topic and a `must_not` trap for elections, natural_disaster or terrorism: club, party and pope
elections, approval ratings, weather forecasts, earthquake drills and scenarios, anniversaries,
films and trials about attacks, "storm" and "tsunami" metaphors. Its tune half tagged films and
thrillers about attacks (en es fr), the "War on Terror" (en), a trial before the special assize
court (fr), a weekend outlook with gusts "not ruled out" (de), a quake announced as a threat (es),
an earthquake drill (ja) and a quake scenario (ko) as disasters, trust and approval ratings (ru pt
ko) and a society's meeting named "Выборы" (ru) as elections; it missed "Al-Shabab bombs and lays
siege to Mogadishu hotel" (en). A censure motion's tally of yes and no votes from fresh17's tune
half (es) is no election either. The tune cases fail on the base rules (checked against ad0b508's
taxonomy); the near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH30 = "news_eval_fresh30.jsonl"
FRESH17 = "news_eval_fresh17.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("en-f30-018", "terrorism"),  # Al-Shabab bombs and lays siege to Mogadishu hotel
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH30, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("en-f30-005", "terrorism"),  # this topical thriller ... Islamic suicide bombers
        ("en-f30-006", "terrorism"),  # ... the current state of the "War on Terror"
        ("es-f30-023", "terrorism"),  # La reciente película ... la organización terrorista ETA
        ("fr-f30-016", "terrorism"),  # le cinéma français ... la question du terrorisme
        ("fr-f30-011", "terrorism"),  # un procès ... devant la cour d'assises spéciale
        ("de-f30-001", "natural_disaster"),  # stürmig sind die Wetteraussichten ... Orkanböen
        ("es-f30-004", "natural_disaster"),  # la sirena se anunciaba la amenaza de un terremoto
        ("ja-f30-016", "natural_disaster"),  # 香川県シェイクアウト(県民いっせい地震防災行動訓練)
        ("ko-f30-009", "natural_disaster"),  # 시뮬레이션 ... 강진이 서울에서 발생했을 경우
        ("ru-f30-004", "elections"),  # Выборы в Электростали | ... собрание членов ... МО ВОГ
        ("ru-f30-012", "elections"),  # Рейтинг доверия президенту ... после выборов
        ("ru-f30-015", "elections"),  # Рейтинг доверия россиян ... с выборов президента
        ("pt-f30-014", "elections"),  # A pesquisa Datafolha ... tem a pior avaliação
        ("ko-f30-014", "elections"),  # 국정 수행에 대한 긍정 평가(지지율) ... 여론조사 결과
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH30, item_id, taxonomy)


def test_older_tune_tally_of_a_censure_motion_stays_untagged(taxonomy: CompiledTaxonomy) -> None:
    # fresh17 tune: "De 350 votos emitidos, 52 han sido favorables, 298 han sido negativos"
    assert "elections" not in item_topics(FRESH17, "es-f17-009", taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        # votes, floods, quakes and attacks of the tune half keep their tags
        ("de-f30-005", "natural_disaster"),  # Die Hochwasserpegel sinken, erste Schäden
        ("es-f30-006", "natural_disaster"),  # Al menos 33 muertos ... por las lluvias
        ("fr-f30-007", "natural_disaster"),  # lourd bilan après un séisme de magnitude 6,2
        ("ko-f30-008", "natural_disaster"),  # [튀르키예 강진 한달] 사망자 5만1천명 넘겨
        ("ja-f30-008", "natural_disaster"),  # 大雨被害 6人死亡 4人行方不明
        ("ru-f30-017", "elections"),  # Итоги губернаторских выборов подведены
        ("pt-f30-007", "elections"),  # As urnas eleitorais foram fechadas ... segundo turno
        ("de-f30-014", "elections"),  # Vorläufiges Endergebnis der Bundestagswahl
        ("es-f30-011", "terrorism"),  # Un carro bomba causa 54 heridos y daños en España
        ("de-f30-017", "terrorism"),  # ... in der Berliner Synagoge einen Terrorakt zu begehen
        ("en-f30-019", "terrorism"),  # Somalia al-Shabaab attack: at least 10 killed
    ],
)
def test_tune_items_keep_their_tags(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH30, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # an attack at a cinema, or a bombing told in a "series", keeps its tag
        (
            "Suicide bomber kills 12 outside cinema in Kabul",
            "The Taliban claimed responsibility for the attack.",
            "en",
            "terrorism",
        ),
        # a storm with its dead keeps its tag beside the weather service
        (
            "Orkan fegt über Norddeutschland: zwei Tote",
            "Der Deutsche Wetterdienst meldete Böen bis 150 Kilometer pro Stunde.",
            "de",
            "natural_disaster",
        ),
        # a real quake keeps its tag beside a warning of aftershocks
        (
            "Sismo de magnitud 7,1 sacude México: al menos 200 muertos",
            "Las autoridades advierten de réplicas en caso de nuevos derrumbes.",
            "es",
            "natural_disaster",
        ),
        # an election result keeps its tag beside a trust figure
        (
            "ЦИК подвел итоги выборов президента",
            "Явка составила 67 процентов, кандидат набрал 76 процентов голосов.",
            "ru",
            "elections",
        ),
        # a pollster's voting-intention figure keeps its tag
        (
            "Datafolha: Lula tem 45% e Bolsonaro, 33% no primeiro turno",
            "A pesquisa ouviu 2.556 eleitores.",
            "pt",
            "elections",
        ),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
