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


def test_the_sole_writer_answers_what_it_wrote_without_reading_and_forgets_deletions() -> None:
    record = decode_story_signature(signature(1))
    decoded = DecodedSignatures(sole_writer=True)
    assert decoded.held("Latin|en|i-1") is None  # never written nor read: read the table
    decoded.wrote("Latin|en|i-1", signature(1), record)
    assert decoded.held("Latin|en|i-1") is record
    decoded.wrote("Latin|en|i-1", None, None)  # the sweep deleted it
    assert decoded.held("Latin|en|i-1") is None and len(decoded) == 0
    decoded.wrote("Latin|en|i-1", signature(1), record)
    decoded.clear()  # a rebalance: the table may hold anything its changelog held
    assert decoded.held("Latin|en|i-1") is None
    # Only the sole writer trusts what it holds; a reader's cache always reads the table.
    reader = DecodedSignatures()
    reader.wrote("Latin|en|i-1", signature(1), record)
    assert reader.held("Latin|en|i-1") is None


def test_a_sole_writer_s_worker_places_every_item_as_without_it_reading_the_table_less() -> None:
    # The realistic-sized case of the agent: the story step reading candidates through the
    # sole writer's cache places every item as reading every candidate from the table, with
    # far fewer table reads; and a cache cleared midway (a rebalance) changes nothing either.
    config = StoryConfig()
    payloads = []
    number = 0
    for language, (rewrites, other) in WIRE_STORIES.items():
        for text in [*rewrites, other, *rewrites]:
            at = datetime.fromtimestamp(T0 + 60 * number, UTC)
            article = make_article(f"i-{language}-{number}", text, language)
            payloads.append(encode_record(replace(article, fetched_at=at, enriched_at=at)))
            number += 1

    def place(decoded: DecodedSignatures | None, clear_at: int = -1) -> tuple[list[str], int]:
        index, table = StoryIndex(config), dict[str, bytes]()
        write = table_writer(table)
        reads = 0

        def read(key: str) -> bytes | None:
            nonlocal reads
            reads += 1
            return table.get(key)

        story_ids = []
        for position, payload in enumerate(payloads):
            if decoded is not None and position == clear_at:
                decoded.clear()
            placement = story_step(payload, index.reader, read, config, None, decoded)
            keep_story_tables(placement, index, write, decoded)
            story_ids.append(placement.assignment.story_id)
        return story_ids, reads

    plain, plain_reads = place(None)
    cached, cached_reads = place(DecodedSignatures(sole_writer=True))
    cleared, cleared_reads = place(DecodedSignatures(sole_writer=True), clear_at=len(payloads) // 2)
    assert cached == plain == cleared
    assert len(set(plain)) < len(plain)  # rewrites joined stories: candidates were read
    # What the cache leaves: each item's read of its own id (an update?), absent for a new one.
    assert cached_reads == len(payloads) < cleared_reads < plain_reads


def test_a_sole_writer_s_bound_drops_the_oldest_and_keeps_no_bytes() -> None:
    decoded = DecodedSignatures(sole_writer=True, limit=4)
    records = [decode_story_signature(signature(n)) for n in range(5)]
    for n, record in enumerate(records):
        decoded.wrote(f"Latin|en|i-{n}", signature(n), record)
    assert len(decoded) == 4 and decoded.held("Latin|en|i-0") is None
    assert decoded.held("Latin|en|i-4") is records[4]
    # A read of the table's bytes for a held key decodes them anew (it kept no bytes to compare).
    assert decoded.decode("Latin|en|i-4", signature(4)) == records[4]


def test_a_sole_writer_keeps_no_bytes_of_what_it_read_either() -> None:
    decoded = DecodedSignatures(sole_writer=True)
    record = decoded.decode("Latin|en|i-1", signature(1))  # a miss, read from the table
    assert decoded.held("Latin|en|i-1") is record
    assert decoded._held["Latin|en|i-1"][0] == b""
