"""The enrich agent: raw-items → articles (clean, detect language, tag topics), routed onwards."""

from __future__ import annotations

from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.kafka.topics import RAW_ITEMS
from streams.pipeline import enrich_payload
from streams.routing import Outbound, article_outputs


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the enrich agent to `app`."""
    stages = wiring.stages

    def step(payload: bytes, now: datetime) -> tuple[Outbound, ...]:
        return article_outputs(enrich_payload(payload, stages.enricher, now), stages.spikes)

    @app.agent(wiring.topics[RAW_ITEMS.suffix], name="enrich")
    async def enrich(stream: StreamT[bytes]) -> None:
        async for event in stream.events():  # raw bytes: decoding happens inside the step
            await wiring.emit("enrich", event.key, wiring.run_step("enrich", event, step))
