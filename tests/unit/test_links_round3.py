"""Round 3 of cross-language links: evidence that survives scripts the first rounds missed.

Each test states one way a real report writes a number or a name that the other languages
write differently (bench/README.md, "Round 3"), and the digest both must reduce it to.
"""

from __future__ import annotations

from datetime import UTC, datetime

from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    Embedding,
    LinkConfig,
    StoryDigest,
    decide_link,
    extract_names,
    extract_numbers,
    link_evidence,
)
from tests.unit.link_cases import vectors

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def digest(story_id: str, language: str, text: str, vector: Embedding) -> StoryDigest:
    return StoryDigest(story_id, language, 0.0, extract_numbers(text), extract_names(text), vector)


PAGERS_DE = "Pager-Explosionen im Libanon: 2.750 Verletzte, Hisbollah spricht von Angriff"
PAGERS_RO = "Explozii de pagere în Liban: 2750 de răniți, Hezbollah acuză Israelul"
PAGERS_AR = "انفجار أجهزة بيجر لحزب الله: 2750 جريحا في لبنان"
PAGERS_UR = "لبنان میں پیجر دھماکے، حزب اللہ کے 2750 ارکان زخمی"


def test_japanese_middle_dot_after_a_magnitude_is_a_decimal_point() -> None:
    # Kyodo and Yomiuri write "M7・6"; the English report of the same quake writes 7.6.
    assert extract_numbers("マグニチュード(M)は7・6と推定される") == extract_numbers("a 7.6 quake")
    assert extract_numbers("Ｍ６・８の地震") == frozenset({"6.8"})


def test_japanese_middle_dot_before_a_percent_sign_is_a_decimal_point() -> None:
    assert extract_numbers("予想得票率は51・7%") == frozenset({"51.7"})


def test_japanese_middle_dot_between_month_and_day_is_not_a_number() -> None:
    # "6・3" is the 3 June election, "12・3" the martial law of 3 December: no 6.3 magnitude.
    assert extract_numbers("6・3韓国大統領選挙、12・3非常戒厳") == frozenset()


def test_a_far_pair_sharing_a_number_and_a_name_links_on_that_evidence() -> None:
    # The encoder leaves Romanian far from German; "2750" and "hsbl" (Hisbollah, Hezbollah) do not.
    near, far = vectors(0.27)
    evidence = link_evidence(digest("a", "de", PAGERS_DE, near), digest("b", "ro", PAGERS_RO, far))
    assert evidence.shared_numbers == ("2750",) and "hsbl" in evidence.shared_names
    assert evidence.score(LinkConfig()) < LinkConfig().min_score
    assert decide_link(evidence, LinkConfig())
    assert not decide_link(evidence, LinkConfig(evidence_min_cosine=0.0))  # the switch
    assert not decide_link(evidence, LinkConfig(evidence_min_cosine=0.3))  # the cosine floor


def test_a_far_pair_needs_both_a_number_and_a_name() -> None:
    near, far = vectors(0.27)
    no_name = digest("b", "ro", "au fost 2750 de răniți", far)
    no_number = digest("c", "ro", "Explozii de pagere, Hezbollah acuză", far)
    german = digest("a", "de", PAGERS_DE, near)
    assert not decide_link(link_evidence(german, no_name), LinkConfig())
    assert not decide_link(link_evidence(german, no_number), LinkConfig())


def test_two_languages_of_one_uncased_script_do_not_link_on_shared_words() -> None:
    # Every Arabic-script word counts as a name, so Arabic and Urdu share common words.
    near, far = vectors(0.27)
    evidence = link_evidence(digest("a", "ar", PAGERS_AR, near), digest("b", "ur", PAGERS_UR, far))
    assert evidence.shared_script and evidence.shared_numbers
    assert not decide_link(evidence, LinkConfig())
    german = digest("c", "de", PAGERS_DE, far)
    assert not link_evidence(digest("a", "ar", PAGERS_AR, near), german).shared_script


def started(story_id: str, language: str, text: str) -> StoryStarted:
    return StoryStarted(story_id, language, text, "", None, T0, T0)


def test_the_stage_considers_evidence_pairs_its_cosine_bounds_would_skip() -> None:
    near, far = vectors(0.27)
    # min_cosine 0.5: only the evidence path can link a pair at cosine 0.27. Round 11's name path
    # for a place and its country (name_country_min_cosine) would link the second text too (it
    # names Lebanon and Hezbollah, as the German one does): off here.
    config = LinkStageConfig(links=LinkConfig(min_cosine=0.5, name_country_min_cosine=0.0))
    for text, expected in ((PAGERS_RO, 1), ("Explozii în Liban, Hezbollah acuză", 0)):
        pool = LinkPool()
        apply_outcome(link_step(encode_record(started("s-1", "de", PAGERS_DE)), T0, None, near,
                                pool, config), pool)  # fmt: skip
        outcome = link_step(encode_record(started("s-2", "ro", text)), T0, None, far, pool, config)
        assert outcome.links_made == expected


def test_han_names_are_read_only_when_asked() -> None:
    assert extract_names("黎巴嫩真主党") == frozenset()  # by default Chinese readings are no names
    assert extract_names("黎巴嫩真主党", han=True) == extract_names("Lebanon")


def test_han_sound_spellings_and_place_names_meet_their_latin_forms() -> None:
    pairs = (
        ("一架军用直升机在里根国家机场附近坠入波托马克河", "Reagan Potomac"),
        ("花蓮縣近海發生地震", "Hualien"),  # a place name before 縣
        ("緬甸曼德勒省", "Mandalay"),
        ("柯林斯航太", "Collins Aerospace"),
    )
    for han, latin in pairs:
        assert extract_names(han, han=True) & extract_names(latin), (han, latin)


def test_everyday_han_words_give_no_names() -> None:
    assert extract_names("东南部发生强烈地震,造成多人死亡", han=True) == frozenset()
