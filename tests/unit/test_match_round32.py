"""Tagging round 32: recall in hu sv tr nl vi, fresh29 tune half.

fresh29 is 221 real items in five languages (hu sv tr nl vi), about a quarter of them false friends
with no topic: a Tree of the Year vote, Melodifestivalen and Eurovision scores, club general
assemblies, the House of Terror museum, flood memorials, earthquake drills, Groningen's gas-quake
damage claims, flu-jab notices, a trade war, debt collectors "terrorising" borrowers, IPO
explainers. Its tune half missed a downpour that paralysed life and a group's positive tests (tr),
stolen passwords and personal data dumped online (tr), a banner unfurled by workers (tr), a mayor
chosen by the inflected verb (hu), farmers gathered to voice their discontent (nl), hand, foot and
mouth disease cases, a typhoon making landfall and a vote recount (vi); fresh4's tune half missed
a poll of "the parties" (sv). The tune half tagged a protest against corona restrictions as an
outbreak (sv), a Tree of the Year vote, the House of Terror museum and a flood commemoration (hu),
a ransomware explainer and a trade war (vi), a club's general assembly and an IPO explainer (tr),
the yearly flu jab and Groningen's gas quakes (nl). The tune cases fail on the base rules (checked
against ad0b508's taxonomy); the near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH29 = "news_eval_fresh29.jsonl"
FRESH4 = "news_eval_fresh4.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f29-003", "natural_disaster"),  # ... etkili olan sağanak hayatı felç etti
        ("tr-f29-008", "cyberattack"),  # 183 milyon e-posta ve şifrenin ele geçirilmesiyle
        ("tr-f29-011", "cyberattack"),  # ... milyonlarca kişinin şahsi bilgileri internete düştü
        ("tr-f29-014", "protest"),  # bir araya gelen işçiler "..." pankartı açtı
        ("tr-f29-029", "disease_outbreak"),  # 40 işçinin testi pozitif, 28 işçi karantinada
        ("hu-f29-021", "elections"),  # ... mind a 67 településén sikerült polgármestert választani
        ("nl-f29-013", "protest"),  # Duizenden boeren waren bijeengekomen om hun ongenoegen ...
        ("vi-f29-008", "disease_outbreak"),  # TP.HCM ghi nhận 916 ca tay chân miệng trong một tuần
        ("vi-f29-030", "natural_disaster"),  # Siêu bão Yagi ... càn quét kinh hoàng khi đổ bộ
        ("vi-f29-044", "elections"),  # 3 bang của Mỹ kiểm lại phiếu
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH29, item_id, taxonomy)


def test_older_tune_poll_of_the_parties_is_tagged(taxonomy: CompiledTaxonomy) -> None:
    # fresh4's tune half: "NY MÄTNING: Rekordsiffror för ett av partierna"
    assert "elections" in item_topics(FRESH4, "sv-f4-002", taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("sv-f29-006", "disease_outbreak"),  # Se bilderna från corona-demonstrationen i Stockholm
        ("hu-f29-042", "elections"),  # Az Év Fája versenyen a szekszárdi jelölt vezet
        ("hu-f29-046", "terrorism"),  # ... az Andrássy úton a terrormúzeum előtt
        ("hu-f29-049", "natural_disaster"),  # A nagyárvíz ... hőseire emlékeztek
        ("vi-f29-019", "cyberattack"),  # Ransomware là gì? Cách Phòng chống Mã Độc Tống Tiền
        ("vi-f29-040", "armed_conflict"),  # Cuộc chiến thương mại ... tiếp tục leo thang
        ("tr-f29-017", "elections"),  # kulübün ... genel kurul ... seçimlere geçildi
        ("nl-f29-036", "disease_outbreak"),  # Indicatie griepvaccinatie
        ("nl-f29-037", "disease_outbreak"),  # Elk jaar in oktober en november ... griepvaccinaties
        ("tr-f29-032", "economy_markets"),  # Halka arz sonuçları yatırımcılar tarafından
        ("nl-f29-043", "natural_disaster"),  # Groningse huishoudens ... als gevolg van aardbevingen
        ("nl-f29-044", "natural_disaster"),  # In de provincie Groningen ... zwaardere aardbevingen
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH29, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        # storms, votes, outbreaks, protests and attacks of the tune half keep their tags
        ("vi-f29-028", "natural_disaster"),  # 59 người chết do tác động của bão Yagi
        ("hu-f29-019", "elections"),  # Itt vannak az időközi önkormányzati választások eredményei
        ("tr-f29-012", "cyberattack"),  # ... 20 milyon kişinin verileri çalındı
        ("tr-f29-028", "disease_outbreak"),  # Endonezya'da Kızamık Salgını
        ("nl-f29-012", "protest"),  # De boerenprotestactie woensdag tegen het stikstofbeleid
        ("nl-f29-033", "natural_disaster"),  # ... de aardbeving in de Egeïsche Zee
        ("sv-f29-005", "protest"),  # En demonstration på temat "Black lives matter"
        ("sv-f29-014", "disease_outbreak"),  # Två fall av mässling i Göteborg
    ],
)
def test_tune_items_keep_their_tags(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH29, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # a flood at its crest keeps its tag; only the remembered flood is history
        (
            "Tetőzik az árvíz a Tiszán",
            "A gátakat homokzsákokkal erősítik, több falut kitelepítettek.",
            "hu",
            "natural_disaster",
        ),
        # a real quake abroad keeps its tag; only Groningen's gas quakes are a policy file
        (
            "Zware aardbeving in Turkije: honderden doden",
            "Reddingswerkers zoeken in het puin naar overlevenden.",
            "nl",
            "natural_disaster",
        ),
        # an outbreak with new restrictions keeps its tag; only a protest against them does not
        (
            "Covid sprider sig snabbt i Stockholm",
            "Regionen rapporterar 500 nya fall och inför nya restriktioner.",
            "sv",
            "disease_outbreak",
        ),
        # a flu epidemic keeps its tag; only the yearly flu jab does not
        (
            "Griepepidemie houdt aan",
            "Het RIVM meldt dat het aantal besmettingen verder stijgt.",
            "nl",
            "disease_outbreak",
        ),
        # a real war keeps its tag beside the trade-war guard
        (
            "Chiến sự Ukraine: Nga không kích Kiev",
            "Cuộc không kích khiến 3 người thiệt mạng.",
            "vi",
            "armed_conflict",
        ),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
