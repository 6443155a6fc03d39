"""Story clustering over a synthetic stream: items/s of `assign_story` on one core, and how well it
pairs the items of one story (pair precision and recall against the generated truth).

The stream: S stories × V variants plus U unrelated items, in Latin (70 %), Cyrillic (15 %) and Han
(15 %) text made from a Zipf-weighted vocabulary. Stories share a topic vocabulary and stock
phrases with the others of their topic (the hard negatives: two different election stories); a
variant substitutes 3–15 % of the words within their class (never a name or number), inflects
some, may swap summary sentences, rotate the title, drop the last sentence or add a source tag.
Items arrive in time order over ~40 h, variants of a story within hours of each other. The writes
are applied to plain dicts, as the Faust tables would hold them. The baseline, run in the same
process, is exact-duplicate detection: SHA-1 of the text and a dict lookup per item. Prints
numbers; asserts nothing.

Usage: python bench/story_bench.py [--stories 500] [--variants 10] [--unrelated 1000] [--sweep]
       python bench/story_bench.py --routing 20000  (how story-route keys spread over partitions)
Pin it to one core with `taskset -c 1`.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TypeVar

from agents.story import agent_decoded_signatures, keep_story_tables, story_step, table_writer
from streams.codec import encode_record
from streams.records import Article, Language, StoryBucket, StorySignature
from streams.stories.cluster import (
    StoryAssignment,
    StoryConfig,
    StoryIndex,
    assign_story,
    expired_keys,
    script_group,
    shingle_article,
    story_group,
)

_CONSONANTS = "bcdfghklmnprstvz"
_VOWELS = "aeiou"
_TO_CYRILLIC = str.maketrans(
    {
        "b": "б",
        "c": "ц",
        "d": "д",
        "f": "ф",
        "g": "г",
        "h": "х",
        "k": "к",
        "l": "л",
        "m": "м",
        "n": "н",
        "p": "п",
        "r": "р",
        "s": "с",
        "t": "т",
        "v": "в",
        "z": "з",
        "a": "а",
        "e": "е",
        "i": "и",
        "o": "о",
        "u": "у",
    }
)
_SCRIPTS = (("Latin", 0.70), ("Cyrillic", 0.15), ("Han", 0.15))
_FUNCTION_WORDS = 150
_GENERAL_WORDS = 8_000
_TOPICS = 12
_TOPIC_WORDS = 60
_PHRASES = 25
_NAMES = 20_000
_SUFFIXES = {"Latin": ("s", "ed", "ing"), "Cyrillic": ("ой", "ами", "ых"), "Han": ("",)}

V = TypeVar("V")
Word = tuple[str, int]  # (class: "f" function, "g" general, "t<topic>", "n" name, "d" number; id)
Inflected = Word | tuple[str, int, str]  # a word with a suffix


@dataclass(frozen=True)
class Story:
    truth: str
    script: str
    topic: int
    title: list[Word]
    sentences: list[list[Word]]
    names: list[Word]


class Generator:
    """Random stories and variants; every word is a class and an id, rendered per script."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.latin = [self._latin_word(i) for i in range(_NAMES + _GENERAL_WORDS + 3_000)]
        self.han = [
            "".join(chr(0x4E00 + self.random.randrange(3_000)) for _ in range(1 + i % 3))
            for i in range(len(self.latin))
        ]
        weights = [1 / (rank + 1) for rank in range(_GENERAL_WORDS)]
        self.general_weights = list(_cumulative(weights))
        self.function_weights = list(_cumulative([1 / (r + 1) for r in range(_FUNCTION_WORDS)]))
        # Stock phrases of a topic ("the central election commission said on Monday"): what
        # makes two different stories of one topic look alike.
        self.phrases = [
            [
                [
                    self.word(self.random.choice("fftg"), topic)
                    for _ in range(self.random.randint(3, 7))
                ]
                for _ in range(_PHRASES)
            ]
            for topic in range(_TOPICS)
        ]

    def _latin_word(self, index: int) -> str:
        syllables = 1 + index % 4
        return "".join(
            self.random.choice(_CONSONANTS) + self.random.choice(_VOWELS) for _ in range(syllables)
        )

    def word(self, kind: str, topic: int) -> Word:
        if kind == "f":
            return ("f", self.random.choices(range(_FUNCTION_WORDS), self.function_weights)[0])
        if kind == "g":
            return ("g", self.random.choices(range(_GENERAL_WORDS), self.general_weights)[0])
        if kind == "t":
            return (f"t{topic}", self.random.randrange(_TOPIC_WORDS))
        return ("d", self.random.randrange(10_000))

    def sentence(self, length: int, topic: int, names: list[Word]) -> list[Word]:
        words: list[Word] = []
        for _ in range(self.random.randint(2, 3)):
            words.extend(self.random.choice(self.phrases[topic]))
        for _ in range(length):
            roll = self.random.random()
            if roll < 0.35:
                words.append(self.word("f", topic))
            elif roll < 0.60:
                words.append(self.word("t", topic))
            elif roll < 0.85:
                words.append(self.word("g", topic))
            else:
                words.append(self.random.choice(names))
        return words

    def story(self, truth: str) -> Story:
        script = self.random.choices([s for s, _ in _SCRIPTS], [w for _, w in _SCRIPTS])[0]
        topic = self.random.randrange(_TOPICS)
        names: list[Word] = [("n", self.random.randrange(_NAMES)) for _ in range(4)]
        names.append(self.word("d", topic))
        title = self.sentence(self.random.randint(7, 12), topic, names)
        sentences = [
            self.sentence(self.random.randint(12, 20), topic, names)
            for _ in range(self.random.randint(2, 3))
        ]
        return Story(truth, script, topic, title, sentences, names)

    def variant(self, story: Story, index: int) -> tuple[str, str]:
        if index == 0:
            return self.render(story, story.title, story.sentences, "")
        rate = self.random.uniform(0.03, 0.15)
        title = [self.substitute(word, story, rate) for word in story.title]
        sentences = [[self.substitute(w, story, rate) for w in s] for s in story.sentences]
        if self.random.random() < 0.5 and len(sentences) > 1:
            first, second = self.random.sample(range(len(sentences)), 2)
            sentences[first], sentences[second] = sentences[second], sentences[first]
        if self.random.random() < 0.3:
            cut = self.random.randrange(2, len(title) - 1)
            title = title[cut:] + title[:cut]
        if self.random.random() < 0.3 and len(sentences) > 2:
            sentences = sentences[:-1]
        tag = f" - source{self.random.randrange(40)}" if self.random.random() < 0.3 else ""
        return self.render(story, title, sentences, tag)

    def substitute(self, word: Word, story: Story, rate: float) -> Inflected:
        kind = word[0]
        if kind not in ("n", "d") and self.random.random() < rate:
            return self.word(kind[0], story.topic)
        if self.random.random() < 0.05:
            return (*word, self.random.choice(_SUFFIXES[story.script]))
        return word

    def render(
        self,
        story: Story,
        title: Sequence[Inflected],
        sentences: Sequence[Sequence[Inflected]],
        tag: str,
    ) -> tuple[str, str]:
        def text(words: Sequence[Inflected]) -> list[str]:
            return [self.spell(word, story.script) for word in words]

        if story.script == "Han":
            return "".join(text(title)) + tag, "。".join("".join(text(s)) for s in sentences) + "。"
        return (
            " ".join(text(title)).capitalize() + tag,
            " ".join(" ".join(text(s)).capitalize() + "." for s in sentences),
        )

    def spell(self, word: Inflected, script: str) -> str:
        kind, number, *suffix = word
        if kind == "d":
            return str(number)
        offset = {"f": 0, "n": 1_000, "g": 1_000 + _NAMES}.get(kind[0], 0)
        if kind.startswith("t"):
            offset = 1_000 + _NAMES + _GENERAL_WORDS + int(kind[1:]) * _TOPIC_WORDS
        latin = self.latin[offset + number] + "".join(suffix)
        if script == "Cyrillic":
            return latin.translate(_TO_CYRILLIC)
        if script == "Han":
            return self.han[offset + number]
        return latin


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return [value / total for value in out]


def build_stream(
    stories: int, variants: int, unrelated: int, seed: int
) -> tuple[list[tuple[float, Article]], dict[str, str]]:
    """Items in arrival order (epoch seconds, article) and each item's true story."""
    generator = Generator(seed)
    rng = generator.random
    span = 40 * 3600.0
    timed: list[tuple[float, str, str, str, str]] = []
    for number in range(stories + unrelated):
        story = generator.story(f"t{number}")
        start = rng.uniform(0, span)
        count = variants if number < stories else 1
        for index in range(count):
            title, summary = generator.variant(story, index)
            at = start + (rng.expovariate(1 / 1800) if index else 0.0)
            timed.append((at, f"i{number}-{index}", story.truth, title, summary))
    timed.sort()
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    stream = []
    truth = {}
    for at, item_id, story_truth, title, summary in timed:
        article = Article(
            item_id=item_id,
            feed_id="bench",
            source="bench",
            link=None,
            title=title,
            summary=summary,
            language=Language("und", 0.0),
            topics=(),
            published_at=None,
            fetched_at=fetched,
            enriched_at=fetched,
        )
        stream.append((1_700_000_000.0 + at, article))
        truth[item_id] = story_truth
    return stream, truth


def pair_scores(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    """Pair precision and recall: pairs put in one story vs pairs of one true story."""

    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    both = pairs(Counter((predicted[item], truth[item]) for item in truth))
    said = pairs(Counter(predicted.values()))
    real = pairs(Counter(truth.values()))
    return (both / said if said else 1.0), (both / real if real else 1.0)


@dataclass
class Run:
    rate: float
    story_ids: list[str]
    precision: float
    recall: float
    matches: Counter[str]
    index_writes: float
    changelog_bytes: float
    index: dict[str, StoryBucket]
    signatures: dict[str, StorySignature]


def run_stream(
    stream: list[tuple[float, Article]], truth: dict[str, str], config: StoryConfig
) -> Run:
    index: dict[str, StoryBucket] = {}
    signatures: dict[str, StorySignature] = {}
    assignments: list[StoryAssignment] = []
    started = time.process_time()
    for now, article in stream:
        assignment = assign_story(article, now, index.get, signatures.get, config)
        _apply(index, assignment.index_writes)
        _apply(signatures, assignment.signature_writes)
        assignments.append(assignment)
    elapsed = time.process_time() - started
    predicted = {a.item_id: s.story_id for (_, a), s in zip(stream, assignments, strict=True)}
    precision, recall = pair_scores(predicted, truth)
    # Only the signatures go to a changelog: the index writes stay in the worker's memory.
    written = sum(
        len(encode_record(value)) if value is not None else 0
        for assignment in assignments
        for value in assignment.signature_writes.values()
    )
    return Run(
        rate=len(stream) / elapsed,
        story_ids=[assignment.story_id for assignment in assignments],
        precision=precision,
        recall=recall,
        matches=Counter(a.match for a in assignments),
        index_writes=sum(len(a.index_writes) for a in assignments) / len(stream),
        changelog_bytes=written / len(stream),
        index=index,
        signatures=signatures,
    )


def _apply(table: dict[str, V], writes: dict[str, V | None]) -> None:
    for key, value in writes.items():
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value


def run_agent_step(
    stream: list[tuple[float, Article]], config: StoryConfig
) -> tuple[float, list[str]]:
    """The agent's own step and keep on the same items (article bytes in, the signatures table as
    Faust's memory store holds it: str keys, encoded values): items/s and the story ids. Unlike
    `run_stream` this pays for decoding the article and every candidate's stored signature."""
    payloads = [
        encode_record(replace(article, fetched_at=datetime.fromtimestamp(now, UTC)))
        for now, article in stream
    ]
    index = StoryIndex(config)
    decoded = agent_decoded_signatures()  # as the agent holds it
    table: dict[str, bytes] = {}
    write = table_writer(table)

    story_ids = []
    started = time.process_time()
    for payload in payloads:
        placement = story_step(payload, index.reader, table.get, config, None, decoded)
        keep_story_tables(placement, index, write, decoded)
        story_ids.append(placement.assignment.story_id)
    return len(payloads) / (time.process_time() - started), story_ids


def digest(story_ids: list[str]) -> str:
    """A short fingerprint of the story ids in stream order: equal runs give equal ones."""
    return hashlib.sha1("\n".join(story_ids).encode()).hexdigest()[:16]


def baseline_rate(stream: list[tuple[float, Article]]) -> float:
    """Exact-duplicate detection of the same items: SHA-1 of the text, one dict lookup."""
    seen: dict[str, str] = {}
    started = time.process_time()
    for _, article in stream:
        digest = hashlib.sha1(f"{article.title}\n{article.summary}".encode()).hexdigest()
        seen.setdefault(digest, article.item_id)
    return len(stream) / (time.process_time() - started)


def true_similarities(stream: list[tuple[float, Article]], truth: dict[str, str]) -> None:
    """The exact shingle Jaccard of variant pairs and of same-topic, same-script other stories."""
    by_truth: dict[str, list[Article]] = {}
    for _, article in stream:
        by_truth.setdefault(truth[article.item_id], []).append(article)
    rng = random.Random(7)
    groups = [items for items in by_truth.values() if len(items) > 1]
    same = []
    for items in rng.sample(groups, min(300, len(groups))):
        first, second = rng.sample(items, 2)
        same.append(_jaccard(first, second))
    singles = [items[0] for items in by_truth.values()]
    other = []
    for _ in range(3_000):
        first, second = rng.sample(singles, 2)
        if script_group(first) == script_group(second):
            other.append(_jaccard(first, second))
    other.sort()
    same.sort()
    print(
        f"true Jaccard, variants of one story: p5 {same[len(same) // 20]:.2f} "
        f"median {same[len(same) // 2]:.2f}; different stories: median "
        f"{other[len(other) // 2]:.2f} p99 {other[len(other) * 99 // 100]:.2f} "
        f"max {other[-1]:.2f}"
    )


def _jaccard(first: Article, second: Article) -> float:
    a = shingle_article(first, script_group(first))
    b = shingle_article(second, script_group(second))
    return len(a & b) / len(a | b)


def describe(label: str, config: StoryConfig, run: Run, base: float) -> None:
    print(
        f"{label:<28} {run.rate:>7,.0f} items/s  {1e6 / run.rate:>5.0f} µs/item  "
        f"baseline/this {base / run.rate:>5.0f}x  precision {run.precision:.3f} "
        f"recall {run.recall:.3f}  index writes/item (memory) {run.index_writes:.1f}  "
        f"changelog {run.changelog_bytes / 1024:.1f} KiB/item"
    )


def deep_size(root: object) -> int:
    """Bytes of `root` and every object it reaches (dicts, tuples, lists, slotted records, str,
    bytes, numbers), each object counted once: what keeping it costs the process."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, tuple | list):
            stack.extend(obj)
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, name) for name in obj.__slots__)
        elif isinstance(obj, StoryIndex):  # its buckets, not its config
            stack.append(obj._groups)
    return total


def describe_state(run: Run, stream: list[tuple[float, Article]], config: StoryConfig) -> None:
    """What a worker holds per item: the signatures table as Faust's memory store keeps it (key
    str, value bytes), the index rebuilt from it (objects), and the story-index table of earlier
    releases (the same buckets as bytes), with the time of a rebuild."""
    items = len(run.signatures)
    groups: dict[str, list[tuple[str, StorySignature]]] = {}
    signed = dict(run.signatures)
    for _, article in stream:
        if article.item_id in signed:
            groups.setdefault(story_group(article), []).append(
                (article.item_id, signed.pop(article.item_id))
            )
    table = {
        f"{group}|{item_id}": encode_record(signature)
        for group, records in groups.items()
        for item_id, signature in records
    }
    started = time.process_time()
    held = StoryIndex(config)
    for group, records in groups.items():
        held.rebuild(group, records)
    rebuild_seconds = time.process_time() - started
    index: dict[str, StoryBucket] = {}
    for group in groups:
        index.update(held.buckets(group))
    old_table = {key: encode_record(bucket) for key, bucket in index.items()}
    print(
        f"  per item held: signatures table {deep_size(table) / items:,.0f} B, in-memory index "
        f"{deep_size(held) / items:,.0f} B ({len(index) / items:.1f} keys; as StoryBucket "
        f"objects under str keys {deep_size(index) / items:,.0f} B); the story-index table it "
        f"replaces held {deep_size(old_table) / items:,.0f} B; rebuilt from the signatures in "
        f"{rebuild_seconds:.2f} s for {items:,} items, equal to the index kept item by item: "
        f"{index == run.index}"
    )


def story_group_loads(items: int, seed: int) -> tuple[Counter[str], Counter[str], int, int]:
    """Items per story group and per script group of bench/stream.py's realistic stream (real
    enrich: language detection), and how many updates were detected in another language than
    their item's first version (they change group), of how many updates."""
    from stream import ItemKind, realistic_stream  # bench/ is on sys.path: run as a script

    from streams.codec import decode_raw_item
    from streams.errors import ContentError, DecodeError
    from streams.pipeline import build_stages, enrich
    from streams.settings import load_settings

    stages = build_stages(load_settings(environ={}))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    groups: Counter[str] = Counter()
    scripts: Counter[str] = Counter()
    first_group: dict[str, str] = {}
    updates = moved = 0
    for item in realistic_stream(items, seed):
        try:
            article = enrich(decode_raw_item(item.encode(now)), stages.enricher, now)
        except (DecodeError, ContentError):
            continue
        group = story_group(article)
        scripts[script_group(article)] += 1
        groups[group] += 1
        if item.kind is ItemKind.UPDATE:
            updates += 1
            moved += first_group.get(article.item_id, group) != group
        first_group.setdefault(article.item_id, group)
    return groups, scripts, moved, updates


def routing_spread(items: int, partitions: tuple[int, ...]) -> None:
    """How story-route keys spread bench/stream.py's realistic stream over partitions, keyed by
    script group (earlier releases) and by story group: items per key, and the busiest partition
    against its fair share under Kafka's default partitioner (murmur2 of the key bytes, as the
    worker's producer sends them), and under a `story_route_plan` made from another stream (seed
    2, as an operator makes one from yesterday's traffic with `wirewatch story-routes`)."""
    from streams.routing import partition_loads, plan_story_routes

    groups, scripts, moved, updates = story_group_loads(items, seed=1)
    earlier, _, _, _ = story_group_loads(items, seed=2)
    for name, counts in (("script group", scripts), ("story group", groups)):
        total = sum(counts.values())
        top = ", ".join(f"{key} {n / total:.0%}" for key, n in counts.most_common(6))
        loads = [
            f"P={count} {max(partition_loads(counts, count)) / (total / count):.2f}x"
            for count in partitions
        ]
        print(f"  by {name}: {len(counts)} keys ({top}, ...); busiest partition vs fair share: "
              f"{', '.join(loads)}")  # fmt: skip
    total = sum(groups.values())
    planned, alone = [], []
    for count in partitions:
        plan = plan_story_routes(earlier, count)
        planned.append(
            f"P={count} {max(partition_loads(groups, count, plan)) / (total / count):.2f}x"
        )
        alone.append(f"{max(groups.values()) / (total / count):.2f}x")
    print(f"  by story group with a plan from seed 2's {items:,} items: busiest partition vs fair "
          f"share: {', '.join(planned)} (the largest group alone: {', '.join(alone)})")  # fmt: skip
    print(f"  updates detected in another language than their item's first version: {moved} of "
          f"{updates} (they are placed in their new group as new items)")  # fmt: skip


def s_curve(config: StoryConfig, similarity: float) -> float:
    return 1 - (1 - similarity**config.rows) ** config.bands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=500)
    parser.add_argument("--variants", type=int, default=10)
    parser.add_argument("--unrelated", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sweep", action="store_true", help="also try other LSH parameters")
    parser.add_argument(
        "--routing", type=int, default=0, metavar="ITEMS", help="only print story-route spread"
    )
    args = parser.parse_args()
    if args.routing:
        print(f"story-route keys on bench/stream.py's realistic stream, {args.routing:,} items:")
        routing_spread(args.routing, (2, 4, 6, 8, 12))
        return
    stream, truth = build_stream(args.stories, args.variants, args.unrelated, args.seed)
    print(
        f"{len(stream):,} items: {args.stories} stories x {args.variants} variants "
        f"+ {args.unrelated} unrelated; scripts {dict(Counter(script_group(a) for _, a in stream))}"
    )
    true_similarities(stream, truth)
    base = baseline_rate(stream)
    print(f"{'baseline sha1 exact-dup':<28} {base:>7,.0f} items/s")
    default = StoryConfig()
    run = run_stream(stream, truth, default)
    describe("assign_story (defaults)", default, run, base)
    print(
        f"  matches {dict(run.matches)}; tables after: {len(run.index):,} index keys, "
        f"{len(run.signatures):,} signatures; story ids {digest(run.story_ids)}"
    )
    agent_rate, agent_ids = run_agent_step(stream, default)
    print(
        f"{'story_step (agent, bytes)':<28} {agent_rate:>7,.0f} items/s  {1e6 / agent_rate:>5.0f} "
        f"µs/item  baseline/this {base / agent_rate:>5.0f}x  story ids {digest(agent_ids)} "
        f"(same as assign_story's: {agent_ids == run.story_ids})"
    )
    # A cleanup pass a day after the last item: what the lead's timer would do, and its cost.
    later = stream[-1][0] + 24 * 3600.0
    started = time.process_time()
    expired = expired_keys([*run.index.items(), *run.signatures.items()], later, default)
    elapsed = time.process_time() - started
    entries = len(run.index) + len(run.signatures)
    print(
        f"  cleanup a day later: {len(expired):,} of {entries:,} keys expired, "
        f"{elapsed / entries * 1e6:.2f} µs/key"
    )
    # The tables' memory in this process, per item: what the worker holds within the horizon.
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = run_stream(stream, truth, default)
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"  tables hold ~{retained / len(held.signatures) / 1024:.1f} KiB of memory per item")
    describe_state(held, stream, default)
    if args.sweep:
        configs = [
            StoryConfig(num_perm=64, bands=20, rows=3),
            StoryConfig(num_perm=128, bands=16, rows=4),
            StoryConfig(num_perm=128, bands=32, rows=4),
            StoryConfig(num_perm=128, bands=32, rows=2),
            StoryConfig(threshold=0.4),
            StoryConfig(threshold=0.6),
        ]
        for config in configs:
            label = f"{config.num_perm}p {config.bands}x{config.rows} t{config.threshold}"
            curve = ", ".join(f"{s_curve(config, s):.2f}@{s}" for s in (0.3, 0.5, 0.7))
            describe(label, config, run_stream(stream, truth, config), base)
            print(f"  P(candidate) {curve}")


if __name__ == "__main__":
    main()
