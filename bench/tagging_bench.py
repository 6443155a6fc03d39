"""Tagging quality on the labeled development set, and the tagging step's throughput on one core.

Tags every item of bench/data/tagging_dev.jsonl with `match_topics` in the item's labeled language
and prints precision, recall, F1 and support per topic, per language (micro over the topics) and
overall, then which of the issue's goals the set meets. Then items/s of `match_topics` alone over
the same items, against a trivial loop (`str.lower` of the same title and summary) in the same run.
Prints numbers; asserts nothing.
Items may also carry `also_ok` (topics that are not wrong if tagged: not counted as false
positives), `must_not` (traps: tagging one is reported) and `split` ("tune" or "heldout");
`--split` scores one part only, and the issue-15 lines report the share of no-topic items tagged
and the traps tagged.
Usage: python bench/tagging_bench.py [--errors] [--repeat N] [--data FILE] [--split NAME];
pin it to one core with `taskset -c 1` for the throughput line.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from streams.records import TopicTag
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, compile_taxonomy, load_taxonomy

DEV_SET = Path(__file__).parent / "data" / "tagging_dev.jsonl"
# The issue's goals: precision and recall floors for two topics, an F1 floor for the others.
STRICT_TOPICS = {"elections": (0.90, 0.85), "cyberattack": (0.90, 0.85)}
MIN_F1 = 0.80
MIN_ITEMS, MIN_LANGUAGES = 300, 8


@dataclass(frozen=True, slots=True)
class DevItem:
    id: str
    language: str
    title: str
    summary: str
    topics: frozenset[str]
    also_ok: frozenset[str] = frozenset()  # tagging these is not counted as a false positive
    must_not: frozenset[str] = frozenset()  # traps: tagging these is reported
    split: str = ""


@dataclass(slots=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


def read_dev_set(path: Path) -> list[DevItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        data = json.loads(line)
        try:
            items.append(
                DevItem(
                    id=data["id"],
                    language=data["language"],
                    title=data["title"],
                    summary=data["summary"],
                    topics=frozenset(data["topics"]),
                    also_ok=frozenset(data.get("also_ok", ())),
                    must_not=frozenset(data.get("must_not", ())),
                    split=data.get("split", ""),
                )
            )
        except KeyError as exc:
            raise SystemExit(f"{path}:{number}: missing field {exc}") from None
    return items


def tag_all(items: list[DevItem], taxonomy: CompiledTaxonomy) -> list[tuple[TopicTag, ...]]:
    return [match_topics(i.title, i.summary, i.language, taxonomy) for i in items]


def score(
    items: list[DevItem], predicted: list[tuple[TopicTag, ...]], topic_ids: Iterable[str]
) -> tuple[dict[str, Counts], dict[str, Counts]]:
    """Counts per topic and per language (over the taxonomy's topics only)."""
    topics = tuple(topic_ids)
    by_topic = {topic: Counts() for topic in topics}
    by_language: dict[str, Counts] = defaultdict(Counts)
    for item, tags in zip(items, predicted, strict=True):
        found = {tag.id for tag in tags} - (item.also_ok - item.topics)
        for topic in topics:
            counts = Counts(
                tp=int(topic in found and topic in item.topics),
                fp=int(topic in found and topic not in item.topics),
                fn=int(topic not in found and topic in item.topics),
            )
            by_topic[topic].add(counts)
            by_language[item.language].add(counts)
    return by_topic, dict(by_language)


def print_table(title: str, rows: dict[str, Counts]) -> None:
    print(f"\n{title:<18} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8} {'tp':>4} "
          f"{'fp':>4} {'fn':>4}")  # fmt: skip
    for name, c in rows.items():
        print(f"{name:<18} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.support:>8} "
              f"{c.tp:>4} {c.fp:>4} {c.fn:>4}")  # fmt: skip


def print_goals(items: list[DevItem], by_topic: dict[str, Counts]) -> None:
    print("\nissue goals on this set:")
    languages = {item.language for item in items}

    def line(ok: bool, text: str) -> None:
        print(f"  [{'met' if ok else 'NOT met':>7}] {text}")

    line(len(items) >= MIN_ITEMS, f"at least {MIN_ITEMS} items: {len(items)}")
    line(len(languages) >= MIN_LANGUAGES, f"at least {MIN_LANGUAGES} languages: {len(languages)}")
    for topic, counts in by_topic.items():
        if topic in STRICT_TOPICS:
            min_p, min_r = STRICT_TOPICS[topic]
            ok = counts.precision >= min_p and counts.recall >= min_r
            line(ok, f"{topic}: precision {counts.precision:.3f} >= {min_p}, "
                     f"recall {counts.recall:.3f} >= {min_r}")  # fmt: skip
        else:
            line(counts.f1 >= MIN_F1, f"{topic}: F1 {counts.f1:.3f} >= {MIN_F1}")


def print_errors(items: list[DevItem], predicted: list[tuple[TopicTag, ...]]) -> None:
    print("\nerrors (FP: tagged but not labeled; FN: labeled but not tagged):")
    for item, tags in zip(items, predicted, strict=True):
        found = {tag.id: tag for tag in tags if tag.id not in item.also_ok - item.topics}
        for topic in sorted(set(found) - item.topics):
            tag = found[topic]
            print(f"  FP {item.id} {topic} score={tag.score} evidence={list(tag.evidence)}")
            print(f"       {item.title} | {item.summary}")
        for topic in sorted(item.topics - set(found)):
            print(f"  FN {item.id} {topic}")
            print(f"       {item.title} | {item.summary}")


def print_issue_lines(items: list[DevItem], predicted: list[tuple[TopicTag, ...]]) -> None:
    """Issue 15's goals: at most 3% of no-topic items tagged, no must_not trap tagged."""
    empty = [(i, p) for i, p in zip(items, predicted, strict=True) if not i.topics]
    tagged = sum(1 for i, p in empty if {t.id for t in p} - i.also_ok)
    traps = sum(len(i.must_not) for i in items)
    hit = sum(len(i.must_not & {t.id for t in p}) for i, p in zip(items, predicted, strict=True))
    share = tagged / len(empty) if empty else 0.0
    print(f"\nissue 15: no-topic items tagged {tagged}/{len(empty)} ({share:.1%}, goal <= 3%); "
          f"must_not traps tagged {hit}/{traps} (goal 0)")  # fmt: skip


def cpu_rate(
    step: Callable[[DevItem], object], items: list[DevItem], passes: int, min_seconds: float = 0.0
) -> float:
    """Items/s over `passes` passes, more while under `min_seconds` (a fast loop needs many)."""
    # CPU time of this process, not wall time: on a shared machine other work would count too.
    started = time.process_time()
    done = 0
    while done < passes or time.process_time() - started < min_seconds:
        for item in items:
            step(item)
        done += 1
    return done * len(items) / (time.process_time() - started)


def print_throughput(items: list[DevItem], repeat: int) -> None:
    # A freshly compiled taxonomy starts with an empty word cache: its first pass is the cold rate.
    started = time.process_time()
    taxonomy = compile_taxonomy(load_taxonomy())
    compile_seconds = time.process_time() - started
    cold = cpu_rate(lambda i: match_topics(i.title, i.summary, i.language, taxonomy), items, 1)
    warm = cpu_rate(lambda i: match_topics(i.title, i.summary, i.language, taxonomy), items, repeat)
    base = cpu_rate(lambda i: (i.title.lower(), i.summary.lower()), items, repeat, 1.0)
    cpus = sorted(os.sched_getaffinity(0))
    print(f"\nthroughput ({len(items)} items x {repeat}, CPU time, allowed CPUs {cpus}):")
    print(f"  taxonomy load + compile              {compile_seconds * 1000:>10.0f} ms")
    print(f"  match_topics, first pass (cold cache) {cold:>10,.0f} items/s")
    print(f"  match_topics                          {warm:>10,.0f} items/s")
    print(f"  baseline str.lower(title, summary)    {base:>10,.0f} items/s")
    print(f"  match_topics / baseline ratio         {warm / base:>10.5f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEV_SET, help="labeled JSONL file")
    parser.add_argument("--errors", action="store_true", help="list false positives/negatives")
    parser.add_argument("--repeat", type=int, default=20, help="passes for the throughput loop")
    parser.add_argument("--split", help="score only the items of this split (tune, heldout)")
    args = parser.parse_args()

    items = read_dev_set(args.data)
    if args.split:
        items = [item for item in items if item.split == args.split]
    taxonomy = compile_taxonomy(load_taxonomy())
    topic_ids = [topic.id for topic in taxonomy.topics]
    predicted = tag_all(items, taxonomy)
    by_topic, by_language = score(items, predicted, topic_ids)
    overall = Counts()
    for counts in by_topic.values():
        overall.add(counts)
    languages = Counter(item.language for item in items)
    labeled = Counter(topic for item in items for topic in item.topics)
    print(f"{args.data.name}: {len(items)} items, {len(languages)} languages "
          f"({', '.join(f'{k} {v}' for k, v in languages.items())}); "
          f"{sum(1 for i in items if not i.topics)} with no topic, "
          f"{sum(1 for i in items if len(i.topics) > 1)} with two or more")  # fmt: skip
    unknown = set(labeled) - set(topic_ids)
    if unknown:
        print(f"labels not in the taxonomy (ignored): {sorted(unknown)}")
    print_table("topic", by_topic)
    print_table("language (micro)", dict(sorted(by_language.items())))
    print_table("overall (micro)", {"all": overall})
    print_goals(items, by_topic)
    print_issue_lines(items, predicted)
    if args.errors:
        print_errors(items, predicted)
    print_throughput(items, args.repeat)


if __name__ == "__main__":
    main()
