"""Alert decisions: watched topics raise one alert at the highest severity, with a stable id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from streams.records import Article, Language, TopicTag
from streams.tagging.alerts import decide_alerts

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ARTICLE = Article(
    item_id="i-1",
    feed_id="f-1",
    source="Wire",
    link=None,
    title="Hackers hit the election commission",
    summary="",
    language=Language("en", 0.99),
    topics=(
        TopicTag("elections", 3.0, ("election",)),
        TopicTag("cyberattack", 4.0, ("hackers",)),
        TopicTag("economy_markets", 1.0, ("stocks",)),
    ),
    published_at=None,
    fetched_at=NOW,
    enriched_at=NOW,
)
WATCH = {"elections": "warning", "cyberattack": "critical"}


def test_article_with_watched_topics_raises_one_alert_at_highest_severity() -> None:
    (alert,) = decide_alerts(ARTICLE, WATCH, NOW)
    assert alert.severity == "critical"
    assert [t.id for t in alert.topics] == ["elections", "cyberattack"]
    assert "hackers" in alert.reason


def test_article_without_watched_topics_raises_nothing() -> None:
    article = replace(ARTICLE, topics=(TopicTag("economy_markets", 1.0, ("stocks",)),))
    assert decide_alerts(article, WATCH, NOW) == ()


def test_reprocessing_an_item_yields_the_same_alert_id() -> None:
    later = datetime(2026, 11, 27, tzinfo=UTC)
    assert (
        decide_alerts(ARTICLE, WATCH, NOW)[0].alert_id
        == decide_alerts(ARTICLE, WATCH, later)[0].alert_id
    )
