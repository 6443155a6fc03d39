"""Throughput of the enrich step (decode → clean → language → topics → encode) on one core.

Prints items/s for the full step and, as the baseline run in the same process, for an orjson
decode+encode passthrough of the same messages; the ratio is what to compare between commits.
Items are the bundled sample feeds' entries, repeated. Usage: python bench/enrich_bench.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import orjson

from streams.codec import encode_record
from streams.feeds.parse import FeedSource, parse_feed
from streams.pipeline import build_enricher, enrich_payload
from streams.settings import load_settings


def sample_payloads() -> list[bytes]:
    now = datetime.now(UTC)
    payloads = []
    folder = resources.files("streams") / "data" / "feeds"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        path = Path(str(entry))
        if path.suffix not in (".xml", ".json", ".rdf", ".atom"):
            continue
        parsed = parse_feed(path.read_bytes(), FeedSource.from_url(path.as_uri()), now)
        payloads.extend(encode_record(item) for item in parsed.items)
    return payloads


def measure(label: str, step, payloads: list[bytes], count: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for index in range(count):
        step(payloads[index % len(payloads)])
    elapsed = time.perf_counter() - started
    rate = count / elapsed
    print(f"{label:<34} {rate:>10,.0f} items/s  ({elapsed:.2f} s for {count:,})")
    return rate


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    payloads = sample_payloads()
    enricher = build_enricher(load_settings(environ={}))
    now = datetime.now(UTC)
    print(f"{len(payloads)} distinct sample items, {count:,} runs each")
    base = measure(
        "baseline orjson decode+encode", lambda p: orjson.dumps(orjson.loads(p)), payloads, count
    )
    full = measure(
        "enrich step (clean+lang+topics)",
        lambda p: encode_record(enrich_payload(p, enricher, now)),
        payloads,
        count,
    )
    print(f"enrich / baseline throughput ratio: {full / base:.4f}")


if __name__ == "__main__":
    main()
