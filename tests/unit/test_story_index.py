"""The story index is state derived from the signatures table: rebuilt from it, it must equal the
index kept item by item, and a worker that rebuilds it must place every item as one that never
restarted.

Streams here are processed in time order, as the story stage sees them (fetched_at, partition
order), with the things that change buckets: near-duplicates, copies past the caps (bucket size
and members per story), updates that move an item to other band keys, items known only by their
link, and items past the horizon. The tables are dicts holding what the Faust table holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.story import group_signatures, keep_story_tables, story_step
from streams.codec import decode_story_signature, encode_record
from streams.records import Article, StoryBucket, StoryMember, StorySignature
from streams.stories.cluster import (
    StoryConfig,
    StoryIndex,
    _fresh_members,
    assign_story,
    rebuild_index,
    story_group,
)
from tests.unit.test_cluster import T0, WIRE_STORIES, Tables, make_article

# Small caps and horizon, so that a short stream reaches every limit: with 4 members a bucket
# holds more than one story's MEMBERS_PER_STORY (3); with 2 the bucket's own cap bites first.
SMALL = StoryConfig(max_bucket_members=4, horizon_seconds=3_000.0)
TINY = StoryConfig(max_bucket_members=2, horizon_seconds=3_000.0)
TEXTS = [text for rewrites, other in WIRE_STORIES.values() for text in (*rewrites, other)]
LINKS = [None, None, "https://news.example.com/2026/a", "https://news.example.com/2026/b"]


@dataclass(frozen=True)
class Op:
    """One item of a generated stream: a new item, or (update) a new version of an earlier one."""

    gap: float  # seconds after the previous item
    text: int  # index into TEXTS, or -1: a headline too short to compare
    link: int  # index into LINKS
    update: int | None  # which earlier item this is a new version of


def article_of(ops: list[Op], position: int) -> Article:
    op = ops[position]
    item = position if op.update is None else _original(ops, op.update % position)
    text = TEXTS[op.text] if op.text >= 0 else ("Live updates", "")
    article = make_article(f"i-{item:03d}", text, link=LINKS[op.link])
    fetched = datetime.fromtimestamp(T0 + sum(o.gap for o in ops[: position + 1]), UTC)
    return replace(article, fetched_at=fetched, enriched_at=fetched)


def _original(ops: list[Op], position: int) -> int:
    while position > 0:
        update = ops[position].update
        if update is None:
            break
        position = update % position
    return position


ops_strategy = st.lists(
    st.builds(
        Op,
        gap=st.sampled_from([0.0, 1.0, 60.0, 600.0, 2_000.0]),
        text=st.integers(-1, len(TEXTS) - 1),
        link=st.integers(0, len(LINKS) - 1),
        update=st.none() | st.integers(0, 1_000),
    ),
    min_size=1,
    max_size=40,
).map(lambda ops: [replace(ops[0], update=None), *ops[1:]])


def visible(
    index: dict[str, StoryBucket], now: float, config: StoryConfig
) -> dict[str, tuple[StoryMember, ...]]:
    """What a lookup at `now` (or later) can see: members within the horizon, per key."""
    seen = {key: _fresh_members(bucket, now, config) for key, bucket in index.items()}
    return {key: members for key, members in seen.items() if members}


def rebuilt(tables: dict[str, Tables], config: StoryConfig) -> dict[str, StoryBucket]:
    """Every group's index rebuilt from its signatures alone."""
    index: dict[str, StoryBucket] = {}
    for group, table in tables.items():
        index.update(rebuild_index(group, table.signatures.items(), config))
    return index


def incremental(tables: dict[str, Tables]) -> dict[str, StoryBucket]:
    return {key: bucket for table in tables.values() for key, bucket in table.index.items()}


def run(ops: list[Op], config: StoryConfig) -> tuple[dict[str, Tables], list[str], float]:
    """Process the stream item by item (the incremental index), one Tables per story group as
    the agent keys them ("group|item_id"): the tables, the story ids and the last item's time."""
    tables: dict[str, Tables] = {}
    stories = []
    now = T0
    for position in range(len(ops)):
        article = article_of(ops, position)
        now = article.fetched_at.timestamp()
        table = tables.setdefault(story_group(article), Tables())
        stories.append(table.assign(article, now, config).story_id)
    return tables, stories, now


@pytest.mark.parametrize("config", [SMALL, TINY], ids=["4-members", "2-members"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_strategy)
def test_the_rebuilt_index_equals_the_incremental_one(config: StoryConfig, ops: list[Op]) -> None:
    tables, _, now = run(ops, config)
    derived, kept = rebuilt(tables, config), incremental(tables)
    assert visible(derived, now, config) == visible(kept, now, config)
    if now - T0 <= config.horizon_seconds:
        # Nothing has expired yet: the buckets are equal member for member.
        assert derived == kept


def test_a_stream_with_caps_updates_links_and_expiry_rebuilds_exactly() -> None:
    # Hand-made, so each case surely happens: six copies (per-story cap 3, bucket cap 4), an
    # update that moves an item to other bands, a short item known by its link, and expiry.
    story, other = WIRE_STORIES["en"]
    ops = [Op(1.0, TEXTS.index(story[0]), 0, None) for _ in range(6)]
    ops += [Op(1.0, TEXTS.index(other), 0, 2)]  # item 2 updated to another text
    ops += [Op(1.0, -1, 2, None), Op(60.0, -1, 2, None)]  # short, joined by link
    ops += [Op(1.0, TEXTS.index(story[1]), 0, None)]
    ops += [Op(2_500.0, TEXTS.index(story[2]), 3, None), Op(600.0, TEXTS.index(other), 0, None)]
    tables, stories, now = run(ops, SMALL)
    assert stories[7] == stories[8]  # by link
    assert stories[9] == stories[0]  # similar
    assert stories[10] == stories[0]  # 2,500 s later, still within the horizon
    assert stories[6] == stories[2]  # the update kept its story
    assert stories[11] != stories[2]  # 600 s later the update is past it: a new story
    derived = rebuilt(tables, SMALL)
    assert visible(derived, now, SMALL) == visible(incremental(tables), now, SMALL)
    assert "i-002" not in tables["Latin|en"].signatures  # past the horizon: deleted
    first_part, _, _ = run(ops[:8], SMALL)
    kept = incremental(first_part)
    assert rebuilt(first_part, SMALL) == kept
    assert {len(bucket.members) for bucket in kept.values()} >= {3}  # the per-story cap bit
    updated = first_part["Latin|en"].signatures["i-002"]
    assert updated.earlier and updated.earlier[0].keys  # the old bands, kept for the rebuild
    assert decode_story_signature(encode_record(updated)) == updated


def test_a_worker_that_rebuilds_its_index_places_items_as_one_that_never_stopped() -> None:
    # The agent's own step and keep: dict tables of encoded values, the index in memory. The
    # restarted worker loses its index at every fourth item, rebuilds it from the table, and
    # (as after kill -9) gets the last two items again before going on.
    story, other = WIRE_STORIES["en"]
    ops = []
    for n in range(30):
        text = [story[n % 3], other, WIRE_STORIES["fr"][0][n % 2], *WIRE_STORIES["ru"][0]][n % 5]
        update = n - 3 if n % 7 == 6 else None
        ops.append(Op(float(n % 4) * 300.0, TEXTS.index(text), n % len(LINKS), update))
    articles = [encode_record(article_of(ops, p)) for p in range(len(ops))]

    def placements(restarts: bool) -> tuple[list[str], list[str]]:
        """(story ids in order, story ids the redelivered items got again)."""
        index = StoryIndex(SMALL)
        table: dict[str, bytes | None] = {}

        def index_of(group: str) -> Callable[[str], StoryBucket | None]:
            if group not in index:  # what the agent does after a rebalance
                live = [(k, v) for k, v in table.items() if v is not None]
                index.rebuild(group, group_signatures(live, group))
            return index.reader(group)

        def place(payload: bytes) -> str:
            placed = story_step(payload, index_of, table.get, SMALL)
            keep_story_tables(placed, index, table.__setitem__)
            return placed.assignment.story_id

        stories, again = [], []
        for position, payload in enumerate(articles):
            if restarts and position % 4 == 0 and position:
                index.clear()
                again += [place(p) for p in articles[position - 2 : position]]
            stories.append(place(payload))
        return stories, again

    steady, _ = placements(restarts=False)
    assert len(set(steady)) < len(steady) - 5  # items joined stories
    restarted, again = placements(restarts=True)
    assert restarted == steady
    redelivered = [steady[p] for n in range(4, len(ops), 4) for p in (n - 2, n - 1)]
    assert again == redelivered


def test_short_items_are_stored_with_their_link_and_found_after_a_rebuild() -> None:
    link = "https://news.example.com/2026/live"
    tables = Tables()
    first = tables.assign(make_article("a", ("Live updates", ""), link=link), T0)
    stored = tables.signatures["a"]
    assert stored.signature == b"" and stored.link_key is not None
    index = rebuild_index("Latin", tables.signatures.items(), StoryConfig())
    assert index == tables.index
    second = assign_story(make_article("b", ("Live", ""), link=link), T0 + 60, index.get,
                          tables.signatures.get, StoryConfig())  # fmt: skip
    assert (second.story_id, second.match) == (first.story_id, "link")
    assert StoryMember("a", first.story_id, T0) in index[stored.link_key].members


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=ops_strategy)
def test_the_compact_in_memory_index_holds_the_buckets_rebuild_index_makes(ops: list[Op]) -> None:
    # StoryIndex keeps int keys and bare members; what it gives back must be the same buckets
    # under the same keys, whether it was rebuilt or kept item by item.
    tables, _, _ = run(ops, SMALL)
    for group, table in tables.items():
        index = StoryIndex(SMALL)
        index.rebuild(group, table.signatures.items())
        assert index.buckets(group) == rebuild_index(group, table.signatures.items(), SMALL)
        kept = StoryIndex(SMALL)
        kept.apply(group, dict(table.index))
        assert kept.buckets(group) == table.index
        read = kept.reader(group)
        assert all(read(key) == bucket for key, bucket in table.index.items())


def test_a_rebuild_that_fails_leaves_no_half_built_group() -> None:
    # The agent rebuilds in a thread and asks `group in index` to know whether it is done.
    tables, _, _ = run([Op(1.0, n, 0, None) for n in range(4)], SMALL)
    (group, table), *_ = tables.items()

    def records_then_a_failure() -> Iterator[tuple[str, StorySignature]]:
        yield from table.signatures.items()
        raise OSError("the table went away")

    index = StoryIndex(SMALL)
    with pytest.raises(OSError):
        index.rebuild(group, records_then_a_failure())
    assert group not in index
    index.rebuild(group, table.signatures.items())
    assert group in index and index.buckets(group) == table.index
