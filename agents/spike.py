"""The spike agent: topic-events → windowed counts per topic (a changelog-backed table) → spike
alerts when a window outgrows the recent baseline.

Each message is one enrich batch's events for one spike key (TopicEventBatch): they are counted in
order, as if they had come one by one, and the key's counts are written once per message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring, table_reader
from streams.alerts.spikes import SpikeConfig, detect_spikes
from streams.codec import decode_topic_event_batch, decode_window_counts, encode_record
from streams.kafka.topics import SPIKE_WINDOWS_CHANGELOG, TOPIC_EVENTS
from streams.records import Stage, WindowCounts
from streams.routing import Outbound, alert_outputs


@dataclass(frozen=True, slots=True)
class SpikeCount:
    """A batch of topic events counted: the key's new window counts and the spike alerts due."""

    key: str
    state: WindowCounts
    outputs: tuple[Outbound, ...]


def spike_step(
    payload: bytes,
    now: datetime,
    read_windows: Callable[[str], bytes | None],
    config: SpikeConfig,
) -> SpikeCount:
    """A topic event batch's bytes → its key's counts, and a spike alert for each window that
    outgrew them (each stamped with the fetch time of the item that tipped it, for latency)."""
    batch = decode_topic_event_batch(payload)
    stored = read_windows(batch.key)
    previous = decode_window_counts(stored) if stored is not None else None
    counted = detect_spikes(previous, batch, config, now)
    outputs = tuple(out for alert, at in counted.alerts for out in alert_outputs((alert,), at))
    return SpikeCount(batch.key, counted.state, outputs)


def keep_windows(counted: SpikeCount, write_windows: Callable[[str, bytes], None]) -> None:
    """Store the key's new window counts."""
    write_windows(counted.key, encode_record(counted.state))


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the spike agent and its table to `app`."""
    config = wiring.stages.spikes
    # key: the spike key (str); value: WindowCounts as JSON bytes. Rebuilt from the changelog on
    # start, so a restarted worker continues the windows where they were.
    windows = wiring.table(app, "spike-windows", SPIKE_WINDOWS_CHANGELOG)
    read_windows = table_reader(windows)

    def step(payload: bytes, now: datetime) -> SpikeCount:
        return spike_step(payload, now, read_windows, config)

    def keep(counted: SpikeCount) -> None:
        keep_windows(counted, windows.__setitem__)

    @app.agent(wiring.topics[TOPIC_EVENTS.suffix], name="spike")
    async def spike(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.process(Stage.SPIKE, event, step, keep)
