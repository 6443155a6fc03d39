"""`story_route_plan`: whole story groups placed on story-route partitions so that the story
stage's input is even, the enrich stage sending each group's messages where the plan says, and
`wirewatch story-routes` counting the groups it plans from."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace

import pytest
from aiokafka.structs import ConsumerRecord

from streams.alerts.spikes import SpikeConfig
from streams.errors import SettingsError
from streams.kafka.story_routes import count_route_lines, describe_plan
from streams.kafka.topics import ARTICLES, STORY_ROUTE
from streams.records import Language
from streams.routing import (
    Outbound,
    article_outputs,
    key_partition,
    partition_loads,
    plan_story_routes,
)
from streams.settings import describe_settings, load_settings
from tests.unit.test_cluster import WIRE_STORIES, make_article
from tests.unit.test_wiring import wiring

# Story groups as the benchmark stream has them (bench/story_bench.py --routing): hashing puts
# Latin|en and Latin|de on one partition of 4.
LOADS = Counter({
    "Latin|en": 2400, "Latin|es": 1300, "Latin|fr": 1300, "Latin|de": 1100, "Latin|pt": 900,
    "Latin|it": 600, "Latin|tr": 500, "Cyrillic|ru": 500, "Cyrillic|uk": 400, "Arabic|ar": 500,
    "Han|zh": 400, "Devanagari|hi": 200,
})  # fmt: skip


def test_hashing_the_groups_leaves_one_partition_with_far_more_than_its_share() -> None:
    # The control for the next test: the imbalance the plan removes is there without it.
    fair = sum(LOADS.values()) / 4
    assert max(partition_loads(LOADS, 4)) / fair > 1.5


def test_the_plan_evens_the_partitions_as_far_as_whole_groups_allow() -> None:
    fair = sum(LOADS.values()) / 4
    plan = plan_story_routes(LOADS, 4)
    assert set(plan) == set(LOADS) and set(plan.values()) == {0, 1, 2, 3}
    per = partition_loads(LOADS, 4, plan)
    assert sum(per) == sum(LOADS.values())
    assert max(per) / fair < 1.1
    # Within one group's load of the fair share (the LPT bound), whatever the loads.
    assert max(per) <= fair + max(LOADS.values())


def test_a_group_larger_than_a_fair_share_gets_a_partition_of_its_own() -> None:
    loads = Counter({"Latin|en": 600, "Latin|es": 100, "Latin|fr": 100, "Han|zh": 100})
    plan = plan_story_routes(loads, 3)
    alone = plan["Latin|en"]
    assert all(plan[group] != alone for group in loads if group != "Latin|en")


def test_the_same_loads_give_the_same_plan_in_any_order() -> None:
    shuffled = Counter(dict(reversed(list(LOADS.items()))))
    assert plan_story_routes(shuffled, 4) == plan_story_routes(LOADS, 4)
    ties = Counter({"b": 5, "a": 5, "c": 5})
    assert plan_story_routes(ties, 2) == {"a": 0, "b": 1, "c": 0}


def test_a_plan_needs_a_partition() -> None:
    with pytest.raises(ValueError, match="partitions"):
        plan_story_routes(LOADS, 0)


def test_a_planned_group_is_sent_to_its_partition_and_the_others_to_their_key_hash() -> None:
    french = make_article("i-1", WIRE_STORIES["fr"][0][0], "fr")
    russian = make_article("i-2", WIRE_STORIES["ru"][0][0], "ru")
    plan = {"Latin|fr": 2}
    routed = [
        out
        for article in (french, russian)
        for out in article_outputs(article, SpikeConfig(), plan).outputs
        if out.topic == STORY_ROUTE.suffix
    ]
    assert [(out.key, out.partition) for out in routed] == [("Latin|fr", 2), ("Cyrillic|ru", None)]
    # Only story-route is planned: articles stay keyed by item id for consumers.
    (to_articles,) = [
        out for out in article_outputs(french, SpikeConfig(), plan).outputs
        if out.topic == ARTICLES.suffix
    ]  # fmt: skip
    assert to_articles.partition is None


def test_the_wiring_sends_a_key_s_batch_to_the_planned_partition() -> None:
    wired, topics, _ = wiring()
    french = make_article("i-1", WIRE_STORIES["fr"][0][0], "fr")
    other = replace(make_article("i-2", WIRE_STORIES["fr"][0][1], "fr"), language=Language("fr", 1))
    russian = make_article("i-3", WIRE_STORIES["ru"][0][0], "ru")
    routed: list[Outbound] = []
    for article in (french, other, russian):
        outputs = article_outputs(article, SpikeConfig(), {"Latin|fr": 3}).outputs
        asyncio.run(wired.send(outputs, {}, routed))
    asyncio.run(wired.send_lines(routed, {}))
    sent = topics[STORY_ROUTE.suffix]
    assert [key for key, _ in sent.sent] == [b"Latin|fr", b"Cyrillic|ru"]
    assert sent.partitions == [3, None]  # both French articles in one message, on partition 3
    assert sent.sent[0][1].count(b"\n") == 1


def test_the_plan_is_read_from_toml_and_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "w.toml"
    config.write_text('partitions = 4\n[story_route_plan]\n"Latin|en" = 0\n"Latin|es" = 3\n')
    assert load_settings(config, environ={}).story_route_plan == {"Latin|en": 0, "Latin|es": 3}
    env = {"WIREWATCH_PARTITIONS": "4", "WIREWATCH_STORY_ROUTE_PLAN": "Latin|en=0, Han|zh=2"}
    settings = load_settings(environ=env)
    assert settings.story_route_plan == {"Latin|en": 0, "Han|zh": 2}
    assert describe_settings(settings)["story_route_plan"] == {"Latin|en": 0, "Han|zh": 2}
    assert load_settings(environ={}).story_route_plan == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Latin|en=4", "partition 4 does not exist"),
        ("Latin|en=-1", "partition -1 does not exist"),
        ("Latin|en=first", "is not a partition number"),
        ("Latin|en", "group=partition pairs"),
    ],
)
def test_a_plan_naming_no_real_partition_is_refused_clearly(value: str, message: str) -> None:
    env = {"WIREWATCH_PARTITIONS": "4", "WIREWATCH_STORY_ROUTE_PLAN": value}
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=env)


def record(key: bytes | None, value: bytes, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("w.story-route", 0, offset, 0, 0, key, value, None, len(key or b""),
                          len(value), [])  # fmt: skip


def test_the_counts_are_articles_per_group_one_per_line() -> None:
    records = [
        record(b"Latin|en", b'{"a":1}\n{"a":2}\n{"a":3}'),
        record(b"Latin|en", b'{"a":4}\n'),
        record(b"Han|zh", b'{"a":5}'),
        record(None, b'{"a":6}'),
    ]
    assert count_route_lines(records) == Counter({"Latin|en": 4, "Han|zh": 1})


def test_the_printed_plan_is_a_config_that_loads_and_evens_the_partitions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = describe_plan(LOADS, 4, {})
    assert "hashed keys" in lines[1]
    toml = "\n".join(lines[lines.index("[story_route_plan]") :]).split("\n\n")[0]
    config = tmp_path / "plan.toml"
    config.write_text("partitions = 4\n" + toml + "\n")
    plan = load_settings(config, environ={}).story_route_plan
    assert plan == plan_story_routes(LOADS, 4)
    env_line = next(line for line in lines if line.startswith("WIREWATCH_STORY_ROUTE_PLAN="))
    env = {"WIREWATCH_PARTITIONS": "4", "WIREWATCH_STORY_ROUTE_PLAN": env_line.split("=", 1)[1]}
    assert load_settings(environ=env).story_route_plan == plan
    assert describe_plan(Counter(), 4, {}) == [
        "no story-route messages in that window: nothing to plan from"
    ]


def test_key_partition_is_what_an_unplanned_group_gets() -> None:
    per = partition_loads(Counter({"Latin|en": 7}), 4)
    assert per[key_partition("Latin|en", 4)] == 7
