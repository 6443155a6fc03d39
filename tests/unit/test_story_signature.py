"""StorySignature v1.2 writes its MinHash as base64 text; values of v1 and v1.1 (a list of
integers), which a changelog written by an earlier release still holds for up to the horizon,
read as the same record, and a worker upgraded mid-horizon keeps finding the stories in them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime

import numpy as np
import orjson
import pytest

from agents.story import group_signatures, keep_story_tables, story_step
from streams.codec import decode_story_signature, encode_record
from streams.errors import DecodeError
from streams.records import StoryBucket, StorySignature
from streams.stories.cluster import StoryConfig, StoryIndex
from tests.unit.test_cluster import T0, WIRE_STORIES, make_article

VALUES = (0, 1, 17, 2**31, 4_294_967_295)
SIGNATURE = StorySignature(
    "s-5f0c2a9e41d7b3c8", np.array(VALUES, dtype="<u4").tobytes(), T0, "Latin|link|00ff"
)


def as_earlier_release_wrote_it(payload: bytes) -> bytes:
    """A v1.2 table value rewritten as v1.1 (signature a list of integers), as a worker of the
    release before this one put it in the changelog."""
    data = orjson.loads(payload)
    data["signature"] = np.frombuffer(decode_story_signature(payload).signature, "<u4").tolist()
    return orjson.dumps(data)


def test_the_signature_is_written_as_base64_of_little_endian_values() -> None:
    written = orjson.loads(encode_record(SIGNATURE))
    assert written["signature"] == "AAAAAAEAAAARAAAAAAAAgP////8="
    assert decode_story_signature(encode_record(SIGNATURE)) == SIGNATURE


def test_a_v1_and_a_v1_1_value_read_as_the_same_record() -> None:
    v1_1 = {**asdict(SIGNATURE), "signature": list(VALUES), "earlier": []}
    v1 = {key: v1_1[key] for key in ("story_id", "signature", "seen_at")}
    assert decode_story_signature(orjson.dumps(v1_1)) == SIGNATURE
    assert decode_story_signature(orjson.dumps(v1)).signature == SIGNATURE.signature
    assert decode_story_signature(orjson.dumps({**v1, "signature": []})).signature == b""


@pytest.mark.parametrize("signature", [[-1], [2**32], [1.0], [False], "AAA", "AAAAAA==="])
def test_a_signature_that_is_no_list_of_32_bit_values_is_refused(signature: object) -> None:
    with pytest.raises(DecodeError, match="signature"):
        decode_story_signature(orjson.dumps({**asdict(SIGNATURE), "signature": signature}))


def test_a_worker_upgraded_mid_horizon_keeps_finding_the_stories_of_the_old_changelog() -> None:
    # Rewrites of three wire stories, a few minutes apart: the first half is placed by the
    # earlier release (its table values are lists), the rest by this one, which rebuilds its
    # index from that table as it does after a restart. It must place every item as a worker
    # that always ran this release.
    config = StoryConfig()
    texts = [rewrite for language in ("en", "fr", "ru") for rewrite in WIRE_STORIES[language][0]]
    articles = [make_article(f"i-{n:02d}", text) for n, text in enumerate(texts * 2)]
    payloads = []
    for number, article in enumerate(articles):
        at = datetime.fromtimestamp(T0 + 300 * number, UTC)
        payloads.append(encode_record(replace(article, fetched_at=at, enriched_at=at)))

    def place(payloads: list[bytes], table: dict[str, bytes], old_release: bool) -> list[str]:
        index = StoryIndex(config)

        def index_of(group: str) -> Callable[[str], StoryBucket | None]:
            if group not in index:  # the rebuild after the upgrade's restart
                index.rebuild(group, group_signatures(list(table.items()), group))
            return index.reader(group)

        def write(key: str, value: bytes | None) -> None:
            if value is None:
                table.pop(key, None)
            else:
                table[key] = as_earlier_release_wrote_it(value) if old_release else value

        placed = []
        for payload in payloads:
            placement = story_step(payload, index_of, table.get, config)
            keep_story_tables(placement, index, write)
            placed.append(placement.assignment.story_id)
        return placed

    always_new = place(payloads, {}, old_release=False)
    half = len(payloads) // 2
    table: dict[str, bytes] = {}
    before = place(payloads[:half], table, old_release=True)
    assert all(isinstance(orjson.loads(v)["signature"], list) for v in table.values())
    after = place(payloads[half:], table, old_release=False)
    assert before + after == always_new
    assert len(set(always_new)) == 3  # the later copies joined the stories of the old changelog
    assert any(isinstance(orjson.loads(v)["signature"], list) for v in table.values())
    assert any(isinstance(orjson.loads(v)["signature"], str) for v in table.values())
