"""Round 6 of cross-language links (bench/README.md, "Round 6").

The link bench's distractor pool: an item without a URL (tagging_dev, tagging_heldout) is never
"taken" by URL; such items are deduplicated by their title and lead instead. Until round 6 a
missing URL was added to the taken set, so only the first URL-less item was ever drawn.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import link_bench  # bench/ is not a package: found through the path above


def write(path: Path, rows: list[dict]) -> None:
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in rows))


def test_url_less_items_are_all_kept_and_deduplicated_by_text(tmp_path: Path) -> None:
    write(tmp_path / "set.jsonl", [{"id": "r1", "url": "https://a.example/1"}])
    write(tmp_path / "with_urls.jsonl", [
        {"id": "u1", "url": "https://a.example/1", "title": "a report's page", "language": "en"},
        {"id": "u2", "url": "https://a.example/2", "title": "kept", "language": "en"},
        {"id": "u3", "url": "https://a.example/2", "title": "same page again", "language": "en"},
        {"id": "u4", "url": "https://a.example/3", "title": "", "summary": "", "language": "en"},
    ])  # fmt: skip
    write(tmp_path / "no_urls.jsonl", [
        {"id": "n1", "title": "Quake hits", "summary": "lead one", "language": "en"},
        {"id": "n2", "title": "Strike ends", "summary": "lead two", "language": "en"},
        {"id": "n3", "title": "Quake hits ", "summary": "lead one", "language": "en"},
        {"id": "n4", "title": "Quake hits", "summary": "another lead", "language": "en"},
    ])  # fmt: skip
    rows = link_bench.distractor_rows(tmp_path / "set.jsonl", ("with_urls.jsonl", "no_urls.jsonl"))
    assert [row["source"] for row in rows] == [
        "with_urls.jsonl:u2", "no_urls.jsonl:n1", "no_urls.jsonl:n2", "no_urls.jsonl:n4",
    ]  # fmt: skip


def test_the_repository_pool_draws_every_tagging_item() -> None:
    rows = link_bench.distractor_rows()
    names = [row["source"].split(":")[0] for row in rows]
    assert names.count("tagging_dev.jsonl") == 380
    assert names.count("tagging_heldout.jsonl") == 240
    assert len({row["source"] for row in rows}) == len(rows)
