"""The link stage's detail vetoes survive a restart: a story's years and topics are in its table
value (StoryDigestState, story_digest v1.1), so a pool rebuilt from the table vetoes what the pool
before the restart vetoed. A value written before v1.1 holds neither: that story's years read as
none and its topics as unknown, which never vetoes (as every rebuilt story did before v1.1).

As in test_links_round2.py, every story has the same plain vector (cosine 1.0) and min_score is
0.9, so only a veto can refuse a link. The pool is rebuilt the way the link agent does it: from
the encoded values it wrote to its table (apply_outcome's writes), decoded again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

import numpy as np
import orjson

from streams.codec import decode_story_digest, encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import (
    LinkPool,
    LinkStageConfig,
    apply_outcome,
    link_step,
    state_details,
)
from streams.stories.links import LinkConfig
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
VECTOR = np.full(512, 512**-0.5, dtype=np.float32)
CONFIG = LinkStageConfig(links=LinkConfig(min_score=0.9))  # the year veto is on by default

QUAKE_2023 = (
    "Herat earthquake of 2023",
    "A magnitude 6.3 earthquake struck Herat in October 2023, killing more than 1,000 people.",
)
QUAKE_2025 = (
    "Erdbeben in Afghanistan",
    "Ein Erdbeben der Stärke 6,3 hat im November 2025 den Norden Afghanistans erschüttert.",
)
QUAKE_2023_FR = (
    "Séisme de Herat",
    "Le séisme de magnitude 6,3 d'octobre 2023 à Herat a fait plus de 1 000 morts.",
)
QUAKE = (
    "",
    "A powerful magnitude 7.4 earthquake struck off Mindanao on Friday, killing at least "
    "two people and prompting a tsunami warning.",
)
ELECTION = (
    "Prognosen sagen Stichwahl voraus",
    "Bei der Präsidentenwahl läuft es auf eine Stichwahl hinaus: kein Kandidat erreicht die "
    "absolute Mehrheit der Stimmen.",
)


@cache
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def story(number: int, language: str, text: tuple[str, str], hours: float = 0.0) -> StoryStarted:
    at = T0 + timedelta(hours=hours)
    return StoryStarted(f"s-{number:016x}", language, text[0], text[1], None, at, at)


def links_made(pool: LinkPool, started: StoryStarted, config: LinkStageConfig) -> int:
    """How many links the story would make with the pool (the pool is left as it was)."""
    return link_step(encode_record(started), T0, None, VECTOR, pool, config).links_made


def add(pool: LinkPool, table: dict[str, bytes], started: StoryStarted,
        config: LinkStageConfig) -> int:  # fmt: skip
    """Run the step and keep its outcome as the link agent does: in the pool and the table."""
    outcome = link_step(encode_record(started), T0, None, VECTOR, pool, config)
    for state in apply_outcome(outcome, pool):
        table[state.story_id] = encode_record(state)
    return outcome.links_made


def details(pool: LinkPool) -> dict[str, tuple[frozenset[str] | None, frozenset[str]]]:
    """What the vetoes compare for each story of the pool (topics, years), from its state."""
    return {story_id: state_details(state) for story_id, state in pool.states.items()}


def restarted(table: dict[str, bytes]) -> LinkPool:
    """The pool a restarted worker builds from the table's values."""
    pool = LinkPool()
    pool.rebuild(decode_story_digest(value) for value in table.values())
    return pool


def test_a_pool_rebuilt_from_the_table_vetoes_the_pair_it_vetoed_before() -> None:
    pool, table = LinkPool(), dict[str, bytes]()
    add(pool, table, story(1, "en", QUAKE_2023), CONFIG)
    later = story(2, "de", QUAKE_2025, hours=2)
    assert links_made(pool, later, CONFIG) == 0  # 2023 and 2025: the year veto
    no_veto = replace(CONFIG, links=replace(CONFIG.links, year_veto=False))
    assert links_made(pool, later, no_veto) == 1  # it is the veto that refuses the link
    rebuilt = restarted(table)
    assert links_made(rebuilt, later, CONFIG) == 0
    assert details(rebuilt) == details(pool)


def test_a_relinked_story_keeps_its_years_in_the_table_and_still_vetoes_after_a_restart() -> None:
    pool, table = LinkPool(), dict[str, bytes]()
    english = story(1, "en", QUAKE_2023)
    add(pool, table, english, CONFIG)
    # The French report of the same quake links, which rewrites the English story's state.
    assert add(pool, table, story(2, "fr", QUAKE_2023_FR, hours=1), CONFIG) == 1
    written = decode_story_digest(table[english.story_id])
    assert [s.story_id for s in written.linked_stories] == ["s-0000000000000002"]
    assert written.years == ("2023",) and written.topics is None  # no taxonomy: unknown
    rebuilt = restarted(table)
    assert details(rebuilt) == details(pool)
    assert links_made(rebuilt, story(3, "de", QUAKE_2025, hours=2), CONFIG) == 0


def test_topics_survive_a_restart_and_the_topic_veto_still_fires() -> None:
    config = LinkStageConfig(links=LinkConfig(min_score=0.9, topic_veto=True),
                             taxonomy=taxonomy())  # fmt: skip
    pool, table = LinkPool(), dict[str, bytes]()
    add(pool, table, story(1, "en", QUAKE), config)
    election = story(2, "de", ELECTION, hours=1)
    assert links_made(pool, election, config) == 0
    assert links_made(restarted(table), election, config) == 0
    topics = decode_story_digest(table["s-0000000000000001"]).topics
    assert topics is not None and "natural_disaster" in topics


def test_a_value_written_before_v1_1_decodes_with_no_years_and_never_vetoes() -> None:
    pool, table = LinkPool(), dict[str, bytes]()
    add(pool, table, story(1, "en", QUAKE_2023), CONFIG)
    old = orjson.loads(table["s-0000000000000001"])
    del old["years"], old["topics"]
    table["s-0000000000000001"] = orjson.dumps(old)
    state = decode_story_digest(table["s-0000000000000001"])
    assert state.years == () and state.topics is None
    rebuilt = restarted(table)
    assert details(rebuilt) == {"s-0000000000000001": (None, frozenset())}
    # The years are unknown, as for every story rebuilt before v1.1: the link is made.
    assert links_made(rebuilt, story(2, "de", QUAKE_2025, hours=2), CONFIG) == 1
