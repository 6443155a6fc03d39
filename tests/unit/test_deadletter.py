"""`guarded` turns any failure of a step into a DeadLetter that keeps the payload."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.deadletter import SourcePosition, guarded
from streams.records import DeadLetter

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def test_successful_step_returns_its_value() -> None:
    assert guarded("enrich", b"abc", lambda p: p.upper(), NOW) == b"ABC"


def test_failing_step_becomes_dead_letter_with_position_and_reason() -> None:
    def explode(payload: bytes) -> int:
        raise ValueError("title is not text")

    position = SourcePosition("w.raw-items", 1, 42, "i-9")
    letter = guarded("enrich", "é".encode(), explode, NOW, position)
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error_type, letter.reason) == (
        "enrich",
        "ValueError",
        "title is not text",
    )
    assert (letter.payload, letter.payload_encoding) == ("é", "utf-8")
    assert (letter.source_topic, letter.source_partition, letter.source_offset, letter.item_id) == (
        "w.raw-items",
        1,
        42,
        "i-9",
    )
