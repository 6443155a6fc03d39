"""Decide which articles raise alerts: an article tagged with a watched topic raises one alert."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from streams.records import Alert, Article

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
WATCH_RULE_ID = "watched-topics"


def derive_alert_id(item_id: str, rule_id: str) -> str:
    """Stable alert id: re-processing the same item under the same rule yields the same id."""
    digest = hashlib.sha256(f"{item_id}\x1f{rule_id}".encode()).hexdigest()
    return f"a-{digest[:24]}"


def decide_alerts(article: Article, watch: Mapping[str, str], now: datetime) -> tuple[Alert, ...]:
    """One alert for an article tagged with any watched topic, at the highest watched severity."""
    watched = tuple(tag for tag in article.topics if tag.id in watch)
    if not watched:
        return ()
    severity = max((watch[tag.id] for tag in watched), key=SEVERITY_RANK.__getitem__)
    reason = "; ".join(f"{tag.id} ({', '.join(tag.evidence)})" for tag in watched)
    alert = Alert(
        alert_id=derive_alert_id(article.item_id, WATCH_RULE_ID),
        rule_id=WATCH_RULE_ID,
        severity=severity,
        item_id=article.item_id,
        title=article.title,
        link=article.link,
        source=article.source,
        language=article.language,
        topics=watched,
        reason=f"watched topics: {reason}",
        published_at=article.published_at,
        raised_at=now,
    )
    return (alert,)
