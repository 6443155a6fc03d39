"""The compact StoryIndex (flat arrays, sorted keys merged from a dict) against what it replaces:
a plain dict of str keys and StoryBucket values, as the story-index table held them and as
`rebuild_index` makes them. Whatever is written, read, deleted, swept or rebuilt, it must give back
the same buckets (members in the same order), so that `assign_story` sees the same candidates.

Each test runs twice: with the thresholds the worker uses, and with ones that merge a band's
keys into its arrays at nearly every write and compact the rows at every sweep, so that a short
stream goes through every path.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import streams.stories.cluster as cluster
from streams.records import StoryBucket, StoryIndexEntry, StoryMember, StorySignature
from streams.stories.cluster import (
    StoryConfig,
    StoryIndex,
    assign_story,
    expired_keys,
    rebuild_index,
    story_group,
)
from tests.unit.test_cluster import T0, make_article

HORIZON = 3_000.0
CONFIG = StoryConfig(max_bucket_members=4, horizon_seconds=HORIZON)


@pytest.fixture(params=["worker", "eager"])
def thresholds(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "eager":
        monkeypatch.setattr(cluster, "_MERGE_MIN", 0)
        monkeypatch.setattr(cluster, "_MERGE_SHARE", 2)
        monkeypatch.setattr(cluster, "_ROWS_KEPT", 1.01)  # compact at every sweep
        monkeypatch.setattr(cluster, "_KNOWN_MAX", 2)  # members made again and again
        monkeypatch.setattr(cluster, "_GARBAGE_MIN", 0)  # spilled rows compacted at every write
    return str(request.param)


# Keys that share their first 64 bits (and differ in the last 32), of bands 0 and 1 and links,
# and one too wide for the arrays (a band of 4 rows): every way two keys can be near each other.
HIGHS = ["0000000000000000", "7fffffffffffffff", "ffffffffffffffff", "0123456789abcdef"]
LOWS = ["00000000", "00000001", "ffffffff"]
GROUP = "Latin|en"
KEYS = [
    f"{GROUP}|{kind}|{high}{low}" for kind in ("b0", "b1", "link") for high in HIGHS for low in LOWS
] + [f"{GROUP}|b2|{'9' * 32}"]
# Item ids as identity.py makes them (held as 16 bytes) and others (held as str): short, upper
# case hex, all zeros (the bytes an other id leaves).
ITEM_IDS = ["i-" + "0" * 32, "i-" + "5a" * 16, "i-" + "5A" * 16, "i-7", "x-" + "ab" * 16]
MEMBERS = [
    StoryMember(item, f"s-{story}", seen)
    for item in ITEM_IDS
    for story in "ab"
    for seen in (T0, T0 + 100.0, T0 + HORIZON + 50.0)
]

op: st.SearchStrategy[tuple[str, object, list[StoryMember]]] = st.one_of(
    st.tuples(
        st.just("write"),
        st.sampled_from(KEYS),
        st.lists(st.sampled_from(MEMBERS), min_size=1, max_size=5),
    ),
    st.tuples(st.just("delete"), st.sampled_from(KEYS), st.just([])),
    st.tuples(st.just("sweep"), st.sampled_from([T0 + 60.0, T0 + HORIZON + 120.0]), st.just([])),
)


@settings(
    max_examples=100,
    deadline=None,
    # The fixture only sets module constants: the same for every input.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(op, max_size=60))
def test_writes_deletes_and_sweeps_give_back_what_a_dict_would(
    thresholds: str, ops: list[tuple[str, object, list[StoryMember]]]
) -> None:
    index = StoryIndex(CONFIG)
    model: dict[str, StoryBucket] = {}
    for kind, argument, members in ops:
        if kind == "write":
            assert isinstance(argument, str)
            index.reader(GROUP)(argument)  # as assign_story does before its writes
            index.apply(GROUP, {argument: StoryBucket(tuple(members))})
            model[argument] = StoryBucket(tuple(members))
        elif kind == "delete":
            assert isinstance(argument, str)
            index.apply(GROUP, {argument: None})
            model.pop(argument, None)
        else:
            assert isinstance(argument, float)
            expired = expired_keys(model.items(), argument, CONFIG)
            assert index.sweep(GROUP, argument) == len(expired)
            for key in expired:
                del model[key]
        read = index.reader(GROUP)
        assert {key: read(key) for key in KEYS} == {key: model.get(key) for key in KEYS}
        assert index.buckets(GROUP) == model
        assert index.size() == (len(model), sum(len(b.members) for b in model.values()))


WORDS = sorted(
    {"".join(random.Random(n).choices("abcdefghijklmnopqrstuvwxyz", k=7)) for n in range(600)}
)


def stream(seed: int, items: int) -> Iterator[tuple[float, str, tuple[str, str], str | None, str]]:
    """(time, item_id, (title, summary), link, language): rewrites of a few stories (words swapped
    for others), updates of earlier items, items sharing a link, headlines too short to compare,
    and gaps that take items past the horizon."""
    rng = random.Random(seed)
    stories = [rng.sample(WORDS, 14) for _ in range(12)]
    now, earlier = T0, list[str]()
    for number in range(items):
        now += rng.choice([0.0, 1.0, 5.0, 30.0, 120.0]) if rng.random() > 0.01 else 2_000.0
        story = min(int(rng.paretovariate(1.2)) - 1, len(stories) - 1)
        words = list(stories[story])
        for _ in range(rng.randint(0, 4)):
            words[rng.randrange(len(words))] = rng.choice(WORDS)
        text = (" ".join(words[:6]), " ".join(words[6:])) if rng.random() > 0.1 else (words[0], "")
        made = f"i-{hashlib.sha256(b'%d' % number).hexdigest()[:32]}"  # as identity.py's
        fresh = made if number % 7 else f"item-{number}"
        item_id = rng.choice(earlier) if earlier and rng.random() < 0.15 else fresh
        earlier.append(item_id)
        link = f"https://news.example.com/story-{story}" if rng.random() < 0.3 else None
        yield now, item_id, text, link, rng.choice(["en", "en", "en", "fr"])


@pytest.mark.parametrize("seed", range(4))
def test_assign_story_sees_the_same_candidates_as_with_a_dict_index(
    thresholds: str, seed: int
) -> None:
    # The same stream placed twice: with the compact index, and with a dict for an index, each
    # with its own signatures dict. Sweeps every 25 items and, every 60, the index dropped and
    # rebuilt from the signatures (the dict one by rebuild_index): every assignment, its index
    # writes included, and every group's buckets must be equal.
    index = StoryIndex(CONFIG)
    model: dict[str, dict[str, StoryBucket]] = {}
    signatures: dict[str, dict[str, StorySignature]] = {}
    model_signatures: dict[str, dict[str, StorySignature]] = {}
    for number, (now, item_id, text, link, language) in enumerate(stream(seed, 400)):
        article = make_article(item_id, text, language, link)
        group = story_group(article)
        held, signed = model.setdefault(group, {}), signatures.setdefault(group, {})
        model_signed = model_signatures.setdefault(group, {})
        placed = assign_story(article, now, index.reader(group), signed.get, CONFIG, group)
        expected = assign_story(article, now, held.get, model_signed.get, CONFIG, group)
        assert placed == expected
        index.apply(group, placed.index_writes)
        for table, writes in ((held, expected.index_writes), (signed, placed.signature_writes),
                              (model_signed, expected.signature_writes)):  # fmt: skip
            for key, value in writes.items():
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value  # type: ignore[assignment]
        if number % 25 == 24:
            for name, buckets in model.items():
                expired = expired_keys(buckets.items(), now, CONFIG)
                assert index.sweep(name, now) == len(expired)
                for key in expired:
                    del buckets[key]
                for key in expired_keys(signatures[name].items(), now, CONFIG):
                    del signatures[name][key], model_signatures[name][key]
        if number % 60 == 59:
            index.clear()
            for name, signed_here in signatures.items():
                index.rebuild(name, signed_here.items())
                model[name] = rebuild_index(name, model_signatures[name].items(), CONFIG)
        if number % 10 == 9:
            for name, buckets in model.items():
                assert index.buckets(name) == buckets
    keys, members = index.size()
    assert keys == sum(len(b) for b in model.values())
    assert members == sum(len(v.members) for b in model.values() for v in b.values())
    assert keys > 300 and members > keys * 1.2, (keys, members)  # many keys, shared buckets


def test_rows_no_bucket_holds_are_dropped_by_a_sweep(thresholds: str) -> None:
    # Bounded by the horizon: after a sweep past every item, nothing is left of the group but
    # its empty arrays.
    index = StoryIndex(CONFIG)
    signed: dict[str, StorySignature] = {}
    for now, item_id, text, link, _ in stream(7, 200):
        article = make_article(item_id, text, "en", link)
        placed = assign_story(article, now, index.reader(GROUP), signed.get, CONFIG, GROUP)
        index.apply(GROUP, placed.index_writes)
        signed.update({k: v for k, v in placed.signature_writes.items() if v is not None})
    assert index.size()[0] > 100
    assert index.sweep(GROUP, now + HORIZON + 1.0) > 100
    state = index._groups[GROUP]
    assert index.size() == (0, 0) and index.buckets(GROUP) == {}
    assert (len(state.item_ids), len(state.seen), len(state.story_ids)) == (0, 0, 0)
    assert (len(state.spilled), len(state.spill_at), state.story_codes) == (0, 0, {})


def rebuilt(
    config: StoryConfig, records: list[tuple[str, StorySignature]], bulk: bool
) -> StoryIndex:
    index = StoryIndex(config)
    index.bulk = bulk
    index.rebuild(GROUP, records)
    return index


def assert_rebuilt_alike(config: StoryConfig, records: list[tuple[str, StorySignature]]) -> None:
    # The bulk rebuild against the replay one key at a time (through the index's own reads and
    # writes) and against the dict index `rebuild_index` makes: the same buckets, members in the
    # same order, read back the same; its rows the members held, in the replay's order (the
    # replay's own rows may hold a version twice, or one no bucket holds), and its story codes
    # the replay's, less those of no row.
    bulk, replayed = rebuilt(config, records, True), rebuilt(config, records, False)
    model = rebuild_index(GROUP, records, config)
    assert bulk.buckets(GROUP) == replayed.buckets(GROUP) == model
    assert (
        bulk.size() == replayed.size() == (len(model), sum(len(b.members) for b in model.values()))
    )
    read = bulk.reader(GROUP)
    assert {key: read(key) for key in model} == model
    if config.rows > 3:
        return  # band keys too wide for the arrays: `rebuild` replays them
    held = {member for bucket in model.values() for member in bucket.members}
    state, other = bulk._groups[GROUP], replayed._groups[GROUP]
    rows = [state.member(row) for row in range(len(state.seen))]
    replay_rows = [other.member(row) for row in range(len(other.seen))]
    assert set(rows) == held and set(replay_rows) >= held
    assert rows == sorted(rows, key=lambda member: (member.seen_at, member.item_id))
    # The code table holds each held story once; the codes' order is the index's own (a bulk
    # build numbers stories in row order, a replay in the order it met them: hypothesis found a
    # version history where the two differ), and every read above resolves through it alike.
    assert len(state.story_ids) == len(set(state.story_ids))
    assert set(state.story_ids) == {s for s in other.story_ids if s in {m.story_id for m in rows}}
    assert all(state.story_codes[story] == code for code, story in enumerate(state.story_ids))
    assert state.story_codes == {story: code for code, story in enumerate(state.story_ids)}


@pytest.mark.parametrize("seed", range(4))
def test_bulk_rebuild_gives_what_the_replay_gives(thresholds: str, seed: int) -> None:
    # Signatures as assign_story stored them from a stream of rewrites, updates, shared links,
    # short headlines and gaps past the horizon, rebuilt at several points; then written on
    # after a rebuild: the bulk-built index must go on as the replayed one does.
    signed: dict[str, StorySignature] = {}
    model: dict[str, StoryBucket] = {}
    for number, (now, item_id, text, link, _) in enumerate(stream(seed, 300)):
        article = make_article(item_id, text, "en", link)
        placed = assign_story(article, now, model.get, signed.get, CONFIG, GROUP)
        for table, writes in ((model, placed.index_writes), (signed, placed.signature_writes)):
            for key, value in writes.items():
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value  # type: ignore[assignment]
        for key in expired_keys(signed.items(), now, CONFIG) if number % 40 == 39 else ():
            del signed[key]
        if number % 50 == 49:
            assert_rebuilt_alike(CONFIG, list(signed.items()))
    index, replayed = (
        rebuilt(CONFIG, list(signed.items()), True),
        rebuilt(CONFIG, list(signed.items()), False),
    )
    for now, item_id, text, link, _ in stream(seed + 100, 60):
        now += 10_000.0
        article = make_article(item_id, text, "en", link)
        placed = assign_story(article, now, index.reader(GROUP), signed.get, CONFIG, GROUP)
        again = assign_story(article, now, replayed.reader(GROUP), signed.get, CONFIG, GROUP)
        assert placed == again
        index.apply(GROUP, placed.index_writes)
        replayed.apply(GROUP, again.index_writes)
        signed.update({k: v for k, v in placed.signature_writes.items() if v is not None})
        assert index.buckets(GROUP) == replayed.buckets(GROUP)
    assert index.sweep(GROUP, now + 100.0) == replayed.sweep(GROUP, now + 100.0)
    assert index.buckets(GROUP) == replayed.buckets(GROUP)


def _signature(rng: random.Random, config: StoryConfig, values: int) -> bytes:
    # Band values drawn from a handful, so that many items share every band's keys.
    words = [rng.randrange(values) * 0x9E3779B1 % 2**32 for _ in range(config.num_perm)]
    return b"".join(word.to_bytes(4, "little") for word in words)


record_ops = st.lists(
    st.tuples(
        st.sampled_from([*ITEM_IDS, "i-" + "12" * 16, "i-" + "ef" * 16, "item-9"]),
        st.sampled_from(["s-a", "s-b", "s-c", "s-d", "s-e"]),
        st.sampled_from([0.0, 0.0, 1.0, 10.0, HORIZON / 2, HORIZON + 1.0]),  # time step
        st.integers(0, 3),  # 0: no link, else one of three
        st.integers(0, 4),  # 0: no signature (link only), 4: one of another length
        st.booleans(),  # an earlier version with odd keys (wide, of another band, a link)
    ),
    max_size=40,
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    ops=record_ops,
    seed=st.integers(0, 2**16),
    shape=st.sampled_from([(4, 3, 20), (2, 3, 20), (32, 2, 10), (4, 4, 8)]),
)
def test_bulk_rebuild_of_any_records_gives_what_the_replay_gives(
    thresholds: str,
    ops: list[tuple[str, str, float, int, int, bool]],
    seed: int,
    shape: tuple[int, int, int],
) -> None:
    # Records no stream would make as well: an item's versions in other stories, several
    # versions at one instant, keys too wide for the arrays (4 rows: the replay itself),
    # bands of 2 rows, signatures of another length, versions past the horizon of later ones.
    cap, rows, bands = shape
    config = StoryConfig(max_bucket_members=cap, rows=rows, bands=bands, horizon_seconds=HORIZON)
    rng = random.Random(seed)
    records: dict[str, StorySignature] = {}
    now = T0
    for item_id, story_id, step, link, kind, odd in ops:
        now += step
        signature = b"" if kind == 0 else _signature(rng, config, 3)
        signature = signature[:-4] if kind == 4 else signature
        link_key = f"{GROUP}|link|{'ab' * 11}{link:02x}" if link else None
        if not signature and link_key is None:
            records.pop(item_id, None)  # a deleted signature
            continue
        earlier = []
        old = records.get(item_id)
        if old is not None:
            earlier.extend(old.earlier)
            old_keys = cluster.index_keys(GROUP, old, config)
            if old_keys:
                earlier.append(StoryIndexEntry(old.story_id, old.seen_at, old_keys))
        if odd:
            keys = (f"{GROUP}|b2|{'9' * 32}", f"{GROUP}|b{bands}|{'0' * 8 * rows}", KEYS[-2])
            earlier.append(StoryIndexEntry(story_id, now - rng.choice([0.0, 5.0]), keys))
        records[item_id] = StorySignature(story_id, signature, now, link_key, tuple(earlier))
    assert_rebuilt_alike(config, list(records.items()))


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 40)), max_size=60))
def test_spilled_row_positions_are_the_runs_one_after_another(runs: list[tuple[int, int]]) -> None:
    """The sweep's positions of every spilled row (cluster._ranges, one int32 array) are what
    np.repeat + np.arange gave in three int64 arrays: each slot's run, in slot order."""
    import numpy as np

    starts = np.array([start for start, _ in runs], dtype=np.int32)
    lengths = np.array([length for _, length in runs], dtype=np.int64)
    expected = [start + step for start, length in runs for step in range(length)]
    positions = cluster._ranges(starts, lengths)
    assert positions.dtype == np.int32 and positions.tolist() == expected
