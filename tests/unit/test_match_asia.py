"""Word splitting and matching for the scripts issue 15 added: Devanagari and Thai vowel marks
inside words, Thai matched inside running text like Chinese, Hebrew one-letter prefixes, and
two-syllable Hangul stems for Korean particles.

The rules are a small file of our own, so each feature is tested even where the bundled taxonomy
happens not to use it; a last group checks the bundled taxonomy on real headlines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.records import TopicTag
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    TaxonomyError,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
    parse_term,
)
from streams.text.fold import WORD_PATTERN, split_words

RULES = """
schema_version = 1
[[topics]]
id = "elections"
label = "Elections"
iptc = "medtop:20000574"
threshold = 2.0
[topics.rules.hi.terms]
"चुनाव" = 2
[topics.rules.th.terms]
"เลือกตั้ง" = 2
[topics.rules.he.terms]
"בחירות" = 2
[topics.rules.ko.terms]
"선거*" = 2
[[topics]]
id = "protest"
label = "Protest"
iptc = "medtop:20000065"
threshold = 2.0
[topics.rules.th]
near = [{ a = "ชุมนุม", b = "ผู้", within = 2, weight = 2 }]
[topics.rules.th.terms]
"ประท้วง" = 2
[topics.rules.he.terms]
"הפגנ*" = 2
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("asia")) / "asia.toml"
    path.write_text(RULES, encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def found(title: str, language: str, taxonomy: CompiledTaxonomy) -> dict[str, TopicTag]:
    return {tag.id: tag for tag in match_topics(title, "", language, taxonomy)}


def test_devanagari_vowel_signs_stay_inside_the_word() -> None:
    assert split_words("चुनाव में हिंसा")[1::2] == ["चुनाव", "में", "हिंसा"]
    assert [m.group() for m in WORD_PATTERN.finditer("चुनाव आयोग")] == ["चुनाव", "आयोग"]


def test_thai_marks_stay_inside_the_run_and_digits_split_from_it() -> None:
    assert split_words("การเลือกตั้ง ประท้วง")[1::2] == ["การเลือกตั้ง", "ประท้วง"]
    assert split_words("น้ำท่วม2566ครั้ง", unspaced=True)[1::2] == ["น้ำท่วม", "2566", "ครั้ง"]


def test_hindi_word_is_matched_whole(rules: CompiledTaxonomy) -> None:
    tag = found("विधानसभा चुनाव के नतीजे", "hi", rules)["elections"]
    assert tag.evidence == ("चुनाव",)
    # A word that merely starts with the same letters is another word.
    assert "elections" not in found("चुनावी", "hi", rules)


def test_thai_term_is_found_inside_running_text_at_its_position(rules: CompiledTaxonomy) -> None:
    title = "กกต.รายงานผลการเลือกตั้งอย่างเป็นทางการ"
    tag = found(title, "th", rules)["elections"]
    (match,) = tag.matches
    assert title[match.start : match.end] == "เลือกตั้ง"


def test_thai_near_rule_counts_characters_inside_a_run(rules: CompiledTaxonomy) -> None:
    assert "protest" in found("มีผู้ชุมนุมหน้าทำเนียบ", "th", rules)
    assert "protest" not in found("ผู้ว่าราชการจังหวัดเปิดงานและเยี่ยมชมตลาดชุมนุมสินค้า", "th", rules)


def test_thai_text_of_undetermined_language_is_split_as_thai(rules: CompiledTaxonomy) -> None:
    assert "protest" in found("ม็อบประท้วงหน้ารัฐสภา", "und", rules)


@pytest.mark.parametrize(
    "word", ["בחירות", "הבחירות", "בבחירות", "לבחירות", "והבחירות", "וכשהבחירות", "מהבחירות"]
)
def test_hebrew_prefixes_are_stripped(word: str, rules: CompiledTaxonomy) -> None:
    tag = found(f"{word} לכנסת", "he", rules)["elections"]
    assert tag.evidence == (word,)


def test_hebrew_prefix_stripping_combines_with_stems(rules: CompiledTaxonomy) -> None:
    assert "protest" in found("אלפים השתתפו בהפגנות בתל אביב", "he", rules)


def test_hebrew_short_words_are_not_stripped_to_nothing(rules: CompiledTaxonomy) -> None:
    # "ביתה" (to her house) minus ב is not a stem to look up: stems keep three letters.
    assert found("חזרה ביתה", "he", rules) == {}


@pytest.mark.parametrize("word", ["선거", "선거에서", "선거는", "선거관리위원회"])
def test_two_syllable_hangul_stem_takes_particles(word: str, rules: CompiledTaxonomy) -> None:
    assert "elections" in found(f"{word} 결과", "ko", rules)


def test_two_letter_latin_stem_is_still_refused() -> None:
    with pytest.raises(ValueError, match="at least 3 letters"):
        parse_term("el*", "en")
    assert parse_term("선거*", "ko")[0][0].kind == "^"


def test_one_hangul_syllable_stem_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(RULES.replace('"선거*" = 2', '"선*" = 2'), encoding="utf-8")
    with pytest.raises(TaxonomyError, match="the stem before"):
        load_taxonomy(path)


# --- the bundled taxonomy on published headlines (bench/data/news_eval_asia_en.jsonl) -----------

BUNDLED = [
    ("ko", "[최종 개표] 윤석열, '역대최소' 24만7천77표 차로 신승", "elections"),
    ("ja", "アフガンで自爆テロ「イスラム国」犯行声明", "terrorism"),
    ("hi", "देश भर में आज 'रेल रोको' आंदोलन करेंगे किसान", "protest"),
    ("th", "ม็อบเยาวชนลาม 26 จังหวัด ลากยาวสวน พ.ร.ก.ฉุกเฉิน", "protest"),
    ("vi", "Mưa lũ ở Trung Bộ làm 40 người thương vong và mất tích", "natural_disaster"),
    ("id", "Pusat Data Nasional Diserang Hacker, Pelaku Minta Tebusan", "cyberattack"),
    ("he", "משבר הקורונה: מניין החולים בישראל עלה ל-5,358", "disease_outbreak"),
    ("en", "Royal Mail staff strike as train workers continue walkout", "protest"),
    # ... and from bench/data/news_eval_tune2.jsonl: a border clash with no war word, a strike,
    # a deadly rainstorm.
    ("th", "ชายแดนตึงเครียด ทภ.2 เผย ทหารเขมร ยิงปืนเล็กข้ามแนวลวดหนามฝั่งไทย", "armed_conflict"),
    ("zh", "長榮航空罷工影響33航班 民航局啟動緊急應變", "protest"),
    ("zh", "云南威信因强降雨致1死4失联", "natural_disaster"),
]


@pytest.mark.parametrize(("language", "title", "topic"), BUNDLED)
def test_bundled_taxonomy_tags_real_headlines(language: str, title: str, topic: str) -> None:
    assert topic in found(title, language, load_default_taxonomy())


TRAPS = [
    ("ja", "菅官房長官「極めて遺憾」 東シナ海ガス田開発、中国に抗議", "protest"),
    ("th", "มุ้ยเหมาสอง!! ช้างศึก บุกสยบ ไต้หวัน 2-0 เก็บชัยคัดบอลโลก", "armed_conflict"),
    ("ko", "축구협회산하연맹회장선거봇물", "elections"),
    ("en", "Weighing in on the Obesity Epidemic", "disease_outbreak"),
    ("he", 'הקשה, הסוער, הקל והדרמטי: מה מצפה למכבי ת"א בהגרלה', "natural_disaster"),
    ("th", "พัทลุง คนร้ายใช้อาวุธสงครามยิงถล่มแคมป์คนงานก่อสร้างกลางดึก", "armed_conflict"),
    ("th", "เกมแลกกันสุดเดือด! ช้างศึกซีเกมส์ บุกอุ่นเครื่องเจ๊าแข้งมังกร ไร้สกอร์ 0-0", "armed_conflict"),
]


@pytest.mark.parametrize(("language", "title", "topic"), TRAPS)
def test_bundled_taxonomy_leaves_false_friends_alone(language: str, title: str, topic: str) -> None:
    assert topic not in found(title, language, load_default_taxonomy())
