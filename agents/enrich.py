"""The enrich agent: raw-items → articles (clean, detect language, tag topics), routed onwards."""

from __future__ import annotations

from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.kafka.topics import RAW_ITEMS
from streams.pipeline import StageConfig, enrich_payload
from streams.records import Stage
from streams.routing import Outbound, article_outputs


def enrich_step(payload: bytes, now: datetime, stages: StageConfig) -> tuple[Outbound, ...]:
    """A raw item's bytes → its article, to `articles`, the story stage and the spike stage."""
    return article_outputs(enrich_payload(payload, stages.enricher, now), stages.spikes)


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the enrich agent to `app`."""
    stages = wiring.stages

    def step(payload: bytes, now: datetime) -> tuple[Outbound, ...]:
        return enrich_step(payload, now, stages)

    @app.agent(wiring.topics[RAW_ITEMS.suffix], name="enrich")
    async def enrich(stream: StreamT[bytes]) -> None:
        async for event in stream.events():  # raw bytes: decoding happens inside the step
            await wiring.emit(Stage.ENRICH, event.key, wiring.run_step(Stage.ENRICH, event, step))
