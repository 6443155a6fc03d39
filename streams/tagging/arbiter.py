"""Decide the rules' border cases with a small character n-gram model: a topic the rules saw some
evidence for (score above 0, below the threshold) is tagged when the model is confident.

The model is one logistic regression per topic over hashed character 2-4-grams of the folded
title and lead, trained on the tuning data only by bench/train_arbiter.py; the weights ship in
streams/data/arbiter_ngram.npz (float16). It never tags an item the rules found nothing in, and
never removes a rule tag: bench/README "An arbiter model on top of the rules" has the numbers.
"""

from __future__ import annotations

import itertools
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
# News text repeats its words and n-grams: a gram's bucket is hashed once (crc32 and encode were
# ~70 µs of a 250-character item's ~235), and a word's own grams are collected once. Each dict is
# emptied when full, as match.py does with its words.
_BUCKETS: dict[str, int] = {}
_BUCKET_CACHE_SIZE = 1 << 18
_WORD_BUCKETS: dict[str, npt.NDArray[np.int64]] = {}
_WORD_CACHE_SIZE = 1 << 16
_GAP_BUCKETS: dict[str, tuple[int, int, int]] = {}


@dataclass(frozen=True, eq=False)
class Arbiter:
    """Weights (DIMENSIONS x topics), a bias and a probability threshold per topic."""

    topics: tuple[str, ...]
    weights: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float64]
    thresholds: Mapping[str, float]

    def probabilities(self, text: str, language: str) -> dict[str, float]:
        """Every known topic's probability for `text` (title, newline, lead)."""
        buckets = ngram_buckets(text, language)
        scale = 1 / np.sqrt(max(len(buckets), 1))
        z = self.weights.take(buckets, axis=0).sum(axis=0, dtype=np.float64) * scale + self.bias
        p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
        return dict(zip(self.topics, p.tolist(), strict=True))

    def confirms(self, probabilities: Mapping[str, float], topic: str) -> bool:
        """Whether the model is confident enough to tag a border `topic`."""
        threshold = self.thresholds.get(topic)
        return threshold is not None and probabilities[topic] >= threshold


def ngram_buckets(text: str, language: str) -> npt.NDArray[np.int64]:
    """The distinct hashed character 2-4-grams of the folded text, words padded with spaces.

    The text is " w1 w2 ... wk ": every gram lies inside one padded word " wi ", or holds the
    space between two words and a character on each side of it (at most 4 characters, so never
    three words). A word's own buckets are cached; only those crossing grams are sliced per text.
    """
    words = fold_for_matching(text, language).split()
    if not words:
        return _distinct_buckets("  ")
    parts = [_word_buckets(word) for word in words]
    crossing = [
        bucket
        for left, right in itertools.pairwise(words)
        for bucket in _gap_buckets((" " + left)[-2:] + (right + " ")[:2])
    ]
    parts.append(np.array(crossing, dtype=np.int64))
    buckets = np.concatenate(parts)
    buckets.sort()
    # Sorted and distinct, as the training script summed the weights.
    return buckets[np.concatenate(([True], buckets[1:] != buckets[:-1]))]


def _gap_buckets(context: str) -> tuple[int, int, int]:
    """The buckets of the three grams that cross the gap between two words: `context` is the
    two characters before the gap and the two after it ("xu" + "vy" for "...xu vy...", the padding
    space standing in for a missing one)."""
    cached = _GAP_BUCKETS.get(context)
    if cached is None:
        if len(_GAP_BUCKETS) >= _BUCKET_CACHE_SIZE:
            _GAP_BUCKETS.clear()
        before, after = context[:2], context[2:]
        cached = _GAP_BUCKETS[context] = (
            _bucket(before[1] + " " + after[0]),
            _bucket(before + " " + after[0]),
            _bucket(before[1] + " " + after),
        )
    return cached


def _word_buckets(word: str) -> npt.NDArray[np.int64]:
    """The buckets of the grams inside " word "."""
    cached = _WORD_BUCKETS.get(word)
    if cached is None:
        if len(_WORD_BUCKETS) >= _WORD_CACHE_SIZE:
            _WORD_BUCKETS.clear()
        cached = _WORD_BUCKETS[word] = _distinct_buckets(" " + word + " ")
    return cached


def _distinct_buckets(padded: str) -> npt.NDArray[np.int64]:
    """The sorted distinct buckets of every 2-4-gram of `padded`."""
    grams = {padded[i : i + n] for n in NGRAM_SIZES for i in range(len(padded) - n + 1)}
    return np.array(sorted({_bucket(gram) for gram in grams}), dtype=np.int64)


def _bucket(gram: str) -> int:
    bucket = _BUCKETS.get(gram)
    if bucket is None:
        if len(_BUCKETS) >= _BUCKET_CACHE_SIZE:
            _BUCKETS.clear()
        # crc32, not hash(): Python salts str hashes per process, and the weights are fixed.
        bucket = _BUCKETS[gram] = zlib.crc32(gram.encode()) % DIMENSIONS
    return bucket


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
        # Shipped as float16; held as float32, which holds every float16 exactly and which numpy
        # gathers and sums faster (the sums in float64 are the same).
        weights = data["weights"].astype(np.float16).astype(np.float32)
        bias = data["bias"].astype(np.float64)
    if weights.shape != (DIMENSIONS, len(topics)):
        raise ValueError(f"{WEIGHTS_FILE}: weights of shape {weights.shape}; rebuild the file")
    return Arbiter(topics, weights, bias, MappingProxyType(thresholds))
