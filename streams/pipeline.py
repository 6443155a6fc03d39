"""The enrichment step: a RawItem becomes an Article (clean → language → topics).

Both the Faust agent and `wirewatch classify` call `enrich`, so the CLI's answer for an item is the
Kafka pipeline's answer. Cleaning, detection and tagging run in one step, one Kafka hop, because
each extra hop costs more than the three steps together (see docs/topics.md, "one enrich stage").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from streams.alerts.rule_file import load_configured_rules
from streams.alerts.rules import RuleSet
from streams.alerts.spikes import SpikeConfig
from streams.codec import decode_raw_item
from streams.errors import ContentError, SettingsError
from streams.kafka.topics import STORY_HORIZON_MS
from streams.records import Article, RawItem
from streams.settings import Settings
from streams.stories.cluster import StoryConfig
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, compile_taxonomy, load_taxonomy
from streams.text.clean import canonicalize_link, clean_summary, clean_text
from streams.text.language.detect import detect_language
from streams.text.language.models import Detector, load_detector


@dataclass(frozen=True)
class Enricher:
    """Everything the enrich step needs that is built once at start-up."""

    detector: Detector
    taxonomy: CompiledTaxonomy
    min_language_confidence: float


@dataclass(frozen=True)
class StageConfig:
    """What every stage needs that is built once at start-up from the settings."""

    enricher: Enricher
    stories: StoryConfig
    rules: RuleSet
    spikes: SpikeConfig
    # The `story_route_plan` setting: story group -> story-route partition (streams/routing.py).
    story_routes: Mapping[str, int] = field(default_factory=dict)


def check_stage_settings(settings: Settings) -> None:
    """Everything `build_stages` would refuse, without loading the language models: the story
    and spike settings, the taxonomy file and the alert rules. `wirewatch config` runs it, so a
    bad file is found before any process starts."""
    path = Path(settings.taxonomy_path) if settings.taxonomy_path else None
    taxonomy = load_taxonomy(path)
    _story_and_spike_configs(settings)
    load_configured_rules(settings.alert_rules_path, settings.watch, taxonomy)


def build_stages(settings: Settings) -> StageConfig:
    """Load models, taxonomy and alert rules, and check the story and spike settings."""
    enricher = build_enricher(settings)
    stories, spikes = _story_and_spike_configs(settings)
    rules = load_configured_rules(settings.alert_rules_path, settings.watch, enricher.taxonomy)
    return StageConfig(
        enricher=enricher,
        stories=stories,
        rules=rules,
        spikes=spikes,
        story_routes=dict(settings.story_route_plan),
    )


def _story_and_spike_configs(settings: Settings) -> tuple[StoryConfig, SpikeConfig]:
    if settings.story_horizon_seconds * 1000 > STORY_HORIZON_MS:
        # The story tables' changelogs keep this long; a longer horizon would lose state on restart.
        raise SettingsError(
            f"setting 'story_horizon_seconds': at most {STORY_HORIZON_MS // 1000} "
            "(the retention of the story changelog topics)"
        )
    try:
        stories = StoryConfig(
            threshold=settings.story_similarity, horizon_seconds=settings.story_horizon_seconds
        )
        spikes = SpikeConfig(
            window_seconds=settings.spike_window_seconds,
            baseline_windows=settings.spike_baseline_windows,
            factor=settings.spike_factor,
            min_count=settings.spike_min_count,
            per_language=settings.spike_per_language,
            severity=settings.spike_severity,
        )
    except ValueError as exc:
        raise SettingsError(f"story or spike settings: {exc}") from None
    return stories, spikes


def build_enricher(settings: Settings) -> Enricher:
    """Load the language models and compile the taxonomy named by the settings."""
    path = Path(settings.taxonomy_path) if settings.taxonomy_path else None
    return Enricher(
        detector=load_detector(),
        taxonomy=compile_taxonomy(load_taxonomy(path)),
        min_language_confidence=settings.min_language_confidence,
    )


def enrich(raw: RawItem, enricher: Enricher, now: datetime) -> Article:
    """Clean the item's text, detect its language and tag its topics."""
    title = clean_text(raw.title)
    summary = clean_summary(raw.summary)
    if not title and not summary:
        # An empty article would be tagged with nothing and look processed; a dead letter
        # keeps the original for someone to look at instead.
        raise ContentError(f"item {raw.item_id} has no text once cleaned (title {raw.title!r:.80})")
    text = f"{title}\n{summary}" if summary else title
    language = detect_language(
        text, enricher.detector, raw.language_hint, enricher.min_language_confidence
    )
    topics = match_topics(title, summary, language.code, enricher.taxonomy)
    return Article(
        item_id=raw.item_id,
        feed_id=raw.feed_id,
        source=raw.source,
        link=canonicalize_link(raw.link),
        title=title,
        summary=summary,
        language=language,
        topics=topics,
        published_at=raw.published_at,
        fetched_at=raw.fetched_at,
        enriched_at=now,
        is_update=raw.is_update,
    )


def enrich_payload(payload: bytes, enricher: Enricher, now: datetime) -> Article:
    """Decode a raw-items message and enrich it; raises DecodeError for a malformed payload."""
    return enrich(decode_raw_item(payload), enricher, now)
