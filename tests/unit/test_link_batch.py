"""The link agent's batches (the lines of one story-starts message): admission in order
(`plan_batch`) and the admitted texts embedded together (`LazyEncoder.embed_all`), linking as one
story at a time did."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from agents import link
from streams.codec import encode_record
from streams.records import StoryStarted
from streams.stories.link_stage import (
    LinkPlan,
    LinkPool,
    LinkStageConfig,
    TokenBucket,
    apply_outcome,
    decode_embedding,
    embed_text,
    encode_embedding,
    link_step,
    plan_batch,
)
from streams.stories.links import Embedding, load_encoder
from tests.unit.test_link_stage import T0, quake_reports, started, unit


def test_a_batch_is_admitted_in_order_and_each_story_embedded_once() -> None:
    reports = quake_reports()[:4]
    fresh = [started(row, sent_at=T0) for row in reports]
    stale = started(reports[3], sent_at=T0 - timedelta(hours=1))
    config = LinkStageConfig(max_per_second=2.0, max_age_seconds=60.0)
    pool = LinkPool(neighbours=config.links.neighbours)
    apply_outcome(link_step(encode_record(fresh[0]), T0, None, unit(0), pool, config), pool)
    bucket = TokenBucket(config.max_per_second)  # two tokens saved up
    payloads = [
        encode_record(fresh[0]),  # in the pool already: the step finds it there
        b"not json",  # the step makes it a dead letter
        encode_record(stale),  # too old: skipped without spending a token
        encode_record(fresh[1]),
        encode_record(fresh[1]),  # the same story again in the batch: embedded once
        encode_record(fresh[2]),
        encode_record(replace_id(fresh[2], "s-00000000000000ff")),  # over the rate
    ]
    plans, texts = plan_batch(payloads, T0, 100.0, bucket, config, pool)
    assert plans == [
        LinkPlan(),
        LinkPlan(),
        LinkPlan(skipped="max_age"),
        LinkPlan(embed=0),
        LinkPlan(embed=0),
        LinkPlan(embed=1),
        LinkPlan(skipped="rate_limit"),
    ]
    assert texts == [embed_text(fresh[1]), embed_text(fresh[2])]


def replace_id(story: StoryStarted, story_id: str) -> StoryStarted:
    return replace(story, story_id=story_id)


def test_stories_embedded_in_one_call_link_as_stories_embedded_one_at_a_time() -> None:
    # The real encoder on the real reports of confusable quakes: each text alone and the batch
    # together (chunks of EMBED_CHUNK) agree within the float16 the pool stores, and the step
    # run on both in order makes the same links.
    reports = quake_reports()[: link.EMBED_CHUNK + 4]  # two encoder calls
    stories = [started(row) for row in reports]
    texts = [embed_text(story) for story in stories]
    encoder = load_encoder(threads=1)
    alone = [encoder.encode([text])[0] for text in texts]

    class Loaded(link.LazyEncoder):
        async def loaded(self) -> Any:
            return encoder

    together = asyncio.run(Loaded().embed_all(texts))
    assert len(together) == len(texts) > link.EMBED_CHUNK
    for one, batched in zip(alone, together, strict=True):
        assert isinstance(batched, np.ndarray)
        stored_one = decode_embedding(encode_embedding(one))
        stored_batched = decode_embedding(encode_embedding(batched))
        assert np.abs(stored_one - stored_batched).max() <= 1e-3

    def links(vectors: Sequence[Embedding | BaseException]) -> list[tuple[int, tuple[str, ...]]]:
        config = LinkStageConfig()
        pool = LinkPool(neighbours=config.links.neighbours)
        made = []
        for story, vector in zip(stories, vectors, strict=True):
            outcome = link_step(encode_record(story), story.sent_at, None, vector, pool, config)
            apply_outcome(outcome, pool)
            relinked = tuple(sorted(state.story_id for state in outcome.relinked))
            made.append((outcome.links_made, relinked))
        return made

    assert links(together) == links(alone)
    assert any(count > 0 for count, _ in links(alone))  # some reports did link


class FailsOn:
    """An encoder whose calls fail when they hold one given text."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.calls: list[int] = []

    def encode(self, texts: list[str]) -> Any:
        self.calls.append(len(texts))
        if self.bad in texts:
            raise ValueError(f"cannot embed {self.bad!r}")
        return np.ones((len(texts), 4), dtype=np.float32)


def test_a_text_that_cannot_be_embedded_fails_alone() -> None:
    encoder = FailsOn("bad")

    class Loaded(link.LazyEncoder):
        async def loaded(self) -> Any:
            return encoder

    texts = ["a", "bad", "c", *[f"t{n}" for n in range(link.EMBED_CHUNK)]]
    vectors = asyncio.run(Loaded().embed_all(texts))
    assert isinstance(vectors[1], ValueError)
    assert all(isinstance(v, np.ndarray) for n, v in enumerate(vectors) if n != 1)
    # The chunk holding the bad text tried once whole, then text by text; the next chunk whole.
    assert encoder.calls == [
        link.EMBED_CHUNK,
        *[1] * link.EMBED_CHUNK,
        len(texts) - link.EMBED_CHUNK,
    ]


def test_an_encoder_that_cannot_load_raises_for_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise OSError("weights not readable")

    monkeypatch.setattr(link, "_warm_encoder", broken)
    with pytest.raises(OSError):
        asyncio.run(link.LazyEncoder().embed_all(["a", "b"]))
