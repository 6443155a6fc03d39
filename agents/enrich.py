"""The enrich agent: raw-items → articles (clean, detect language, tag topics)."""

from __future__ import annotations

from functools import partial

import faust
from faust.types import StreamT

from streams.app import Wiring
from streams.deadletter import guarded
from streams.pipeline import enrich_payload
from streams.topics import RAW_ITEMS


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the enrich agent to `app`."""

    @app.agent(wiring.topics[RAW_ITEMS.suffix], name="enrich")
    async def enrich(stream: StreamT[bytes]) -> None:
        async for event in stream.events():  # raw bytes: decoding happens inside `guarded`
            now = wiring.now()
            step = partial(enrich_payload, enricher=wiring.enricher, now=now)
            outcome = guarded("enrich", event.value, step, now, wiring.position(event))
            await wiring.emit("enrich", event.key, outcome)
