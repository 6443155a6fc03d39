"""The alert agent: story-articles → alerts, one per rule and story, revised as sources report it.

Its input is keyed by story id, so every item of a story reaches the same partition and the
story's alert state (a changelog-backed table keyed by story id) is local to the worker.

It also reads story-links (keyed by story id too, with the same partition count, so Faust assigns
its partition p with story-articles' partition p): a story's latest links to stories in other
languages are kept in its state and named by the next revision its items cause. A link alone
sends nothing, so revision numbers depend only on the story's items, never on when the rate
limited link stage got to it; story-links is where a consumer finds the current links at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

import faust
from faust.types import StreamT

from agents.wiring import Wiring, table_reader
from streams.alerts.rules import RuleSet
from streams.alerts.story import StoryAlertsUpdate, decide_story_alerts
from streams.codec import decode_article, decode_story_alerts, decode_story_links, encode_record
from streams.errors import DecodeError
from streams.kafka.topics import ALERT_STATE_CHANGELOG, STORY_ARTICLES, STORY_LINKS
from streams.records import Alert, LinkedStory, Stage, StoryAlerts
from streams.routing import Outbound, alert_outputs, key_partition


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
    state, alerts = with_links(update, previous.linked_stories if previous is not None else ())
    return AlertDecision(article.story_id, state, alert_outputs(alerts, article.fetched_at))


def with_links(
    update: StoryAlertsUpdate, links: tuple[LinkedStory, ...]
) -> tuple[StoryAlerts | None, tuple[Alert, ...]]:
    """The update with the story's known links kept in its state and named by its alerts."""
    if not links:
        return update.state, update.alerts
    alerts = tuple(replace(alert, linked_stories=links) for alert in update.alerts)
    state = update.state
    if state is not None:
        states = tuple(replace(s, alert=replace(s.alert, linked_stories=links))
                       for s in state.states)  # fmt: skip
        state = replace(state, states=states, linked_stories=links)
    return state, alerts


def alert_links_step(
    payload: bytes, now: datetime, read_state: Callable[[str], bytes | None]
) -> AlertDecision:
    """A story-links message → the story's alert state with its latest links; sends nothing.

    A story with no alert state yet gets one with no rule states, so links that arrive before the
    item that raises an alert are still named by it."""
    links = decode_story_links(payload)
    stored = read_state(links.story_id)
    previous = decode_story_alerts(stored) if stored is not None else None
    if previous is not None and previous.linked_stories == links.linked_stories:
        return AlertDecision(links.story_id, None, ())
    state = (
        replace(previous, linked_stories=links.linked_stories)
        if previous is not None
        else StoryAlerts(links.story_id, (), now, links.linked_stories)
    )
    return AlertDecision(links.story_id, state, ())


def keep_alert_state(decision: AlertDecision, write_state: Callable[[str, bytes], None]) -> None:
    """Store the story's new alert state, if the article changed it."""
    if decision.state is not None:
        write_state(decision.story_id, encode_record(decision.state))


# How often (wall-clock seconds, per input partition) the alert agent deletes the states of
# stories no item has changed for `idle_seconds`.
SWEEP_INTERVAL_SECONDS = 900.0


@dataclass
class StateAges:
    """When each story's alert state was last changed (epoch seconds) and the partition its key
    lives on: what the sweep needs without decoding every state each time."""

    partitions: int
    changed: dict[str, tuple[int, float]] = field(default_factory=dict)

    def touch(self, story_id: str, at: float) -> None:
        known = self.changed.get(story_id)
        partition = known[0] if known else key_partition(story_id, self.partitions)
        self.changed[story_id] = (partition, at)

    def expired(self, partition: int, before: float) -> list[str]:
        """Stories on `partition` last changed before `before`."""
        return [story_id for story_id, (p, at) in self.changed.items()
                if p == partition and at < before]  # fmt: skip


def learn_ages(ages: StateAges, stored: Iterable[tuple[str, bytes]]) -> None:
    """Read the age of states the worker did not write itself (restored from the changelog)."""
    for story_id, value in stored:
        if story_id not in ages.changed:
            try:
                changed = decode_story_alerts(value).updated_at.timestamp()
            except DecodeError:
                changed = 0.0  # unreadable (another release): as old as can be
            ages.touch(story_id, changed)


def register(app: faust.App, wiring: Wiring) -> None:
    """Attach the alert agent and its table to `app`.

    A story that no item has changed for twice the story horizon can never be revised again (no
    item of it is left to match), so its state is deleted from the table (and, by a tombstone,
    from the changelog), keeping the worker's memory bounded by the stories of the last days."""
    rules, max_items = wiring.stages.rules, wiring.settings.alert_max_items
    states = wiring.table(app, "alert-state", ALERT_STATE_CHANGELOG)
    read_state = table_reader(states)

    links_topic = STORY_LINKS.name(wiring.settings)
    # One agent over both topics: the table has one writer, and an item and a link of one story
    # are handled one after the other.
    inputs = app.topic(STORY_ARTICLES.name(wiring.settings), links_topic, key_serializer="raw",
                       value_serializer="raw")  # fmt: skip

    def step(payload: bytes, now: datetime) -> AlertDecision:
        return alert_step(payload, now, read_state, rules, max_items)

    def links_step(payload: bytes, now: datetime) -> AlertDecision:
        return alert_links_step(payload, now, read_state)

    ages = StateAges(wiring.settings.partitions)
    idle_seconds = 2 * wiring.settings.story_horizon_seconds
    last_sweep: dict[int, float] = {}

    def keep(decision: AlertDecision) -> None:
        keep_alert_state(decision, states.__setitem__)
        if decision.state is not None:
            ages.touch(decision.story_id, decision.state.updated_at.timestamp())

    async def sweep(partition: int) -> None:
        """Delete the idle states of `partition`, the current event's: Faust writes a deletion
        to the current event's changelog partition, which is the key's only for keys of it."""
        swept = last_sweep.setdefault(partition, time.monotonic())
        if time.monotonic() - swept < SWEEP_INTERVAL_SECONDS:
            return
        last_sweep[partition] = time.monotonic()
        unknown = [(k, v) for k, v in states.items() if k not in ages.changed]
        if unknown:  # after a restart: decoded once, in a thread, off the event loop
            await asyncio.to_thread(learn_ages, ages, unknown)
        for story_id in ages.expired(partition, time.time() - idle_seconds):
            states.pop(story_id, None)
            del ages.changed[story_id]

    @app.agent(inputs, name="alert")
    async def alert(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            linked = event.message.topic == links_topic
            await wiring.process(Stage.ALERT, event, links_step if linked else step, keep)
            await sweep(event.message.partition)
