"""Run a short Python probe in a fresh interpreter: for settings that are per process and can only
be set once (malloc arenas, BLAS threads), each case needs a process of its own."""

from __future__ import annotations

import subprocess
import sys


def run_probe(source: str, mode: str, env: dict[str, str]) -> list[str]:
    """The words the probe printed, run as `python -c source mode` with `env`."""
    done = subprocess.run(
        [sys.executable, "-c", source, mode],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    return done.stdout.split()
