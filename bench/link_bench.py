"""Cross-language story links on real same-event reports: pair precision/recall/F1 and speed.

Reads bench/data/crosslang_links.jsonl (real news leads with their URLs, split by confusable
cluster into a tuning and a held-out part), treats every report as its own story, and scores
every pair of reports in *different* languages: a true pair reports the same event. Prints the
plain-cosine baseline beside the shipped decision (streams/stories/links.py), per language pair,
and the encoder's texts/s on one core. Never asserts on time.

    .venv/bin/python bench/link_bench.py --set tuning
    .venv/bin/python bench/link_bench.py --set heldout     # score it once, at the end
    .venv/bin/python bench/link_bench.py --set heldout --stream   # as the link stage runs it
    .venv/bin/python bench/link_bench.py --data bench/data/crosslang_links2.jsonl --set all

`--stream` replays the reports in first-seen order through the link stage's own step
(streams/stories/link_stage.py): each story is compared only with the stories before it, its
neighbour cosines come from those, and it keeps at most 8 links. Since round 12 the replay drops
stories from the pool as the link agent does (agents/link.py `keep`: `stale_stories` after each
new story, with the agent's own `link_stage_config` of the default settings, so the 72 h window
and `link_pool_max`): the faithful mode. `--no-prune` keeps every story in the pool forever, the
replay of rounds 1-11, whose published stage figures are in that mode. Admission (the token bucket
and the maximum age) is not replayed: every story is admitted.

`--density PER_DAY` (with `--stream`) gives the pool a stated volume instead of `--distractors`:
distractor stories arrive at PER_DAY a day, one at a random time (seeded) in each of equal steps
of the time within 72 h before or after some dated report, i.e. wherever a report's pool or a
later story's comparison with a report can see them; undated reports stand at the epoch and get
none. The texts are the same real items (DISTRACTOR_FILES, overlaps left out), which carry no
date of their own and report none of the set's events (distractor_overlaps.jsonl), so any time
is a fair time for them. There are fewer texts than slots, so a text is used again, as a story
of its own, once every N slots in time order (N = the number of texts): two copies of one text
are then more than 144 h apart and never both within 72 h of one report, so no report is
compared with a text twice. PER_DAY must therefore be under (N - 1) / 6 (~520 a day);
production (EMM, ~100,000 new stories a day, docs/operations.md) is ~200 times denser, which no
replay here reaches. The batch decision is then scored on the set's reports alone (no
distractors), and the stage on every linked pair with a report.

`--distractors N` adds N real news items of other events to the pool (headlines and leads of the
repository's labelled news sets, DISTRACTOR_FILES, in 23 languages), each one a story of its
own first seen within 36 hours of a report, as a production pool holds many unrelated stories
beside the ones that report an event twice. Every pair with at
least one report is scored (a report linked to a distractor is a false link); pairs of two
distractors are not, since those sets may hold one event in two languages unlabelled. Distractor
items that report one of the set's own events (bench/data/distractor_overlaps.jsonl, found by
reading) are left out of its pool, since a link to one would be counted false when it is right;
`--keep-overlaps` keeps them, as before round 5.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from agents.link import link_stage_config
from streams.codec import encode_record
from streams.records import StoryStarted
from streams.settings import Settings
from streams.stories.link_stage import (
    LinkPool,
    LinkStageConfig,
    apply_outcome,
    link_step,
    stale_stories,
)
from streams.stories.links import (
    Embedding,
    LinkConfig,
    LinkEvidence,
    StoryDigest,
    common_names,
    decide_link,
    digest_stories,
    link_evidence,
    load_encoder,
    neighbour_cosines,
    story_text,
)
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, load_default_taxonomy

DATA = Path(__file__).parent / "data" / "crosslang_links.jsonl"
# Named, not globbed: a set added later would change every distractor and so the scores.
DISTRACTOR_FILES = ("news_eval_asia_en.jsonl", "news_eval_europe.jsonl", "news_eval_fresh.jsonl",
                    "news_eval_fresh2.jsonl", "news_eval_fresh3.jsonl", "news_eval_tune2.jsonl",
                    "tagging_dev.jsonl", "tagging_heldout.jsonl")  # fmt: skip
# Distractor items that report an event of a link set (round 5: the Korean report of the
# Hyuga-nada M7.1 in the pool of crosslang_links4), found by reading, one a line: the set's file
# name, the item's "file:id", the set's event it reports. A link to one is neither true nor false
# (it is not labelled), so the item is left out of that set's pool.
OVERLAPS = Path(__file__).parent / "data" / "distractor_overlaps.jsonl"


def load_overlaps(data: Path, events: set[str]) -> set[str]:
    """The "file:id" of the distractor items that report one of `events` of the set `data`."""
    if not OVERLAPS.exists():
        return set()
    rows = [orjson.loads(line) for line in OVERLAPS.read_text(encoding="utf-8").splitlines()]
    return {row["source"] for row in rows if row["set"] == data.name and row["event_id"] in events}


@dataclass(frozen=True)
class Report:
    id: str
    event_id: str
    lang: str
    text: str
    seen_at: float | None
    title: str = ""
    lead: str = ""
    topics: frozenset[str] = frozenset()
    source: str = ""  # a distractor's "file:id" in DISTRACTOR_FILES


def tagged(report: Report, taxonomy: CompiledTaxonomy) -> Report:
    """The report with its taxonomy topics, as the link stage computes them."""
    tags = match_topics(report.title, report.lead, report.lang, taxonomy)
    return replace(report, topics=frozenset(tag.id for tag in tags))


def load_reports(split: str, data: Path = DATA) -> list[Report]:
    reports = []
    for line in data.read_text(encoding="utf-8").splitlines():
        row = orjson.loads(line)
        if split != "all" and row["split"] != split:
            continue
        published = row["published"]
        # Day precision only: noon UTC of the published day stands in for "first seen".
        seen_at = (
            datetime.fromisoformat(published).replace(hour=12, tzinfo=UTC).timestamp()
            if published
            else None
        )
        text = story_text(row["title"], row["lead"])
        reports.append(Report(row["id"], row["event_id"], row["lang"], text, seen_at,
                              row["title"], row["lead"]))  # fmt: skip
    return reports


def distractor_rows(
    data: Path = DATA, files: tuple[str, ...] = DISTRACTOR_FILES
) -> list[dict[str, Any]]:
    """The distractor files' items with a title or lead, in file order, each once: an item with a
    URL is left out when an earlier item or a report of `data` has that URL; an item without one
    (tagging_dev, tagging_heldout) when an earlier URL-less item has the same title and lead.
    Until round 6 a missing URL counted as a taken URL, so only the first URL-less item was kept."""
    lines = data.read_text(encoding="utf-8").splitlines()
    taken = {orjson.loads(line).get("url") for line in lines}
    taken.discard(None)
    texts: set[tuple[str, str]] = set()
    rows = []
    for name in files:
        for line in (data.parent / name).read_text(encoding="utf-8").splitlines():
            row = orjson.loads(line)
            if not (row.get("title") or row.get("summary")):
                continue
            url = row.get("url")
            if url:
                if url in taken:
                    continue
                taken.add(url)
            else:
                text = ((row.get("title") or "").strip(), (row.get("summary") or "").strip())
                if text in texts:
                    continue
                texts.add(text)
            rows.append({**row, "source": f"{name}:{row['id']}"})
    return rows


def load_distractors(
    count: int, reports: list[Report], seed: int = 15, data: Path = DATA, overlaps: bool = False
) -> list[Report]:
    """`count` real news items of other events, each dated within 36 h of a random report's
    first-seen time (undated reports excepted), so that every report's time window holds some.
    Items that report one of the set's events (OVERLAPS) are left out unless `overlaps`; they are
    dropped after the draw, so every other item keeps its index and time."""
    if count <= 0:
        return []
    skip = set() if overlaps else load_overlaps(data, {r.event_id for r in reports})
    rows = distractor_rows(data)
    rng = random.Random(seed)
    rng.shuffle(rows)
    days = [r.seen_at for r in reports if r.seen_at is not None]
    out = []
    for index, row in enumerate(rows[:count]):
        title, lead = row.get("title") or "", row.get("summary") or ""
        at = rng.choice(days) + rng.uniform(-36, 36) * 3600.0
        if row["source"] in skip:
            continue
        out.append(Report(f"d{index}", f"distractor-{index}", row["language"],
                          story_text(title, lead), at, title, lead,
                          source=row["source"]))  # fmt: skip
    return out


WINDOW_HOURS = 72.0  # LinkConfig.window_seconds, as hours: where density distractors go


def report_spans(reports: list[Report], hours: float = WINDOW_HOURS) -> list[tuple[float, float]]:
    """The merged spans (epoch seconds) within `hours` before or after a dated report."""
    spans: list[tuple[float, float]] = []
    for at in sorted({r.seen_at for r in reports if r.seen_at is not None}):
        start, end = at - hours * 3600.0, at + hours * 3600.0
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return spans


def density_distractors(
    per_day: float, reports: list[Report], seed: int = 15, data: Path = DATA,
    overlaps: bool = False,
) -> list[Report]:  # fmt: skip
    """Distractor stories at `per_day` a day within 72 h of every dated report (the module doc):
    one at a random time in each of equal steps of those spans, texts in a seeded order, used
    again every len(texts) slots, so two copies of one text are more than 144 h apart. Raises
    ValueError when `per_day` would bring two copies closer."""
    if per_day <= 0:
        return []
    skip = set() if overlaps else load_overlaps(data, {r.event_id for r in reports})
    rows = [row for row in distractor_rows(data) if row["source"] not in skip]
    if per_day * 2 * WINDOW_HOURS / 24.0 >= len(rows) - 1:
        raise ValueError(f"--density {per_day:g} is not under ({len(rows)} texts - 1) / 6 days: "
                         "two copies of one text could be seen by one report")  # fmt: skip
    rng = random.Random(seed)
    rng.shuffle(rows)
    spans = report_spans(reports)
    total = sum(end - start for start, end in spans)
    count = round(per_day * total / 86400.0)
    # One slot in each of `count` equal steps (a jittered grid, not free draws): slots N apart
    # are then at least (N - 1) steps apart, so the bound above holds for every copy.
    step = total / max(1, count)
    points = [(slot + rng.random()) * step for slot in range(count)]
    out: list[Report] = []
    span, offset = 0, 0.0
    for slot, point in enumerate(points):
        while point > offset + spans[span][1] - spans[span][0] and span + 1 < len(spans):
            offset += spans[span][1] - spans[span][0]
            span += 1
        at = spans[span][0] + (point - offset)
        row = rows[slot % len(rows)]
        title, lead = row.get("title") or "", row.get("summary") or ""
        out.append(Report(f"d{slot}", f"distractor-{slot}", row["language"],
                          story_text(title, lead), at, title, lead,
                          source=row["source"]))  # fmt: skip
    return out


def agent_stage(links: LinkConfig, taxonomy: CompiledTaxonomy | None) -> LinkStageConfig:
    """The link agent's stage config at the default settings (window, pool_max), with `links`."""
    return replace(link_stage_config(Settings(), taxonomy), links=links)


def is_distractor(report: Report) -> bool:
    return report.event_id.startswith("distractor-")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, said: bool, truth: bool) -> None:
        self.tp += said and truth
        self.fp += said and not truth
        self.fn += truth and not said

    def line(self) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return f"P {p:.3f} R {r:.3f} F1 {f:.3f} (tp {self.tp} fp {self.fp} fn {self.fn})"


def pairs(
    reports: list[Report], digests: list[StoryDigest]
) -> list[tuple[Report, Report, LinkEvidence]]:
    out = []
    for (ra, da), (rb, db) in itertools.combinations(zip(reports, digests, strict=True), 2):
        if ra.lang != rb.lang and not (is_distractor(ra) and is_distractor(rb)):
            out.append((ra, rb, link_evidence(da, db)))
    return out


def cosine_only(threshold: float) -> LinkConfig:
    # The baseline: cosine alone, no evidence, no time window.
    return LinkConfig(min_score=1e-9, min_cosine=threshold, window_seconds=1e12,
                      topic_veto=False, bare_topic_veto=False, year_veto=False,
                      bare_country_veto=False, max_magnitude_gap=0.0,
                      bare_window_seconds=0.0, bare_min_cosine=0.0, evidence_min_cosine=0.0,
                      uncovered="off")  # fmt: skip


def score(
    scored: list[tuple[Report, Report, LinkEvidence]], config: LinkConfig
) -> tuple[Score, dict[str, Score]]:
    total = Score()
    by_pair: dict[str, Score] = defaultdict(Score)
    for ra, rb, evidence in scored:
        said = decide_link(evidence, config)
        truth = ra.event_id == rb.event_id
        total.add(said, truth)
        by_pair["-".join(sorted((ra.lang, rb.lang)))].add(said, truth)
    return total, by_pair


@dataclass
class PoolSizes:
    """How many stories the pool held when each report (not a distractor) arrived."""

    sizes: list[int]

    def line(self) -> str:
        if not self.sizes:
            return "no report"
        ordered = sorted(self.sizes)
        return (f"pool at a report's arrival: median {ordered[len(ordered) // 2]}, "
                f"mean {sum(ordered) / len(ordered):.0f}, max {ordered[-1]} stories")  # fmt: skip


def stream_links(
    reports: list[Report],
    vectors: list[Embedding],
    config: LinkStageConfig | None = None,
    prune: bool = False,
    sizes: PoolSizes | None = None,
) -> tuple[set[frozenset[str]], float]:
    """Pairs of report ids the link stage links when the reports arrive in first-seen order,
    and its step's CPU seconds per story (the embedding excluded). With `prune`, stories leave
    the pool as in the link agent (`stale_stories` after each new story: past the window, or
    the oldest over `config.pool_max`); without, the pool keeps every story (rounds 1-11)."""
    order = sorted(range(len(reports)), key=lambda i: (reports[i].seen_at or 0.0, reports[i].id))
    config = config or LinkStageConfig()
    pool = LinkPool(neighbours=config.links.neighbours)
    ids = {f"s-{index:016x}": reports[index].id for index in range(len(reports))}
    linked: set[frozenset[str]] = set()
    spent = 0.0
    for index in order:
        report = reports[index]
        # Undated reports stand at the epoch: the window then never links them to dated ones,
        # where the batch decision never vetoes them (10 of 220 reports).
        at = datetime.fromtimestamp(report.seen_at or 0.0, UTC)
        started = StoryStarted(f"s-{index:016x}", report.lang, report.title, report.lead, None,
                               at, at)  # fmt: skip
        if sizes is not None and not is_distractor(report):
            sizes.sizes.append(len(pool))
        began = time.process_time()
        outcome = link_step(encode_record(started), at, None, vectors[index], pool, config)
        apply_outcome(outcome, pool)
        if prune and outcome.added is not None:  # as agents/link.py keep()
            for story_id in stale_stories(pool, config):
                pool.remove(story_id)
        spent += time.process_time() - began
        assert outcome.added is not None
        for link in outcome.added.linked_stories:
            linked.add(frozenset((report.id, ids[link.story_id])))
    return linked, spent / max(1, len(reports))


def encoder_rate(texts: list[str], repeat: int) -> float:
    # One core, one text per call: how the stream stage embeds a new story's representative.
    # CPU time, not wall time: the 2-core machine is shared, and wall time there measured the
    # other jobs (88 ms/text at load 5.6 against ~5 ms of CPU).
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    encoder = load_encoder(threads=1)
    encoder.encode(texts[:8])  # warm-up
    started = time.process_time()
    for _ in range(repeat):
        for text in texts:
            encoder.encode([text])
    return repeat * len(texts) / (time.process_time() - started)


def parse_config(text: str) -> dict[str, float | int | bool]:
    """`key=value,...` -> LinkConfig overrides, each value of its field's type."""
    defaults = LinkConfig()
    out: dict[str, float | int | bool] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        kind = type(getattr(defaults, key))
        out[key] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("tuning", "heldout", "all"), default="tuning")
    parser.add_argument("--cosine", type=float, default=0.47, help="baseline cosine threshold")
    parser.add_argument("--sweep", action="store_true", help="baseline P/R over thresholds")
    parser.add_argument("--errors", action="store_true", help="print the shipped decision's errors")
    parser.add_argument("--repeat", type=int, default=3, help="passes for the texts/s timing")
    parser.add_argument("--stream", action="store_true", help="also replay as the link stage")
    parser.add_argument("--no-prune", action="store_true",
                        help="the replay keeps every story (rounds 1-11), not the agent's window "
                             "and pool_max")  # fmt: skip
    parser.add_argument("--density", type=float, default=0.0,
                        help="with --stream: distractor stories a day around the reports, in "
                             "the stage's replay only (instead of --distractors)")  # fmt: skip
    parser.add_argument("--sweep-stream", action="store_true",
                        help="the link stage's P/R over min_score and min_cosine")  # fmt: skip
    parser.add_argument("--distractors", type=int, default=0,
                        help="real news items of other events added to the pool")  # fmt: skip
    parser.add_argument("--keep-overlaps", action="store_true",
                        help="keep distractors of the set's events (before round 5)")  # fmt: skip
    parser.add_argument("--data", type=Path, default=DATA,
                        help="the reports (default bench/data/crosslang_links.jsonl)")  # fmt: skip
    parser.add_argument("--vetoes",
                        default="years,magnitudes,bare-topics,bare-countries,bare-window,"
                                "bare-cosine",
                        help="the detail vetoes to apply (comma list of topics, bare-topics, "
                             "bare-countries, bare-window, bare-cosine, years, magnitudes; '' "
                             "for none)",
                        )  # fmt: skip
    parser.add_argument("--config", default="",
                        help="LinkConfig overrides, e.g. neighbours=4,min_score=1.12")  # fmt: skip
    args = parser.parse_args()

    taxonomy = load_default_taxonomy()
    reports = load_reports(args.set, args.data)
    if not reports:
        splits = sorted({orjson.loads(line)["split"] for line in args.data.read_bytes().splitlines()
                         if line.strip()})  # fmt: skip
        parser.error(f"{args.data} has no report of split {args.set!r}; its splits: "
                     f"{', '.join(splits)} (or --set all)")  # fmt: skip
    own = len(reports)
    if args.density and (args.distractors or not args.stream):
        parser.error("--density needs --stream and replaces --distractors")
    dense = density_distractors(args.density, reports, data=args.data,
                                overlaps=args.keep_overlaps)  # fmt: skip
    reports += load_distractors(args.distractors, reports, data=args.data,
                                overlaps=args.keep_overlaps)  # fmt: skip
    # Of the drawn items, those the overlap list names (all of them when the pool is drawn whole).
    listed = load_overlaps(args.data, {r.event_id for r in reports[:own]})
    drawn = load_distractors(args.distractors, reports[:own], data=args.data, overlaps=True)
    left_out = 0 if args.keep_overlaps else sum(r.source in listed for r in drawn)
    reports = [tagged(r, taxonomy) for r in reports]
    encoder = load_encoder(threads=1)
    vetoes = set(filter(None, args.vetoes.split(",")))
    shipped = replace(LinkConfig(), topic_veto="topics" in vetoes, year_veto="years" in vetoes,
                      bare_topic_veto="bare-topics" in vetoes,
                      bare_country_veto="bare-countries" in vetoes,
                      bare_window_seconds=LinkConfig().bare_window_seconds
                      if "bare-window" in vetoes else 0.0,
                      bare_min_cosine=LinkConfig().bare_min_cosine
                      if "bare-cosine" in vetoes else 0.0,
                      max_magnitude_gap=LinkConfig().max_magnitude_gap
                      if "magnitudes" in vetoes else 0.0)  # fmt: skip
    if args.config:
        shipped = replace(shipped, **parse_config(args.config))
    # The agent's own config (window, pool_max) at the default settings, with these rules.
    stage = agent_stage(shipped, taxonomy)
    digests = digest_stories([(r.id, r.lang, r.text, r.seen_at) for r in reports], encoder,
                             han=shipped.han_names, endings=shipped.slavic_endings)  # fmt: skip
    digests = [replace(d, topics=r.topics) for d, r in zip(digests, reports, strict=True)]
    # The pool a story's neighbours come from is the whole part, as the stage's pool would be
    # every other-language story of the window.
    digests = neighbour_cosines(digests, shipped.neighbours)
    if shipped.name_max_stories:
        digests = common_names(digests, shipped.name_max_stories)
    scored = pairs(reports, digests)
    events = Counter(r.event_id for r in reports)
    positives = sum(ra.event_id == rb.event_id for ra, rb, _ in scored)
    print(
        f"set {args.set}: {len(reports)} reports ({sum(map(is_distractor, reports))} distractors),"
        f" {len(events)} events, "
        f"{left_out} distractors left out as reports of its events (distractor_overlaps.jsonl), "
        f"{len(set(r.lang for r in reports))} languages; {len(scored)} cross-language pairs, "
        f"{positives} of one event"
    )
    base_total, base_pairs = score(scored, cosine_only(args.cosine))
    ship_total, ship_pairs = score(scored, shipped)
    print(f"cosine >= {args.cosine:.2f} alone : {base_total.line()}")
    print(f"shipped decision      : {ship_total.line()}  {shipped}")
    if args.sweep:
        for threshold in (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
            print(f"  cosine >= {threshold:.2f}: {score(scored, cosine_only(threshold))[0].line()}")
        no_window = replace(shipped, window_seconds=1e12)
        print(f"  shipped without the time window: {score(scored, no_window)[0].line()}")
    print("per language pair (pairs with a true link or an error; baseline | shipped):")
    for key in sorted(ship_pairs, key=lambda k: -(ship_pairs[k].tp + ship_pairs[k].fn)):
        b, s = base_pairs[key], ship_pairs[key]
        if b.tp + b.fp + b.fn + s.fp:
            print(f"  {key:<6} {b.line():<48} | {s.line()}")
    if args.errors:
        for ra, rb, evidence in scored:
            said, truth = decide_link(evidence, shipped), ra.event_id == rb.event_id
            if said != truth:
                kind = "FP" if said else "FN"
                print(
                    f"{kind} cos {evidence.cosine:.2f} margin {evidence.margin:.2f} "
                    f"n{evidence.shared_numbers} "
                    f"names{evidence.shared_names} h {evidence.hours_apart} "
                    f"conflicts{evidence.conflicts} | "
                    f"{ra.event_id}/{ra.lang} ~ {rb.event_id}/{rb.lang} {ra.source}{rb.source}"
                )
    if args.stream and dense:
        # The stage's replay with the density distractors: pairs with one of them are scored
        # from the links made (every report ~ distractor pair not linked is a true negative).
        texts = sorted({r.text for r in dense})
        vectors = dict(zip(texts, encoder.encode(texts), strict=True))
        stream_reports = reports + dense  # the step tags each story itself
        stream_vectors = [d.embedding for d in digests] + [vectors[r.text] for r in dense]
        sizes = PoolSizes([])
        linked, step = stream_links(stream_reports, stream_vectors, stage,
                                    prune=not args.no_prune, sizes=sizes)  # fmt: skip
        streamed = Score()
        for ra, rb, _ in scored:
            streamed.add(frozenset((ra.id, rb.id)) in linked, ra.event_id == rb.event_id)
        by_id = {r.id: r for r in dense}
        false_links = [p for p in linked if any(x in by_id for x in p) and not p <= by_id.keys()]
        streamed.fp += len(false_links)
        spans = report_spans(reports[:own])
        print(f"density: {len(dense)} distractor stories ({len(texts)} texts) at "
              f"{args.density:g} a day over {sum(e - b for b, e in spans) / 86400:.1f} days "
              f"within 72 h of a report; {sizes.line()}")  # fmt: skip
        mode = "no-prune (rounds 1-11)" if args.no_prune else "pruned as the agent"
        print(f"link stage, in order  : {streamed.line()}  step {step * 1000:.2f} ms of CPU/story"
              f"  [{mode}, density {args.density:g}/day]")  # fmt: skip
        if args.errors:
            for pair in sorted(false_links, key=sorted):
                ra, rb = sorted((by_id.get(x) or next(r for r in reports if r.id == x)
                                 for x in pair), key=lambda r: r.id)  # fmt: skip
                print(f"stream FP | {ra.event_id}/{ra.lang} ~ {rb.event_id}/{rb.lang} "
                      f"{ra.source}{rb.source}")  # fmt: skip
    elif args.stream:
        sizes = PoolSizes([])
        linked, step = stream_links(reports, [d.embedding for d in digests], stage,
                                    prune=not args.no_prune, sizes=sizes)  # fmt: skip
        streamed = Score()
        for ra, rb, _ in scored:
            streamed.add(frozenset((ra.id, rb.id)) in linked, ra.event_id == rb.event_id)
        mode = "no-prune (rounds 1-11)" if args.no_prune else "pruned as the agent"
        print(sizes.line())
        print(f"link stage, in order  : {streamed.line()}  step {step * 1000:.2f} ms of CPU/story"
              f"  [{mode}]")  # fmt: skip
        if args.errors:
            for ra, rb, evidence in scored:
                said, truth = frozenset((ra.id, rb.id)) in linked, ra.event_id == rb.event_id
                if said and not truth:
                    print(f"stream FP cos {evidence.cosine:.2f} n{evidence.shared_numbers} "
                          f"names{evidence.shared_names} h {evidence.hours_apart} "
                    f"conflicts{evidence.conflicts} | "
                          f"{ra.event_id}/{ra.lang} ~ {rb.event_id}/{rb.lang} "
                          f"{ra.source}{rb.source}")  # fmt: skip
    if args.sweep_stream:
        vectors = [d.embedding for d in digests]
        for min_score, min_cosine in itertools.product(
            (1.09, 1.12, 1.15, 1.18, 1.22), (0.30, 0.35, 0.40, 0.45)
        ):
            links = replace(shipped, min_score=min_score, min_cosine=min_cosine)
            linked, _ = stream_links(reports, vectors, replace(stage, links=links),
                                     prune=not args.no_prune)  # fmt: skip
            swept = Score()
            for ra, rb, _ in scored:
                swept.add(frozenset((ra.id, rb.id)) in linked, ra.event_id == rb.event_id)
            print(f"  stage, min_score {min_score:.2f} min_cosine {min_cosine:.2f}: {swept.line()}")
    rate = encoder_rate([r.text for r in reports if not is_distractor(r)], args.repeat)
    print(
        f"encoder: {rate:,.0f} texts/s of CPU on one core ({1000 / rate:.1f} ms/text), one a call"
    )


if __name__ == "__main__":
    main()
