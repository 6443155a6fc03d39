"""A logging filter that lets one line of a kind through per interval and counts the rest.

A poller left against a stopped broker wrote 25 MB of log in 30 minutes: aiokafka logs every
failed reconnect and every feed logs its failure, each poll. With this filter on the handlers, a
kind of line (logger name, level and message template, before the arguments are filled in) is
written at most once per interval; the next one let through says how many were held back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

# Kinds remembered at once; templates are few, so this only bounds a logger that formats its
# messages itself (each message its own template).
MAX_KINDS = 1000

_Kind = tuple[str, int, str]


class RateLimitFilter(logging.Filter):
    """Pass at most one record per `interval_seconds` for each (logger name, level, template),
    at `min_level` and above; lower levels always pass."""

    def __init__(
        self,
        interval_seconds: float,
        *,
        min_level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not interval_seconds > 0:
            raise ValueError(f"interval_seconds must be positive, got {interval_seconds!r}")
        super().__init__()
        self.interval_seconds = interval_seconds
        self.min_level = min_level
        self.clock = clock
        self._passed_at: dict[_Kind, float] = {}
        self._held: dict[_Kind, int] = {}
        # Handlers may be called from several threads (aiokafka's, the metrics server's).
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to write `record`; a passed record gets the count of the ones held before it."""
        if record.levelno < self.min_level:
            return True
        kind = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        with self._lock:
            passed_at = self._passed_at.get(kind)
            if passed_at is not None and now - passed_at < self.interval_seconds:
                self._held[kind] = self._held.get(kind, 0) + 1
                return False
            if passed_at is None and len(self._passed_at) >= MAX_KINDS:
                self._forget_quiet_kinds(now)
            self._passed_at[kind] = now
            held = self._held.pop(kind, 0)
        if held:
            # Appended to the template, not the arguments, so handlers format it as usual.
            plural = "" if held == 1 else "s"
            since = now - passed_at if passed_at is not None else 0.0
            record.msg = f"{record.msg} [{held} similar line{plural} suppressed in {since:.0f} s]"
        return True

    def _forget_quiet_kinds(self, now: float) -> None:
        quiet = [k for k, at in self._passed_at.items() if now - at >= self.interval_seconds]
        for kind in quiet or list(self._passed_at):
            self._passed_at.pop(kind, None)
            self._held.pop(kind, None)
