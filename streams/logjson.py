"""Log lines for people or for log pipelines: the `log_format` setting ("text" | "json").

JSON is one object per line, the fields a pipeline (Loki, Elasticsearch, CloudWatch) indexes:

    {"time": "2026-12-07T09:00:00.123Z", "level": "WARNING", "logger": "aiokafka.conn",
     "message": "...", "role": "worker", "pid": 4242, "exception": "Traceback ..."}

`time` is ISO 8601 in UTC with milliseconds, `role` the process (worker, poller, run), and
`exception` (with the traceback) only when the record carries one. Both formats pass each line
through `redact`, so a secret from the settings (the SASL password, the TLS key password) never
reaches the log even if a library puts it in a message.

Built on the standard library rather than python-json-logger: the fields are fixed and few,
`json.dumps` does the escaping, and the redaction and the time format must be ours anyway; a
dependency would add nothing the image and lock file should carry for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from streams.settings import Settings

REDACTED = "[redacted]"


def log_secrets(settings: Settings) -> tuple[str, ...]:
    """The setting values no log line may contain."""
    return tuple(secret for secret in (settings.sasl_password, settings.ssl_key_password) if secret)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret replaced."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring), secrets redacted."""

    def __init__(self, role: str, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.role = role
        secrets = tuple(secrets)
        # Also as JSON escapes them (quotes, backslashes, control characters).
        self.secrets = secrets + _json_escaped(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": self.role,
            "pid": record.process,
        }
        if record.exc_info:
            # Cached like logging.Formatter does, so a second handler does not format it again.
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Redacted after encoding, so a secret is found in every field, message or traceback.
        return redact(json.dumps(entry, ensure_ascii=False, default=str), self.secrets)


class RedactingFormatter(logging.Formatter):
    """Another formatter's text lines (Faust's colored ones, ours), secrets redacted."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def formatter_for(
    settings: Settings, role: str, text: logging.Formatter | None = None
) -> logging.Formatter:
    """The formatter the `log_format` setting asks for: JSON, or `text` (a plain default)."""
    secrets = log_secrets(settings)
    if settings.log_format == "json":
        return JsonFormatter(role, secrets)
    return RedactingFormatter(text or logging.Formatter(), secrets)


def apply_log_format(handlers: Iterable[logging.Handler], settings: Settings, role: str) -> None:
    """Give each handler the formatter of the `log_format` setting, keeping its text format."""
    for handler in handlers:
        current = handler.formatter
        if isinstance(current, JsonFormatter | RedactingFormatter):
            continue  # already ours
        handler.setFormatter(formatter_for(settings, role, current))


def _json_escaped(secrets: tuple[str, ...]) -> tuple[str, ...]:
    escaped = (json.dumps(secret, ensure_ascii=False)[1:-1] for secret in secrets)
    return tuple(text for text, secret in zip(escaped, secrets, strict=True) if text != secret)
