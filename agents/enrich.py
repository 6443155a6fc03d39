"""The enrich agent: raw-items → articles (clean, detect language, tag topics)."""

from __future__ import annotations

from datetime import datetime

import faust
from faust.types import StreamT

from streams.app import Wiring
from streams.pipeline import enrich_payload
from streams.records import Article
from streams.topics import RAW_ITEMS


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the enrich agent to `app`."""

    def step(payload: bytes, now: datetime) -> Article:
        return enrich_payload(payload, wiring.enricher, now)

    @app.agent(wiring.topics[RAW_ITEMS.suffix], name="enrich")
    async def enrich(stream: StreamT[bytes]) -> None:
        async for event in stream.events():  # raw bytes: decoding happens inside the step
            await wiring.emit("enrich", event.key, wiring.run_step("enrich", event, step))
