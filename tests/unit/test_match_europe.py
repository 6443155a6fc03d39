"""Issue 15's European languages on the bundled taxonomy: Dutch and Swedish compounds, Polish and
Greek inflection, Romanian written with and without its diacritics, and the false friends each
language's rules keep out (club and board elections, tax assessments, coups, trade wars)."""

from __future__ import annotations

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def tag_ids(title: str, language: str, taxonomy: CompiledTaxonomy, summary: str = "") -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


TAGGED = [
    ("nl", "Hier volg je de uitslagenavond van de Tweede Kamerverkiezingen", "elections"),
    ("nl", "Gemeente getroffen door grote cyberaanval", "cyberattack"),
    ("nl", "Spoorstaking legt treinverkeer in Utrecht plat", "protest"),
    ("nl", "Dorp ontruimd door verwoestende natuurbrand", "natural_disaster"),
    ("pl", "Wybory prezydenckie 2025. Kiedy dane o frekwencji w II turze?", "elections"),
    ("pl", "Zamachowiec wysadził się w kościele podczas mszy", "terrorism"),
    ("pl", "Rekordowe powodzie na południu kraju", "natural_disaster"),
    ("pl", "Skutki obniżki stóp procentowych", "economy_markets"),
    ("ro", "Cod roșu de inundații pe Siret", "natural_disaster"),
    ("ro", "Cod rosu de inundatii pe Siret", "natural_disaster"),
    ("ro", "21 de spitale au fost afectate de atacul cibernetic", "cyberattack"),
    ("ro", "150.000 de profesori sunt în grevă", "protest"),
    ("el", "Αυτοδυναμία της ΝΔ σε νέα δημοσκόπηση", "elections"),
    ("el", "ΕΚΛΟΓΕΣ 2023: ΤΑ ΑΠΟΤΕΛΕΣΜΑΤΑ", "elections"),
    ("el", "24ωρη απεργία κήρυξαν ΓΣΕΕ και ΑΔΕΔΥ", "protest"),
    ("el", "Ρωσικά drones και πύραυλοι χτύπησαν το Κίεβο", "armed_conflict"),
    ("sv", "Strejk i alla Sveriges hamnar", "protest"),
    ("sv", "Risk för mässlingsutbrott i flera kommuner", "disease_outbreak"),
    ("sv", "Riksbanken höjer styrräntan igen", "economy_markets"),
    ("sv", "Drönarattack i Kiev skadar lägenhet", "armed_conflict"),
    # Real headlines from bench/data/news_eval_tune2.jsonl
    ("sv", "Valundersökning: S leder i valet 2022 enligt SVT:s prognos", "elections"),
    ("sv", "Kronan starkast av världsvalutorna", "economy_markets"),
    ("nl", "Voor het eerst in 20 jaar is 1 euro 1 dollar waard", "economy_markets"),
    ("nl", "Noodweer raast over Nederland, veel mensen ervaren wateroverlast", "natural_disaster"),
    ("el", "Υποχωρεί το ευρώ έναντι του δολαρίου", "economy_markets"),
]


@pytest.mark.parametrize(("language", "title", "topic"), TAGGED)
def test_news_headline_is_tagged(
    language: str, title: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tag_ids(title, language, taxonomy)


NOT_TAGGED = [
    ("nl", "Voorzitter gekozen: verkiezing nieuw bestuur van de vereniging", "elections"),
    ("nl", "Voorlopige aanslag inkomstenbelasting komt eerder", "terrorism"),
    ("pl", "Walne zebranie członków klubu: wybory nowego zarządu", "elections"),
    ("pl", "Zamach stanu w Nigrze", "terrorism"),
    ("pl", "Lawinowy wzrost cen mieszkań", "natural_disaster"),
    ("ro", "Adunarea Generala de Alegeri a asociatiei Clubul Sportiv", "elections"),
    ("el", "Εκλογές Διοικητικού Συμβουλίου του συλλόγου", "elections"),
    ("sv", "Föreningens årsmöte valde en ny styrelse och ordförande", "elections"),
    ("sv", "Stor risk för skogsbrand i hela Götaland", "natural_disaster"),
    ("sv", "Handelskriget mellan USA och Kina trappas upp", "armed_conflict"),
    ("sv", "Årsmötet valde Kristina Lundmark till avdelningsordförande", "elections"),
    ("nl", "Favorieten bij de verkiezing van Sportman en Sportvrouw van het Jaar", "elections"),
    ("nl", "Geen sprake van een eenzaamheidsepidemie", "disease_outbreak"),
    ("el", "Οι δονήσεις του πολιτικού σεισμού μετά τις εκλογές συνεχίζονται", "natural_disaster"),
]


@pytest.mark.parametrize(("language", "title", "topic"), NOT_TAGGED)
def test_false_friend_is_not_tagged(
    language: str, title: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in tag_ids(title, language, taxonomy)
