"""The alert agent: articles → alerts for articles tagged with watched topics."""

from __future__ import annotations

from datetime import datetime

import faust
from faust.types import StreamT

from streams.app import Wiring
from streams.codec import decode_article
from streams.records import Alert
from streams.tagging.alerts import decide_alerts
from streams.topics import ARTICLES


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the alert agent to `app`."""

    def step(payload: bytes, now: datetime) -> tuple[Alert, ...]:
        return decide_alerts(decode_article(payload), wiring.settings.watch, now)

    @app.agent(wiring.topics[ARTICLES.suffix], name="alert")
    async def alert(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.emit("alert", event.key, wiring.run_step("alert", event, step))
