"""What the tagging-round tests share: the topics a text gets, and a tune item of a bench set.

Rules are written from the tune halves of `bench/data/news_eval_*.jsonl` only, so `tune_item`
refuses an item of any other split: a test built on a held-out item would mean a rule was fitted
to it.
"""

from __future__ import annotations

import json
from pathlib import Path

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy

DATA = Path(__file__).parents[2] / "bench" / "data"


def topics(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    """The topic ids `match_topics` gives the text."""
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


def tune_item(path: str, item_id: str) -> dict[str, object]:
    """Item `item_id` of the bench set `path`, which must be in its tune split."""
    for line in (DATA / path).read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["id"] == item_id:
            assert item["split"] == "tune"  # rules are written from tune items only
            return dict(item)
    raise AssertionError(f"{item_id} not in {path}")


def item_topics(path: str, item_id: str, taxonomy: CompiledTaxonomy) -> set[str]:
    """The topic ids of a tune item, tagged in its labelled language."""
    item = tune_item(path, item_id)
    return topics(str(item["title"]), str(item["summary"]), str(item["language"]), taxonomy)
