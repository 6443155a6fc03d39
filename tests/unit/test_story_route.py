"""The story stage is keyed by story group, script and detected language ("Latin|en"): the
story-route key the enrich stage sends an article under is the group its story tables and index
are keyed by, and items of different groups are never compared.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from agents.story import keep_story_tables, story_step
from streams.alerts.spikes import SpikeConfig
from streams.codec import encode_record
from streams.kafka.topics import STORY_ROUTE
from streams.records import Language
from streams.routing import article_outputs
from streams.stories.cluster import StoryConfig, StoryIndex, new_story_id, story_group
from tests.unit.test_cluster import T0, WIRE_STORIES, Tables, make_article

CONFIG = StoryConfig()


def test_the_story_group_is_the_script_and_the_detected_language() -> None:
    assert story_group(make_article("a", WIRE_STORIES["en"][0][0], "en")) == "Latin|en"
    assert story_group(make_article("b", WIRE_STORIES["ru"][0][0], "ru")) == "Cyrillic|ru"
    assert story_group(make_article("c", WIRE_STORIES["zh"][0][0], "zh")) == "Han|zh"
    unsure = replace(make_article("d", ("Live", "")), language=Language("und", 0.0))
    assert story_group(unsure) == "Latin|und"


def test_the_story_route_key_is_the_group_of_the_story_tables() -> None:
    article = make_article("i-1", WIRE_STORIES["fr"][0][0], "fr", link="https://e.fr/a/1")
    outputs = article_outputs(article, SpikeConfig()).outputs
    (route,) = [out for out in outputs if out.topic == STORY_ROUTE.suffix]
    table: dict[str, bytes] = {}
    index = StoryIndex(CONFIG)
    placement = story_step(encode_record(article), index.reader, table.get, CONFIG)
    keep_story_tables(placement, index, table.__setitem__)
    assert route.key == placement.group == "Latin|fr"
    assert list(table) == ["Latin|fr|i-1"]
    assert {key.rsplit("|", 2)[0] for key in index.buckets("Latin|fr")} == {"Latin|fr"}


def test_a_rewrite_detected_in_another_language_is_not_compared() -> None:
    # Near-duplicates are rewrites in one language; a detector that disagrees on one of them
    # splits the story, which bench/stream.py --check measured as 0.001 of recall.
    first, second = WIRE_STORIES["en"][0][:2]
    tables = Tables()
    one = tables.assign(make_article("en-1", first, "en"), T0)
    other = tables.assign(make_article("en-2", second, "nl"), T0 + 60)
    same = tables.assign(make_article("en-3", second, "en"), T0 + 120)
    assert other.story_id != one.story_id and same.story_id == one.story_id


def test_an_update_detected_in_another_language_is_placed_anew_in_its_new_group() -> None:
    # Its first version stays in the old group's table until the horizon; the update is unknown
    # in the new group (the agent reads "group|item_id"), so it is placed as a new item there: a
    # story of its own (the id its item would start) or one of the new group's.
    first, rewrite = WIRE_STORIES["en"][0][:2]
    table: dict[str, bytes] = {}
    index = StoryIndex(CONFIG)

    def place(item_id: str, text: tuple[str, str], language: str, at: float) -> tuple[str, str]:
        article = make_article(item_id, text, language)
        fetched = datetime.fromtimestamp(at, UTC)
        payload = encode_record(replace(article, fetched_at=fetched, enriched_at=fetched))
        placement = story_step(payload, index.reader, table.get, CONFIG)
        keep_story_tables(placement, index, table.__setitem__)
        return placement.assignment.story_id, placement.assignment.match

    story, _ = place("a", first, "en", T0)
    assert place("b", rewrite, "en", T0 + 60) == (story, "similar")
    assert place("b", rewrite, "en", T0 + 120)[1] == "redelivered"
    assert place("b", first, "de", T0 + 180) == (new_story_id("b"), "new")
    assert sorted(table) == ["Latin|de|b", "Latin|en|a", "Latin|en|b"]
