"""The alert agent: story-articles → alerts, one per rule and story, revised as sources report it.

Its input is keyed by story id, so every item of a story reaches the same partition and the
story's alert state (a changelog-backed table keyed by story id) is local to the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring
from streams.alerts.rules import RuleSet
from streams.alerts.story import decide_story_alerts
from streams.codec import decode_article, decode_story_alerts, encode_record
from streams.kafka.topics import ALERT_STATE_CHANGELOG, STORY_ARTICLES
from streams.records import Stage, StoryAlerts
from streams.routing import Outbound, alert_outputs


@dataclass(frozen=True, slots=True)
class AlertDecision:
    """What one story article changed: the story's new alert state and the alerts to send."""

    story_id: str
    state: StoryAlerts | None  # None: the article changed nothing to store
    outputs: tuple[Outbound, ...]


def alert_step(
    payload: bytes,
    now: datetime,
    read_state: Callable[[str], bytes | None],
    rules: RuleSet,
    max_items: int,
) -> AlertDecision:
    """A story article's bytes → the alerts it raises or revises, given its story's stored state.

    Raises ValueError for an article without a story id (the story stage sets one).
    """
    article = decode_article(payload)
    if article.story_id is None:
        raise ValueError(f"article {article.item_id} reached the alert stage without a story")
    stored = read_state(article.story_id)
    previous = decode_story_alerts(stored) if stored is not None else None
    update = decide_story_alerts(previous, article, rules, now, max_items)
    return AlertDecision(article.story_id, update.state, alert_outputs(update.alerts))


def keep_alert_state(decision: AlertDecision, write_state: Callable[[str, bytes], None]) -> None:
    """Store the story's new alert state, if the article changed it."""
    if decision.state is not None:
        write_state(decision.story_id, encode_record(decision.state))


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the alert agent and its table to `app`."""
    rules, max_items = wiring.stages.rules, wiring.settings.alert_max_items
    states = wiring.table(app, "alert-state", ALERT_STATE_CHANGELOG)

    def step(payload: bytes, now: datetime) -> AlertDecision:
        return alert_step(payload, now, states.get, rules, max_items)

    def keep(decision: AlertDecision) -> None:
        keep_alert_state(decision, states.__setitem__)

    @app.agent(wiring.topics[STORY_ARTICLES.suffix], name="alert")
    async def alert(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            await wiring.process(Stage.ALERT, event, step, keep)
