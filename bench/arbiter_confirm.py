"""Confirmation (issue 15): the n-gram border arbiter on the held-out halves of fresh10 and fresh11.

The model and threshold are exactly those of bench/arbiter_experiment.py's "n-gram border P-kept"
variant: hashed character 2-4-grams, one class-balanced L2 logistic regression per topic (l2 1e-5,
300 Adam steps), trained on the `tune` parts of the news_eval sets that existed then plus
tagging_dev.jsonl (2,525 items: fresh10 and fresh11 are left out entirely); a topic whose rule
score is in (0, 2) is tagged when p >= 0.65. It scores, once, the held-out halves of fresh10 and
fresh11 (never seen by a model) with today's rules alone and with the border arbiter.
It also scores the shipped form, match_topics with the bundled taxonomy (arbiter = true), which
is the variant narrowed to items with a lead and to topics with none of their exclusions found
(after the unit suite's hard negatives; see bench/README). `--save PATH` also writes the trained
weights (npz); `--check-shipped` checks on every item of every set that the shipped tags lie
between the rules' and the variant's. Usage: python bench/arbiter_confirm.py [--save PATH]
[--check-shipped]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from arbiter_experiment import (  # the bench folder is not a package
    Sparse,
    apply,
    context,
    evaluate,
    fit,
    labels,
    ngram_indices,
    predict,
    print_changes,
    read_items,
    summary_line,
)

from streams.tagging.arbiter import Arbiter
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import compile_taxonomy, load_taxonomy


@dataclass(frozen=True, eq=False)
class CountingArbiter(Arbiter):
    """The shipped arbiter, counting the items it is asked about."""

    calls: int = 0

    def probabilities(self, text: str, language: str) -> dict[str, float]:
        object.__setattr__(self, "calls", self.calls + 1)
        return super().probabilities(text, language)


NEW_SETS = ("news_eval_fresh10", "news_eval_fresh11")
L2 = 1e-5  # chosen by the experiment's out-of-fold log loss
BORDER = 0.65  # the experiment's "P-kept" threshold (unseen-rules calibration)
EXPECTED_TRAINING_ITEMS = 2525


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--check-shipped", action="store_true")
    args = parser.parse_args()
    shipped = compile_taxonomy(load_taxonomy())
    taxonomy = compile_taxonomy(replace(load_taxonomy(), arbiter=False))
    topics = [t.id for t in taxonomy.topics]
    tune = [i for i in read_items("tune") if i.source not in NEW_SETS]
    assert len(tune) == EXPECTED_TRAINING_ITEMS, len(tune)
    x = Sparse.of([ngram_indices(i.text, i.language) for i in tune])
    y, mask = labels(tune, topics)
    model = fit(x, y, mask, L2)
    if args.save:
        np.savez(args.save, w=model[0], b=model[1], topics=np.array(topics))
    print(f"trained on {len(tune)} tune items (fresh10 and fresh11 left out), l2 {L2:g}")
    if args.check_shipped:
        check_shipped(model, taxonomy, shipped, topics)
    everything = read_items("heldout")
    held_all = [i for i in everything if i.source in NEW_SETS]
    for name, held in (
        ("pooled fresh10+fresh11", held_all),
        *((s, [i for i in held_all if i.source == s]) for s in NEW_SETS),
        # Scored by the experiment already (not unseen): how much the narrowing keeps there.
        ("older held-out parts, seen by the experiment", [
            i for i in everything if i.source not in NEW_SETS
        ]),
    ):  # fmt: skip
        xh = Sparse.of([ngram_indices(i.text, i.language) for i in held])
        ctx = context(held, taxonomy, topics, predict(model, xh), np.ones(len(held), dtype=bool))
        base = evaluate(held, ctx.rules, topics)
        tags, fraction = apply(ctx, border=BORDER)
        rep = evaluate(held, tags, topics)
        print(f"\n{name}: {len(held)} held-out items")
        print(summary_line("rules", base, 0.0))
        print(summary_line(f"rules + n-gram border >={BORDER}", rep, fraction))
        print_changes(base, rep)
        counting = CountingArbiter(
            **{f.name: getattr(shipped.arbiter, f.name) for f in fields(Arbiter)}
        )
        on_shipped = replace(shipped, arbiter=counting)
        shipped_tags = [
            frozenset(t.id for t in match_topics(i.title, i.summary, i.language, on_shipped))
            for i in held
        ]
        shipped_rep = evaluate(held, shipped_tags, topics)
        asked = counting.calls / len(held)
        print(summary_line("shipped (lead, no exclusion)", shipped_rep, asked))
        print_changes(base, shipped_rep)
        for r, item in enumerate(held):
            for topic in sorted(tags[r] - ctx.rules[r]):
                k = topics.index(topic)
                verdict = (
                    "right"
                    if topic in item.topics
                    else ("also_ok" if topic in item.also_ok else "WRONG")
                )
                print(
                    f"    variant added {topic} to "
                    f"{item.source.removeprefix('news_eval_')}/{item.id} "
                    f"(score {ctx.scores[r][topic][0]}, p {ctx.probs[r, k]:.2f}): {verdict} "
                    f"| {item.title[:70]}"
                )


def check_shipped(
    model: tuple[np.ndarray, np.ndarray], rules: Any, shipped: Any, topics: list[str]
) -> None:
    """match_topics with the shipped arbiter against this model's border variant, every item."""
    items = read_items("tune") + read_items("heldout")
    x = Sparse.of([ngram_indices(i.text, i.language) for i in items])
    ctx = context(items, rules, topics, predict(model, x), np.ones(len(items), dtype=bool))
    expected, _ = apply(ctx, border=BORDER)
    added = narrowed = 0
    for r, item in enumerate(items):
        got = frozenset(
            t.id for t in match_topics(item.title, item.summary, item.language, shipped)
        )
        assert ctx.rules[r] <= got <= expected[r], (item.id, ctx.rules[r], got, expected[r])
        added += len(got - ctx.rules[r])
        narrowed += len(expected[r] - got)
    print(
        f"shipped check: {len(items)} items; the variant adds {added + narrowed} border tags, "
        f"the shipped form {added} of them"
    )


if __name__ == "__main__":
    main()
