"""The worker caps glibc's malloc arenas (streams/runner.py, limit_malloc_arenas).

Each case runs in a fresh interpreter: arenas are per process and only ever grow. The arenas are
counted from glibc's own report (malloc_info: one <heap nr=...> per arena).
"""

from __future__ import annotations

import os
import platform
import textwrap

import pytest

from tests.unit.probes import run_probe

# Six threads that each allocate past pymalloc (which keeps small objects in its own pools) and
# hold the memory, then glibc's XML report of its arenas, read back through a temporary file.
_PROBE = textwrap.dedent(
    """
    import ctypes, os, sys, tempfile, threading
    from streams.runner import limit_malloc_arenas
    print("capped" if (sys.argv[1] == "cap" and limit_malloc_arenas(2)) else "default")
    held, ready = [], threading.Barrier(6)
    def allocate():
        ready.wait()  # all six alive at once, so none can reuse another's arena after it ended
        held.append([bytearray(200_000) for _ in range(5)])
    threads = [threading.Thread(target=allocate) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    libc = ctypes.CDLL("libc.so.6")
    libc.fdopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    libc.fflush.argtypes = (ctypes.c_void_p,)
    with tempfile.TemporaryFile() as report:
        stream = libc.fdopen(os.dup(report.fileno()), b"w")
        libc.malloc_info(0, stream)
        libc.fflush(stream)
        report.seek(0)
        print(report.read().decode().count("<heap nr="))
    """
)


def _arenas(mode: str, env: dict[str, str]) -> tuple[str, int]:
    said, count = run_probe(_PROBE, mode, env)
    return said, int(count)


@pytest.fixture
def env() -> dict[str, str]:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("malloc arenas are glibc's")
    return {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}


def test_threads_of_a_capped_process_share_two_arenas(env: dict[str, str]) -> None:
    said, count = _arenas("cap", env)
    assert said == "capped" and count <= 2


def test_without_the_cap_each_thread_gets_an_arena_of_its_own(env: dict[str, str]) -> None:
    # The control: the probe can tell the difference, so the test above can fail.
    said, count = _arenas("default", env)
    assert said == "default" and count > 2


def test_an_operators_malloc_arena_max_is_left_to_glibc(env: dict[str, str]) -> None:
    said, count = _arenas("cap", {**env, "MALLOC_ARENA_MAX": "3"})
    assert said == "default" and count == 3
