"""The image's HEALTHCHECK: exit 0 when this container's wirewatch process answers /livez.

One image runs either `wirewatch worker` or `wirewatch poll`, each on its own metrics port, so
the check reads the settings the process read (WIREWATCH_* and WIREWATCH_CONFIG) and asks both
ports on loopback: the one whose process runs here answers, the other refuses at once. Only the
standard library and streams.settings: a slim image has no curl.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from streams.settings import load_settings

TIMEOUT_SECONDS = 4.0


def alive(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=TIMEOUT_SECONDS):
            return True  # urlopen raises HTTPError for the 503 of a stuck event loop
    except (OSError, urllib.error.URLError):
        return False


def main() -> int:
    settings = load_settings()
    ports = (settings.worker_metrics_port, settings.poller_metrics_port)
    return 0 if any(alive(port) for port in ports) else 1


if __name__ == "__main__":
    sys.exit(main())
