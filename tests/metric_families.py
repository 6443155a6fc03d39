"""Which metric families only the worker exports and which only the poller (names as
prometheus_client's parser gives them: a counter without its _total). One list for the unit tests
of the registries and the integration tests of the running processes' pages."""

from __future__ import annotations

WORKER_ONLY = {
    "wirewatch_stage_duration_seconds",
    "wirewatch_alerts_raised",
    "wirewatch_alert_updates",
    "wirewatch_stories_assigned",
    "wirewatch_topics_tagged",
    "wirewatch_languages_detected",
    "wirewatch_end_to_end_latency_seconds",
    "wirewatch_story_links",
    "wirewatch_story_links_skipped",
    "wirewatch_story_embed_duration_seconds",
    "wirewatch_worker_ready",
    "wirewatch_partition_lag",
    "wirewatch_partition_stalled",
}
POLLER_ONLY = {
    "wirewatch_feed_fetches",
    "wirewatch_feed_fetch_duration_seconds",
    "wirewatch_feed_items_emitted",
    "wirewatch_feed_items_suppressed",
    "wirewatch_feed_items_held_back",
    "wirewatch_feed_items_truncated",
    "wirewatch_feed_items_over_limit",
    "wirewatch_feed_bytes",
    "wirewatch_feeds_owned",
    "wirewatch_feeds_in_backoff",
    "wirewatch_poll_round_duration_seconds",
    "wirewatch_poller_ready",
}
