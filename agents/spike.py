"""The spike agent: topic-events → windowed counts per topic (a changelog-backed table) → spike
alerts when a window outgrows the recent baseline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.alerts.spikes import detect_spike
from streams.codec import decode_topic_event, decode_window_counts, encode_record
from streams.kafka.topics import SPIKE_WINDOWS_CHANGELOG, TOPIC_EVENTS
from streams.records import WindowCounts
from streams.routing import Outbound, alert_outputs


@dataclass(frozen=True, slots=True)
class _Counted:
    key: str
    state: WindowCounts
    outputs: tuple[Outbound, ...]


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the spike agent and its table to `app`."""
    config = wiring.stages.spikes
    # key: the spike key (str); value: WindowCounts as JSON bytes. Rebuilt from the changelog on
    # start, so a restarted worker continues the windows where they were.
    windows = wiring.table(app, "spike-windows", SPIKE_WINDOWS_CHANGELOG)

    def step(payload: bytes, now: datetime) -> _Counted:
        event = decode_topic_event(payload)
        stored = windows.get(event.key)
        previous = decode_window_counts(stored) if stored is not None else None
        state, alert = detect_spike(previous, event, config, now)
        return _Counted(event.key, state, alert_outputs((alert,) if alert else ()))

    def keep(counted: _Counted) -> None:
        windows[counted.key] = encode_record(counted.state)

    @app.agent(wiring.topics[TOPIC_EVENTS.suffix], name="spike")
    async def spike(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.process("spike", event, step, keep)
