"""A public election next to a word the club and board exclusions list is still an election.

The elections rules drop a vote near a club, a sports body or a chair's post. Written too broadly,
they dropped Russia's presidential election ("Российской Федерации", "Russian Federation" read
as a sports federation) and any party chair next to a national election ("Parteivorsitzender Merz
vor der Bundestagswahl"). Sports bodies are now named by their sport, and a chair only excludes
the bare word "Wahl"; a company's board by its directors, so that a state's election board is
an election authority again. Each public-election case was untagged before this change.
"""

from __future__ import annotations

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def topics(taxonomy: CompiledTaxonomy, language: str, title: str, summary: str = "") -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


@pytest.mark.parametrize(
    "language,title",
    [
        ("ru", "Выборы президента Российской Федерации пройдут в марте"),
        ("uk", "Вибори президента Російської Федерації: що відомо"),
        ("en", "Russian Federation holds presidential election amid war"),
        ("de", "Parteivorsitzender Merz vor der Bundestagswahl"),
        ("de", "SPD-Vorsitzende äußert sich zur Landtagswahl in Bayern"),
        ("en", "State election board rejects fraud claims"),
    ],
)
def test_a_public_election_beside_a_federation_or_a_party_chair_is_tagged(
    taxonomy: CompiledTaxonomy, language: str, title: str
) -> None:
    assert "elections" in topics(taxonomy, language, title)


@pytest.mark.parametrize(
    "language,title",
    [
        ("ru", "Выборы президента Федерации бокса России состоятся в мае"),
        ("ru", "Выборы главы Российской шахматной федерации"),
        ("uk", "Вибори президента Федерації футболу України"),
        ("en", "Football federation election postponed"),
        ("en", "Tennis federation elects new president in contested vote"),
        ("de", "Wahl zum CDU-Vorsitz: Merz tritt an"),
        ("de", "Wahl des Vorsitzenden im Schützenverein"),
        ("en", "Election of the board of directors postponed at Tesla meeting"),
        ("en", "Shell shareholders back board election slate"),
        ("en", "Barcelona board election set for March"),
    ],
)
def test_a_sports_body_or_a_chair_s_election_is_still_not_tagged(
    taxonomy: CompiledTaxonomy, language: str, title: str
) -> None:
    assert "elections" not in topics(taxonomy, language, title)


@pytest.mark.parametrize(
    "title,tagged",
    [
        # An official beside Covid in news of the whole country (exclusion_audit, en).
        ("Lincolnshire coronavirus: Prime Minister announces national lockdown", True),
        ("President extends Covid state of emergency as cases surge", True),
        # One person's test or illness, whoever the person is.
        ("Prime Minister Boris Johnson tests positive for coronavirus", False),
        ("President Biden tests positive for Covid-19, has mild symptoms", False),
        ("Health minister has Covid, self-isolating at home", False),
        ("Singer cancels tour after Covid diagnosis", False),
    ],
)
def test_an_official_named_beside_covid_is_not_one_person_s_illness(
    taxonomy: CompiledTaxonomy, title: str, tagged: bool
) -> None:
    assert ("disease_outbreak" in topics(taxonomy, "en", title)) is tagged


@pytest.mark.parametrize(
    "language,title,tagged",
    [
        # Public elections beside a speaker, an idiom, poll workers, unions or a federation.
        ("pl", "Prezes PiS: wybory parlamentarne wygramy", True),
        ("pl", "Utrudnienia w ruchu w związku z wyborami prezydenckimi", True),
        ("ro", "Alegeri parlamentare: membrii secțiilor de votare au fost instruiți", True),
        ("ro", "Alegeri prezidențiale în Federația Rusă: Putin câștigă un nou mandat", True),
        ("ro", "Sindicatele cer alegeri anticipate", True),
        # What those exclusions were written for.
        ("pl", "Wybory w Polskim Związku Piłki Nożnej. Nowy prezes wybrany", False),
        ("pl", "Wybory prezesa PiS: Kaczyński jedynym kandydatem", False),
        ("pl", "Walne zebranie klubu: wybory nowego zarządu", False),
        ("ro", "Alegeri la Federația Română de Fotbal: Burleanu, reales", False),
        ("ro", "Alegeri la clubul Dinamo: noul președinte a fost ales", False),
        ("sv", "Valet av ny ordförande skjuts upp i Svenska Fotbollförbundet", False),
        ("sv", "Föreningen valde ny styrelse på årsmötet", False),
    ],
)
def test_people_and_bodies_beside_a_public_election_do_not_set_it_aside(
    taxonomy: CompiledTaxonomy, language: str, title: str, tagged: bool
) -> None:
    assert ("elections" in topics(taxonomy, language, title)) is tagged


@pytest.mark.parametrize(
    "language,title,tagged",
    [
        ("it", "Elezioni presidenziali nella Federazione Russa, vince Putin", True),
        ("tr", "Rusya Federasyonu'nda devlet başkanlığı seçimi: Putin yeniden seçildi", True),
        ("nl", "Verkiezingen Europees Parlement: leden van de PVV gekozen", True),
        ("it", "Il presidente della Federazione italiana calcio: elezioni a marzo", False),
        ("it", "Federnuoto, elezione del nuovo presidente rinviata", False),
        ("tr", "Türkiye Futbol Federasyonu başkanlık seçimi yapıldı", False),
        ("nl", "Nieuwe voorzitter gekozen bij voetbalclub Ajax", False),
        ("nl", "VVD-leden kiezen nieuwe partijvoorzitter; verkiezing in juni", False),
        ("nl", "Leden van de vereniging stemmen over nieuw bestuur", False),
    ],
)
def test_a_federation_a_party_s_members_or_a_sports_body_each_where_they_belong(
    taxonomy: CompiledTaxonomy, language: str, title: str, tagged: bool
) -> None:
    assert ("elections" in topics(taxonomy, language, title)) is tagged


@pytest.mark.parametrize(
    "title,tagged",
    [
        ("Thousands march in Paris against pension reform", True),
        ("Tens of thousands rally in Tbilisi for EU membership", True),
        ("Students march against tuition hikes", True),
        ("Thousands of troops march through Red Square in Victory Day parade", False),
        ("Hundreds march in St Patrick's Day parade", False),
        ("Markets march higher as Fed signals pause", False),
    ],
)
def test_a_crowd_marching_is_a_protest_and_troops_or_a_parade_are_not(
    taxonomy: CompiledTaxonomy, title: str, tagged: bool
) -> None:
    assert ("protest" in topics(taxonomy, "en", title)) is tagged


@pytest.mark.parametrize(
    "language,title,topic,tagged",
    [
        (
            "uk",
            "Вибори президента Росії під час правління Путіна: явка рекордна",
            "elections",
            True,
        ),
        ("uk", "Вибори до правління футбольного клубу «Динамо»", "elections", False),
        (
            "uk",
            "Акціонери обрали нових членів правління банку: голосування відбулося",
            "elections",
            False,
        ),
        ("en", "Fed holds rates steady, signals cuts later this year", "economy_markets", True),
        ("en", "ECB cuts rates for the third time this year", "economy_markets", True),
        ("en", "Fed up with high crime rates, residents demand action", "economy_markets", False),
        ("en", "Trump wins Iowa caucuses by record margin", "elections", True),
        ("en", "Congressional Black Caucus pushes voting rights bill", "elections", False),
    ],
)
def test_a_reign_a_central_bank_s_rates_and_a_primary_caucus(
    taxonomy: CompiledTaxonomy, language: str, title: str, topic: str, tagged: bool
) -> None:
    assert (topic in topics(taxonomy, language, title)) is tagged


@pytest.mark.parametrize(
    "language,title,topic,tagged",
    [
        ("hi", "किसानों का दिल्ली कूच, पुलिस ने छोड़े आंसू गैस के गोले", "protest", True),
        (
            "tr",
            "Saraçhane'de binlerce kişi toplandı, polis biber gazıyla müdahale etti",
            "protest",
            True,
        ),
        ("nl", "Duizenden boeren demonstreren in Den Haag tegen stikstofplannen", "protest", True),
        ("nl", "Klimaatactivisten betogen opnieuw op de A12", "protest", True),
        ("nl", "Leerlingen demonstreren hun robots op de wetenschapsbeurs", "protest", False),
        (
            "nl",
            "Leerlingen demonstreren hun robots op de wetenschapsbeurs",
            "economy_markets",
            False,
        ),
        ("nl", "Beurs van Amsterdam sluit lager, AEX verliest 2 procent", "economy_markets", True),
        ("fa", "دلار در بازار آزاد تهران رکورد زد", "economy_markets", True),
    ],
)
def test_tear_gas_a_crowd_demonstrating_a_fair_and_a_currency_record(
    taxonomy: CompiledTaxonomy, language: str, title: str, topic: str, tagged: bool
) -> None:
    assert (topic in topics(taxonomy, language, title)) is tagged


@pytest.mark.parametrize(
    "language,title,topic,tagged",
    [
        ("es", "El Real Madrid bombardea la portería rival pero no marca", "armed_conflict", False),
        ("es", "Rusia bombardea Járkov y deja 15 muertos", "armed_conflict", True),
        ("en", "Tech firm hit by outage blames software update, not hackers", "cyberattack", False),
        ("en", "Hackers breach hospital network, patient data stolen", "cyberattack", True),
    ],
)
def test_a_team_bombarding_the_goal_and_an_outage_not_caused_by_hackers(
    taxonomy: CompiledTaxonomy, language: str, title: str, topic: str, tagged: bool
) -> None:
    assert (topic in topics(taxonomy, language, title)) is tagged
