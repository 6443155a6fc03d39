"""The seed document (an Arabic news page) must be tagged as its README's table says.

The document lives beside the project in ../shared/seed/; it is read, never copied.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy

SEED_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seed"
SEED_FILE = SEED_DIR / "ar-news-x-ddos-elections.txt"
CORE_TOPICS = {
    "elections", "cyberattack", "armed_conflict", "terrorism", "natural_disaster",
    "disease_outbreak", "protest", "economy_markets",
}  # fmt: skip

pytestmark = pytest.mark.skipif(
    not SEED_FILE.is_file(), reason=f"seed document not found at {SEED_FILE}"
)

# Markers that divide the page: the source line ends article 1, "read also" opens article 2,
# "similar articles" opens the list of related headlines (one per bullet line).
SOURCE_LINE = "المصدر:"
READ_ALSO = "إقرأ أيضاً"
SIMILAR = "مقالات مشابهة"


def split_seed(text: str) -> tuple[str, tuple[str, str], list[str]]:
    """Return article 1's text, article 2 as (title, body) and the related headlines."""
    article_1, rest = text.split(SOURCE_LINE, 1)
    _, rest = rest.split(READ_ALSO, 1)
    article_2, related = rest.split(SIMILAR, 1)
    lines = [line.strip() for line in article_2.splitlines() if line.strip()]
    lines = [line for line in lines if line != ":"]
    headlines = [line.strip().lstrip("•").strip() for line in related.splitlines()]
    return article_1.strip(), (lines[0], "\n".join(lines[1:])), [h for h in headlines if h]


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


@pytest.fixture(scope="module")
def parts() -> tuple[str, tuple[str, str], list[str]]:
    return split_seed(SEED_FILE.read_text(encoding="utf-8"))


def topic_ids(title: str, summary: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, "ar", taxonomy)}


def headline(parts: tuple[str, tuple[str, str], list[str]], *words: str) -> str:
    (found,) = [line for line in parts[2] if all(word in line for word in words)]
    return found


def test_seed_splits_into_two_articles_and_related_headlines(
    parts: tuple[str, tuple[str, str], list[str]],
) -> None:
    article_1, (title_2, body_2), headlines = parts
    assert article_1 and title_2 and body_2
    assert len(headlines) >= 8


def test_article_one_is_cyberattack_and_elections(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    assert {"cyberattack", "elections"} <= topic_ids("", parts[0], taxonomy)


def test_article_two_is_elections_and_economy(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    title, body = parts[1]
    assert {"elections", "economy_markets"} <= topic_ids(title, body, taxonomy)


def test_armed_assault_headline_is_not_a_cyberattack(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    assert "cyberattack" not in topic_ids(headline(parts, "ميسان"), "", taxonomy)


def test_demonstrations_headline_is_protest(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    assert "protest" in topic_ids(headline(parts, "مظاهرات"), "", taxonomy)


@pytest.mark.parametrize("words", [("حوثي", "ينشر"), ("حوثي", "استهداف"), ("زيلينسكي",)])
def test_conflict_headlines_are_armed_conflict(
    words: tuple[str, ...],
    parts: tuple[str, tuple[str, str], list[str]],
    taxonomy: CompiledTaxonomy,
) -> None:
    assert "armed_conflict" in topic_ids(headline(parts, *words), "", taxonomy)


def test_polish_party_headline_is_cyberattack_and_elections(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    found = topic_ids(headline(parts, "البولندي"), "", taxonomy)
    assert {"cyberattack", "elections"} <= found


def test_artificial_intelligence_headline_has_no_core_topic(
    parts: tuple[str, tuple[str, str], list[str]], taxonomy: CompiledTaxonomy
) -> None:
    assert not topic_ids(headline(parts, "غيتس"), "", taxonomy) & CORE_TOPICS
