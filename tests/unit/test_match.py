"""Tests for topic matching: morphology per language, hard negatives, fallback, evidence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from streams.records import TermMatch, TopicTag
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
)


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def tags(
    title: str, summary: str, language: str, taxonomy: CompiledTaxonomy
) -> dict[str, TopicTag]:
    return {tag.id: tag for tag in match_topics(title, summary, language, taxonomy)}


# --- Arabic morphology ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "written"),
    [
        ("تستعد الأحزاب للانتخابات البلدية المقبلة", "للانتخابات"),
        ("فاز الحزب الحاكم بالانتخابات التشريعية", "بالانتخابات"),
        ("تأجيل الميزانية والانتخابات البلدية إلى الخريف", "والانتخابات"),
        ("انتخـــابات رئاسية مبكرة في البلاد", "انتخـــابات"),
        ("الانْتِخَابَاتُ الرِّئَاسِيَّةُ فِي مَوْعِدِهَا", "الانْتِخَابَاتُ"),
        ("إنتخابات مبكرة في البلاد", "إنتخابات"),
    ],
)
def test_prefixed_arabic_election_word_is_tagged(
    headline: str, written: str, taxonomy: CompiledTaxonomy
) -> None:
    found = tags(headline, "", "ar", taxonomy)
    assert "elections" in found
    assert written in found["elections"].evidence


def test_arabic_suffixed_word_is_tagged(taxonomy: CompiledTaxonomy) -> None:
    found = tags("", "تراجعت مبيعاتها وإيراداتها في الربع الأخير من العام", "ar", taxonomy)
    assert "economy_markets" in found
    assert "مبيعاتها" in found["economy_markets"].evidence


def test_arabic_armed_assault_is_not_a_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    found = tags("مسلحون يهاجمون مقر شركة اتصالات ويضرمون النار في المبنى", "", "ar", taxonomy)
    assert "cyberattack" not in found


def test_arabic_cyberattack_phrase_with_article_and_feminine_adjective(
    taxonomy: CompiledTaxonomy,
) -> None:
    found = tags("", "تعرضت الوزارة إلى الهجمات الإلكترونية طوال الأسبوع", "ar", taxonomy)
    assert found["cyberattack"].evidence == ("الهجمات الإلكترونية",)


# --- Russian, Ukrainian: case endings ---------------------------------------------------------


@pytest.mark.parametrize(
    "headline",
    ["Итоги выборов в Госдуму объявят в понедельник", "Наблюдатели о нарушениях на выборах мэра"],
)
def test_russian_case_forms_of_elections_are_tagged(
    headline: str, taxonomy: CompiledTaxonomy
) -> None:
    assert "elections" in tags(headline, "", "ru", taxonomy)


def test_russian_choice_is_not_an_election(taxonomy: CompiledTaxonomy) -> None:
    assert "elections" not in tags("Большой выбор товаров на ярмарке", "", "ru", taxonomy)


def test_russian_stem_matches_inflected_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    found = tags("", "Банк сообщил о серии кибератак на свои серверы", "ru", taxonomy)
    assert found["cyberattack"].evidence == ("кибератак",)


def test_ukrainian_shelling_is_armed_conflict(taxonomy: CompiledTaxonomy) -> None:
    assert "armed_conflict" in tags("Нічний обстріл Харкова", "", "uk", taxonomy)


# --- German compounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "topic", "word"),
    [
        ("Die Bundestagswahl findet im Februar statt", "elections", "Bundestagswahl"),
        ("Hackerangriff legt Stadtverwaltung lahm", "cyberattack", "Hackerangriff"),
        ("Cyberangriffe auf Krankenhäuser nehmen zu", "cyberattack", "Cyberangriffe"),
        ("Neuer Luftangriff auf die Hafenstadt", "armed_conflict", "Luftangriff"),
    ],
)
def test_german_compound_is_tagged_with_the_whole_word_as_evidence(
    headline: str, topic: str, word: str, taxonomy: CompiledTaxonomy
) -> None:
    found = tags(headline, "", "de", taxonomy)
    assert topic in found
    assert word in found[topic].evidence


@pytest.mark.parametrize(
    "headline",
    ["Die Auswahl an Brot ist groß", "Messi wurde zum Weltfußballer gewählt"],
)
def test_german_choice_words_are_not_elections(headline: str, taxonomy: CompiledTaxonomy) -> None:
    assert "elections" not in tags(headline, "", "de", taxonomy)


# --- French and Spanish inflection --------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "language", "topic"),
    [
        ("Les élections régionales auront lieu en juin.", "fr", "elections"),
        ("Des cyberattaques visent les hôpitaux du pays.", "fr", "cyberattack"),
        ("Des manifestants ont bloqué le périphérique.", "fr", "protest"),
        ("Las elecciones municipales se celebrarán en mayo.", "es", "elections"),
        ("Los ciberataques contra hospitales aumentan.", "es", "cyberattack"),
        ("Las protestas se extendieron a otras ciudades.", "es", "protest"),
    ],
)
def test_french_and_spanish_plural_forms_are_tagged(
    summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tags("", summary, language, taxonomy)


# --- other languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headline", "language", "topic"),
    [
        ("SEÇİM SONUÇLARI AÇIKLANDI", "tr", "elections"),
        ("Deprem sonrası arama çalışmaları sürüyor", "tr", "natural_disaster"),
        ("انتخابات ریاست جمهوری در خرداد برگزار می‌شود", "fa", "elections"),
        ("Terremoto de magnitude 6 atinge o norte do país", "pt", "natural_disaster"),
        ("Alluvione in Emilia, evacuate migliaia di persone", "it", "natural_disaster"),
        ("2024年美国大选投票开始", "zh", "elections"),
        ("多家医院遭网络攻击", "zh", "cyberattack"),
    ],
)
def test_other_languages_are_tagged(
    headline: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tags(headline, "", language, taxonomy)


def test_chinese_evidence_is_the_term_not_the_whole_run(taxonomy: CompiledTaxonomy) -> None:
    found = tags("2024年美国大选投票开始", "", "zh", taxonomy)
    assert "大选" in found["elections"].evidence


# --- hard negatives -----------------------------------------------------------------------------


def test_board_election_is_not_an_election(taxonomy: CompiledTaxonomy) -> None:
    found = tags("Shareholders approve board election at annual meeting", "", "en", taxonomy)
    assert "elections" not in found


def test_election_of_the_club_president_is_not_an_election(taxonomy: CompiledTaxonomy) -> None:
    summary = "The election of the club president was postponed after a dispute over fees."
    assert "elections" not in tags("", summary, "en", taxonomy)


def test_sport_attack_is_not_violence(taxonomy: CompiledTaxonomy) -> None:
    title = "Liverpool's attack overwhelmed the defence as the striker scored twice"
    found = tags(title, "The attack was relentless all season.", "en", taxonomy)
    assert not {"terrorism", "armed_conflict", "cyberattack"} & set(found)


def test_computer_virus_is_not_a_disease_outbreak(taxonomy: CompiledTaxonomy) -> None:
    found = tags("", "A computer virus spread through the ministry's network overnight.", "en",
                 taxonomy)  # fmt: skip
    assert "disease_outbreak" not in found
    assert "cyberattack" in found


def test_disease_virus_is_not_a_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    summary = "A new virus outbreak has infected hundreds of people in three provinces."
    found = tags("", summary, "en", taxonomy)
    assert "disease_outbreak" in found
    assert "cyberattack" not in found


def test_plane_crash_is_not_a_market_crash(taxonomy: CompiledTaxonomy) -> None:
    found = tags("Plane crash near the airport", "The crash killed 40 passengers.", "en", taxonomy)
    assert "economy_markets" not in found


def test_market_crash_is_economy(taxonomy: CompiledTaxonomy) -> None:
    found = tags("Stocks crash as investors flee", "", "en", taxonomy)
    assert "economy_markets" in found


def test_physical_attack_on_a_building_is_not_a_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    title = "Gunmen attacked the headquarters of a software company"
    found = tags(title, "They set the building on fire before fleeing.", "en", taxonomy)
    assert "cyberattack" not in found


def test_attack_on_servers_is_a_cyberattack(taxonomy: CompiledTaxonomy) -> None:
    found = tags("Ministry says attack took its websites offline", "", "en", taxonomy)
    assert "cyberattack" in found


def test_trade_war_is_not_armed_conflict(taxonomy: CompiledTaxonomy) -> None:
    assert "armed_conflict" not in tags("Trade war with the army of lawyers", "", "en", taxonomy)


# --- fallback, evidence, scoring ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "language", "topic"),
    [
        ("Les élections législatives auront lieu dimanche.", "und", "elections"),
        ("Итоги выборов объявят завтра.", "und", "elections"),
        ("Die Bundestagswahl findet im Februar statt.", "sk", "elections"),  # Slovak has no rules
        ("تعرضت الوزارة لهجوم إلكتروني", "und", "cyberattack"),
    ],
)
def test_undetermined_or_unruled_language_uses_every_language(
    summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in tags("", summary, language, taxonomy)


def test_regional_language_code_uses_its_base_language(taxonomy: CompiledTaxonomy) -> None:
    assert taxonomy.matcher_for("pt-BR") is taxonomy.matchers["pt"]
    assert taxonomy.matcher_for("und") is taxonomy.fallback


def test_evidence_lists_the_matched_terms_as_written(taxonomy: CompiledTaxonomy) -> None:
    found = tags("Massive DDoS attack hits bank", "Hackers demanded a ransom.", "en", taxonomy)
    assert found["cyberattack"].evidence == ("DDoS", "Hackers")


def test_every_counted_match_carries_its_field_and_offsets(taxonomy: CompiledTaxonomy) -> None:
    title, summary = "Massive DDoS attack hits bank", "Hackers demanded a ransom."
    found = tags(title, summary, "en", taxonomy)
    assert found["cyberattack"].matches == (
        TermMatch("DDoS", "title", 8, 12),
        TermMatch("Hackers", "summary", 0, 7),
    )


def test_a_repeated_term_is_one_match_and_one_evidence(taxonomy: CompiledTaxonomy) -> None:
    found = tags("", "Election, election, election.", "en", taxonomy)
    assert found["elections"].matches == (TermMatch("Election", "summary", 0, 8),)


def test_compound_match_spans_the_whole_word(taxonomy: CompiledTaxonomy) -> None:
    title = "Neue Hackerangriffe auf Kliniken"
    (match,) = tags(title, "", "de", taxonomy)["cyberattack"].matches
    assert (match.term, match.start, match.end) == ("Hackerangriffe", 5, 19)


def test_near_rule_records_both_of_its_words(taxonomy: CompiledTaxonomy) -> None:
    title = "Ministry systems breached overnight"
    found = tags(title, "", "en", taxonomy)["cyberattack"]
    assert [(m.term, m.start) for m in found.matches] == [("systems", 9), ("breached", 17)]


def test_a_term_counts_once_however_often_it_appears(taxonomy: CompiledTaxonomy) -> None:
    found = tags("", "Election, election, election.", "en", taxonomy)
    assert found["elections"].score == 2.0
    assert found["elections"].evidence == ("Election",)


def test_title_match_weighs_more_than_summary_match(taxonomy: CompiledTaxonomy) -> None:
    rules_alone = compile_taxonomy(replace(load_taxonomy(), arbiter=False))
    assert "cyberattack" in tags("Ministry website hacked", "", "en", rules_alone)
    assert "cyberattack" not in tags("", "Ministry website hacked", "en", rules_alone)
    # A hacked website is an intrusion (the topic's scope): the bundled arbiter confirms the
    # supporting word, and the tag keeps the rule score below the threshold.
    assert tags("", "Ministry website hacked", "en", taxonomy)["cyberattack"].score == 1.5


def test_topics_are_ordered_best_first(taxonomy: CompiledTaxonomy) -> None:
    title = "Hackers hit election commission servers with ransomware before the election"
    result = match_topics(title, "Turnout may fall.", "en", taxonomy)
    assert [tag.score for tag in result] == sorted((tag.score for tag in result), reverse=True)
    assert {tag.id for tag in result} >= {"cyberattack", "elections"}


def test_text_without_topic_words_gets_no_tags(taxonomy: CompiledTaxonomy) -> None:
    assert match_topics("Recipe: lemon cake", "Bake for 40 minutes.", "en", taxonomy) == ()


# --- rule features on a small taxonomy of our own -----------------------------------------------

RULES = """
schema_version = 1
title_weight = 2.0

[[topics]]
id = "harbour"
label = "Harbour"
iptc = "medtop:20000385"
threshold = 2.0

[topics.rules.en]
all = [{ terms = ["ship*", "harbour"], weight = 2 }]
near = [{ a = "crane", b = "collapse*", within = 2, weight = 2 }]
not = ["paper crane*"]
not_near = [{ a = "dock", b = "pay", within = 2 }]
[topics.rules.en.terms]
"dock|docks" = 2
"crane" = 1
"ship*" = 0.5
"harbour" = 0.5
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def test_all_group_needs_every_term(small: CompiledTaxonomy) -> None:
    assert "harbour" in tags("", "Ships left the harbour.", "en", small)
    assert "harbour" not in tags("", "Ships left early.", "en", small)


def test_near_rule_needs_the_terms_close_together(small: CompiledTaxonomy) -> None:
    assert "harbour" in tags("", "The crane collapsed at noon.", "en", small)
    far = "The crane stood tall while the old shed nearby finally collapsed."
    assert "harbour" not in tags("", far, "en", small)


def test_exclusion_phrase_cancels_the_match_inside_it(small: CompiledTaxonomy) -> None:
    assert "harbour" not in tags("", "A paper crane collapsed.", "en", small)


def test_exclusion_near_cancels_only_the_nearby_term(small: CompiledTaxonomy) -> None:
    assert "harbour" not in tags("", "Dock pay was cut.", "en", small)
    assert "harbour" in tags("", "Dock pay was cut; the docks closed.", "en", small)


def test_title_weight_comes_from_the_file(small: CompiledTaxonomy) -> None:
    assert tags("Crane", "", "en", small)["harbour"].score == 2.0


def test_topic_exactly_at_its_threshold_is_tagged_and_just_below_is_not(
    small: CompiledTaxonomy,
) -> None:
    assert tags("", "Ships and a crane.", "en", small) == {}  # 0.5 + 1 < 2
    assert tags("", "Ships, a crane and the harbour.", "en", small)["harbour"].score >= 2.0


def test_near_pair_inside_one_chinese_run_counts_by_the_characters_between(
    tmp_path: Path,
) -> None:
    rules = RULES.replace(
        "[topics.rules.en]",
        """[topics.rules.zh]
near = [{ a = "起重机", b = "倒塌", within = 2, weight = 2 }]
[topics.rules.zh.terms]
"码头" = 0.5
[topics.rules.en]""",
    )
    path = tmp_path / "rules.toml"
    path.write_text(rules, encoding="utf-8")
    compiled = compile_taxonomy(load_taxonomy(path))
    assert "harbour" in tags("起重机中午倒塌", "", "zh", compiled)  # two characters between
    assert "harbour" not in tags("起重机在漫长的冬天里矗立着直到今天倒塌", "", "zh", compiled)
