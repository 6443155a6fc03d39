"""Every matching feature in each of the twelve languages: morphology, hard negatives, folding,
exclusions, NEAR / AND / NOT, and the position of every match in the text.

The first half runs on the bundled taxonomy (what a deployment tags); the second on a small rule
file of our own with the same three rule kinds in every language, so that a feature is tested in
each script even where the bundled rules happen not to use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.records import TopicTag
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
)

LANGUAGES = ("en", "ar", "fr", "es", "de", "ru", "uk", "pt", "it", "tr", "fa", "zh")


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def tags(
    title: str, language: str, taxonomy: CompiledTaxonomy, summary: str = ""
) -> dict[str, TopicTag]:
    return {tag.id: tag for tag in match_topics(title, summary, language, taxonomy)}


def assert_positions(tag: TopicTag, title: str, summary: str = "") -> None:
    """Every match names its field and its offsets, and the text there is the term."""
    fields = {"title": title, "summary": summary}
    assert tag.matches
    for match in tag.matches:
        assert fields[match.field][match.start : match.end] == match.term
    assert {m.term.casefold() for m in tag.matches} == {e.casefold() for e in tag.evidence}


# --- inflection, clitics, compounds, suffixes: a form the rule file does not spell out ----------

INFLECTED = [
    ("en", "Wave of cyberattacks hits hospitals", "cyberattack", "cyberattacks"),
    ("ar", "والهجمات السيبرانية تتصاعد ضد البنوك", "cyberattack", "والهجمات السيبرانية"),
    ("ar", "تستعد الأحزاب للانتخابات البلدية", "elections", "للانتخابات"),
    ("fr", "Vague de cyberattaques contre les hôpitaux", "cyberattack", "cyberattaques"),
    ("es", "Miles de agricultores protestaron en Madrid", "protest", "protestaron"),
    ("de", "Hackerangriffe auf Kliniken nehmen zu", "cyberattack", "Hackerangriffe"),
    ("ru", "Итоги голосования на выборах мэра", "elections", "выборах"),
    ("uk", "Кібератаки на банки почастішали", "cyberattack", "Кібератаки"),
    ("pt", "Israel bombardeia campo de refugiados", "armed_conflict", "bombardeia"),
    ("it", "Attacchi informatici contro gli ospedali", "cyberattack", "Attacchi informatici"),
    ("tr", "Seçimlerde iktidar partisi geriledi", "elections", "Seçimlerde"),
    ("tr", "Depremde yıkılan binalar", "natural_disaster", "Depremde"),
    ("fa", "مناظره نامزدهای ریاست جمهوری", "elections", "نامزدهای ریاست جمهوری"),
    ("fa", "هکرها به سامانه بانک حمله کردند", "cyberattack", "هکرها"),
    ("zh", "2024年美国大选投票开始", "elections", "大选"),
]


@pytest.mark.parametrize(("language", "title", "topic", "written"), INFLECTED)
def test_inflected_form_is_tagged_with_the_word_as_written(
    language: str, title: str, topic: str, written: str, taxonomy: CompiledTaxonomy
) -> None:
    found = tags(title, language, taxonomy)
    assert topic in found
    assert written in found[topic].evidence
    assert_positions(found[topic], title)


def test_every_language_has_an_inflection_case() -> None:
    assert {case[0] for case in INFLECTED} == set(LANGUAGES)


# --- hard negatives: the topic word in another sense --------------------------------------------

HARD_NEGATIVES = [
    ("en", "Shareholders approve board election at annual meeting", "elections"),
    ("en", "Arsenal's attack too strong for Villa in 4-0 rout", "terrorism"),
    ("en", "Small plane crash kills four near Lake Tahoe", "economy_markets"),
    ("en", "Museum show traces the history of the computer virus", "cyberattack"),
    ("ar", "انتخاب رئيس جديد لجمعية الصحفيين", "elections"),
    ("ar", "قرصنة سفينة تجارية قبالة سواحل الصومال", "cyberattack"),
    ("ar", "مسلحون يهاجمون مقر شركة اتصالات ويضرمون النار في المبنى", "cyberattack"),
    ("fr", "Mbappé élu meilleur joueur de la saison", "elections"),
    ("fr", "Des pirates somaliens s'emparent d'un cargo", "cyberattack"),
    ("fr", "Un virus informatique des années 1990 exposé au musée", "disease_outbreak"),
    ("es", "Los jugadores protestaron el penalti al árbitro", "protest"),
    ("es", "El ataque del Barça no encuentra el gol ante el Getafe", "armed_conflict"),
    ("de", "Die Qual der Wahl beim Autokauf", "elections"),
    ("de", "Flugzeugabsturz in Brasilien: 61 Tote", "economy_markets"),
    ("ru", "Большой выбор товаров к празднику", "elections"),
    ("ru", "Взлом квартиры: полиция ищет грабителей", "cyberattack"),
    ("uk", "Вибори голови Федерації футболу відбудуться в грудні", "elections"),
    ("uk", "Атака «Динамо» не пробила оборону суперника", "armed_conflict"),
    ("pt", "Neymar é eleito o melhor jogador da partida", "elections"),
    ("pt", "Assaltantes invadem sede de empresa de tecnologia", "cyberattack"),
    ("it", "Sinner eletto atleta dell'anno dai lettori", "elections"),
    ("it", "L'attacco dell'Inter travolge la difesa del Napoli", "terrorism"),
    ("tr", "Fenerbahçe kulübünde başkanlık seçimi yapıldı", "elections"),
    ("tr", "Köpek saldırısında bir çocuk yaralandı", "armed_conflict"),
    ("fa", "انتخاب بهترین بازیکن فصل", "elections"),
    ("fa", "نفوذ سیاسی روسیه در منطقه", "cyberattack"),
    ("zh", "公司召开股东大会，完成董事会选举", "elections"),
    ("zh", "年度十大流行语评选揭晓", "disease_outbreak"),
]


@pytest.mark.parametrize(("language", "title", "topic"), HARD_NEGATIVES)
def test_hard_negative_is_not_tagged(
    language: str, title: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in tags(title, language, taxonomy)


def test_every_language_has_a_hard_negative() -> None:
    assert {case[0] for case in HARD_NEGATIVES} == set(LANGUAGES)


# --- folding: case, accents, letter variants, joiners, apostrophes, full-width letters ----------

FOLDED = [
    ("en", "ELECTION RESULTS DELAYED IN KENYA", "elections"),
    ("ar", "إنتخـابات مبكرة في البلاد", "elections"),
    ("fr", "ELECTIONS LEGISLATIVES : LE SCRUTIN EST OUVERT", "elections"),
    ("es", "ELECCION PRESIDENCIAL EN CHILE", "elections"),
    ("de", "BUNDESTAGSWAHL: UNION VORN", "elections"),
    ("ru", "Подсчёт голосов завершён", "elections"),
    ("uk", "КОМП’ЮТЕРНИЙ ВІРУС ЗАБЛОКУВАВ РОБОТУ БАНКІВ", "cyberattack"),
    ("pt", "ELEICOES MUNICIPAIS MARCADAS PARA OUTUBRO", "elections"),
    ("it", "OSTILITA RIPRESE AL CONFINE", "armed_conflict"),
    ("tr", "Secim sonuclari aciklandi", "elections"),
    ("tr", "SEÇİM SONUÇLARI AÇIKLANDI", "elections"),
    ("fa", "رأیگیری در تهران آغاز شد", "elections"),
    ("fa", "رأي‌گيري در تهران آغاز شد", "elections"),
    ("zh", "政府网站遭受大规模ＤＤｏＳ攻击", "cyberattack"),
    ("zh", "選舉結果出爐", "elections"),
]


@pytest.mark.parametrize(("language", "title", "topic"), FOLDED)
def test_folded_spelling_is_tagged(
    language: str, title: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    found = tags(title, language, taxonomy)
    assert topic in found
    assert_positions(found[topic], title)


def test_every_language_has_a_folding_case() -> None:
    assert {case[0] for case in FOLDED} == set(LANGUAGES)


# --- Chinese: no spaces, Latin words inside a run -----------------------------------------------


def test_chinese_term_is_found_inside_a_run_at_its_exact_position(
    taxonomy: CompiledTaxonomy,
) -> None:
    title = "多家医院遭网络攻击，手术被迫推迟"
    (match,) = tags(title, "zh", taxonomy)["cyberattack"].matches
    assert (match.term, match.start, match.end) == ("网络攻击", 5, 9)


def test_latin_word_glued_to_chinese_characters_is_a_word_of_its_own(
    taxonomy: CompiledTaxonomy,
) -> None:
    title = "政府网站遭受大规模DDoS攻击"
    (match,) = tags(title, "zh", taxonomy)["cyberattack"].matches
    assert (match.term, match.start, match.end) == ("DDoS", 9, 13)


def test_latin_word_glued_to_chinese_is_found_when_the_language_is_undetermined(
    taxonomy: CompiledTaxonomy,
) -> None:
    assert "cyberattack" in tags("政府网站遭受大规模DDoS攻击", "und", taxonomy)


# --- exclusions in the bundled rules: the same word counts without its context ------------------

EXCLUSION_PAIRS = [
    ("en", "elections", "Board election at annual meeting", "Election at annual meeting"),
    ("ar", "cyberattack", "قرصنة بحرية تستهدف التجارة", "قرصنة تستهدف البنوك"),
    ("fr", "natural_disaster", "Raz de marée électoral pour le RN", "Raz de marée à Sumatra"),
    (
        "es",
        "natural_disaster",
        "Terremoto político en el Congreso",
        "Terremoto en el sur de México",
    ),
    ("de", "natural_disaster", "Erdrutschsieg für die Opposition", "Erdrutsch in den Alpen"),
    (
        "ru",
        "elections",
        "Выборы президента клуба «Спартак» перенесли",
        "Выборы президента перенесли",
    ),
    (
        "uk",
        "elections",
        "Вибори голови Федерації футболу в грудні",
        "Вибори голови громади в грудні",
    ),
    (
        "pt",
        "economy_markets",
        "Bolsa Família paga novo benefício",
        "Bolsa sobe com alta dos bancos",
    ),
    ("it", "elections", "Elezione del presidente della federazione", "Elezione del presidente"),
    ("tr", "elections", "Kulüpte başkanlık seçimi yapıldı", "Başkanlık seçimi yapıldı"),
    ("fa", "elections", "انتخابات فدراسیون فوتبال برگزار شد", "انتخابات مجلس برگزار شد"),
    ("zh", "elections", "公司完成董事会选举", "今日举行总统选举"),
]


@pytest.mark.parametrize(("language", "topic", "excluded", "counted"), EXCLUSION_PAIRS)
def test_exclusion_cancels_only_the_word_in_its_context(
    language: str, topic: str, excluded: str, counted: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in tags(excluded, language, taxonomy)
    assert topic in tags(counted, language, taxonomy)


def test_every_language_has_an_exclusion_pair() -> None:
    assert {case[0] for case in EXCLUSION_PAIRS} == set(LANGUAGES)


# --- NEAR and AND in the bundled rules: the context word must be there --------------------------

CONTEXT_PAIRS = [
    ("en", "cyberattack", "Ministry systems breached overnight", "Contract breached, court rules"),
    ("ar", "cyberattack", "اختراق حسابات وزارة الخارجية", "اختراق في المفاوضات بين الطرفين"),
    ("fr", "cyberattack", "Un virus informatique se propage dans les ordinateurs de la mairie",
     "Un virus informatique des années 1990 exposé au musée"),
    ("es", "armed_conflict", "Ataques rusos con drones contra Kiev",
     "Los drones de reparto llegan a Madrid"),
    ("de", "cyberattack", "Computervirus legt Rechner der Stadtverwaltung lahm",
     "Ausstellung zeigt das erste Computervirus"),
    ("ru", "cyberattack", "Произошел взлом сайта министерства",
     "Взлом квартиры: полиция ищет грабителей"),
    ("uk", "armed_conflict", "Росія атакувала Україну дронами",
     "Дрони для доставки пошти запускають у Києві"),
    ("pt", "cyberattack", "Criminosos invadem sistema do banco e desviam milhões",
     "Assaltantes invadem sede de empresa de tecnologia"),
    ("it", "armed_conflict", "Missili russi su Leopoli", "Missili storici in mostra al museo"),
    ("tr", "armed_conflict", "Rusya, Ukrayna'ya İHA ile saldırdı",
     "Köpek saldırısında bir çocuk yaralandı"),
    ("fa", "cyberattack", "نفوذ به سامانه بانک مرکزی", "نفوذ سیاسی روسیه در منطقه"),
    ("zh", "cyberattack", "新型电脑病毒在企业网络中传播", "博物馆展出第一个电脑病毒"),
]  # fmt: skip


@pytest.mark.parametrize(("language", "topic", "with_context", "without"), CONTEXT_PAIRS)
def test_rule_needing_a_context_word_tags_only_with_it(
    language: str, topic: str, with_context: str, without: str, taxonomy: CompiledTaxonomy
) -> None:
    found = tags(with_context, language, taxonomy)
    assert topic in found
    assert len(found[topic].matches) >= 2  # both words of the pair are evidence
    assert_positions(found[topic], with_context)
    assert topic not in tags(without, language, taxonomy)


def test_every_language_has_a_context_pair() -> None:
    assert {case[0] for case in CONTEXT_PAIRS} == set(LANGUAGES)


def test_evidence_positions_hold_in_the_summary_too(taxonomy: CompiledTaxonomy) -> None:
    title, summary = "Polls open in Ghana", "Voters queued at polling stations before dawn."
    tag = tags(title, "en", taxonomy, summary)["elections"]
    assert {m.field for m in tag.matches} == {"title", "summary"}
    assert_positions(tag, title, summary)


# --- AND / NEAR / NOT mechanics in every script, on a rule file of our own ----------------------

# Per language: an all-group (both words anywhere), a near rule (within 3 words), a term and an
# exclusion phrase around it. Words carry that language's morphology: stems, clitics, suffixes,
# compounds, runs without spaces.
PROBES = {
    "en": ("ship*", "harbour", "crane", "collaps*", "dock|docks", "dock pay"),
    "ar": ("سفينة|سفن", "ميناء", "رافعة", "انهيار|انهارت|انهار", "رصيف", "رصيف مشاة"),
    "fr": ("navire*", "port", "grue", "effondr*", "quai|quais", "quai d orsay"),
    "es": ("barco*", "puerto", "grúa", "derrumb*", "muelle|muelles", "muelle del colchón"),
    "de": ("~schiff", "hafen", "kran", "eingestürzt|stürzt", "~anleger", "~kleinanleger"),
    "ru": ("корабл*", "порт*", "кран", "рухнул*|обрушил*", "причал*", "причал* для яхт"),
    "uk": ("корабл*", "порт*", "кран", "обвалив*|впав", "причал*", "причал* для яхт"),
    "pt": ("navio*", "porto", "guindaste", "desab*", "cais", "cais do sodré"),
    "it": ("nav*", "porto", "gru", "crollat*|crolla", "molo|moli", "molo beverello"),
    "tr": ("gemi*", "liman*", "vinç*", "çöktü|devrildi", "rıhtım*", "rıhtım kafe*"),
    "fa": ("کشتی", "بندر", "جرثقیل", "فروریخت|سقوط", "اسکله", "اسکله تفریحی"),
    "zh": ("船只", "港口", "起重机", "倒塌", "码头", "老码头火锅"),
}

# Per language: (both all-words, one all-word, near, far apart, the term, the term excluded).
PROBE_TEXTS = {
    "en": ("Ships left the harbour", "Ships left early", "The crane collapsed at noon",
           "The crane stood tall while the old shed nearby finally collapsed",
           "The docks closed", "Dock pay was cut"),
    "ar": ("غادرت السفن الميناء", "غادرت السفن مبكرا", "انهارت الرافعة ظهرا",
           "بقيت الرافعة قائمة طوال اليوم بينما المخزن القديم المجاور انهار",
           "أغلق الرصيف", "رصيف المشاة مغلق"),
    "fr": ("Les navires quittent le port", "Les navires partent tôt", "La grue s'est effondrée",
           "La grue tenait debout alors que le vieux hangar voisin s'est effondré",
           "Les quais sont fermés", "Le Quai d'Orsay dément"),
    "es": ("Los barcos salieron del puerto", "Los barcos salieron temprano",
           "La grúa se derrumbó al mediodía",
           "La grúa seguía en pie mientras el viejo almacén cercano se derrumbaba",
           "Cerraron los muelles", "El muelle del colchón se rompió"),
    "de": ("Die Containerschiffe verlassen den Hafen", "Die Containerschiffe fahren früh",
           "Der Kran ist eingestürzt",
           "Der Kran stand noch, während die alte Halle daneben eingestürzt ist",
           "Der Anleger ist gesperrt", "Kleinanleger verlieren Geld"),
    "ru": ("Корабли покинули порт", "Корабли ушли рано", "Кран рухнул в полдень",
           "Кран стоял, а старый склад рядом давно уже рухнул",
           "Причалы закрыты", "Причал для яхт отремонтировали"),
    "uk": ("Кораблі залишили порт", "Кораблі пішли рано", "Кран обвалився опівдні",
           "Кран стояв, а старий склад поруч давно вже обвалився",
           "Причали закрито", "Причал для яхт відремонтували"),
    "pt": ("Os navios deixaram o porto", "Os navios partiram cedo",
           "O guindaste desabou ao meio-dia",
           "O guindaste ficou de pé enquanto o velho armazém ao lado desabou",
           "O cais foi fechado", "Cais do Sodré recebe festa"),
    "it": ("Le navi lasciano il porto", "Le navi partono presto", "La gru è crollata",
           "La gru era in piedi mentre il vecchio magazzino vicino è crollato",
           "Il molo è chiuso", "Al Molo Beverello attracca il traghetto"),
    "tr": ("Gemiler limandan ayrıldı", "Gemiler erken ayrıldı", "Vinç öğle saatinde çöktü",
           "Vinç ayakta kaldı ama yandaki eski depo geçen hafta çöktü",
           "Rıhtım kapatıldı", "Rıhtım Kafe yeniden açıldı"),
    "fa": ("کشتی‌ها از بندر خارج شدند", "کشتی‌ها زود رفتند", "جرثقیل ظهر فروریخت",
           "جرثقیل سر پا ماند اما انبار قدیمی کناری دیروز فروریخت",
           "اسکله بسته شد", "اسکله تفریحی بازگشایی شد"),
    "zh": ("船只驶离港口", "船只提前出发", "起重机中午倒塌",
           "起重机在整个漫长而寒冷的冬天里一直稳稳地矗立着直到今天旁边的旧仓库倒塌",
           "码头关闭", "老码头火锅开业"),
}  # fmt: skip


def probe_rules() -> str:
    lines = [
        "schema_version = 1",
        "title_weight = 1.0",
        "[[topics]]",
        'id = "harbour"',
        'label = "Harbour"',
        'iptc = "medtop:20000385"',
        "threshold = 2.0",
    ]
    for language, (all_a, all_b, near_a, near_b, term, excluded) in PROBES.items():
        lines += [
            f"[topics.rules.{language}]",
            f'all = [{{ terms = ["{all_a}", "{all_b}"], weight = 2 }}]',
            f'near = [{{ a = "{near_a}", b = "{near_b}", within = 3, weight = 2 }}]',
            f'not = ["{excluded}"]',
            f"[topics.rules.{language}.terms]",
            f'"{term}" = 2',
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("probes")) / "probes.toml"
    path.write_text(probe_rules(), encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def test_probe_rules_cover_the_twelve_languages() -> None:
    assert set(PROBES) == set(PROBE_TEXTS) == set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_and_group_needs_both_words(language: str, probes: CompiledTaxonomy) -> None:
    both, one = PROBE_TEXTS[language][0], PROBE_TEXTS[language][1]
    found = tags(both, language, probes)
    assert "harbour" in found
    assert len(found["harbour"].matches) == 2
    assert_positions(found["harbour"], both)
    assert "harbour" not in tags(one, language, probes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_near_rule_needs_the_words_close_together(language: str, probes: CompiledTaxonomy) -> None:
    near, far = PROBE_TEXTS[language][2], PROBE_TEXTS[language][3]
    found = tags(near, language, probes)
    assert "harbour" in found
    assert_positions(found["harbour"], near)
    assert "harbour" not in tags(far, language, probes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_not_phrase_cancels_the_term_inside_it(language: str, probes: CompiledTaxonomy) -> None:
    counted, excluded = PROBE_TEXTS[language][4], PROBE_TEXTS[language][5]
    found = tags(counted, language, probes)
    assert "harbour" in found
    assert_positions(found["harbour"], counted)
    assert "harbour" not in tags(excluded, language, probes)
