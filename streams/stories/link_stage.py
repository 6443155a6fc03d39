"""The link stage's pure parts: admission (rate limit, age), the pool of recent stories, the step.

The story stage sends every new story to `story-starts` (one constant key, so one worker sees every
language). The link stage admits a story only while its token bucket has a token and the story
reached it within `max_age_seconds`; otherwise it skips the story and counts why, so a burst of
new stories or a backlog never holds up anything else (embedding costs ~5-40 ms of CPU a story,
`bench/link_bench.py`). An admitted story is embedded once (multilingual USE, `links.py`) and
compared with the pool: the digests of the stories first seen within the link window
(`LinkConfig.window_seconds`, 72 h), kept in memory as one float32 matrix and in a changelog-backed
table (`StoryDigestState`, embedding as base64 float16) from which the pool is rebuilt after a
restart or a rebalance. The table keeps the details the vetoes compare too (years, topics), so a
rebuilt pool vetoes the links the pool before it did.

Each story keeps its `LinkConfig.neighbours` best cosines to stories of other languages: their
mean is the denominator of the margin score (`links.link_evidence`). A new story updates the lists
of the stories it comes close to in memory; those updates reach the table only with the story's
next write (a new link), so after a recovery an old story's list can miss a few later neighbours
(its margin is then slightly more generous). Links are symmetric: a new link rewrites both
stories' `StoryLinks` (at most `max_links` each, best score first).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

import numpy as np

from streams.codec import decode_story_started
from streams.kafka.topics import STORY_LINKS
from streams.records import LinkedStory, StoryDigestState, StoryLinks, StoryStarted
from streams.routing import Outbound
from streams.stories.countries import extract_countries
from streams.stories.links import (
    Embedding,
    LinkConfig,
    StoryDigest,
    decide_link,
    extract_names,
    extract_numbers,
    extract_years,
    link_evidence,
    story_text,
)
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy

SkipReason = Literal["disabled", "max_age", "rate_limit"]
# The most pool stories a new story checks for a shared number and name (the evidence path of
# LinkConfig.evidence_min_cosine): ~0.5 us each, so the step stays within a few ms at any pool
# size. On the tuning part with 2,534 distractors a story had 5 above the floor (most 90).
EVIDENCE_CANDIDATES = 512
# Why a new story was not linked: the stage is off, the story reached it too late (the stage is
# behind), or more new stories came than the rate allows.
SKIP_REASONS: tuple[SkipReason, ...] = ("disabled", "max_age", "rate_limit")


@dataclass(frozen=True)
class LinkStageConfig:
    """How much the link stage does; built from the settings (`link_*`)."""

    max_per_second: float = 5.0  # 0 turns the stage off
    max_age_seconds: float = 60.0
    pool_max: int = 20_000  # stories compared with at most; the oldest leave first
    max_links: int = 8  # per story, best score first
    links: LinkConfig = field(default_factory=LinkConfig)
    # The compiled taxonomy, for the topic vetoes (LinkConfig.topic_veto, off by default, and
    # bare_topic_veto); None leaves every story's topics unknown, which never vetoes. Built once
    # at start-up (the link agent passes the enricher's).
    taxonomy: CompiledTaxonomy | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_per_second < 0 or self.max_age_seconds <= 0:
            raise ValueError("max_per_second must be >= 0 and max_age_seconds > 0")
        if self.pool_max < 1 or self.max_links < 1:
            raise ValueError("pool_max and max_links must be >= 1")

    @property
    def enabled(self) -> bool:
        return self.max_per_second > 0


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up (default: one second's worth, >= 1)."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.tokens = self.burst
        self.last: float | None = None

    def take(self, now: float) -> bool:
        """Take one token at time `now` (monotonic seconds); False when none is left."""
        if self.last is not None and now > self.last:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now if self.last is None else max(self.last, now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def admit(
    started: StoryStarted, now: datetime, clock: float, bucket: TokenBucket, config: LinkStageConfig
) -> SkipReason | None:
    """None when the story is to be embedded and linked now, else why it is skipped. The age is
    checked first, so a stale story does not spend a token a fresh one could use."""
    if not config.enabled:
        return "disabled"
    if (now - started.sent_at).total_seconds() > config.max_age_seconds:
        return "max_age"
    if not bucket.take(clock):
        return "rate_limit"
    return None


# --- embeddings in the table ---------------------------------------------------------------


def encode_embedding(vector: Embedding) -> str:
    """An embedding as the table stores it: base64 of little-endian float16 (1 kB for 512)."""
    return base64.b64encode(np.asarray(vector, dtype="<f2").tobytes()).decode("ascii")


def decode_embedding(text: str) -> Embedding:
    """The stored embedding as float32. A new story's vector goes through this too, so a story
    compares the same before and after its pool is rebuilt from the table."""
    vector: Embedding = np.frombuffer(base64.b64decode(text), dtype="<f2").astype(np.float32)
    return vector


def _mean_or_one(values: Iterable[float]) -> float:
    # As links.neighbour_cosines: no neighbour (or a non-positive mean) leaves the plain cosine.
    found = list(values)
    mean = sum(found) / len(found) if found else 1.0
    return mean if mean > 0 else 1.0


# --- the pool ------------------------------------------------------------------------------


class LinkPool:
    """The digests of recent stories: their states by id, and their embeddings as one matrix.

    Rows are kept dense (a removed row is filled with the last one) so a cosine against the
    whole pool is one matrix-vector product. The pool changes only through `put` and `remove`,
    which the stage calls with the same values it writes to its table. `states` hold no
    embedding (the matrix has it; `stored` gives a state as the table keeps it), and languages
    are small integers: at 20,000 stories a step took 8 ms of CPU comparing language strings.
    """

    def __init__(self, dimensions: int = 512, neighbours: int = 8) -> None:
        self.dimensions = dimensions
        self.neighbours = neighbours
        self._reset()

    def _reset(self) -> None:
        dimensions = self.dimensions
        self.states: dict[str, StoryDigestState] = {}
        self._row: dict[str, int] = {}
        self._ids: list[str] = []
        self._matrix = np.zeros((0, dimensions), dtype=np.float32)
        self._languages = np.zeros(0, dtype=np.int32)
        self._language_codes: dict[str, int] = {}
        self._seen = np.zeros(0, dtype=np.float64)
        # Each story's `neighbours`-th best cosine (-inf while it has fewer) and their mean.
        self._kth = np.zeros(0, dtype=np.float32)
        self._mean = np.zeros(0, dtype=np.float32)
        # The stage's clock: the newest first-seen time of a story it holds (epoch seconds).
        self.clock = -math.inf
        # How many held stories write each name skeleton (LinkConfig.name_max_stories), kept as
        # stories come and go: counting over the pool for each new story cost O(pool).
        self._name_counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, story_id: object) -> bool:
        return story_id in self._row

    def rebuild(self, states: Iterable[StoryDigestState]) -> None:
        """Forget everything and hold `states` (the table's values after a recovery)."""
        self._reset()
        for state in sorted(states, key=lambda s: (s.seen_at, s.story_id)):
            self.put(state)

    def put(self, state: StoryDigestState, embedding: Embedding | None = None) -> None:
        """Add a story, or replace its state (its embedding is kept)."""
        row = self._row.get(state.story_id)
        previous = self.states.get(state.story_id)
        if previous is not None:
            self._count_names(previous.names, -1)
        self._count_names(state.names, 1)
        if row is None:
            vector = embedding if embedding is not None else decode_embedding(state.embedding)
            if vector.shape != (self.dimensions,):
                raise ValueError(f"embedding of {state.story_id} has shape {vector.shape}")
            row = len(self._ids)
            self._grow(row + 1)
            self._row[state.story_id] = row
            self._ids.append(state.story_id)
            self._languages[row] = self.language_code(state.language)
            self._matrix[row] = vector
        self.states[state.story_id] = replace(state, embedding="")
        self._seen[row] = state.seen_at
        self.clock = max(self.clock, state.seen_at)
        self._set_neighbours(row, state.neighbours)

    def language_code(self, language: str) -> int:
        return self._language_codes.setdefault(language, len(self._language_codes))

    def stored(self, story_id: str) -> StoryDigestState:
        """A story's state with its embedding, as the table keeps it."""
        vector = self._matrix[self._row[story_id]]
        return replace(self.states[story_id], embedding=encode_embedding(vector))

    def set_neighbours(self, story_id: str, neighbours: tuple[float, ...]) -> None:
        """A story's best other-language cosines changed (in memory only; see the module doc)."""
        self.states[story_id] = replace(self.states[story_id], neighbours=neighbours)
        self._set_neighbours(self._row[story_id], neighbours)

    def name_count(self, name: str) -> int:
        """How many held stories write the name skeleton `name`."""
        return self._name_counts.get(name, 0)

    def _count_names(self, names: Iterable[str], change: int) -> None:
        counts = self._name_counts
        for name in set(names):
            count = counts.get(name, 0) + change
            if count > 0:
                counts[name] = count
            else:
                counts.pop(name, None)

    def remove(self, story_id: str) -> None:
        row = self._row.pop(story_id)
        self._count_names(self.states.pop(story_id).names, -1)
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._ids[row] = moved
            for array in (self._matrix, self._languages, self._seen, self._kth, self._mean):
                array[row] = array[last]
            self._row[moved] = row
        self._ids.pop()

    def expired(self, now: float, window_seconds: float) -> list[str]:
        """Stories first seen more than the window before `now` (epoch seconds)."""
        rows = np.nonzero(self._seen[: len(self)] < now - window_seconds)[0]
        return [self._ids[row] for row in rows]

    def oldest(self, count: int) -> list[str]:
        """The `count` stories first seen longest ago."""
        if count <= 0:
            return []
        order = np.argsort(self._seen[: len(self)], kind="stable")[:count]
        return [self._ids[row] for row in order]

    def view(self) -> PoolView:
        n = len(self)
        return PoolView(
            ids=self._ids[:n],
            matrix=self._matrix[:n],
            languages=self._languages[:n],
            seen=self._seen[:n],
            kth=self._kth[:n],
            mean=self._mean[:n],
        )

    def _set_neighbours(self, row: int, neighbours: tuple[float, ...]) -> None:
        full = len(neighbours) >= self.neighbours
        self._kth[row] = neighbours[self.neighbours - 1] if full else -math.inf
        self._mean[row] = _mean_or_one(neighbours)

    def _grow(self, size: int) -> None:
        if size <= self._matrix.shape[0]:
            return
        capacity = max(size, 2 * self._matrix.shape[0], 64)
        matrix = np.zeros((capacity, self.dimensions), dtype=np.float32)
        matrix[: len(self._ids)] = self._matrix[: len(self._ids)]
        self._matrix = matrix
        for name in ("_languages", "_seen", "_kth", "_mean"):
            old = getattr(self, name)
            grown = np.zeros(capacity, dtype=old.dtype)
            grown[: len(self._ids)] = old[: len(self._ids)]
            setattr(self, name, grown)


def state_details(state: StoryDigestState) -> tuple[frozenset[str] | None, frozenset[str]]:
    """A story's topics (None: unknown) and years, as `decide_link`'s vetoes compare them."""
    topics = frozenset(state.topics) if state.topics is not None else None
    return topics, frozenset(state.years)


def state_countries(state: StoryDigestState) -> frozenset[str] | None:
    """A story's countries as the country veto compares them (None: unknown, never vetoes)."""
    return frozenset(state.countries) if state.countries is not None else None


@dataclass(frozen=True)
class PoolView:
    """The pool's rows as the step reads them (arrays are views: read, never written)."""

    ids: list[str]
    matrix: np.ndarray
    languages: np.ndarray  # LinkPool.language_code of each row
    seen: np.ndarray
    kth: np.ndarray
    mean: np.ndarray


# --- the step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkOutcome:
    """What one story-starts message changed: StoryLinks to send, states to keep, counts."""

    outputs: tuple[Outbound, ...]
    skipped: SkipReason | None = None
    added: StoryDigestState | None = None  # the new story's state: to the pool and the table
    embedding: Embedding | None = None  # its embedding, as decoded from the state
    relinked: tuple[StoryDigestState, ...] = ()  # linked stories whose links changed
    neighbours: dict[str, tuple[float, ...]] = field(default_factory=dict)  # memory only
    links_made: int = 0


def embed_text(started: StoryStarted) -> str:
    """The text a new story is embedded by: its first item's title and lead."""
    return story_text(started.title, started.summary)


def link_step(
    payload: bytes,
    now: datetime,
    skipped: SkipReason | None,
    embedding: Embedding | BaseException | None,
    pool: LinkPool,
    config: LinkStageConfig,
) -> LinkOutcome:
    """A story-starts message → its links and the states to keep.

    `skipped` and `embedding` come from the agent, which decides admission and embeds outside
    the event loop; an embedding that failed is raised here, so the message becomes a dead
    letter. A story already in the pool (a redelivery) changes nothing.
    """
    started = decode_story_started(payload)
    if skipped is not None:
        return LinkOutcome((), skipped=skipped)
    if started.story_id in pool:
        return LinkOutcome(())
    if isinstance(embedding, BaseException):
        raise embedding
    if embedding is None:
        raise ValueError(f"story {started.story_id} was admitted without an embedding")
    text = embed_text(started)
    stored = encode_embedding(embedding)
    vector = decode_embedding(stored)
    seen_at = started.fetched_at.timestamp()
    link = config.links
    numbers, years = extract_numbers(text), extract_years(text)
    names = extract_names(text, link.han_names, link.slavic_endings)
    topics = (
        frozenset(tag.id for tag in match_topics(started.title, started.summary,
                                                  started.language, config.taxonomy))
        if config.taxonomy is not None and link.reads_topics
        else None
    )  # fmt: skip
    countries = extract_countries(text, started.language) if link.reads_countries else None
    view = pool.view()
    cosines = view.matrix @ vector if view.ids else np.zeros(0, dtype=np.float32)
    other = view.languages != pool.language_code(started.language)

    others = cosines[other]
    if others.size > link.neighbours:  # the k best without sorting the whole pool
        others = np.partition(others, others.size - link.neighbours)[-link.neighbours :]
    own = tuple(float(c) for c in np.sort(others)[::-1])
    own_mean = _mean_or_one(own)
    # The new story enters the lists of the stories it is closer to than their k-th neighbour.
    means = view.mean.astype(np.float64, copy=True)
    neighbours: dict[str, tuple[float, ...]] = {}
    for row in np.nonzero(other & (cosines > view.kth))[0]:
        story_id = view.ids[row]
        merged = sorted((*pool.states[story_id].neighbours, float(cosines[row])), reverse=True)
        neighbours[story_id] = tuple(merged[: link.neighbours])
        means[row] = _mean_or_one(neighbours[story_id])

    common: frozenset[str] = frozenset()
    if link.name_max_stories and link.name_min_cosine > 0 and names:
        # How many pool stories write each of its names, the story itself counted (as in the
        # batch's links.common_names).
        common = frozenset(n for n in names if pool.name_count(n) + 1 > link.name_max_stories)
    story = StoryDigest(started.story_id, started.language, seen_at, numbers, names, vector,
                        neighbour_cosine=own_mean, topics=topics, years=years,
                        common_names=common, countries=countries)  # fmt: skip
    # Cheap bounds first: a pair can reach min_score only if its margin plus the most the
    # shared numbers and names can add does.
    bonus = link.max_points * (link.number_weight + link.name_weight)
    scale = (own_mean + means) / 2.0
    margins = np.divide(cosines, scale, out=cosines.astype(np.float64), where=scale > 0)
    within = np.abs(view.seen - seen_at) <= link.window_seconds
    candidates = other & within & (cosines >= link.min_cosine) & (margins + bonus >= link.min_score)
    # Pairs that may link on shared evidence alone: a number and a name, or names (LinkConfig).
    floors = [f for f in (link.evidence_min_cosine, link.lowest_name_cosine()) if f > 0]
    if floors:
        rows = np.nonzero(other & within & (cosines >= min(floors)) & ~candidates)[0]
        if rows.size > EVIDENCE_CANDIDATES:  # a set check each, so at most this many, closest first
            rows = rows[np.argpartition(cosines[rows], -EVIDENCE_CANDIDATES)[-EVIDENCE_CANDIDATES:]]
        for row in rows:
            state = pool.states[view.ids[row]]
            shared_names = len(names.intersection(state.names))
            if (shared_names and not numbers.isdisjoint(state.numbers)) or (
                link.name_min_cosine > 0 and shared_names >= link.name_min_shared
            ):
                candidates[row] = True
    found: list[tuple[float, LinkedStory, StoryDigestState]] = []
    for row in np.nonzero(candidates)[0]:
        state = pool.states[view.ids[row]]
        # From the state, as a pool rebuilt from the table holds it; computed for the few
        # candidates only (kept for every story, the two sets took 13 MiB of a full pool).
        their_topics, their_years = state_details(state)
        candidate = StoryDigest(state.story_id, state.language, state.seen_at,
                                frozenset(state.numbers), frozenset(state.names),
                                view.matrix[row], neighbour_cosine=float(means[row]),
                                topics=their_topics, years=their_years,
                                countries=state_countries(state))  # fmt: skip
        evidence = link_evidence(story, candidate)
        if not decide_link(evidence, link):
            continue
        score = round(evidence.score(link), 4)
        named = LinkedStory(state.story_id, state.language, state.title, state.link, score,
                            evidence.shared_numbers, evidence.shared_names)  # fmt: skip
        found.append((score, named, state))
    found.sort(key=lambda entry: (-entry[0], entry[1].story_id))
    kept = found[: config.max_links]

    added = StoryDigestState(
        story_id=started.story_id,
        language=started.language,
        title=started.title,
        link=started.link,
        seen_at=seen_at,
        numbers=tuple(sorted(numbers)),
        names=tuple(sorted(names)),
        embedding=stored,
        neighbours=own,
        linked_stories=tuple(named for _, named, _ in kept),
        years=tuple(sorted(years)),
        topics=tuple(sorted(topics)) if topics is not None else None,
        countries=tuple(sorted(countries)) if countries is not None else None,
    )
    outputs: list[Outbound] = []
    relinked: list[StoryDigestState] = []
    if kept:
        outputs.append(_links_out(added, now))
    for score, named, state in kept:
        back = LinkedStory(added.story_id, added.language, added.title, added.link, score,
                           named.shared_numbers, named.shared_names)  # fmt: skip
        links = _best_links((*state.linked_stories, back), config.max_links)
        if back not in links:
            continue  # the other story already has max_links better ones
        changed = replace(state, linked_stories=links,
                          neighbours=neighbours.get(state.story_id, state.neighbours))  # fmt: skip
        relinked.append(changed)
        outputs.append(_links_out(changed, now))
    return LinkOutcome(
        outputs=tuple(outputs),
        added=added,
        embedding=vector,
        relinked=tuple(relinked),
        neighbours=neighbours,
        links_made=len(kept),
    )


def _best_links(links: Iterable[LinkedStory], limit: int) -> tuple[LinkedStory, ...]:
    best: dict[str, LinkedStory] = {}
    for link in links:
        if link.story_id not in best or link.score > best[link.story_id].score:
            best[link.story_id] = link
    return tuple(sorted(best.values(), key=lambda s: (-s.score, s.story_id))[:limit])


def _links_out(state: StoryDigestState, now: datetime) -> Outbound:
    record = StoryLinks(state.story_id, state.language, state.linked_stories, now)
    return Outbound(STORY_LINKS.suffix, state.story_id, record)


def apply_outcome(outcome: LinkOutcome, pool: LinkPool) -> list[StoryDigestState]:
    """Bring the pool up to date with a step's outcome; returns the states to write to the table
    (the new story and the stories whose links changed)."""
    for story_id, values in outcome.neighbours.items():
        if story_id in pool:
            pool.set_neighbours(story_id, values)
    writes: list[StoryDigestState] = []
    if outcome.added is not None:
        pool.put(outcome.added, outcome.embedding)
        writes.append(outcome.added)
    for state in outcome.relinked:
        pool.put(state)
        writes.append(pool.stored(state.story_id))
    return writes


def stale_stories(pool: LinkPool, config: LinkStageConfig) -> list[str]:
    """Stories to drop: first seen more than the link window before the newest story (they can
    link with no story still to come), and the oldest beyond `pool_max`.

    The clock is the stories' own first-seen time, not the wall clock, as the story stage's is
    its items' fetch time: a replay of older items links as the live run did."""
    expired = pool.expired(pool.clock, config.links.window_seconds)
    excess = len(pool) - len(expired) - config.pool_max
    if excess <= 0:
        return expired
    gone = set(expired)
    extra = [s for s in pool.oldest(len(expired) + excess) if s not in gone][:excess]
    return expired + extra
