"""Tagging round 13: rule families written from the tune half of the eleventh unseen set (fresh11).

Recall in tr hu sv uk fa el it ru de en es. A strike told by its decision or its length ("grev
kararı", "iş bırakma eylemi", "a 21-hour walkout", "el paro de veinticuatro horas") is protest; a
storm or downpour told by what it flooded ("sel baskınları", "elöntött pincék", "calles anegadas",
"Регионы затапливает") is a natural disaster; the war told by hostilities, front movement or its
place in one word ("εχθροπραξίες", "its forces had been pushed back", "Syrienkrieg") is armed
conflict; a poll beside the parties it measures is election news (it); a group claiming an
explosion is terrorism (en); markets in panic and a dollar that "went up" are market news (en fa);
a mysterious lung disease is how an outbreak is first told (de). Guards: a collaborator sentenced
for an occupation "referendum" is no election (uk), a potential war in a report is no war (ru).
Each tune case failed on main at cf1c96e. The families were carried to the other round languages
(storms sv de el uk en, front movement hu sv it es el tr de uk, claims de es it ru uk tr el hu sv,
polls es de sv el ru hu en): they changed no item of the older sets but four gains.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH11 = "news_eval_fresh11.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f11-010", "protest"),  # 600 bin kamu işçisi 'grev kararı' aldı
        ("tr-f11-011", "protest"),  # iş bırakma eylemi başlatan ... işçiler
        ("en-f11-005", "protest"),  # the nurses held a one day strike
        ("en-f11-006", "protest"),  # a 21-hour walkout
        ("es-f11-006", "protest"),  # El paro de veinticuatro horas ... centrales sindicales
        ("tr-f11-008", "natural_disaster"),  # Bölgede sel baskınları oluşurken
        ("hu-f11-001", "natural_disaster"),  # viharok és heves esőzések | elöntött pincékhez
        ("it-f11-002", "natural_disaster"),  # pioggia violenta ... i Vigili del Fuoco
        ("es-f11-002", "natural_disaster"),  # Castelli bajo agua | viviendas inundadas
        ("ru-f11-009", "natural_disaster"),  # Регионы затапливает из-за сильных осадков
        ("el-f11-012", "armed_conflict"),  # Μαίνονται οι εχθροπραξίες στην Ουκρανία
        ("en-f11-009", "armed_conflict"),  # its forces had been pushed back from the center
        ("ru-f11-003", "armed_conflict"),  # Украинские военные имеют успех в Урожайном
        ("de-f11-034", "armed_conflict"),  # Beendigung des Syrienkrieges
        ("fa-f11-009", "armed_conflict"),  # کوادکوپتر رژیم صهیونیستی در غزه
        ("it-f11-013", "elections"),  # Sondaggio Swg: Fratelli d'Italia in calo, Pd in crescita
        ("it-f11-015", "elections"),  # Fratelli d'Italia si avvicina al 31% mentre il Pd arretra
        ("en-f11-015", "terrorism"),  # the Pakistan Taliban has claimed ... the market explosion
        ("en-f11-027", "economy_markets"),  # tariffs send world markets into panic
        ("fa-f11-005", "economy_markets"),  # نرخ بانکی دلار ... بالا زد
        ("de-f11-027", "disease_outbreak"),  # Mysteriöse Lungenkrankheit in China
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH11, item_id, taxonomy)


def test_a_collaborator_sentenced_for_a_sham_referendum_is_no_election(
    taxonomy: CompiledTaxonomy,
) -> None:
    assert "elections" not in item_topics(FRESH11, "uk-f11-018", taxonomy)


def test_a_potential_war_in_a_report_is_no_war(taxonomy: CompiledTaxonomy) -> None:
    assert "armed_conflict" not in item_topics(FRESH11, "ru-f11-024", taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Unwetter: Keller vollgelaufen, Feuerwehr im Dauereinsatz", "", "de", "natural_disaster"),
        ("Skyfall i natt: källare översvämmade i Göteborg", "", "sv", "natural_disaster"),
        ("Rus birlikleri Donetsk'te ilerliyor", "", "tr", "armed_conflict"),
        ("Az orosz csapatok előrenyomultak Pokrovszknál", "", "hu", "armed_conflict"),
        ("Il gruppo ha rivendicato l'attentato", "", "it", "terrorism"),
        ("Umfrage: Union vorn, AfD legt zu", "", "de", "elections"),
        ("Encuesta: el PP aventaja al PSOE", "", "es", "elections"),
        ("Rätselhafte Lungenkrankheit breitet sich aus", "", "de", "disease_outbreak"),
    ],
)
def test_the_families_carry_to_other_languages(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Israeli strikes hours after the truce", "en", "protest"),
        ("Security forces pushed back protesters", "en", "armed_conflict"),
        ("La tasa de paro baja en octubre", "es", "protest"),
        ("Прорыв трубы затопил подвал дома", "ru", "natural_disaster"),
        ("Sondaggio: gli italiani scelgono il mare", "it", "elections"),
        ("The Christmas markets of Vienna open", "en", "economy_markets"),
        ("Greve: tarihçi grev hakkını anlattı", "tr", "protest"),
        ("Ukrainekrieg-Roman gewinnt Buchpreis", "de", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)
