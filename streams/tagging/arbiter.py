"""Decide the rules' border cases with a small character n-gram model: a topic the rules saw some
evidence for (score above 0, below the threshold) is tagged when the model is confident.

The model is one logistic regression per topic over hashed character 2-4-grams of the folded
title and lead, trained on the tuning data only by bench/train_arbiter.py; the weights ship in
streams/data/arbiter_ngram.npz (float16). It never tags an item the rules found nothing in, and
never removes a rule tag: bench/README "An arbiter model on top of the rules" has the numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from streams.text.fold import fold_for_matching

DIMENSIONS = 1 << 16
NGRAM_SIZES = (2, 3, 4)
WEIGHTS_FILE = "arbiter_ngram.npz"
# News text repeats its n-grams: a gram's bucket is hashed once (crc32 and encode were ~70 µs of a
# 250-character item's ~235); the dict is emptied when full, as match.py does with its words.
_BUCKETS: dict[str, int] = {}
_BUCKET_CACHE_SIZE = 1 << 18


@dataclass(frozen=True, eq=False)
class Arbiter:
    """Weights (DIMENSIONS x topics), a bias and a probability threshold per topic."""

    topics: tuple[str, ...]
    weights: npt.NDArray[np.float16]
    bias: npt.NDArray[np.float64]
    thresholds: Mapping[str, float]

    def probabilities(self, text: str, language: str) -> dict[str, float]:
        """Every known topic's probability for `text` (title, newline, lead)."""
        buckets = ngram_buckets(text, language)
        scale = 1 / np.sqrt(max(len(buckets), 1))
        z = self.weights[buckets].sum(axis=0, dtype=np.float64) * scale + self.bias
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        return dict(zip(self.topics, p.tolist(), strict=True))

    def confirms(self, probabilities: Mapping[str, float], topic: str) -> bool:
        """Whether the model is confident enough to tag a border `topic`."""
        threshold = self.thresholds.get(topic)
        return threshold is not None and probabilities[topic] >= threshold


def ngram_buckets(text: str, language: str) -> npt.NDArray[np.int64]:
    """The distinct hashed character 2-4-grams of the folded text, words padded with spaces."""
    folded = " " + " ".join(fold_for_matching(text, language).split()) + " "
    grams = {folded[i : i + n] for n in NGRAM_SIZES for i in range(len(folded) - n + 1)}
    if len(_BUCKETS) >= _BUCKET_CACHE_SIZE:
        _BUCKETS.clear()
    for gram in grams.difference(_BUCKETS):
        # crc32, not hash(): Python salts str hashes per process, and the weights are fixed.
        _BUCKETS[gram] = zlib.crc32(gram.encode()) % DIMENSIONS
    # Sorted: the weights are summed in the order the training script summed them.
    buckets = sorted(set(map(_BUCKETS.__getitem__, grams)))
    return np.array(buckets, dtype=np.int64)


def arbiter_text(title: str, summary: str) -> str:
    """The text the model was trained on: title and lead on two lines."""
    return (title + "\n" + summary).strip()


@cache
def load_arbiter() -> Arbiter:
    """The bundled model, read once per process."""
    with resources.files("streams").joinpath("data", WEIGHTS_FILE).open("rb") as handle:
        data = np.load(handle)
        topics = tuple(str(t) for t in data["topics"])
        thresholds = dict(zip(topics, (float(t) for t in data["thresholds"]), strict=True))
        weights = data["weights"].astype(np.float16)
        bias = data["bias"].astype(np.float64)
    if weights.shape != (DIMENSIONS, len(topics)):
        raise ValueError(f"{WEIGHTS_FILE}: weights of shape {weights.shape}; rebuild the file")
    return Arbiter(topics, weights, bias, MappingProxyType(thresholds))
