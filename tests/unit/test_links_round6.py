"""Round 6 of cross-language links (bench/README.md, "Round 6").

The link bench's distractor pool: an item without a URL (tagging_dev, tagging_heldout) is never
"taken" by URL; such items are deduplicated by their title and lead instead. Until round 6 a
missing URL was added to the taken set, so only the first URL-less item was ever drawn.

Two vetoes for false links: a pair that shares no number and no name is refused when both
stories' taxonomy topics are known and disjoint (LinkConfig.bare_topic_veto), and magnitudes 0.5
apart are two quakes (max_magnitude_gap 0.4; the gap is compared as written, to one decimal).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import orjson

from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import LinkPool, LinkStageConfig, apply_outcome, link_step
from streams.stories.links import (
    LinkConfig,
    StoryDigest,
    decide_link,
    extract_names,
    extract_numbers,
    link_evidence,
)
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import link_bench  # bench/ is not a package: found through the path above


def write(path: Path, rows: list[dict]) -> None:
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in rows))


def test_url_less_items_are_all_kept_and_deduplicated_by_text(tmp_path: Path) -> None:
    write(tmp_path / "set.jsonl", [{"id": "r1", "url": "https://a.example/1"}])
    write(tmp_path / "with_urls.jsonl", [
        {"id": "u1", "url": "https://a.example/1", "title": "a report's page", "language": "en"},
        {"id": "u2", "url": "https://a.example/2", "title": "kept", "language": "en"},
        {"id": "u3", "url": "https://a.example/2", "title": "same page again", "language": "en"},
        {"id": "u4", "url": "https://a.example/3", "title": "", "summary": "", "language": "en"},
    ])  # fmt: skip
    write(tmp_path / "no_urls.jsonl", [
        {"id": "n1", "title": "Quake hits", "summary": "lead one", "language": "en"},
        {"id": "n2", "title": "Strike ends", "summary": "lead two", "language": "en"},
        {"id": "n3", "title": "Quake hits ", "summary": "lead one", "language": "en"},
        {"id": "n4", "title": "Quake hits", "summary": "another lead", "language": "en"},
    ])  # fmt: skip
    rows = link_bench.distractor_rows(tmp_path / "set.jsonl", ("with_urls.jsonl", "no_urls.jsonl"))
    assert [row["source"] for row in rows] == [
        "with_urls.jsonl:u2", "no_urls.jsonl:n1", "no_urls.jsonl:n2", "no_urls.jsonl:n4",
    ]  # fmt: skip


def test_the_repository_pool_draws_every_tagging_item() -> None:
    rows = link_bench.distractor_rows()
    names = [row["source"].split(":")[0] for row in rows]
    assert names.count("tagging_dev.jsonl") == 380
    assert names.count("tagging_heldout.jsonl") == 240
    assert len({row["source"] for row in rows}) == len(rows)


T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
VECTOR = np.full(512, 512**-0.5, dtype=np.float32)


@cache
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def digest(language: str, text: str, topics: frozenset[str] | None = None) -> StoryDigest:
    return StoryDigest(f"{language}-{text[:8]}", language, 0.0, extract_numbers(text),
                       extract_names(text), VECTOR, topics=topics)  # fmt: skip


def linked(first: StoryDigest, second: StoryDigest, **config: object) -> bool:
    # min_score 0.9: the plain cosine of 1.0 passes, so only a veto can refuse the link.
    return decide_link(link_evidence(first, second), LinkConfig(min_score=0.9, **config))  # type: ignore[arg-type]  # test-only keyword pass-through


def test_a_bare_pair_with_disjoint_topics_does_not_link() -> None:
    attack = digest("en", "gunmen opened fire on tourists", frozenset({"terrorism"}))
    shelling = digest("th", "เสียงปืนใหญ่ปะทะชายแดน", frozenset({"armed_conflict"}))
    assert not linked(attack, shelling)
    assert linked(attack, shelling, bare_topic_veto=False)
    # Unknown or empty topics on either side never veto; a shared topic does not either.
    assert linked(attack, digest("th", "เสียงปืนใหญ่", None))
    assert linked(attack, digest("th", "เสียงปืนใหญ่", frozenset()))
    assert linked(attack, digest("fr", "x", frozenset({"terrorism", "armed_conflict"})))


def test_a_pair_with_shared_evidence_keeps_its_link_whatever_its_topics() -> None:
    # The Butler rally: "elections" in German, "terrorism" in Spanish; both name Donald Trump.
    rally_de = digest("de", "Schüsse auf Donald Trump in Butler", frozenset({"elections"}))
    rally_es = digest("es", "Disparos contra Donald Trump en Butler", frozenset({"terrorism"}))
    assert link_evidence(rally_de, rally_es).shared_names
    assert linked(rally_de, rally_es)
    assert not linked(rally_de, rally_es, topic_veto=True)  # the full veto (off) would refuse it
    tolls = (digest("en", "2,750 wounded", frozenset({"terrorism"})),
             digest("ar", "2750 جريحا", frozenset({"armed_conflict"})))  # fmt: skip
    assert link_evidence(*tolls).shared_numbers and linked(*tolls)


def test_magnitudes_half_a_point_apart_are_two_quakes_and_four_tenths_one() -> None:
    # The Noto quake of June 2022 (5.4) and a Malatya 5.9: 0.5 apart, vetoed since round 6.
    assert not linked(digest("ja", "M5.4の地震"), digest("tr", "5,9 büyüklüğünde deprem"))
    assert linked(digest("ja", "M5.4の地震"), digest("tr", "5,9 büyüklüğünde deprem"),
                  max_magnitude_gap=0.5)  # fmt: skip
    # Kahramanmaraş: 7.4 in a Russian report, 7.8 elsewhere (7.8 - 7.4 is 0.4000000000000004
    # in floating point; the gap is compared as written, 0.4).
    assert linked(digest("ru", "магнитудой 7,4"), digest("en", "a 7.8 earthquake"))


QUAKE = (
    "",
    "A powerful magnitude 7.4 earthquake struck off Mindanao on Friday, killing at least two "
    "people and prompting a tsunami warning.",
)
ELECTION = (
    "Prognosen sagen Stichwahl voraus",
    "Bei der Präsidentenwahl läuft es auf eine Stichwahl hinaus: kein Kandidat erreicht die "
    "absolute Mehrheit der Stimmen.",
)


def run(config: LinkStageConfig, rebuild: bool = False) -> int:
    pool = LinkPool()
    for index, (language, text) in enumerate((("en", QUAKE), ("de", ELECTION))):
        at = T0 + timedelta(hours=index)
        started = StoryStarted(f"s-{index}", language, text[0], text[1], None, at, at)
        outcome = link_step(encode_record(started), T0, None, VECTOR, pool, config)
        apply_outcome(outcome, pool)
        if rebuild and index == 0:
            pool.rebuild([pool.stored("s-0")])
    return outcome.links_made


def test_the_stage_tags_new_stories_for_the_bare_veto_by_default() -> None:
    links = LinkConfig(min_score=0.9)
    assert run(LinkStageConfig(links=links)) == 1  # no taxonomy: topics unknown
    assert run(LinkStageConfig(links=links, taxonomy=taxonomy())) == 0
    assert run(LinkStageConfig(links=links, taxonomy=taxonomy()), rebuild=True) == 0
    off = LinkConfig(min_score=0.9, bare_topic_veto=False)
    assert run(LinkStageConfig(links=off, taxonomy=taxonomy())) == 1
    assert run(LinkStageConfig(links=off, taxonomy=taxonomy())) == 1


def test_the_link_agent_gives_the_stage_the_enrichers_taxonomy() -> None:
    from agents.link import link_stage_config
    from streams.settings import Settings

    assert link_stage_config(Settings()).taxonomy is None
    assert link_stage_config(Settings(), taxonomy()).taxonomy is taxonomy()
