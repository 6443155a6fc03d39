"""Helpers shared by the link tests (test_links_round*.py)."""

from __future__ import annotations

import numpy as np

from streams.stories.links import Embedding


def vectors(cosine: float) -> tuple[Embedding, Embedding]:
    """Two unit vectors whose cosine is `cosine`."""
    first = np.zeros(512, dtype=np.float32)
    second = np.zeros(512, dtype=np.float32)
    first[0] = 1.0
    second[0], second[1] = cosine, (1 - cosine**2) ** 0.5
    return first, second
