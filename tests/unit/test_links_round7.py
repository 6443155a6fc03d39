"""Round 7 of cross-language links (bench/README.md, "Round 7"): the countries a story names.

`extract_countries` reads the ISO 3166 codes of the countries a text names from Unicode CLDR's
territory names in the text's language (babel), across inflection and scripts. A pair that shares
no number and no name is refused when both stories name countries and none in common
(LinkConfig.bare_country_veto): same-day elections in Poland and Romania, a Moroccan quake and
Taiwan's aftershocks. The stage keeps a story's countries in its table value (story_digest v1.2).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import numpy as np
import orjson
import pytest

from streams.codec import decode_story_digest, encode_record
from streams.records import StoryStarted
from streams.stories.countries import extract_countries
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    LinkConfig,
    StoryDigest,
    decide_link,
    extract_names,
    extract_numbers,
    link_evidence,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "streams" / "schemas"


@pytest.mark.parametrize(
    ("language", "text", "codes"),
    [
        # Inflected forms: genitive -s, Russian case endings, Greek and Czech endings.
        ("de", "Australiens Premier Albanese gewinnt die Wahl in Australien", {"AU"}),
        ("ru", "Удары России по Украине; Россию обвинили", {"RU", "UA"}),
        ("ru", "экспорт Китая и Индии", {"CN", "IN"}),
        ("el", "Η επίθεση της Ρωσίας στην Ουκρανία", {"RU", "UA"}),
        ("cs", "Útok na Ukrajině", {"UA"}),
        # Adjectives: German -isch on the name's stem, longer Russian endings.
        ("de", "Die australische Fluggesellschaft; israelische Angriffe", {"AU", "IL"}),
        ("ru", "российские войска и украинских дронов", {"RU", "UA"}),
        # A parenthesised part is a name only when one territory has it: Burma is Myanmar,
        # США (in the names of the US Outlying Islands and the US Virgin Islands) is neither.
        ("en", "Burma's junta", {"MM"}),
        ("ru", "курс доллара США к российскому рублю", {"RU"}),
        ("pl", "Wybory w Polsce i w Rumunii", {"RO"}),  # Polsce (locative) is not read: stem Pols
        # English adjectives and possessives built on the name.
        ("en", "Iraqi officials; Iran's envoy; the Australian vote", {"IQ", "IR", "AU"}),
        # Turkish suffixes after an apostrophe.
        ("tr", "Türkiye'de deprem, Japonya'da tsunami uyarısı", {"TR", "JP"}),
        # Arabic prefixes and nisba endings; normalised hamza.
        ("ar", "زلزال قوي ضرب المغرب وشعر به سكان الجزائر", {"MA", "DZ"}),
        ("ar", "وزارة الداخلية المغربية والحكومة الأسترالية", {"MA", "AU"}),
        ("ar", "زلزال بقوة 7.8 درجات تركيا وسوريا", {"TR", "SY"}),
        # Scripts without spaces: substrings, the longest name first.
        ("ja", "オーストラリア総選挙、インドネシアでも", {"AU", "ID"}),
        ("zh", "新加坡大选 印度尼西亚", {"SG", "ID"}),
        ("zh", "菲律賓南部外海今天上午發生規模7.4地震", {"PH"}),  # traditional characters
        ("zh", "香港大埔宏福苑火灾", {"HK"}),  # from 中国香港特别行政区
        ("en", "Hong Kong SAR China; a fire in Hong Kong", {"HK"}),  # the long form is one name
        ("ko", "태국과 캄보디아 국경 충돌, 일본에서", {"TH", "KH", "JP"}),  # particles
        ("ko", "인도적 지원", set()),  # "humanitarian", not 인도 (India)
    ],
)
def test_countries_are_read_across_inflection_and_scripts(
    language: str, text: str, codes: set[str]
) -> None:
    assert extract_countries(text, language) == codes


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("ar", "لقي شخص مصرعه وأصيب 30"),  # "his death", not مصر (Egypt)
        ("ru", "Пассажирский самолет Ан-24 разбился"),  # самолет is not Самоа
        ("it", "Tashfeen Malik a compierla"),  # Malik is not Mali
        ("ja", "生活費困窮でバーでアルバイト"),  # アルバイト is not アルバ (Aruba)
        ("zh", "疏散沿海地區民眾"),  # 沿海地區 is not 海地 (Haiti)
        ("en", "Nobody named a country here"),
        ("xx", "France, Deutschland"),  # no CLDR names for the language: nothing, never a veto
        ("en", ""),
    ],
)
def test_words_that_only_look_like_a_country_are_not_one(language: str, text: str) -> None:
    assert extract_countries(text, language) == frozenset()


VECTOR = np.full(512, 512**-0.5, dtype=np.float32)


def digest(language: str, text: str) -> StoryDigest:
    return StoryDigest(f"{language}-{text[:8]}", language, 0.0, extract_numbers(text),
                       extract_names(text), VECTOR,
                       countries=extract_countries(text, language))  # fmt: skip


def linked(first: StoryDigest, second: StoryDigest, **config: object) -> bool:
    # min_score 0.9: the plain cosine of 1.0 passes, so only a veto can refuse the link.
    return decide_link(link_evidence(first, second), LinkConfig(min_score=0.9, **config))  # type: ignore[arg-type]  # test-only keyword pass-through


def test_a_bare_pair_naming_different_countries_does_not_link() -> None:
    # crosslang_links2: the Polish and the Romanian presidential votes of 18 May 2025.
    poland = digest("de", "bei der präsidentenwahl in polen zeichnet sich eine stichwahl ab")
    romania = digest("fr", "le maire de bucarest est arrivé en tête en roumanie")
    assert link_evidence(poland, romania).conflicts == ("countries",)
    assert not linked(poland, romania)
    assert linked(poland, romania, bare_country_veto=False)
    # A shared country, or a side that names none, never vetoes.
    assert linked(poland, digest("ru", "выборы в польше"))
    assert linked(poland, digest("fr", "le second tour de la présidentielle"))


def test_a_pair_with_a_shared_number_or_name_keeps_its_link_whatever_its_countries() -> None:
    # A Chinese report names the quake's country, an Arabic one the countries where it was felt.
    quake_zh = digest("zh", "土耳其爆发7.8级强震")
    felt_ar = digest("ar", "زلزال بقوة 7.8 شعر به سكان مصر ولبنان")
    evidence = link_evidence(quake_zh, felt_ar)
    assert "countries" in evidence.conflicts and evidence.shared_numbers
    assert linked(quake_zh, felt_ar)


MOROCCO = ("Séisme de magnitude 6,8 au Maroc", "plus de 2 000 morts dans l'Atlas")
TAIWAN = ("Strong aftershocks shake Taiwan", "after the deadly quake of last week")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def run(config: LinkStageConfig, rebuild: bool = False) -> tuple[int, LinkPool]:
    pool = LinkPool()
    for index, (language, (title, lead)) in enumerate((("fr", MOROCCO), ("en", TAIWAN))):
        at = T0 + timedelta(hours=index)
        started = StoryStarted(f"s-{index}", language, title, lead, None, at, at)
        outcome = link_step(encode_record(started), T0, None, VECTOR, pool, config)
        apply_outcome(outcome, pool)
        if rebuild and index == 0:  # a restart: the pool is rebuilt from the table's value
            pool.rebuild([decode_story_digest(encode_record(pool.stored("s-0")))])
    return outcome.links_made, pool


def test_the_stage_keeps_countries_in_the_table_and_vetoes_after_a_restart() -> None:
    links = LinkConfig(min_score=0.9)
    made, pool = run(LinkStageConfig(links=links))
    assert made == 0
    assert pool.stored("s-0").countries == ("MA",)
    assert pool.stored("s-1").countries == ("TW",)
    assert run(LinkStageConfig(links=links), rebuild=True)[0] == 0
    # Round 9: the bare window reads countries too (LinkEvidence.agreements), and round 10's
    # bare_min_cosine, and round 11's name_country_min_cosine, and round 13's bare floor (its
    # exception for pairs that agree on topic and country); with all five off the stage does
    # not extract them.
    off = LinkConfig(min_score=0.9, bare_country_veto=False, bare_window_seconds=0.0,
                     bare_min_cosine=0.0, name_country_min_cosine=0.0,
                     bare_extra_score=0.0)  # fmt: skip
    made, pool = run(LinkStageConfig(links=off))
    assert made == 1 and pool.stored("s-0").countries is None


def test_story_digest_v1_2_round_trips_and_a_v1_1_value_has_unknown_countries() -> None:
    _, pool = run(LinkStageConfig(links=LinkConfig(min_score=0.9)))
    state = pool.stored("s-0")
    payload = encode_record(state)
    assert decode_story_digest(payload) == state
    schema = json.loads((SCHEMAS / "story_digest.v1.2.json").read_text())
    jsonschema.validate(orjson.loads(payload), schema)
    older = orjson.loads(payload)
    del older["countries"]
    assert decode_story_digest(orjson.dumps(older)).countries is None
    jsonschema.validate(older, json.loads((SCHEMAS / "story_digest.v1.1.json").read_text()))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**orjson.loads(payload), "countries": ["morocco"]}, schema)
