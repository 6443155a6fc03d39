"""The link stage's pure parts: admission, the pool, and the step on real same-event reports.

The step is run with the real multilingual encoder on the real reports of
bench/data/crosslang_links.jsonl's Afghanistan cluster: four earthquakes of magnitude 6.3 in one
region (Herat on 7, 11 and 15 October 2023, Mazar-i-Sharif in 2025), reported in seven languages,
which similarity alone links to each other. The mechanical tests (bucket, pool rows, sweep) use
plain vectors: they test bookkeeping, not language.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from streams.codec import decode_story_digest, encode_record
from streams.kafka.topics import STORY_LINKS
from streams.records import LinkedStory, StoryDigestState, StoryLinks, StoryStarted
from streams.stories.link_stage import (
    LinkOutcome,
    LinkPool,
    LinkStageConfig,
    TokenBucket,
    admit,
    apply_outcome,
    decode_embedding,
    embed_text,
    encode_embedding,
    link_step,
    stale_stories,
)
from streams.stories.links import Embedding, load_encoder

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "crosslang_links.jsonl"
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@cache
def quake_reports() -> list[dict[str, str]]:
    rows = [orjson.loads(line) for line in DATA.read_text("utf-8").splitlines()]
    return [row for row in rows if row["cluster"] == "afghanistan-quakes"]


@cache
def embeddings() -> dict[str, Embedding]:
    encoder = load_encoder(threads=1)
    reports = quake_reports()
    texts = [embed_text(started(row)) for row in reports]
    return {row["id"]: vector for row, vector in zip(reports, encoder.encode(texts), strict=True)}


def started(row: dict[str, str], sent_at: datetime | None = None) -> StoryStarted:
    # First seen on the day it was published (noon UTC), as the bench does.
    seen = datetime.fromisoformat(row["published"]).replace(hour=12, tzinfo=UTC)
    return StoryStarted(
        story_id=f"s-{int(row['id'][1:]):016x}",
        language=row["lang"],
        title=row["title"],
        summary=row["lead"],
        link=row["url"],
        fetched_at=seen,
        sent_at=sent_at or seen,
    )


def run(pool: LinkPool, story: StoryStarted, config: LinkStageConfig, vector: Embedding
        ) -> LinkOutcome:  # fmt: skip
    outcome = link_step(encode_record(story), story.sent_at, None, vector, pool, config)
    apply_outcome(outcome, pool)
    return outcome


def unit(seed: int, dimensions: int = 512) -> Embedding:
    vector = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    result: Embedding = vector / np.linalg.norm(vector)
    return result


# --- admission -------------------------------------------------------------------------------


def test_token_bucket_allows_its_rate_and_a_burst_of_one_second() -> None:
    bucket = TokenBucket(rate=2.0)
    assert [bucket.take(100.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(100.4) is False  # 0.8 of a token
    assert bucket.take(100.5) is True
    assert bucket.take(100.5) is False
    assert [bucket.take(200.0) for _ in range(3)] == [True, True, False]  # never more than burst


def test_admit_skips_when_off_when_stale_and_over_the_rate_and_a_stale_story_spends_no_token(
) -> None:  # fmt: skip
    story = started(quake_reports()[0], sent_at=T0)
    config = LinkStageConfig(max_per_second=1.0, max_age_seconds=60.0)
    bucket = TokenBucket(config.max_per_second)
    off = LinkStageConfig(max_per_second=0.0)
    assert admit(story, T0, 0.0, TokenBucket(1.0), off) == "disabled"
    late = T0 + timedelta(seconds=61)
    assert admit(story, late, 0.0, bucket, config) == "max_age"
    assert admit(story, T0 + timedelta(seconds=59), 0.0, bucket, config) is None
    assert admit(story, T0 + timedelta(seconds=59), 0.1, bucket, config) == "rate_limit"
    assert admit(story, T0 + timedelta(seconds=59), 1.2, bucket, config) is None


def test_a_skipped_story_changes_nothing_and_says_why() -> None:
    pool = LinkPool()
    story = started(quake_reports()[0])
    outcome = link_step(encode_record(story), T0, "rate_limit", None, pool, LinkStageConfig())
    assert outcome.skipped == "rate_limit" and outcome.outputs == () and outcome.added is None
    assert apply_outcome(outcome, pool) == [] and len(pool) == 0


# --- embeddings and the pool ---------------------------------------------------------------


def test_embedding_is_stored_as_base64_float16_and_reads_back_within_its_precision() -> None:
    vector = unit(1)
    text = encode_embedding(vector)
    assert len(text) == 1368  # 512 x 2 bytes in base64
    back = decode_embedding(text)
    assert back.dtype == np.float32 and back.shape == (512,)
    assert float(np.max(np.abs(back - vector))) < 1e-3
    assert encode_embedding(back) == text  # a second round trip changes nothing


def state(number: int, language: str, seen_at: float, vector: Embedding) -> StoryDigestState:
    return StoryDigestState(f"s-{number:016x}", language, f"story {number}", None, seen_at, (),
                            (), encode_embedding(vector), (), ())  # fmt: skip


def test_pool_rows_stay_dense_through_removals_and_a_rebuild_gives_the_same_cosines() -> None:
    pool = LinkPool()
    states = [state(n, "en" if n % 2 else "de", 1000.0 + n, unit(n)) for n in range(70)]
    for entry in states:
        pool.put(entry)
    for number in (0, 35, 69, 12):
        pool.remove(f"s-{number:016x}")
    assert len(pool) == 66 and "s-0000000000000023" not in pool
    probe = unit(999)
    view = pool.view()
    cosines = dict(zip(view.ids, view.matrix @ probe, strict=True))
    for entry in states:
        if entry.story_id in pool:
            expected = float(decode_embedding(entry.embedding) @ probe)
            assert cosines[entry.story_id] == pytest.approx(expected, abs=1e-6)
    rebuilt = LinkPool()
    rebuilt.rebuild(pool.stored(story_id) for story_id in pool.states)
    again = rebuilt.view()
    assert dict(zip(again.ids, again.matrix @ probe, strict=True)) == pytest.approx(cosines)


def test_stale_stories_are_those_past_the_window_then_the_oldest_beyond_pool_max() -> None:
    """The clock is the newest story's first-seen time: the stage sweeps by its stories' time,
    as a replay of old items must link as the live run did."""
    config = LinkStageConfig(pool_max=4)
    window = config.links.window_seconds
    pool = LinkPool()
    for number, seen in enumerate((0.0, 20.0, window + 5.0, window + 10.0, window + 12.0)):
        pool.put(state(number, "en", seen, unit(number)))
    assert pool.clock == window + 12.0  # the first is past the window, the second not yet
    assert stale_stories(pool, config) == ["s-0000000000000000"]
    pool.put(state(9, "en", window + 11.0, unit(9)))  # five within the window, one too many
    assert stale_stories(pool, config) == ["s-0000000000000000", "s-0000000000000001"]
    rebuilt = LinkPool()
    rebuilt.rebuild(pool.stored(story_id) for story_id in pool.states)
    assert rebuilt.clock == pool.clock


# --- the step on real reports --------------------------------------------------------------


def test_same_event_reports_in_different_languages_link_and_confusable_quakes_do_not() -> None:
    """Every report of the cluster is a story; whatever order they arrive in, the English and the
    Arabic reports of the 7 October Herat quake link, and no link joins two different quakes
    (all 6.3, all near Herat or in Afghanistan, days or years apart)."""
    reports = quake_reports()
    events = {started(row).story_id: row["event_id"] for row in reports}
    english, arabic = started(reports[0]), next(started(r) for r in reports if r["id"] == "x069")
    assert (english.language, english.title, arabic.language) == ("en", "", "ar")
    for seed in range(3):
        order = list(reports)
        random.Random(seed).shuffle(order)
        pool, config = LinkPool(), LinkStageConfig()
        links: set[frozenset[str]] = set()
        for row in order:
            outcome = run(pool, started(row), config, embeddings()[row["id"]])
            assert outcome.added is not None
            for linked in outcome.added.linked_stories:
                links.add(frozenset((outcome.added.story_id, linked.story_id)))
        assert frozenset((english.story_id, arabic.story_id)) in links, seed
        wrong = [tuple(pair) for pair in links if len({events[s] for s in pair}) > 1]
        assert wrong == [], seed
        assert len(links) >= 15, seed  # of the cluster's 39 cross-language same-event pairs


def test_a_link_rewrites_both_stories_links_with_the_evidence_and_a_redelivery_changes_nothing(
) -> None:  # fmt: skip
    reports = {row["id"]: row for row in quake_reports()}
    pool, config = LinkPool(), LinkStageConfig()
    for report_id in ("x066", "x080", "x063"):  # confusables and the English report first
        run(pool, started(reports[report_id]), config, embeddings()[report_id])
    english = started(reports["x063"])
    arabic = started(reports["x069"])
    outcome = run(pool, arabic, config, embeddings()["x069"])
    assert outcome.links_made == 1
    sent = {out.key: out.record for out in outcome.outputs}
    assert {out.topic for out in outcome.outputs} == {STORY_LINKS.suffix}
    assert set(sent) == {arabic.story_id, english.story_id}
    ours, theirs = sent[arabic.story_id], sent[english.story_id]
    assert isinstance(ours, StoryLinks) and isinstance(theirs, StoryLinks)
    (named,) = ours.linked_stories
    assert (named.story_id, named.language, named.link) == (english.story_id, "en", english.link)
    assert {"6.3", "78"} <= set(named.shared_numbers)  # 6,3 in Arabic, 6.3 in English
    (back,) = theirs.linked_stories
    assert (back.story_id, back.language, back.score) == (arabic.story_id, "ar", named.score)
    # The table holds both sides, and a state reads back as it was written.
    for story_id in (arabic.story_id, english.story_id):
        kept = pool.stored(story_id)
        assert decode_story_digest(encode_record(kept)) == kept
        assert decode_embedding(kept.embedding) == pytest.approx(embeddings()[
            "x069" if story_id == arabic.story_id else "x063"], abs=1e-3)  # fmt: skip
    assert pool.states[english.story_id].linked_stories == (back,)
    again = link_step(encode_record(arabic), T0, None, embeddings()["x069"], pool, config)
    assert again.outputs == () and again.added is None


def test_a_story_holding_max_links_better_links_is_not_rewritten() -> None:
    reports = {row["id"]: row for row in quake_reports()}
    pool, config = LinkPool(), LinkStageConfig(max_links=1)
    run(pool, started(reports["x063"]), config, embeddings()["x063"])
    english = started(reports["x063"]).story_id
    better = LinkedStory("s-00000000000000aa", "fr", "t", None, 9.9, (), ())
    pool.put(replace(pool.states[english], linked_stories=(better,)))
    outcome = run(pool, started(reports["x069"]), config, embeddings()["x069"])
    assert outcome.added is not None
    assert [s.story_id for s in outcome.added.linked_stories] == [english]
    assert pool.states[english].linked_stories == (better,)
    assert [out.key for out in outcome.outputs] == [outcome.added.story_id]


def test_a_failed_embedding_is_raised_so_the_message_becomes_a_dead_letter() -> None:
    story = started(quake_reports()[0])
    with pytest.raises(RuntimeError, match="encoder gone"):
        link_step(encode_record(story), T0, None, RuntimeError("encoder gone"), LinkPool(),
                  LinkStageConfig())  # fmt: skip


class OnesEncoder:
    """Stands for the sentence encoder where the test is about loading it, not its vectors."""

    def encode(self, texts: list[str]) -> Any:
        return np.ones((len(texts), 4), dtype=np.float32)


def test_the_link_agent_loads_its_encoder_once_however_often_it_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agents import link

    loads: list[int] = []

    def warm() -> OnesEncoder:
        loads.append(1)
        return OnesEncoder()

    monkeypatch.setattr(link, "_warm_encoder", warm)

    async def run() -> list[Any]:
        encoder = link.LazyEncoder()
        encoder.preload()  # partitions assigned
        encoder.preload()  # a second assignment while loading
        return list(await asyncio.gather(encoder.embed("a"), encoder.embed("b")))

    vectors = asyncio.run(run())
    assert loads == [1] and len(vectors) == 2 and vectors[0].shape == (4,)


def test_a_failed_encoder_load_is_tried_again_on_the_next_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agents import link

    attempts: list[int] = []

    def warm() -> OnesEncoder:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("weights not readable")
        return OnesEncoder()

    monkeypatch.setattr(link, "_warm_encoder", warm)

    async def run() -> Any:
        encoder = link.LazyEncoder()
        with pytest.raises(OSError):
            await encoder.embed("first story")
        return await encoder.embed("second story")

    assert asyncio.run(run()).shape == (4,) and len(attempts) == 2


def test_the_pool_counts_the_stories_that_write_each_name_as_they_come_and_go() -> None:
    """LinkPool.name_count, which the step asks for each new story's names (rare names,
    LinkConfig.name_max_stories), equals a count over the held states after puts, a replaced
    state, removals and a rebuild."""
    pool = LinkPool()
    names_of = {0: ("kbl", "nnhr"), 1: ("kbl",), 2: ("kbl", "trmp"), 3: ("trmp",)}
    for number, names in names_of.items():
        pool.put(replace(state(number, "en", 1000.0 + number, unit(number)), names=names))
    pool.put(replace(pool.stored("s-0000000000000003"), names=("trmp", "hsbl")))  # replaced
    pool.remove("s-0000000000000001")

    def counted(held: LinkPool) -> dict[str, int]:
        return {n: sum(n in s.names for s in held.states.values()) for n in names_everywhere}

    names_everywhere = ("kbl", "nnhr", "trmp", "hsbl", "absent")
    assert counted(pool) == {"kbl": 2, "nnhr": 1, "trmp": 2, "hsbl": 1, "absent": 0}
    assert {n: pool.name_count(n) for n in names_everywhere} == counted(pool)
    rebuilt = LinkPool()
    rebuilt.rebuild(pool.stored(story_id) for story_id in pool.states)
    assert {n: rebuilt.name_count(n) for n in names_everywhere} == counted(pool)
    for story_id in list(pool.states):
        pool.remove(story_id)
    assert all(pool.name_count(n) == 0 for n in names_everywhere)
