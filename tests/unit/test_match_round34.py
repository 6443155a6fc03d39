"""Tagging round 34: natural_disaster precision and no-topic items, fresh31 tune half.

fresh31 is 181 real items in six languages (fr it de es pt ja), 90 of them with no topic and a
`must_not` trap, nearly all for natural_disaster: weather forecasts and warnings, anniversaries
and memorials, school and national drills, reconstruction budgets years on, the insurance regime
of "catastrophe naturelle", heat records, explainers of intensities, and "earthquake", "tsunami"
and "storm" said of elections, parties, football and markets. Its tune half tagged anniversaries
(fr it de es, and fresh8's ja "大震災から30年"), a list of floods "up to today" and rebuilding
years on (it), the insurance regime (fr), weekend forecasts (pt ja) and a heat wave on the
weather service's warnings (es), and drills and explainers (es ja) as disasters; it missed a
storm told by its damage (fr), wildfires told by the firefighters and water bombers (it) and
Chile's "megaelección" (es). The tune cases fail on the base rules (checked against af1721d's
taxonomy); the near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH31 = "news_eval_fresh31.jsonl"
FRESH8 = "news_eval_fresh8.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fr-f31-027", "natural_disaster"),  # Tempête dans le Sud-Ouest : des dégâts
        ("it-f31-040", "natural_disaster"),  # ... i canadair e i vigili del fuoco
        ("it-f31-043", "natural_disaster"),  # vigili del fuoco ... contenere gli incendi
        ("es-f31-010", "elections"),  # Cómo le fue a cada bloque tradicional en la megaelección
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH31, item_id, taxonomy)


@pytest.mark.parametrize(
    "item_id",
    [
        "fr-f31-009",  # Commémoration des 50 ans du séisme d'Arette
        "fr-f31-021",  # L'arrêté portant reconnaissance de l'état de catastrophe naturelle
        "fr-f31-022",  # La procédure de reconnaissance de l'état de catastrophe naturelle
        "it-f31-009",  # Sono trascorsi 15 anni da quella terribile notte ... scossa di terremoto
        "it-f31-012",  # Da Soverato a Livorno: le alluvioni in Italia dal 2000 a oggi
        "it-f31-031",  # ricostruzione ... danneggiati dal sisma del 2009
        "de-f31-002",  # Zwei Jahre nach Erdbeben - Gedenken mit Fackelzug in Amatrice
        "es-f31-004",  # Simulacro Nacional 2025, con un escenario hipotético de sismo
        "es-f31-014",  # vigilias ... en recuerdo de las personas que perdieron la vida hace un año
        "es-f31-019",  # este fin de semana ha arrancado en España la primera ola de calor del año
        "pt-f31-009",  # O tempo no fim de semana ... pancadas de chuva, com alertas emitidos
        "pt-f31-010",  # risco de geadas ... se preparam para fortes chuvas
        "ja-f31-011",  # 大型の台風19号は猛烈な勢力に発達し ... 大雨となるおそれがあります
        "ja-f31-018",  # 「地震発生後、...火災が発生したと想定し」...避難訓練
        "ja-f31-023",  # 震度6の強さとは?実際の被害状況と事前準備【まとめ】
        "ja-f31-024",  # 「震度6強」の地震が発生したら・・
    ],
)
def test_tune_false_friends_stay_untagged(item_id: str, taxonomy: CompiledTaxonomy) -> None:
    assert "natural_disaster" not in item_topics(FRESH31, item_id, taxonomy)


def test_older_tune_anniversary_told_with_kara_stays_untagged(taxonomy: CompiledTaxonomy) -> None:
    # fresh8 tune: "《阪神淡路大震災から30年》被災当日に誕生“震災ベイビー”が背負う重荷と使命"
    assert "natural_disaster" not in item_topics(FRESH8, "ja-f8-005", taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        # floods, storms, quakes and fires of the tune half keep their tags
        ("fr-f31-013", "natural_disaster"),  # Au moins quatre morts ... inondations
        ("fr-f31-019", "natural_disaster"),  # Le bilan provisoire du séisme au Maroc
        ("fr-f31-026", "natural_disaster"),  # la tempête ... au moins quarante-cinq morts
        ("fr-f31-028", "natural_disaster"),  # Des arbres brisés ... La tempête Domingos
        ("it-f31-010", "natural_disaster"),  # ... il tragico bilancio dell'alluvione
        ("it-f31-022", "natural_disaster"),  # Un terremoto di magnitudo 6.5 ... Norcia
        ("it-f31-039", "natural_disaster"),  # ... evacuazione ... incendi boschivi
        ("de-f31-005", "natural_disaster"),  # Unwetter in Deutschland: Dutzende Tote und Vermisste
        ("pt-f31-005", "natural_disaster"),  # A nova enchente em Petrópolis após o temporal
        ("pt-f31-007", "natural_disaster"),  # Deslizamentos deixam dois mortos no Rio
        ("es-f31-009", "natural_disaster"),  # Fuertes lluvias dejan más de 40 muertos en México
        ("es-f31-027", "natural_disaster"),  # Un terremoto de magnitud 8,2 sacudió ... México
        ("ja-f31-021", "natural_disaster"),  # 新潟など26人重軽傷 震度6強 停電復旧、大雨を警戒
        ("fr-f31-006", "elections"),  # Le premier tremblement de terre ... législatives
        ("it-f31-036", "elections"),  # Affluenza bassa per le regionali
    ],
)
def test_tune_items_keep_their_tags(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH31, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language"),
    [
        # a flood keeps its tag beside the insurance regime's name
        (
            "Inondations dans le Var : deux morts et des centaines de maisons inondées",
            "L'état de catastrophe naturelle sera reconnu pour douze communes.",
            "fr",
        ),
        # a quake keeps its title beside "two days have passed" in the lead
        (
            "Terremoto in Turchia, oltre 2000 morti: si scava tra le macerie",
            "Sono passati due giorni dalla prima scossa, si cercano ancora i dispersi.",
            "it",
        ),
        # a deadly heat wave keeps its tag
        (
            "La ola de calor deja 40 muertos en Andalucía",
            "Los hospitales atendieron a cientos de personas por golpes de calor.",
            "es",
        ),
        # deadly rain keeps its tag beside the weather service's weekend forecast
        (
            "Chuvas deixam 12 mortos em Pernambuco",
            "O Inmet prevê mais chuva para o fim de semana e a Defesa Civil mantém o alerta.",
            "pt",
        ),
        # a typhoon that killed and cut power keeps its tag beside the rain it may still bring
        (
            "台風10号上陸 3人死亡、20万戸停電",
            "気象庁によると、今後も大雨のおそれがあります。",
            "ja",
        ),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "natural_disaster" in topics(title, summary, language, taxonomy)


def test_a_flat_fire_is_no_wildfire(taxonomy: CompiledTaxonomy) -> None:
    # one fire in a flat, with the firefighters, is no natural disaster
    assert "natural_disaster" not in topics(
        "Incendio in un appartamento a Milano",
        "Intervengono i vigili del fuoco, nessun ferito.",
        "it",
        taxonomy,
    )
