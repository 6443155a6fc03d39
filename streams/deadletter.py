"""The one failure policy: run a step on a payload, or turn any failure into a DeadLetter.

Faust acks a message and kills the agent when an exception escapes it, so agents never let one
escape: they call `guarded`, which returns either the step's result or a DeadLetter holding the
original payload, the stage and the reason.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from streams.metrics import StageMetrics
from streams.records import DeadLetter, Outcome, Stage

T = TypeVar("T")

MAX_REASON_CHARS = 2000


@dataclass(frozen=True, slots=True)
class SourcePosition:
    """Where a payload was read from, so a dead letter can be traced and replayed."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None


def encode_payload(payload: bytes) -> tuple[str, str]:
    """Original bytes as (text, encoding): UTF-8 text when it decodes, else base64."""
    try:
        return payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(payload).decode("ascii"), "base64"


def make_dead_letter(
    stage: str,
    payload: bytes,
    error: BaseException,
    now: datetime,
    position: SourcePosition | None = None,
    extra: dict[str, str] | None = None,
) -> DeadLetter:
    """A DeadLetter for `payload` that failed in `stage` with `error`."""
    text, encoding = encode_payload(payload)
    position = position or SourcePosition()
    reason = str(error) or type(error).__name__
    return DeadLetter(
        stage=stage,
        error_type=type(error).__name__,
        reason=reason[:MAX_REASON_CHARS],
        payload=text,
        payload_encoding=encoding,
        failed_at=now,
        item_id=position.key,
        source_topic=position.topic,
        source_partition=position.partition,
        source_offset=position.offset,
        extra=dict(extra or {}),
    )


def guarded(
    stage: str,
    payload: bytes,
    step: Callable[[bytes], T],
    now: datetime,
    position: SourcePosition | None = None,
) -> T | DeadLetter:
    """`step(payload)`, or a DeadLetter when it raises anything that is not a process exit."""
    try:
        return step(payload)
    except Exception as exc:  # the one place a step's failure is caught: it becomes data
        return make_dead_letter(stage, payload, exc, now, position)


def record_outcome(metrics: StageMetrics, stage: Stage, letter: DeadLetter | None = None) -> None:
    """Count one item that left `stage`: ok, or with `letter` a dead letter and its error type.

    The worker's agents and the poller both count through here, so the two cannot drift apart.
    """
    if letter is None:
        metrics.items_processed.labels(stage, Outcome.OK).inc()
        return
    metrics.items_processed.labels(stage, Outcome.DEAD_LETTER).inc()
    metrics.stage_errors.labels(stage, letter.error_type).inc()
