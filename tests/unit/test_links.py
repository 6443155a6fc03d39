"""Cross-language story links: the pure evidence functions, and the real multilingual encoder on
real reports from bench/data/crosslang_links.jsonl (the pager blasts of 17 September 2024 and the
walkie-talkie blasts the day after, the New Orleans and Las Vegas attacks of 1 January 2025)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import pytest

from streams.stories.links import (
    Encoder,
    LinkConfig,
    LinkEvidence,
    StoryDigest,
    consonant_skeleton,
    decide_link,
    digest_stories,
    extract_names,
    extract_numbers,
    find_links,
    link_evidence,
    load_encoder,
    neighbour_cosines,
    story_text,
)

DATA = Path(__file__).parents[2] / "bench" / "data" / "crosslang_links.jsonl"
POOL_EVENTS = {
    "lb-pagers-2024-09",
    "lb-walkies-2024-09",
    "us-neworleans-attack-2025-01-01",
    "us-lasvegas-cybertruck-2025-01-01",
}


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(threads=1)


@pytest.fixture(scope="module")
def pool(encoder: Encoder) -> dict[str, StoryDigest]:
    """Every report of four events as its own story, with neighbour cosines over the pool and
    no times, so only the text decides."""
    rows = [orjson.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    chosen = [row for row in rows if row["event_id"] in POOL_EVENTS]
    digests = digest_stories(
        [(row["id"], row["lang"], story_text(row["title"], row["lead"]), None) for row in chosen],
        encoder,
    )
    return {digest.story_id: digest for digest in neighbour_cosines(digests, neighbours=8)}


def test_encoder_embeds_to_unit_vectors(encoder: Encoder) -> None:
    vectors = encoder.encode(["Un séisme frappe la Turquie", "زلزال يضرب تركيا"])
    assert vectors.shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)


def test_portuguese_and_german_reports_of_the_pager_blasts_are_linked(
    pool: dict[str, StoryDigest],
) -> None:
    # x001 itupevaagora (pt) and x003 gmx.at (de): "2.750 feridos" / "2.750 weitere verletzt".
    evidence = link_evidence(pool["x001"], pool["x003"])
    assert evidence.shared_numbers == ("2750",)
    assert "hsbl" in evidence.shared_names  # Hezbollah / Hisbollah
    assert decide_link(evidence, LinkConfig())


def test_pager_report_is_not_linked_to_the_walkie_talkie_report_of_the_next_day(
    pool: dict[str, StoryDigest],
) -> None:
    # x004 dailyinformation (en, pagers) and x012 francetvinfo (fr, walkie-talkies): one place,
    # one group, one kind of attack, plain cosine above the 0.47 the issue measured as a link.
    evidence = link_evidence(pool["x004"], pool["x012"])
    assert evidence.cosine > 0.47
    assert not decide_link(evidence, LinkConfig())


def test_find_links_skips_the_story_itself_and_its_own_language(
    pool: dict[str, StoryDigest],
) -> None:
    story = pool["x001"]
    linked = find_links(story, pool.values(), LinkConfig())
    assert linked
    assert all(other.language != story.language for other, _ in linked)
    cosines = [evidence.cosine for _, evidence in linked]
    assert cosines == sorted(cosines, reverse=True)


def test_real_reports_of_two_herat_quakes_a_week_apart_are_never_linked(encoder: Encoder) -> None:
    # The 6.3 quakes near Herat of 7 and 15 October 2023, as tribuneonlineng.com and
    # theindianawaaz.com reported them: same magnitude, same city, eight days apart.
    first = (
        "At least 14 people have been killed and 78 injured after an earthquake hit western "
        "Afghanistan, officials say. The US Geological Survey said the 6.3 magnitude earthquake "
        "struck about 40km from the western city of Herat, close to the border with Iran."
    )
    second = (
        "In Afghanistan, a 6.3 magnitude earthquake struck near the city of Herat in west on "
        "Sunday morning. So far, no official figures of casualties and damage have been released."
    )
    day = 24 * 3600.0
    start = datetime(2023, 10, 7, 12, tzinfo=UTC).timestamp()
    a, b = digest_stories(
        [("a", "en", first, start), ("b", "en", second, start + 8 * day)], encoder
    )
    evidence = link_evidence(a, b)
    assert "6.3" in evidence.shared_numbers and "hlt" in evidence.shared_names
    assert evidence.hours_apart == 8 * 24
    assert not decide_link(evidence, LinkConfig(min_score=0.1, min_cosine=-1.0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mindestens 2.750 weitere wurden verletzt", {"2750"}),
        ("más de 2,800 personas heridas", {"2800"}),
        ("Un séisme de magnitude 7,8 a frappé", {"7.8"}),
        ("زلزال بقوة ٦٫٤ درجات", {"6.4"}),  # Arabic-Indic digits and decimal separator
        ("震級６.４級、１８１人", {"6.4", "181"}),  # full-width digits
        ("On 17 September 2024, 12 people died", set()),  # days, years, small counts
    ],
)
def test_numbers_are_normalised_across_scripts(text: str, expected: set[str]) -> None:
    assert extract_numbers(text) == expected


def test_name_skeletons_agree_across_scripts() -> None:
    assert {consonant_skeleton(name) for name in ("Hezbollah", "Hisbollah", "Khezbolla")} == {
        "hsbl"
    }
    assert extract_names("ヒズボラ") == extract_names("Хезболла") == frozenset({"hsbl"})
    assert extract_names("بيروت") == extract_names("Beirut") == frozenset({"blt"})


def test_names_skip_lowercase_words_and_han() -> None:
    assert extract_names("the earthquake struck western areas") == frozenset()
    assert extract_names("黎巴嫩真主党") == frozenset()  # Chinese readings, not the names
    assert extract_names("Ahmedabad crash") == frozenset({"hmdb"})


def _evidence(cosine: float, hours: float | None, numbers: int = 0) -> LinkEvidence:
    return LinkEvidence(cosine, cosine, tuple(str(100 + n) for n in range(numbers)), (), hours)


def test_decision_needs_the_score_the_cosine_and_the_window() -> None:
    config = LinkConfig(min_score=1.0, min_cosine=0.3, number_weight=0.1)
    assert decide_link(_evidence(0.95, None, numbers=1), config)
    assert not decide_link(_evidence(0.85, None), config)
    assert not decide_link(_evidence(0.25, 1.0, numbers=3), config)  # cosine floor
    assert not decide_link(_evidence(0.95, 73.0, numbers=1), config)  # past the 72 h window


def test_config_refuses_impossible_values() -> None:
    with pytest.raises(ValueError):
        LinkConfig(min_score=0.0)
    with pytest.raises(ValueError):
        LinkConfig(neighbours=0)
