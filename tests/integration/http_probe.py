"""Probes of a wirewatch child process's HTTP server (/healthz, /readyz, /metrics) for the
integration tests, and a wait on a condition that fails the test with the process's log."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable

import pytest

# Half a second: a wait ends soon after its condition holds, and a worker's /metrics page is
# not rebuilt so often that the probing itself slows the worker down.
POLL_SECONDS = 0.5


def get(port: str, path: str) -> tuple[int | None, str]:
    """Status and body; None when nothing answers (the server is not up yet)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode()
    except OSError:
        return None, ""


def _samples(port: str, name: str) -> list[float]:
    """The values of the metric `name`'s series, in the order /metrics lists them."""
    _status, text = get(port, "/metrics")
    return [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(f"{name} ") or line.startswith(f"{name}{{")
    ]


def sample_value(port: str, name: str) -> float | None:
    """The value of the metric's first series; None when it has none (or nothing answers)."""
    values = _samples(port, name)
    return values[0] if values else None


def sample_total(port: str, name: str) -> float:
    """The sum of a counter's series over all its labels; 0 when it has none yet."""
    return sum(_samples(port, name))


def wait_until(
    condition: Callable[[], bool], timeout_seconds: float, what: str, log: Callable[[], str]
) -> None:
    """Return once `condition()` holds, checked every POLL_SECONDS; fail the test with `log()` (the
    child process's output) when it does not within `timeout_seconds`."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"not within {timeout_seconds} s: {what}\n--- process log ---\n{log()}")
