"""Issue 15's rules tuned on the tune half of news_eval_fresh2: real headlines and leads from that
half (bench/data/news_eval_fresh2.jsonl, `split = tune`), each tagged or left untagged only because
of one rule: weak-language recall (zh traditional script, nl inflation, sv deadly bombings, pl
storms, pt deaths from rain, ko compounds, vi landslides, de/es party polls) and false friends
(a cooperative's members' meeting, a club president's re-election, a state's drone strikes called
"恐袭", a tremor bulletin with no tsunami risk, an epidemic's economic effects)."""

from __future__ import annotations

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def tag_ids(language: str, title: str, summary: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


# (item id in news_eval_fresh2, language, title, summary, topic)
TAGGED = [
    ("nl-n2-018", "nl", "Waarom je geld minder waard wordt",
     "De inflatie is al een paar maanden flink aan het stijgen: in oktober was die 4,1 procent en "
     "de verwachting is dat die over november boven de 5 procent uitkomt.", "economy_markets"),
    ("sv-n2-020", "sv", "Blodiga bombdåd i Irak",
     "Sju bomber sprängdes i Bagdad i Irak på onsdagen. Våldet fortsätter i landet Irak. På "
     "onsdagen sprängdes flera bomber i huvudstaden Bagdad. Fler än 30 människor dödades.",
     "terrorism"),
    ("pl-n2-011", "pl", "Zalane piwnice, przewrócone drzewa. 1824 interwencje straży po burzach",
     "1824 - tyle razy ostatniej doby interweniowali strażacy w związku z burzami w Polsce. "
     "Grzmotom towarzyszyły intensywne opady i wichury.", "natural_disaster"),
    ("pl-n2-048", "pl", "Borrell: Pomożemy Ukrainie w stawieniu czoła atakowi cybernetycznemu",
     "\"Zmobilizujemy wszystkie nasze zasoby, by pomóc Ukrainie w stawieniu czoła temu atakowi "
     "cybernetycznemu.\"", "cyberattack"),
    ("pt-n2-008", "pt", "Minas Gerais registra 10 mortos pelas chuvas desde o início do ano",
     "As chuvas que atingem Minas Gerais fizeram duas novas vítimas no balanço da Defesa Civil.",
     "natural_disaster"),
    ("zh-n2-004", "zh", "黄金时间已过 中国估计震灾罹难者逾五万",
     "中国昨天表示,西南部猛烈强震造成的罹难人数,可能已逾五万人。", "natural_disaster"),
    ("zh-n2-039", "zh",
     "當地時間25日凌晨,烏克蘭首都基輔發生多起爆炸事件,此前烏克蘭多地發佈空中警報。",
     "基輔市軍政管理局局長蒂穆爾·特卡琴科在社交媒體發佈消息稱,\"整個烏克蘭都面臨導彈威脅\","
     "烏防空系統已經啓動,正在\"擊落敵方目標\"。", "armed_conflict"),
    ("ko-n2-002", "ko", "지방선거 지지정당 민주 39.6%·국힘 39.7%… 정권 심판론 속 초접전 [여론조사]",
     "수도권·영남서 국민의힘 우세, 호남은 민주당 강세 유지", "elections"),
    ("hi-n2-005", "hi", "दिल्ली: भारी बारिश से बॉर्डर पर बैठे किसानों के टेंट और ट्रॉलियों में नुकसान",
     "दिल्ली की सीमाओं पर कृषि कानून के विरोध में बैठे किसानों के टेंटों को नुकसान हो रहा है।",
     "protest"),
    ("vi-n2-005", "vi", "Mưa lớn gây lở đất, một người chết",
     "Trong đó, vụ sạt đất sáng 30-7 tại bản Nà Cang khiến một người thiệt mạng.",
     "natural_disaster"),
    ("de-n2-012", "de", "Umfrage: Union bleibt stärkste Kraft, SPD verliert",
     "In sechs Wochen ist es soweit, die Deutschen wählen einen neuen Bundestag.", "elections"),
    ("de-n2-015", "de", "Sturmtief Sebastian fegt über Deutschland",
     "Mitte September richtet das Sturmtief Sebastian große Schäden in Deutschland an.",
     "natural_disaster"),
    ("es-n2-004", "es", "Las claves ocultas del CIS: la transferencia de voto del PP al BNG", "",
     "elections"),
    ("es-n2-007", "es", "Las encuestas señalan a Vox como el principal beneficiado tras la DANA",
     "", "elections"),
    ("es-n2-005", "es", "El CIS confirma el debate político por el control de los incendios",
     "La ola de incendios que arrasó España ha dejado más de 350.000 hectáreas calcinadas.",
     "natural_disaster"),
    ("fr-n2-006", "fr", "Les marchés actions s'inquiètent d'un second tour Le Pen - Mélenchon", "",
     "economy_markets"),
    ("it-n2-014", "it", "Rassegna stampa: Borse UE deboli, emergenza piogge e crisi Electrolux", "",
     "natural_disaster"),
    ("ru-n2-004", "ru", "Россияне верят, что за год доллар упадет до 49 рублей", "",
     "economy_markets"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "language", "title", "summary", "topic"), TAGGED)
def test_tune_half_item_is_tagged(
    item: str, language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tag_ids(language, title, summary, taxonomy), item


NOT_TAGGED = [
    ("nl-n2-024", "nl", "Verkiezingen door nog niet bestaande vergadering (Onderwijscoöperatie)",
     "", "elections"),
    ("nl-n2-025", "nl", "5000 mensen rennen door de modder als experiment",
     "In Haarlemmermeer was voor het eerst sinds corona weer een modderwedstrijd. Iedereen die "
     "meedeed moest van te voren een corona-test doen.", "disease_outbreak"),
    ("pt-n2-020", "pt", "Rui Costa quer aumentar lotação do Estádio da Luz para 80 mil pessoas",
     "O presidente do Benfica, Rui Costa, quer aumentar a lotação do Estádio da Luz. O dirigente e "
     "candidato às eleições de outubro explica que o objetivo é dar resposta à procura.",
     "elections"),
    ("pt-n2-024", "pt", "Benfica deixa escapar vitória na Luz e empata 2-2 com o Casa Pia",
     "Um dia depois da reeleição de Rui Costa como presidente do Benfica, a equipa volta a ceder "
     "pontos em casa.", "elections"),
    ("pl-n2-048", "pl", "Borrell: Pomożemy Ukrainie w stawieniu czoła atakowi cybernetycznemu",
     "", "armed_conflict"),
    ("zh-n2-040", "zh", "基辅遇袭 乌克兰称击落十多架无人机",
     "基辅所属的基辅州,州长形容俄罗斯的最新一波无人机攻击,是继续针对乌克兰的能源设施发动恐袭,"
     "对此予以谴责。", "terrorism"),
    ("ja-n2-005", "ja",
     "先ほど1時51分ごろ、東北地方で地震がありました。この地震による津波の心配はありません。",
     "震度3を岩手県盛岡市、矢巾町、普代村、野田村、震度3です。", "natural_disaster"),
    ("ar-n2-003", "ar", "مخاوف بشأن مصير اقتصاد الدول العربية بعد إعلان تدابير تقشف في السعودية",
     "تناولت صحف عربية إعلان الحكومة السعودية اتخاذ عدد من تدابير التقشف بغية التخفيف من الآثار "
     "الناتجة عن وباء كورونا.", "disease_outbreak"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "language", "title", "summary", "topic"), NOT_TAGGED)
def test_tune_half_false_friend_is_not_tagged(
    item: str, language: str, title: str, summary: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in tag_ids(language, title, summary, taxonomy), item


def test_state_drone_strike_called_terror_stays_armed_conflict(taxonomy: CompiledTaxonomy) -> None:
    title, summary = NOT_TAGGED[5][2], NOT_TAGGED[5][3]
    assert "armed_conflict" in tag_ids("zh", title, summary, taxonomy)
