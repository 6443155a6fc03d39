"""A worker gives the memory glibc holds free back to the system (streams/runner.py,
release_free_memory, run by a timer of the worker's app).

The measurement runs in a fresh interpreter: what glibc keeps resident depends on everything the
process allocated before.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import CollectorRegistry

# ~200 MiB in 2 KB blocks (past pymalloc, so glibc's malloc holds them), one in forty kept: the
# rest is free, but a block still in use sits on every 80 KB of the heap, up to its top, so glibc
# can give nothing back by shrinking the heap. Prints RSS (MiB) at the start, after the frees and
# after release_free_memory.
_PROBE = textwrap.dedent(
    """
    import gc
    from streams.runner import release_free_memory
    def rss():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) // 1024
    start = rss()
    blocks = [bytes(2000) + bytes([i % 256]) for i in range(100_000)]
    kept = blocks[::40]
    del blocks
    gc.collect()
    freed = rss()
    print(start, freed, rss() if release_free_memory() else -1)
    """
)


def test_free_pages_between_blocks_in_use_go_back_to_the_system() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc_trim is glibc's")
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    start, freed, released = map(int, done.stdout.split())
    # The control: freeing alone leaves the pages resident, so the assertion below can fail.
    assert freed - start > 150
    assert released != -1 and freed - released > 120


def test_the_worker_releases_free_memory_on_a_timer() -> None:
    from agents.app import _release_free_memory, create_app
    from agents.wiring import Wiring
    from streams.metrics import WorkerMetrics
    from streams.pipeline import build_stages
    from streams.settings import load_settings

    settings = load_settings(environ={})
    wiring = Wiring(settings, WorkerMetrics.create(CollectorRegistry()), build_stages(settings))
    app = create_app(settings, wiring)
    timers = [task for task in app._app_tasks if task.__name__ == _release_free_memory.__name__]
    assert len(timers) == 1
