"""Story alerts: one alert per rule and story, revised per item, raised at min_sources."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from streams.alerts.rules import Rule, RuleSet, build_rule_set, match_rules
from streams.alerts.story import (
    MAX_UNLISTED_ITEM_IDS,
    StoryAlerts,
    decide_story_alerts,
    derive_alert_id,
    update_story_alert,
)
from streams.records import Alert, Article, Language, TermMatch, TopicTag

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
STORY = "s-ukrposhta-outage"
CYBER = Rule(id="cyber", severity="critical", topics=(("cyberattack", 2.0),))
POST = Rule(id="ukrposhta", severity="warning", terms=("Ukrposhta|Укрпошт*",))
OUTLETS = [
    "Kyiv Post", "Ukrainska Pravda", "Reuters", "AP", "AFP", "BBC", "DW", "Le Monde", "El País",
    "Al Jazeera", "NHK", "Interfax-Ukraine", "RFE/RL", "Suspilne", "Hromadske", "LIGA.net",
    "NV", "Euronews", "The Guardian", "Bloomberg",
]  # fmt: skip


def story_article(number: int, source: str, story_id: str | None = STORY) -> Article:
    """The number-th report of the story: near-identical wording, its own outlet and link."""
    at = T0 + timedelta(minutes=number)
    return Article(
        item_id=f"i-{number:04d}",
        feed_id=f"f-{number:016x}",
        source=source,
        link=f"https://news{number}.example/ukrposhta",
        title=f"Cyberattack takes Ukrposhta offline ({source})",
        summary="Hackers disrupted Ukrposhta parcel systems overnight.",
        language=Language("en", 0.99),
        topics=(TopicTag("cyberattack", 3.0 + number / 100, ("Cyberattack", "Hackers")),),
        published_at=at - timedelta(minutes=1),
        fetched_at=at,
        enriched_at=at,
        story_id=story_id,
    )


def run(rules: RuleSet, articles: list[Article]) -> tuple[StoryAlerts | None, list[Alert]]:
    """Feed articles through the step as the alert stage would, keeping the table value."""
    state: StoryAlerts | None = None
    sent: list[Alert] = []
    for index, article in enumerate(articles):
        update = decide_story_alerts(
            state, article, rules, T0 + timedelta(minutes=index, seconds=5)
        )
        if update.state is not None:
            state = update.state
        sent.extend(update.alerts)
    return state, sent


def test_twenty_outlets_on_one_story_make_one_alert_revised_twenty_times() -> None:
    articles = [story_article(n, outlet) for n, outlet in enumerate(OUTLETS)]
    _, sent = run(build_rule_set([CYBER], "test"), articles)
    assert len({alert.alert_id for alert in sent}) == 1
    assert sent[0].alert_id == derive_alert_id("cyber", STORY)
    assert [alert.revision for alert in sent] == list(range(1, 21))
    last = sent[-1]
    assert (last.source_count, last.item_count, len(last.items)) == (20, 20, 20)
    assert last.sources == tuple(OUTLETS)
    assert [item.link for item in last.items] == [a.link for a in articles]
    assert [item.source for item in last.items] == OUTLETS
    assert (last.kind, last.rule_id, last.story_id, last.severity) == (
        "story", "cyber", STORY, "critical"
    )  # fmt: skip
    # The first report names the story; the alert keeps its raise time and dates each revision.
    assert last.title == articles[0].title and last.link == articles[0].link
    assert last.published_at == articles[0].published_at
    assert last.first_raised_at == sent[0].raised_at == T0 + timedelta(seconds=5)
    assert last.raised_at == T0 + timedelta(minutes=19, seconds=5)
    assert last.reason == "cyberattack 3.19 ≥ 2.0"  # the best score of the story


def test_redelivered_item_sends_nothing_and_changes_nothing() -> None:
    rules = build_rule_set([CYBER], "test")
    first = story_article(0, "Reuters")
    state, sent = run(rules, [first, story_article(1, "AP")])
    assert state is not None and len(sent) == 2
    again = decide_story_alerts(state, first, rules, T0 + timedelta(hours=1))
    assert again.state is None and again.alerts == ()
    # An update of an item (same item id, new title) is not a new report either.
    updated = replace(first, title=first.title + " (updated)", is_update=True)
    assert decide_story_alerts(state, updated, rules, T0 + timedelta(hours=2)).alerts == ()


def test_min_sources_three_raises_at_the_third_source_carrying_all_three() -> None:
    rule = replace(CYBER, min_sources=3)
    rules = build_rule_set([rule], "test")
    articles = [
        story_article(0, "Reuters"),
        story_article(1, "REUTERS"),  # same outlet again: an item, not a source
        story_article(2, "AP"),
        story_article(3, "AFP"),
        story_article(4, "BBC"),
    ]
    state: StoryAlerts | None = None
    sent_per_article: list[tuple[Alert, ...]] = []
    for index, article in enumerate(articles):
        update = decide_story_alerts(state, article, rules, T0 + timedelta(minutes=index))
        assert update.state is not None  # pending items are kept even when nothing is sent
        state = update.state
        sent_per_article.append(update.alerts)
    assert [len(sent) for sent in sent_per_article] == [0, 0, 0, 1, 1]
    (raised,) = sent_per_article[3]
    assert raised.revision == 1
    assert raised.sources == ("Reuters", "AP", "AFP")
    assert raised.source_count == 3 and raised.item_count == 4
    assert [item.item_id for item in raised.items] == [a.item_id for a in articles[:4]]
    assert raised.first_raised_at == raised.raised_at == T0 + timedelta(minutes=3)
    assert raised.title == articles[0].title
    assert raised.reason.endswith("; 3 sources ≥ 3")
    (next_revision,) = sent_per_article[4]
    assert (next_revision.revision, next_revision.source_count) == (2, 4)
    assert next_revision.first_raised_at == raised.first_raised_at


def test_pending_state_holds_a_revision_zero_alert_and_ignores_redelivery() -> None:
    rule = replace(CYBER, min_sources=3)
    (match,) = match_rules(story_article(0, "Reuters"), build_rule_set([rule], "test"))
    update = update_story_alert(None, match, story_article(0, "Reuters"), T0)
    assert update is not None and update.alert is None
    assert update.state.alert.revision == 0 and not update.state.raised
    assert update_story_alert(update.state, match, story_article(0, "Reuters"), T0) is None


def test_items_are_bounded_oldest_first_while_counts_stay_exact() -> None:
    rules = build_rule_set([CYBER], "test")
    articles = [story_article(n, f"Outlet {n % 30}") for n in range(250)]
    state: StoryAlerts | None = None
    last: Alert | None = None
    for article in articles:
        update = decide_story_alerts(state, article, rules, T0, max_items=200)
        state = update.state or state
        (last,) = update.alerts
    assert state is not None and last is not None
    assert len(last.items) == 200
    assert [item.item_id for item in last.items] == [a.item_id for a in articles[:200]]
    assert (last.item_count, last.revision, last.source_count) == (250, 250, 30)
    # Items beyond the listed ones are still known: redelivering them sends nothing.
    for old in (articles[5], articles[230]):
        assert decide_story_alerts(state, old, rules, T0, max_items=200).alerts == ()
    assert len(state.states[0].unlisted_item_ids) == 50 <= MAX_UNLISTED_ITEM_IDS


def test_two_rules_on_one_story_make_two_alerts_kept_in_one_table_value() -> None:
    rules = build_rule_set([CYBER, POST], "test")
    state, sent = run(rules, [story_article(0, "Reuters"), story_article(1, "AP")])
    assert state is not None
    assert {alert.alert_id for alert in sent} == {
        derive_alert_id("cyber", STORY), derive_alert_id("ukrposhta", STORY)
    }  # fmt: skip
    assert [(a.rule_id, a.revision) for a in sent] == [
        ("cyber", 1), ("ukrposhta", 1), ("cyber", 2), ("ukrposhta", 2)
    ]  # fmt: skip
    assert [s.alert.rule_id for s in state.states] == ["cyber", "ukrposhta"]
    post = state.state_for("ukrposhta")
    assert post is not None
    assert post.alert.evidence == ("Ukrposhta",)
    assert post.alert.reason == "watchlist: Ukrposhta"
    assert post.alert.severity == "warning"


def test_other_stories_and_rules_get_other_alert_ids() -> None:
    assert derive_alert_id("cyber", STORY) == derive_alert_id("cyber", STORY)
    assert derive_alert_id("cyber", STORY) != derive_alert_id("cyber", "s-other")
    assert derive_alert_id("cyber", STORY) != derive_alert_id("ukrposhta", STORY)
    assert derive_alert_id("cyber", STORY).startswith("a-")
    assert len(derive_alert_id("cyber", STORY)) == 26


def test_topics_keep_the_best_score_per_topic_and_evidence_accumulates() -> None:
    rule = Rule(
        id="both", severity="info", topics=(("cyberattack", 2.0), ("elections", 2.0)),
        terms=("Ukrposhta|Укрпошт*",),
    )  # fmt: skip
    rules = build_rule_set([rule], "test")
    where = (TermMatch("Hackers", "summary", 0, 7),)
    first = replace(
        story_article(0, "Reuters"),
        topics=(TopicTag("cyberattack", 4.0, ("Hackers",), where),),
    )
    second = replace(
        story_article(1, "Suspilne"),
        title="Кібератака на Укрпошту",
        summary="",
        language=Language("uk", 0.98),
        topics=(TopicTag("cyberattack", 2.5, ("Кібератака",)), TopicTag("elections", 3.0, ("x",))),
    )
    _, sent = run(rules, [first, second])
    last = sent[-1]
    assert [(t.id, t.score, t.evidence) for t in last.topics] == [
        ("cyberattack", 4.0, ("Hackers",)), ("elections", 3.0, ("x",))
    ]  # fmt: skip
    assert all(t.matches == () for t in last.topics)  # positions belong to one item's text
    assert last.evidence == ("Ukrposhta", "Укрпошту")
    assert (
        last.reason == "cyberattack 4.0 ≥ 2.0, elections 3.0 ≥ 2.0; watchlist: Ukrposhta, Укрпошту"
    )
    assert last.language == Language("en", 0.99)  # the first item's
    assert [item.language for item in last.items] == ["en", "uk"]


def test_article_matching_no_rule_changes_nothing() -> None:
    rules = build_rule_set([CYBER], "test")
    quiet = replace(story_article(0, "Reuters"), topics=())
    assert decide_story_alerts(None, quiet, rules, T0).state is None


def test_blank_source_counts_by_feed_id() -> None:
    rules = build_rule_set([replace(CYBER, min_sources=2)], "test")
    _, sent = run(rules, [story_article(0, " "), story_article(1, "")])
    (alert,) = sent
    assert alert.sources == ("f-0000000000000000", "f-0000000000000001")


def test_article_without_a_story_is_refused() -> None:
    rules = build_rule_set([CYBER], "test")
    with pytest.raises(ValueError, match="has no story_id"):
        decide_story_alerts(None, story_article(0, "Reuters", story_id=None), rules, T0)


def test_state_of_another_story_is_refused() -> None:
    rules = build_rule_set([CYBER], "test")
    state, _ = run(rules, [story_article(0, "Reuters")])
    other = story_article(1, "AP", story_id="s-other")
    with pytest.raises(ValueError, match="state of story"):
        decide_story_alerts(state, other, rules, T0)
