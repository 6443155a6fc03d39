"""A log filter that demotes Faust's false "Stream has not started processing" alarm on changelogs.

Faust's livelock check (faust/transport/drivers/aiokafka.py, `verify_event_path`) walks every
assigned partition and logs an ERROR for one whose highwater is past its position while no stream
has read from it. A table's changelog partitions are read only while the table recovers; after
that the worker itself writes to them and no stream ever reads them, so a healthy worker logged
"Stream has not started processing TP(...-changelog...)" in bursts every ~7 s (358 lines in 11
minutes). The same message about an input partition is a real stall and stays an ERROR (and
`/readyz` reports it, see streams/health.py).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

STREAM_IDLE_ALARM = "Stream has not started processing"


class ChangelogIdleAlarmFilter(logging.Filter):
    """Lower Faust's "Stream has not started processing" records about `changelog_topics` to
    DEBUG. Attach it to the logger that emits them, so handlers apply their level afterwards."""

    def __init__(self, changelog_topics: Collection[str]) -> None:
        super().__init__()
        self.changelog_topics = frozenset(changelog_topics)

    def filter(self, record: logging.LogRecord) -> bool:
        if STREAM_IDLE_ALARM in str(record.msg) and self._about_changelog(record):
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True

    def _about_changelog(self, record: logging.LogRecord) -> bool:
        # Faust passes the partition as the first argument: a TP namedtuple (topic, partition).
        args = record.args if isinstance(record.args, tuple) else ()
        topic = getattr(args[0], "topic", None) if args else None
        return topic in self.changelog_topics
