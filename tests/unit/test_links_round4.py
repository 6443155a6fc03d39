"""Round 4 of cross-language links: languages the encoder was not trained on.

Multilingual USE v3 covers 16 languages (ENCODER_LANGUAGES); texts of two other languages,
above all two of one script (Marathi and Hindi), get high cosines whatever they say
(bench/README.md, "Round 4"). Such a pair links only on a shared number and name.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    ENCODER_LANGUAGES,
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

# A Marathi report of the Pahalgam attack and a Hindi item on dengue: nothing in common.
PAHALGAM_MR = "पहलगाममध्ये दहशतवादी हल्ला, पर्यटकांवर गोळीबार"
DENGUE_HI = "दिल्ली में डेंगू के मामले बढ़े, अस्पतालों में भीड़"
DENGUE_EN = "Dengue cases rise in Delhi as hospitals fill up"
PORT_UK = "Вибух у порту Шахід Раджаї: 750 поранених"
PORT_ID = "Ledakan di pelabuhan Shahid Rajaee: 750 orang terluka"


def digest(story_id: str, language: str, text: str, vector: Embedding) -> StoryDigest:
    # Neighbour cosine 0.5: a cosine of 0.8 is then a margin of 1.6, well above min_score.
    return StoryDigest(story_id, language, 0.0, extract_numbers(text), extract_names(text), vector,
                       neighbour_cosine=0.5)  # fmt: skip


def test_the_encoder_languages_are_its_sixteen_in_fifteen_codes() -> None:
    assert len(ENCODER_LANGUAGES) == 15  # Chinese in two scripts, one code
    assert {"hi", "mr", "uk", "fa", "id", "ur", "vi"}.isdisjoint(ENCODER_LANGUAGES)


def test_two_uncovered_languages_do_not_link_on_cosine_alone() -> None:
    near, far = vectors(0.8)
    marathi, hindi = digest("a", "mr", PAHALGAM_MR, near), digest("b", "hi", DENGUE_HI, far)
    evidence = link_evidence(marathi, hindi)
    assert evidence.uncovered == 2
    assert not decide_link(evidence, LinkConfig())
    assert decide_link(evidence, LinkConfig(uncovered="off"))  # what the margin alone would do


def test_one_uncovered_language_still_links_on_the_margin() -> None:
    near, far = vectors(0.8)
    evidence = link_evidence(digest("a", "hi", DENGUE_HI, near), digest("b", "en", DENGUE_EN, far))
    assert evidence.uncovered == 1
    assert decide_link(evidence, LinkConfig())
    assert not decide_link(evidence, LinkConfig(uncovered="either"))


def test_two_uncovered_languages_link_on_a_shared_number_and_name() -> None:
    near, far = vectors(0.8)
    evidence = link_evidence(digest("a", "uk", PORT_UK, near), digest("b", "id", PORT_ID, far))
    assert evidence.shared_numbers == ("750",) and evidence.shared_names
    assert decide_link(evidence, LinkConfig())


def test_an_unknown_uncovered_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="uncovered"):
        LinkConfig(uncovered="sometimes")


def started(story_id: str, language: str, text: str) -> StoryStarted:
    return StoryStarted(story_id, language, text, "", None, T0, T0)


def test_the_stage_does_not_link_two_uncovered_languages_on_cosine_alone() -> None:
    near, far = vectors(0.85)
    # min_score 0.5: with one story in the pool its own cosine is the margin's scale.
    for links, expected in ((LinkConfig(min_score=0.5), 0),
                            (LinkConfig(min_score=0.5, uncovered="off"), 1)):  # fmt: skip
        pool, config = LinkPool(), LinkStageConfig(links=links)
        first = link_step(encode_record(started("s-1", "mr", PAHALGAM_MR)), T0, None, near,
                          pool, config)  # fmt: skip
        apply_outcome(first, pool)
        outcome = link_step(encode_record(started("s-2", "hi", DENGUE_HI)), T0, None, far, pool,
                            config)  # fmt: skip
        assert outcome.links_made == expected
