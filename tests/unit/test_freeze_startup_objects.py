"""The worker leaves its start-up objects out of later garbage collections and collects young
objects less often (streams/runner.py: freeze_startup_objects, collect_less_often).
A full collection then walks only what was made since the freeze.

Each case runs in a fresh interpreter: a freeze is process-wide and would change every later test.
"""

from __future__ import annotations

import os
import textwrap

from tests.unit.probes import run_probe

_PROBE = textwrap.dedent(
    """
    import gc, sys, time
    from streams.runner import freeze_startup_objects
    # A start-up heap: many long-lived containers, as the models and taxonomy are.
    heap = [[str(i), [i]] for i in range(300_000)]
    def full_collection():
        started = time.perf_counter()
        gc.collect()
        return time.perf_counter() - started
    before = min(full_collection() for _ in range(3))
    frozen = freeze_startup_objects() if sys.argv[1] == "freeze" else 0
    after = min(full_collection() for _ in range(3))
    tracked = len(gc.get_objects())
    print(frozen, tracked, f"{after / before:.3f}", gc.get_freeze_count())
    """
)


def _probe(mode: str) -> tuple[int, int, float, int]:
    frozen, tracked, ratio, count = run_probe(_PROBE, mode, dict(os.environ))
    return int(frozen), int(tracked), float(ratio), int(count)


def test_objects_alive_at_the_freeze_are_left_out_of_later_collections() -> None:
    frozen, tracked, ratio, count = _probe("freeze")
    plain_frozen, plain_tracked, plain_ratio, _ = _probe("plain")
    # The heap (600,000 containers) and everything imported went into the permanent generation.
    assert frozen == count > 600_000
    assert plain_frozen == 0
    # gc no longer lists them, and a full collection no longer walks them: it takes a fraction
    # of the time it took before the freeze, while without one it takes as long as before.
    assert tracked < 100_000 < plain_tracked
    assert ratio < 0.5 < plain_ratio


def test_an_object_made_after_the_freeze_is_still_collected() -> None:
    probe = textwrap.dedent(
        """
        import gc, weakref
        from streams.runner import freeze_startup_objects
        freeze_startup_objects()
        class Node:
            pass
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the collector frees it
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        print(gone() is None)
        """
    )
    (collected,) = run_probe(probe, "", dict(os.environ))
    assert collected == "True"


def test_the_worker_collects_young_objects_less_often() -> None:
    probe = textwrap.dedent(
        """
        import gc
        from streams.runner import WORKER_GC_THRESHOLDS, collect_less_often
        default = gc.get_threshold()
        collect_less_often()
        print(*default, *gc.get_threshold(), *WORKER_GC_THRESHOLDS)
        """
    )
    words = [int(w) for w in run_probe(probe, "", dict(os.environ))]
    default, now, wanted = words[:3], words[3:6], words[6:]
    assert now == wanted != default
    # Young collections much rarer; the older generations keep Python's factors.
    assert now[0] >= 10 * default[0] and now[1:] == default[1:]
