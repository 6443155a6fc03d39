"""The final story alerts a worker's own steps give for a list of items run in process, in order.

What the fault harness's fault-free baseline and the RocksDB restart test are checked against:
enrich, the story stage's step and keep, the alert stage's step and keep, with dicts for tables,
one item after another. On the harness's items (copies of the bundled samples) the result does not
depend on the order the raw-items partitions interleave in (bench/README.md, "Fourth cut").
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.alert import alert_step, keep_alert_state
from agents.story import keep_story_tables, story_step, table_writer
from streams.codec import decode_raw_item, encode_record
from streams.errors import ContentError, DecodeError
from streams.pipeline import build_stages, enrich
from streams.records import Alert, Article, RawItem
from streams.settings import Settings
from streams.stories.cluster import StoryIndex

# A story alert's final state that does not depend on arrival order: rule, severity, item count,
# the items listed and the sources.
Fingerprint = tuple[str, str, int, tuple[str, ...], tuple[str, ...]]


def fingerprint(alert: Alert) -> Fingerprint:
    return (
        alert.rule_id,
        alert.severity,
        alert.item_count,
        tuple(sorted(item.item_id for item in alert.items)),
        tuple(sorted(alert.sources)),
    )


def replay_story_alerts(settings: Settings, items: Iterable[RawItem]) -> dict[str, Fingerprint]:
    """Each story alert's final state (by alert id) after `items` went through the steps."""
    stages = build_stages(settings)
    signatures: dict[str, bytes] = {}
    states: dict[str, bytes] = {}
    index = StoryIndex(stages.stories)
    final: dict[str, Fingerprint] = {}

    write = table_writer(signatures)  # as the story agent writes its table
    for raw in items:
        try:
            article = enrich(decode_raw_item(encode_record(raw)), stages.enricher, raw.fetched_at)
        except (DecodeError, ContentError):
            continue
        placement = story_step(encode_record(article), index.reader, signatures.get, stages.stories)
        keep_story_tables(placement, index, write)
        placed = placement.outputs[0].record
        assert isinstance(placed, Article)
        decision = alert_step(encode_record(placed), raw.fetched_at, states.get, stages.rules,
                              settings.alert_max_items)  # fmt: skip
        keep_alert_state(decision, states.__setitem__)
        for outbound in decision.outputs:
            if isinstance(outbound.record, Alert) and outbound.record.kind == "story":
                final[outbound.record.alert_id] = fingerprint(outbound.record)
    return final
