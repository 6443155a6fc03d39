"""The enrich agent: raw-items → articles (clean, detect language, tag topics), routed onwards.

It takes its input in batches (`enrich_batch_max_items`, `enrich_batch_max_seconds`): each item
is enriched on its own (a poison item dead-letters alone) and its article sent to `articles`;
then the batch's articles go to the story stage as one message per story-route key (one article
per line), and its topic events to the spike stage as one message per spike key. Faust commits a
batch's input offsets only after the body has sent every message of the batch, so a crash
re-enriches the whole batch (at least once, as before: the story stage knows a redelivered item,
the spike stage does not count one twice).
"""

from __future__ import annotations

from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Encoded, Wiring
from streams.kafka.topics import RAW_ITEMS
from streams.pipeline import StageConfig, enrich_payload
from streams.records import DeadLetter, Stage, TopicEvent
from streams.routing import EnrichedOutputs, Outbound, article_outputs, topic_event_outputs


def enrich_step(payload: bytes, now: datetime, stages: StageConfig) -> EnrichedOutputs:
    """A raw item's bytes → its article, to `articles` and the story stage, and its topic
    events for the spike stage."""
    article = enrich_payload(payload, stages.enricher, now)
    return article_outputs(article, stages.spikes, stages.story_routes)


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the enrich agent to `app`."""
    stages, settings = wiring.stages, wiring.settings

    def step(payload: bytes, now: datetime) -> EnrichedOutputs:
        return enrich_step(payload, now, stages)

    @app.agent(wiring.topics[RAW_ITEMS.suffix], name="enrich")
    async def enrich(stream: StreamT[bytes]) -> None:
        # faust's StreamT does not declare take_events; its Stream (what agents get) has it.
        batches = stream.take_events(  # type: ignore[attr-defined]
            settings.enrich_batch_max_items, within=settings.enrich_batch_max_seconds
        )
        async for events in batches:  # raw bytes: decoding happens inside the step
            routed: list[Outbound] = []
            topic_events: list[TopicEvent] = []
            encoded: Encoded = {}
            for event in events:
                outcome = wiring.run_step(Stage.ENRICH, event, step)
                if isinstance(outcome, DeadLetter):
                    await wiring.emit(Stage.ENRICH, event.key, outcome)
                    continue
                # Its story-route message waits in `routed` (agents.wiring.LINES_TOPICS).
                await wiring.emit(Stage.ENRICH, event.key, outcome.outputs, encoded, routed)
                topic_events.extend(outcome.topic_events)
            await wiring.send_lines(routed, encoded)
            await wiring.send(topic_event_outputs(topic_events))
