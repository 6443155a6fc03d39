"""The story agent keeps the signatures it decoded (`DecodedSignatures`): a read of bytes it decoded
before gets that record back, any other bytes are decoded, and a worker placing items with it
places every item as one decoding each read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from agents.story import (
    _DECODED_MAX,
    DecodedSignatures,
    StoryPlacement,
    keep_story_tables,
    story_step,
    table_writer,
)
from streams.codec import decode_story_signature, encode_record
from streams.errors import DecodeError
from streams.records import StorySignature
from streams.stories.cluster import StoryConfig, StoryIndex
from tests.unit.test_cluster import T0, WIRE_STORIES, make_article


def signature(story: int, seen_at: float = T0) -> bytes:
    values = np.arange(story, story + 128, dtype="<u4")
    return encode_record(StorySignature(f"s-{story:016x}", values.tobytes(), seen_at))


def test_equal_bytes_give_the_record_decoded_before_and_other_bytes_are_decoded() -> None:
    decoded = DecodedSignatures()
    first = decoded.decode("Latin|en|i-1", signature(1))
    assert first == decode_story_signature(signature(1))
    assert decoded.decode("Latin|en|i-1", signature(1)) is first  # equal bytes, another object
    # The same key with other bytes (the item updated, or deleted and written again).
    changed = decoded.decode("Latin|en|i-1", signature(2, T0 + 60))
    assert changed == decode_story_signature(signature(2, T0 + 60)) != first
    assert decoded.decode("Latin|en|i-1", signature(1)) == first


def test_bytes_that_do_not_decode_raise_and_are_not_kept() -> None:
    decoded = DecodedSignatures()
    with pytest.raises(DecodeError):
        decoded.decode("Latin|en|i-1", b'{"story_id": 1}')
    assert len(decoded) == 0


def test_the_oldest_decoded_go_first_past_the_bound() -> None:
    decoded = DecodedSignatures()
    records = [decoded.decode(f"Latin|en|i-{n}", signature(n)) for n in range(_DECODED_MAX + 1)]
    assert len(decoded) == _DECODED_MAX
    assert decoded.decode(f"Latin|en|i-{_DECODED_MAX}", signature(_DECODED_MAX)) is records[-1]
    again = decoded.decode("Latin|en|i-0", signature(0))
    assert again == records[0] and again is not records[0]  # decoded anew


def test_a_worker_keeping_decoded_signatures_places_items_as_one_decoding_each_read() -> None:
    # Per language: a rewrite reads the first item as its candidate (decoded, kept), the first
    # item is updated (its value changes under the same key) and redelivered (a kept record of
    # the old value would make that an update), then another rewrite and another story come.
    config = StoryConfig()
    articles = []
    for language, (rewrites, other) in WIRE_STORIES.items():
        first = make_article(f"i-{language}-a", rewrites[0], language)
        updated = replace(first, title=rewrites[-1][0], summary=rewrites[-1][1], is_update=True)
        articles += [first, make_article(f"i-{language}-b", rewrites[1], language), updated,
                     updated, make_article(f"i-{language}-c", rewrites[0], language),
                     make_article(f"i-{language}-d", other, language)]  # fmt: skip
    payloads = []
    for number, article in enumerate(articles):
        at = datetime.fromtimestamp(T0 + 300 * number, UTC)
        payloads.append(encode_record(replace(article, fetched_at=at, enriched_at=at)))

    def place(decoded: DecodedSignatures | None) -> list[StoryPlacement]:
        index, table = StoryIndex(config), dict[str, bytes]()
        write = table_writer(table)

        placements = []
        for payload in payloads:
            placement = story_step(payload, index.reader, table.get, config, None, decoded)
            keep_story_tables(placement, index, write)
            placements.append(placement)
        return placements

    decoded = DecodedSignatures()
    kept = place(decoded)
    assert kept == place(None)
    assert len(decoded) > 0
    matches = [placement.assignment.match for placement in kept]
    assert {"new", "similar", "updated", "redelivered"} <= set(matches)
