"""Throughput of the enrich step (decode → clean → language → topics → encode) on one core.

Prints items/s for the full step and, as the baseline run in the same process, for an orjson
decode+encode passthrough of the same messages; the ratio is what to compare between commits.
Then items/s for each stage alone (clean, language, match) on inputs prepared beforehand, to show
where the time goes. Items are the bundled sample feeds' entries, repeated.
Usage: python bench/enrich_bench.py [N]; pin it to one core with `taskset -c 1`.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from streams.codec import decode_raw_item, encode_record
from streams.feeds.parse import FeedSource, parse_feed
from streams.pipeline import build_enricher, enrich_payload
from streams.records import RawItem
from streams.settings import load_settings
from streams.tagging.match import match_topics
from streams.text.clean import canonicalize_link, clean_summary, clean_text
from streams.text.language.detect import detect_language


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


def measure(label: str, step: Callable[[Any], object], inputs: list[Any], count: int) -> float:
    # CPU time of this process, not wall time: on a shared machine other work would count too.
    started = time.process_time()
    for index in range(count):
        step(inputs[index % len(inputs)])
    elapsed = time.process_time() - started
    rate = count / elapsed
    print(f"{label:<34} {rate:>10,.0f} items/s  ({elapsed:.2f} s CPU for {count:,})")
    return rate


def clean_item(raw: RawItem) -> tuple[str, str]:
    canonicalize_link(raw.link)
    return clean_text(raw.title), clean_summary(raw.summary)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    payloads = sample_payloads()
    enricher = build_enricher(load_settings(environ={}))
    now = datetime.now(UTC)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS with every model of the enrich step loaded: {loaded:.0f} MiB")
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

    raws = [decode_raw_item(payload) for payload in payloads]
    cleaned = [clean_item(raw) for raw in raws]
    texts = [f"{title}\n{summary}" if summary else title for title, summary in cleaned]
    languages = [
        detect_language(text, enricher.detector, raw.language_hint, 0.5).code
        for text, raw in zip(texts, raws, strict=True)
    ]
    print("stages alone, on inputs prepared beforehand:")
    measure("  decode", decode_raw_item, payloads, count)
    measure("  clean (title, summary, link)", clean_item, raws, count)
    measure(
        "  language",
        lambda pair: detect_language(pair[0], enricher.detector, pair[1].language_hint, 0.5),
        list(zip(texts, raws, strict=True)),
        count,
    )
    measure(
        "  match",
        lambda triple: match_topics(triple[0][0], triple[0][1], triple[1], enricher.taxonomy),
        list(zip(cleaned, languages, strict=True)),
        count,
    )


if __name__ == "__main__":
    main()
