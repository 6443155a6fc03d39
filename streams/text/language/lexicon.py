"""Word frequencies from wordfreq: how likely each language is to write the words of a text.

Character n-gram models (ELD, fastText, py3langid) split their votes between close languages
because the languages share most n-grams. Whole words are what tell them apart ("karena" against
"kerana", "هست" against "هو", "је" against "е"), and wordfreq ships word frequency lists for them
built from Wikipedia, news, subtitles and web text (lists of words seen at least once per million).
Measured in bench/language_bench.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import wordfreq
from wordfreq.transliterate import SR_LATN_TABLE

# A word missing from a language's list is rarer there than the list's cut-off of 1 in a million:
# it counts as 10**-6.5 there, so one unknown word costs half an order of magnitude, not all.
UNKNOWN_WORD_LOG10 = -6.5
# Our codes that wordfreq names otherwise: it keeps Serbian, Croatian and Bosnian in one
# Serbo-Croatian list in Latin letters, and Norwegian as Bokmål.
_WORDFREQ_CODES = {"sr": "sh", "hr": "sh", "bs": "sh", "no": "nb"}
D = TypeVar("D")
_WORD_EDGES = ".,:;!?\"'()[]«»“”„‘’…-–—/|*#@"


class WordTable:
    """One language's list, word → log10 frequency, read like a dict (`get`, `in`, `len`) but held
    without a Python object per word: the words' hashes, sorted, and each one's frequency bucket.

    As dicts of str, the 18 lists took ~88 MiB of every worker (559,000 distinct words: 41 MiB of
    strings, 22 MiB of hash tables, the rest left over from loading); as arrays, 9 bytes a word
    (6 MiB). A word is found by its `hash()` (64 bits, the process's own seed): a word that is
    not listed is taken for a listed one only if the two hashes are equal, about one chance in
    10**14 per lookup for the largest list. The values are the same floats the dicts held."""

    __slots__ = ("_buckets", "_hashes", "_values")

    def __init__(self, frequencies: dict[str, float]) -> None:
        hashes = np.fromiter(map(hash, frequencies), dtype=np.int64, count=len(frequencies))
        values, buckets = np.unique(
            np.fromiter(frequencies.values(), dtype=np.float64, count=len(frequencies)),
            return_inverse=True,
        )
        order = np.argsort(hashes, kind="stable")
        self._hashes: npt.NDArray[np.int64] = hashes[order]
        self._buckets: npt.NDArray[np.uint16] = buckets.astype(np.uint16)[order]
        # Python floats, one per bucket (a few hundred), so a lookup returns the same objects'
        # values a dict returned: sums stay bit for bit what they were.
        self._values: list[float] = values.tolist()

    def __len__(self) -> int:
        return len(self._hashes)

    def __reduce__(self) -> tuple[object, ...]:
        # Another process hashes str with its own seed: a copy there would find no word at all.
        raise TypeError("a WordTable holds this process's str hashes; load the lists where used")

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._position(hash(word)) is not None

    def get(self, word: str, default: float | None = None) -> float | None:
        position = self._position(hash(word))
        return default if position is None else self._values[self._buckets[position]]

    def lookup(self, words: Sequence[str], default: D) -> list[float | D]:
        """The value of each word, `default` for a word not listed: `get` for many at once."""
        if not words:
            return []
        wanted = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
        positions = np.searchsorted(self._hashes, wanted)
        positions[positions == len(self._hashes)] = 0
        found = self._hashes[positions] == wanted
        values, buckets = self._values, self._buckets[positions].tolist()
        return [values[b] if f else default for b, f in zip(buckets, found.tolist(), strict=True)]

    def min_value(self) -> float:
        return self._values[0]

    def _position(self, key: int) -> int | None:
        position = int(np.searchsorted(self._hashes, key))
        if position < len(self._hashes) and self._hashes[position] == key:
            return position
        return None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """log10 word frequencies per language code; build with `load_lexicon()` at start-up."""

    log10_frequencies: dict[str, WordTable]
    # Words of the Serbo-Croatian list by their yat reflex (see count_yat_reflexes), sorted out
    # once at load: ~60 ms then, instead of ~50 µs a text.
    ekavian: frozenset[str] = frozenset()
    ijekavian: frozenset[str] = frozenset()

    def covers(self, codes: Iterable[str]) -> bool:
        return all(code in self.log10_frequencies for code in codes)


def load_lexicon(codes: Iterable[str]) -> Lexicon:
    """Load wordfreq's 'small' list of each language (bundled in its wheel; nothing downloaded).

    Raises LookupError for a language wordfreq has no list for.
    """
    tables: dict[str, WordTable] = {}
    ekavian: frozenset[str] = frozenset()
    ijekavian: frozenset[str] = frozenset()
    available = wordfreq.available_languages(wordlist="small")
    for code in codes:
        source = _WORDFREQ_CODES.get(code, code)
        if source not in available:
            raise LookupError(f"wordfreq has no word list for {code!r}")
        frequencies = _log10_frequencies(wordfreq.read_cBpack(available[source]))
        if code == "sr":  # needs the words themselves, which the table does not keep
            ekavian, ijekavian = _sort_by_yat(frequencies)
        tables[code] = WordTable(frequencies)
    return Lexicon(tables, ekavian=ekavian, ijekavian=ijekavian)


def _log10_frequencies(buckets: list[list[str]]) -> dict[str, float]:
    """word → log10 frequency from wordfreq's packed list, whose i-th bucket holds the words at
    -i centibels; a word in two buckets keeps the later one, as `get_frequency_dict` does.

    The file is read here rather than through `get_frequency_dict`, which keeps both the list
    and its own dict of every language in an unbounded cache for the life of the process
    (~23 MiB over these lists, measured)."""
    table: dict[str, float] = {}
    for index, bucket in enumerate(buckets):
        log10_frequency = math.log10(wordfreq.cB_to_freq(-index))
        for word in bucket:
            table[word] = log10_frequency
    return table


def text_words(text: str) -> list[str]:
    """The lower-cased words of `text`, without the punctuation around them."""
    words = (word.strip(_WORD_EDGES) for word in text.lower().split())
    return [word for word in words if word]


def serbian_latin(words: Sequence[str]) -> list[str]:
    """Serbian Cyrillic words in Latin letters, the spelling of wordfreq's Serbo-Croatian list."""
    return [word.translate(SR_LATN_TABLE) for word in words]


def word_log10_likelihoods(
    words: Sequence[str], codes: Iterable[str], lexicon: Lexicon
) -> dict[str, float]:
    """log10 P(words | language) for each of `codes`, as if the words were independent."""
    # Summed in the words' order, as always: the same floats give the same sums, bit for bit.
    return {
        code: sum(lexicon.log10_frequencies[code].lookup(words, UNKNOWN_WORD_LOG10))
        for code in codes
    }


# Consonants of Serbo-Croatian's Latin alphabet: the old vowel yat follows a consonant.
_CONSONANTS = frozenset("bcčćdđfghjklmnprsštvzž")
# Words whose e or io is no yat although the other spelling is also a word: loanwords spelled
# alike in all three standards, and tek (only), which is not tijek (course).
_NOT_YAT = frozenset(["video", "stereo", "rodeo", "radio", "studio", "trio", "tek"])


def count_yat_reflexes(words: Iterable[str], lexicon: Lexicon) -> tuple[int, int]:
    """(ekavian, ijekavian) words among `words`: Serbian writes the old yat as e (vreme, deo,
    mesto), Croatian and Bosnian as ije/je (vrijeme, dio, mjesto).

    A word of wordfreq's Serbo-Croatian list (which holds both spellings) counts when its other
    reflex is listed too: 'mjesto' is ijekavian because 'mesto' is listed, 'projekat' is not
    because 'proekat' is not. Zero for both without the "sr" list.
    """
    distinct = frozenset(words)
    return len(distinct & lexicon.ekavian), len(distinct & lexicon.ijekavian)


def _sort_by_yat(listed: dict[str, float]) -> tuple[frozenset[str], frozenset[str]]:
    ekavian, ijekavian = [], []
    for word in listed:
        if len(word) < 3 or not word.isalpha() or word in _NOT_YAT:
            continue
        if _ijekavian_form_of_listed(word, listed):
            ijekavian.append(word)
        elif _ekavian_form_of_listed(word, listed):
            ekavian.append(word)
    return frozenset(ekavian), frozenset(ijekavian)


def _ijekavian_form_of_listed(word: str, listed: dict[str, float]) -> bool:
    if word.endswith("io") and word[:-2] + "eo" in listed:  # dio/deo, htio/hteo
        return True
    for reflex in ("ije", "je"):
        start = word.find(reflex, 1)
        while start > 0:
            # A final -ije is the genitive of -ija nouns in all three (Srbije, policije), a final
            # -nje or -lje a verbal noun or adverb (formiranje, bolje): nj and lj are letters.
            final = start + len(reflex) == len(word)
            not_yat = final and (reflex == "ije" or word[start - 1] in "nl")
            other = word[:start] + "e" + word[start + len(reflex) :]
            if word[start - 1] in _CONSONANTS and not not_yat and other in listed:
                return True
            start = word.find(reflex, start + 1)
    return False


def _ekavian_form_of_listed(word: str, listed: dict[str, float]) -> bool:
    if word.endswith("eo") and word[:-2] + "io" in listed:  # deo/dio, hteo/htio
        return True
    # A final e is left out: adding ije there makes comparatives (nove/novije, jasne/jasnije).
    # So is the prefix pre-: Bosnian writes it so too (prevoz, prevara), and prema, preko are
    # shared words that only look like prijema, prijeko.
    start = word.find("e", 3 if word.startswith("pre") else 1)
    while 0 < start < len(word) - 1:
        if word[start - 1] in _CONSONANTS:
            head, tail = word[:start], word[start + 1 :]
            if head + "ije" + tail in listed or head + "je" + tail in listed:
                return True
        start = word.find("e", start + 1)
    return False
