"""Decide story alerts: one alert per rule and story, revised as more outlets report the story.

The alert stage keeps one `StoryAlerts` per story (a table keyed by story_id, the key of its
input); `decide_story_alerts` takes it with the next article of the story and returns the new
value to store and the alerts to send. A rule with `min_sources` > 1 collects the story's items
in a state whose alert has revision 0 and is not sent until enough distinct sources report it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from streams.alerts.rules import RuleMatch, RuleSet, describe_match, match_rules, merge_evidence
from streams.records import (
    Alert,
    AlertItem,
    AlertKind,
    Article,
    StoryAlerts,
    StoryAlertState,
    TopicTag,
)

DEFAULT_MAX_ITEMS = 200
STORY_KIND = AlertKind.STORY.value
# Ids of the items beyond the listed ones, newest kept, so a redelivered or updated item is not
# counted twice. Redelivery after a crash replays only the messages since the last commit (a few
# seconds), so 500 covers it while a big story's state stays small (~20 kB of ids).
MAX_UNLISTED_ITEM_IDS = 500


@dataclass(frozen=True, slots=True)
class StoryAlertUpdate:
    state: StoryAlertState  # to keep
    alert: Alert | None  # to send; None while the story waits for min_sources


@dataclass(frozen=True, slots=True)
class StoryAlertsUpdate:
    state: StoryAlerts | None  # to store; None when the article changed nothing
    alerts: tuple[Alert, ...]  # to send, keyed by alert_id


def derive_alert_id(rule_id: str, story_id: str) -> str:
    """Stable alert id: every item of a story under one rule revises the same alert."""
    digest = hashlib.sha256(f"{rule_id}\x1f{story_id}".encode()).hexdigest()
    return f"a-{digest[:24]}"


def decide_story_alerts(
    previous: StoryAlerts | None,
    article: Article,
    rules: RuleSet,
    now: datetime,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> StoryAlertsUpdate:
    """The story's alerts after `article`: the new table value and the alerts to send.

    Raises ValueError for an article without a story_id (one that did not pass the story stage).
    """
    story_id = _story_id(article)
    if previous is not None and previous.story_id != story_id:
        raise ValueError(f"state of story {previous.story_id} given for story {story_id}")
    states = list(previous.states) if previous is not None else []
    alerts: list[Alert] = []
    changed = False
    for match in match_rules(article, rules):
        before = previous.state_for(match.rule.id) if previous is not None else None
        update = update_story_alert(before, match, article, now, max_items)
        if update is None:
            continue
        changed = True
        if before is None:
            states.append(update.state)
        else:
            states[states.index(before)] = update.state
        if update.alert is not None:
            alerts.append(update.alert)
    if not changed:
        return StoryAlertsUpdate(None, ())
    return StoryAlertsUpdate(StoryAlerts(story_id, tuple(states), now), tuple(alerts))


def update_story_alert(
    previous: StoryAlertState | None,
    match: RuleMatch,
    article: Article,
    now: datetime,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> StoryAlertUpdate | None:
    """The rule's alert on the article's story once the article is added to it.

    None when the article is already behind the alert (a redelivery or an update of an item),
    so processing an item twice sends nothing twice. Raises ValueError for an article without a
    story_id or a state of another rule or story.
    """
    rule = match.rule
    story_id = _story_id(article)
    alert_id = derive_alert_id(rule.id, story_id)
    if previous is not None:
        if previous.alert.alert_id != alert_id:
            raise ValueError(f"state of {previous.alert.rule_id}/{previous.alert.story_id} "
                             f"given for {rule.id}/{story_id}")  # fmt: skip
        if previous.holds(article.item_id):
            return None
    base = previous.alert if previous is not None else None
    source = _source_name(article)
    item = AlertItem(
        item_id=article.item_id,
        source=source,
        title=article.title,
        link=article.link,
        language=article.language.code,
        published_at=article.published_at,
    )
    listed = base.items if base is not None else ()
    unlisted = previous.unlisted_item_ids if previous is not None else ()
    if len(listed) < max_items:
        listed = (*listed, item)
    else:
        unlisted = (*unlisted, item.item_id)[-MAX_UNLISTED_ITEM_IDS:]
    sources = _merge_sources(base.sources if base is not None else (), source)
    topics = _merge_topics((base.topics if base is not None else ()) + match.topics)
    evidence = merge_evidence(((base.evidence if base is not None else ()), match.evidence))
    raised = base is not None and base.revision > 0
    if base is not None and raised:
        revision = base.revision + 1
    else:
        revision = 1 if len(sources) >= rule.min_sources else 0
    reason = describe_match(rule, topics, evidence)
    if rule.min_sources > 1:
        reason += f"; {len(sources)} sources ≥ {rule.min_sources}"
    first = base  # title, link, language and date stay those of the story's first item
    alert = Alert(
        alert_id=alert_id,
        rule_id=rule.id,
        kind=STORY_KIND,
        severity=rule.severity,
        revision=revision,
        story_id=story_id,
        title=first.title if first is not None else article.title,
        link=first.link if first is not None else article.link,
        language=first.language if first is not None else article.language,
        topics=topics,
        reason=reason,
        evidence=evidence,
        source_count=len(sources),
        sources=sources,
        item_count=(base.item_count if base is not None else 0) + 1,
        items=listed[:max_items],
        published_at=first.published_at if first is not None else article.published_at,
        # A state still waiting for min_sources has sent nothing: it is raised now.
        first_raised_at=base.first_raised_at if base is not None and raised else now,
        raised_at=now,
    )
    state = StoryAlertState(alert, unlisted)
    return StoryAlertUpdate(state, alert if revision > 0 else None)


def _story_id(article: Article) -> str:
    if article.story_id is None:
        raise ValueError(
            f"article {article.item_id} has no story_id; story alerts read the story-articles "
            "topic, where the story stage has set it"
        )
    return article.story_id


def _source_name(article: Article) -> str:
    # A feed without a title still is one source: count it by its id rather than not at all.
    return article.source.strip() or article.feed_id


def _merge_sources(sources: tuple[str, ...], source: str) -> tuple[str, ...]:
    """Distinct sources, case-insensitive, in the order they first reported the story."""
    if source.casefold() in {known.casefold() for known in sources}:
        return sources
    return (*sources, source)


def _merge_topics(tags: Iterable[TopicTag]) -> tuple[TopicTag, ...]:
    """The highest-scoring tag per topic, best first. Match positions are dropped: they point
    into one item's text, which the story-level alert does not carry."""
    best: dict[str, TopicTag] = {}
    for tag in tags:
        if tag.id not in best or tag.score > best[tag.id].score:
            best[tag.id] = replace(tag, matches=()) if tag.matches else tag
    return tuple(sorted(best.values(), key=lambda tag: (-tag.score, tag.id)))
