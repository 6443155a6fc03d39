"""The worker caps numpy's BLAS at one thread (streams/runner.py, limit_blas_threads).

Each case runs in a fresh interpreter, and asks threadpoolctl how many threads the BLAS library
numpy loaded will use: the cap is process-wide and OpenBLAS reads its variables when it loads.
"""

from __future__ import annotations

import os
import textwrap

import pytest

from streams.runner import BLAS_THREAD_VARIABLES
from tests.unit.probes import run_probe

_PROBE = textwrap.dedent(
    """
    import sys
    from threadpoolctl import threadpool_info
    from streams.runner import limit_blas_threads
    said = "capped" if (sys.argv[1] == "cap" and limit_blas_threads(1)) else "default"
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    print(said, max(blas))
    """
)


def _blas_threads(mode: str, env: dict[str, str]) -> tuple[str, int]:
    said, count = run_probe(_PROBE, mode, env)
    return said, int(count)


@pytest.fixture
def env() -> dict[str, str]:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: BLAS starts one thread anyway, so the cap cannot be told apart")
    return {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}


def test_a_capped_process_uses_one_blas_thread(env: dict[str, str]) -> None:
    assert _blas_threads("cap", env) == ("capped", 1)


def test_without_the_cap_blas_uses_a_thread_per_core(env: dict[str, str]) -> None:
    # The control: the probe can tell the difference, so the test above can fail.
    said, count = _blas_threads("default", env)
    assert said == "default" and count > 1


def test_an_operators_setting_is_left_alone(env: dict[str, str]) -> None:
    assert _blas_threads("cap", {**env, "OPENBLAS_NUM_THREADS": "2"}) == ("default", 2)
