"""Give near-duplicate articles (one wire story rewritten by several feeds) the same story id.

Each article's folded title and summary become a set of shingles, the set a MinHash signature
(datasketch), and the signature LSH band keys. The index maps a band key (or a canonical link)
to the recent items that hashed there; the `story-signatures` table maps an item id to its
signature, story, link key and time. A candidate from a shared band joins the story when the
estimated Jaccard similarity of the two signatures reaches the threshold; every read and write
goes through `assign_story`, a pure function that returns the writes for the agent to make.

Only the signatures are a changelog-backed table. The index is state derived from them
(`StoryIndex`): the agent keeps it in memory, applies `assign_story`'s index writes to it, and
after a rebalance rebuilds it from the signatures (`rebuild_index`), replaying every version in
time order through the same `_add_member`. A bucket's members are a function of the members added
to it (each cap drops the oldest), so the rebuilt index equals the one kept item by item, and a
restarted worker gives the items the story ids one that never stopped would. That cut the
changelog writes of the stage from ~21 (one per band, each a whole bucket) to one per item.

Items of different scripts or detected languages are never compared: the agent's input is keyed
by `story_group` ("Latin|en"), so one worker sees every item of a script and language, and every
table and index key starts with the group. Near-duplicates are rewrites in one language, so the
language costs next to no recall (bench/stream.py --check, 5,000 items: pair recall 0.827 by
script alone, 0.826 by script and language, precision 0.938 both) and spreads the stage over many
keys: by script alone the 80 % of a realistic stream in Latin script went to one partition.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
import re
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from streams.records import (
    UNDETERMINED,
    Article,
    StoryBucket,
    StoryIndexEntry,
    StoryMember,
    StorySignature,
)
from streams.text.clean import canonicalize_link
from streams.text.fold import fold_for_matching
from streams.text.scripts import count_scripts

OTHER_SCRIPTS = "Other"  # no script holds half the letters, or one scripts.py does not know
# Japanese writes one text in Han and Kana, and its headlines are often Han alone: one group, so
# the items of a Japanese story never land on two workers.
_GROUP_OF_SCRIPT = {"Kana": "Han"}
_MIN_GROUP_SHARE = 0.5

# Scripts written without spaces between words (Han, Thai) or whose words carry their particles
# (Hangul) are shingled as character n-grams, the others as words. n measured on the wire-story
# rewrites in tests/unit/test_cluster.py (Jaccard of a rewrite / of a same-topic other story):
# Han bigrams 0.61 / 0.04 (trigrams 0.52 / 0.01), Hangul bigrams 0.75 / 0.14 (word
# unigrams+bigrams 0.45 / 0.03), Thai trigrams 0.76 / 0.21 (bigrams 0.81 / 0.30).
_CHARACTER_NGRAM = {"Han": 2, "Hangul": 2, "Thai": 3}
# Words are cut to their first 5 letters (prefix stemming) and shingled as unigrams plus bigrams.
# On the same rewrites, worst rewrite / worst other story: word bigrams 0.37 / 0.10 (Russian
# inflection breaks them), unigrams 0.53 / 0.32, unigrams+bigrams of 5-letter prefixes 0.61 / 0.21.
_WORD_PREFIX = 5


def _combining_mark_class() -> str:
    """Every combining mark of the Basic Multilingual Plane, as regex class ranges."""
    ranges: list[str] = []
    start: int | None = None
    for code in range(0x0300, 0x10001):
        is_mark = code < 0x10000 and unicodedata.category(chr(code)).startswith("M")
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            ranges.append(f"\\u{start:04x}-\\u{code - 1:04x}")
            start = None
    return "".join(ranges)


# A token: letters and digits with the marks inside them. Python's \w leaves out combining marks,
# which would cut Thai, Devanagari or Bengali words at every vowel sign.
_TOKEN = re.compile(f"[\\w{_combining_mark_class()}]+")

# The permutations are drawn from this seed: stored signatures compare only with signatures made
# with the same one, so changing it orphans the story state until the horizon passes.
_SEED = 1
# datasketch's affine32 scheme (datasketch/minhash.py, _fmix and update_batch), which `_minhash`
# reproduces; tests/unit/test_cluster.py checks it against datasketch itself.
_MAX_HASH = np.uint32(0xFFFFFFFF)
_FMIX_M1 = np.uint32(0x85EBCA6B)
_FMIX_M2 = np.uint32(0xC2B2AE35)
_U16 = np.uint32(16)
_U13 = np.uint32(13)
_HTTP_SCHEMES = frozenset({"http", "https"})

Match = Literal["redelivered", "updated", "link", "similar", "new"]


@dataclass(frozen=True)
class StoryConfig:
    """How stories are found; built once at start-up and passed to every `assign_story`.

    LSH makes two items candidates when all `rows` values of any of the `bands` agree, which
    happens with probability 1 - (1 - s^rows)^bands for Jaccard similarity s. With 20 bands of 3
    rows: 0.02 at s = 0.1, 0.15 at 0.2, 0.42 at 0.3, 0.73 at 0.4, 0.93 at 0.5, 0.99 at 0.6. The
    S-curve sits below the 0.5 threshold on purpose: a candidate is cheap to reject (a local table
    read and one comparison) and a missed one is a split story. 4 rows would find 0.73 of the
    pairs at s = 0.5 (20 bands); more bands cost one changelog write each per item. The bands use
    the first 60 values; confirmation uses all 128, which estimate s = 0.5 within ±0.044 (one
    standard deviation; 64 would give ±0.063 and put rewrites at s = 0.6 below 0.5 one time in 25).
    bench/story_bench.py measures the alternatives.
    """

    num_perm: int = 128
    bands: int = 20
    rows: int = 3
    threshold: float = 0.5  # estimated Jaccard similarity that confirms a candidate
    horizon_seconds: float = 48 * 3600.0  # items older than this are neither matched nor kept
    max_bucket_members: int = 32  # per band key; the oldest go first
    # Fewer shingles than this (a two-word headline) is too little text to call two items one
    # story: such an item joins a story only through its link.
    min_shingles: int = 4
    # Derived once here: datasketch draws them from a seeded RandomState per sketch otherwise,
    # measured 320 µs of the 460 µs a sketch cost.
    permutations: npt.NDArray[np.uint32] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(
                f"bands ({self.bands}) x rows ({self.rows}) must be between 1 and "
                f"num_perm ({self.num_perm})"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold {self.threshold} must be in (0, 1]")
        if self.horizon_seconds <= 0 or self.max_bucket_members < 1 or self.min_shingles < 1:
            raise ValueError("horizon_seconds, max_bucket_members and min_shingles must be > 0")
        object.__setattr__(self, "permutations", affine32_permutations(self.num_perm, _SEED))


def affine32_permutations(num_perm: int, seed: int) -> npt.NDArray[np.uint32]:
    """datasketch's affine32 permutation parameters (`MinHash(num_perm, seed,
    scheme="affine32").permutations`: rows a, b), drawn the way datasketch 2.x draws them
    (minhash.py, `_init_permutations`). Not taken from datasketch itself: `import datasketch`
    loads scipy for its LSH parameter search, ~0.55 s of every worker's and CLI's start
    (measured); tests/unit/test_cluster.py checks these against datasketch's."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    """The story of one article and the table writes that record it (None deletes the key)."""

    story_id: str
    match: Match  # how the story was found; "new" when the item starts one
    similarity: float | None  # estimated Jaccard to the confirming item, for "similar" only
    index_writes: dict[str, StoryBucket | None]  # the index: band or link key -> bucket
    signature_writes: dict[str, StorySignature | None]  # story-signatures: item_id -> signature


def script_group(article: Article) -> str:
    """The script most of the article's letters are written in ("Latin", "Cyrillic", "Han"...):
    the first part of its `story_group`, and what its shingles are cut by."""
    counts = count_scripts(f"{article.title}\n{article.summary}")
    by_group: dict[str, int] = {}
    for script, letters in counts.by_script.items():
        group = _GROUP_OF_SCRIPT.get(script, script)
        by_group[group] = by_group.get(group, 0) + letters
    if not by_group:
        return OTHER_SCRIPTS
    group = max(sorted(by_group), key=by_group.__getitem__)
    return group if by_group[group] >= _MIN_GROUP_SHARE * counts.letters else OTHER_SCRIPTS


def story_group(article: Article) -> str:
    """The article's script group and detected language ("Latin|en", "Han|zh", "Latin|und"):
    the story stage's routing key and the prefix of its table and index keys. Items of different
    groups are never one story."""
    return f"{script_group(article)}|{article.language.code}"


def shingle_article(article: Article, group: str) -> frozenset[bytes]:
    """The shingles of the article's folded title and summary that its signature is made of;
    `group` is its script group or its story group."""
    # Folded as undetermined whatever the detected language: the same text must give the same
    # shingles even when two feeds' items of it were detected as different languages.
    text = fold_for_matching(f"{article.title}\n{article.summary}", UNDETERMINED)
    tokens = _TOKEN.findall(text)
    size = _CHARACTER_NGRAM.get(group.partition("|")[0])
    if size is not None:
        return frozenset(
            gram.encode()
            for token in tokens
            for gram in (
                [token]
                if len(token) <= size
                else [token[i : i + size] for i in range(len(token) - size + 1)]
            )
        )
    prefixes = [token[:_WORD_PREFIX] for token in tokens]
    # map() over builtins rather than generators: ~65 shingles an item, a Python frame each.
    bigrams = map(" ".join, itertools.pairwise(prefixes))
    return frozenset(map(str.encode, itertools.chain(prefixes, bigrams)))


def assign_story(
    article: Article,
    now: float,
    index: Callable[[str], StoryBucket | None],
    signatures: Callable[[str], StorySignature | None],
    config: StoryConfig,
    group: str | None = None,
) -> StoryAssignment:
    """Find the story of `article` in the tables read through `index` and `signatures`.

    `now` (epoch seconds) stamps the item: passing the item's fetched_at makes a replay of the
    topic group items as the live run did. An item already in `signatures` keeps its
    story (redelivery, or an update whose changed text is indexed again); else an item with the
    same canonical link, else the most similar confirmed candidate, else a new story whose id is
    derived from the item id, so a redelivery before the writes landed gets the same id.
    `group` is the article's `story_group`, when the caller has it already.
    """
    group = story_group(article) if group is None else group
    shingles = shingle_article(article, group)
    hashvalues = _minhash(shingles, config) if len(shingles) >= config.min_shingles else None
    signature = hashvalues.astype("<u4", copy=False).tobytes() if hashvalues is not None else None
    stored_self = signatures(article.item_id)
    # A record without a signature (too little text) only indexes the item by its link: the item
    # is placed again as if new, which is what it got before such records were stored.
    known = stored_self if stored_self is not None and stored_self.signature else None
    if known is not None and (signature is None or known.signature == signature):
        return StoryAssignment(known.story_id, "redelivered", None, {}, {})

    band_keys = _band_keys(group, hashvalues, config) if hashvalues is not None else []
    link_key = _link_key(group, article.link)
    keys = [*band_keys, link_key] if link_key is not None else band_keys
    buckets = {key: index(key) for key in keys}
    match: Match
    similarity: float | None
    if known is not None:
        story_id, match, similarity = known.story_id, "updated", None
    else:
        story_id, match, similarity = _find_story(
            article.item_id, hashvalues, band_keys, link_key, buckets, now, signatures, config
        )

    member = StoryMember(article.item_id, story_id, now)
    # The keys not held yet (two in three of an item's) all get this one bucket, `_add_member`'s
    # for them, made once: a frozen record, so sharing it changes nothing a reader can see.
    alone = StoryBucket((member,))
    index_writes: dict[str, StoryBucket | None] = {}
    signature_writes: dict[str, StorySignature | None] = {}
    for key, bucket in buckets.items():
        if bucket is None:
            index_writes[key] = alone
            continue
        index_writes[key], expired = _add_member(bucket, member, now, config)
        # The signatures of items that expired out of a bucket go with them, unless the item was
        # stored again since (an update) and is fresh there.
        for item_id in expired:
            stored = signatures(item_id)
            if stored is not None and _is_expired(stored.seen_at, now, config):
                signature_writes[item_id] = None
    if signature is not None or link_key is not None:
        earlier = _earlier_versions(group, stored_self, now, tuple(keys), config)
        signature_writes[article.item_id] = StorySignature(
            story_id, signature or b"", now, link_key, earlier
        )
    return StoryAssignment(story_id, match, similarity, index_writes, signature_writes)


def index_keys(group: str, stored: StorySignature, config: StoryConfig) -> tuple[str, ...]:
    """The band and link keys the stored version of an item is a member of (`assign_story`'s)."""
    keys: list[str] = []
    if len(stored.signature) == 4 * config.num_perm:
        keys.extend(_band_keys(group, np.frombuffer(stored.signature, dtype="<u4"), config))
    if stored.link_key is not None:
        keys.append(stored.link_key)
    return tuple(keys)


def rebuild_index(
    group: str, records: Iterable[tuple[str, StorySignature]], config: StoryConfig
) -> dict[str, StoryBucket]:
    """The index of `group` as `assign_story`'s writes built it, from the signatures table's
    (item_id, record) pairs of that group: every version of every item (earlier ones from
    `earlier`) is added to its keys in (seen_at, item_id) order, with `_add_member`'s horizon and
    caps. The caps drop the oldest members, so the buckets depend on which members were added,
    not on the order they arrived in; a stream processed in time order gives the same buckets.
    Members whose signature was deleted (past the horizon) are left out: they can match nothing.
    """
    index: dict[str, StoryBucket] = {}
    _replay(group, records, config, index.get, index.__setitem__)
    return index


def _replay(
    group: str,
    records: Iterable[tuple[str, StorySignature]],
    config: StoryConfig,
    read: Callable[[str], StoryBucket | None],
    write: Callable[[str, StoryBucket], None],
) -> None:
    """`rebuild_index` into any store read and written by key."""
    # The current version's keys are derived when it is added, not held for every item at once:
    # 21 key strings an item would take ~2 KB of memory during a rebuild, the record ~0.8 KB.
    adds: list[tuple[float, str, str, tuple[str, ...] | StorySignature]] = []
    for item_id, record in records:
        for entry in record.earlier:
            adds.append((entry.seen_at, item_id, entry.story_id, entry.keys))
        adds.append((record.seen_at, item_id, record.story_id, record))
    # Stable: an item's earlier versions stay before its later ones at the same instant.
    adds.sort(key=operator.itemgetter(0, 1))
    for seen_at, item_id, story_id, version in adds:
        member = StoryMember(item_id, story_id, seen_at)
        keys = version if isinstance(version, tuple) else index_keys(group, version, config)
        for key in keys:
            write(key, _add_member(read(key), member, seen_at, config)[0])


# The in-memory index holds no Python object per key: int keys in dicts with member objects and
# tuples took ~1,360-1,540 bytes an item live (bench/memory_bench.py, 120,000 items; ~12 keys and
# ~19 members an item). A group's item versions are rows of flat arrays (item id as 16 bytes,
# story code, time), each held once however many buckets it is in; a bucket of one member is
# that row's number, a bucket of several a "spill" slot (its code the slot's complement,
# negative) naming a run of row numbers in one int32 arena. Each band's keys (and the links')
# are their 96 bits in sorted arrays (high 64 bits, low 32) beside the bucket's code, found by
# bisection, plus a dict of the keys added since they were last merged into the arrays (an LSM
# of one level; at most 128 + 1/16 of them): 16 bytes a key in the arrays, ~100 in the dict.
# The same buckets come back as were written, so `assign_story` sees the same candidates in the
# same order (tests/unit/test_story_index_compact.py checks it against a dict index); the price
# is CPU, ~+25 % for the story step in process (reads bisect and make member objects).
_DEAD = -(1 << 31)  # a deleted key's code in the arrays, dropped at the next merge or sweep
_LOW_BITS = 32
_LOW_MASK = (1 << _LOW_BITS) - 1
_WIDE = 1 << 96  # keys this wide (bands of more than 3 rows) stay in the dict: too wide to merge
_MERGE_MIN = 128  # a band's dict is merged into its arrays past this many keys ...
_MERGE_SHARE = 16  # ... plus 1/16 of the arrays' keys: a merge copies the arrays
_GARBAGE_MIN = 4_096  # spilled rows left behind are dropped past this + half of those held
_ROWS_KEPT = 0.75  # a sweep compacts a group's rows when fewer than this share is in a bucket
_KNOWN_MAX = 1_024  # members a group keeps made (`_Group.known`): a memo, not a bound
_LINK_DIGITS = 24  # blake2b, 12 bytes: see _link_key


def _id_bytes(item_id: str) -> bytes | None:
    """The 16 bytes of an item id made as streams/feeds/identity.py makes them, else None."""
    if len(item_id) != 34 or not item_id.startswith("i-"):
        return None
    try:
        raw = bytes.fromhex(item_id[2:])
    except ValueError:
        return None
    # fromhex also takes upper case and spaces: only the one spelling `hex()` gives back.
    return raw if len(raw) == 16 and raw.hex() == item_id[2:] else None


def _parse_key(key: str) -> tuple[int, int]:
    """(tag, number): the band number + 1 (0 for a link key) and the key's hex digits as an int."""
    _, kind, digits = key.rsplit("|", 2)
    return (0 if kind == "link" else int(kind[1:]) + 1), int(digits, 16)


def _array(typecode: str, values: npt.NDArray[Any]) -> array[Any]:
    held = array(typecode)
    # Straight from the numpy buffer: `tobytes()` made one more copy of arrays that reach tens of
    # MiB in a large group, at the sweep, when the worker's memory peaks.
    held.frombytes(np.ascontiguousarray(values).data.cast("B"))
    return held


def _ranges(starts: npt.NDArray[np.int32], lengths: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
    """starts[0] .. starts[0]+lengths[0]-1, then the next run, ...: in one int32 array. The same
    as `np.repeat(starts - offsets, lengths) + np.arange(total)`, whose three int64 arrays of every
    spilled row were the largest part of a sweep's passing memory peak."""
    nonempty = lengths > 0
    first, counts = starts[nonempty].astype(np.int64), lengths[nonempty]
    total = int(counts.sum())
    steps = np.ones(total, dtype=np.int32)
    if total:
        ends = np.cumsum(counts)[:-1]
        steps[0] = first[0]
        # Each run starts where the last one ended plus this jump (int32: positions in `spilled`).
        steps[ends] = first[1:] - (first[:-1] + counts[:-1] - 1)
        np.cumsum(steps, out=steps)
    return steps


class _Keys:
    """One band's (or the links') keys of one group, with their buckets' codes.

    Numpy arrays, for the merges and sweeps; read and written one key at a time through
    memoryviews of them (bisect and indexing on a memoryview give Python ints, ~10 times faster
    than numpy's scalars)."""

    __slots__ = ("arrays", "codes", "dead", "generation", "high", "low", "recent")

    def __init__(self) -> None:
        self.recent: dict[int, int] = {}  # key number -> code, for numbers not in the arrays
        self.generation = 0  # changes whenever a position in the arrays may have moved
        self.dead = 0  # codes _DEAD in the arrays
        self.hold(np.empty(0, np.uint64), np.empty(0, np.uint32), np.empty(0, np.int32))

    def hold(
        self,
        high: npt.NDArray[np.uint64],
        low: npt.NDArray[np.uint32],
        codes: npt.NDArray[np.int32],
    ) -> None:
        """Hold these arrays: high sorted (equal ones, keys of other lows, adjacent)."""
        self.arrays = (high, low, codes)
        self.high, self.low, self.codes = high.data, low.data, codes.data
        self.generation += 1

    def find(self, number: int) -> int:
        """The key's position in the arrays, or -1."""
        if number >= _WIDE:
            return -1
        high, low, highs = number >> _LOW_BITS, number & _LOW_MASK, self.high
        position = bisect_left(highs, high)
        while position < len(highs) and highs[position] == high:
            if self.low[position] == low:
                return position
            position += 1
        return -1

    def merge(self) -> None:
        """Move the dict's keys into the arrays (and the deleted keys out of them)."""
        recent = self.recent
        wide = max(recent, default=0) >= _WIDE
        narrow = {n: c for n, c in recent.items() if n < _WIDE} if wide else recent
        # Split into high and low through bytes: numpy takes no int of more than 64 bits.
        split = np.frombuffer(
            b"".join([number.to_bytes(12, "big") for number in narrow]),
            dtype=np.dtype([("high", ">u8"), ("low", ">u4")]),
        )
        order = np.argsort(split["high"], kind="stable")
        high = split["high"][order].astype(np.uint64)
        low = split["low"][order].astype(np.uint32)
        codes = np.fromiter(narrow.values(), dtype=np.int32, count=len(narrow))[order]
        old_high, old_low, old_codes = self.arrays
        if self.dead:
            live = old_codes != _DEAD
            old_high, old_low, old_codes = old_high[live], old_low[live], old_codes[live]
            self.dead = 0
        at = np.searchsorted(old_high, high)
        self.hold(np.insert(old_high, at, high), np.insert(old_low, at, low),
                  np.insert(old_codes, at, codes))  # fmt: skip
        self.recent = {n: c for n, c in recent.items() if n >= _WIDE} if wide else {}

    def keep(self, kept: npt.NDArray[np.bool_]) -> None:
        """Only the keys of the arrays where `kept` is true."""
        high, low, codes = self.arrays
        self.hold(high[kept], low[kept], codes[kept])
        self.dead = int(np.count_nonzero(self.arrays[2] == _DEAD))

    def entries(self) -> Iterator[tuple[int, int]]:
        """(number, code) of every live key."""
        for high, low, code in zip(self.high, self.low, self.codes, strict=True):
            if code != _DEAD:
                yield high << _LOW_BITS | low, code
        yield from self.recent.items()


class _Group:
    """The index of one story group: its item versions (rows), spilled buckets and keys."""

    __slots__ = ("bands", "garbage", "item_ids", "known", "made", "odd_ids", "seen", "spill_at",
                 "spill_free",
                 "spill_len", "spilled", "stories", "story_codes", "story_ids")  # fmt: skip

    def __init__(self) -> None:
        self.bands: dict[int, _Keys] = {}  # by tag: band number + 1, 0 for the links
        # Item ids as wirewatch makes them ("i-" and 32 hex digits, streams/feeds/identity.py)
        # are held as their 16 bytes (16 bytes a row instead of an 83-byte str); any other id
        # (an earlier release's, a test's) as itself in `odd_ids`, its 16 bytes left zero.
        self.item_ids = bytearray()
        self.odd_ids: dict[int, str] = {}
        self.stories: array[int] = array("i")  # index into story_ids
        self.seen: array[float] = array("d")
        self.story_ids: list[str] = []
        self.story_codes: dict[str, int] = {}
        # Buckets of several members: slot s holds spilled[spill_at[s] : + spill_len[s]], their
        # rows in order. A bucket that grows is written anew at the end; what it leaves behind
        # (`garbage`) is dropped once it outgrows what is held.
        self.spilled: array[int] = array("i")
        self.spill_at: array[int] = array("i")  # -1: a free slot
        self.spill_len: array[int] = array("H")
        self.spill_free: list[int] = []
        self.garbage = 0
        # The members made lately, by row, and the row of each by the member's identity (it is
        # held here, so its id is its own): a read of a recent item's buckets makes no new
        # objects, and a write finds the rows of the members it was given without comparing.
        self.known: dict[int, tuple[StoryMember, int]] = {}
        self.made: dict[int, tuple[StoryMember, StoryBucket]] = {}

    def locate(self, key: str) -> tuple[_Keys, int, int]:
        tag, number = _parse_key(key)
        keys = self.bands.get(tag)
        if keys is None:
            keys = self.bands[tag] = _Keys()
        return keys, number, keys.find(number)

    def code(self, keys: _Keys, number: int, position: int) -> int | None:
        if position < 0:
            return keys.recent.get(number)
        code = keys.codes[position]
        return None if code == _DEAD else code

    def rows(self, code: int) -> Sequence[int]:
        if code >= 0:
            return (code,)
        at = self.spill_at[~code]
        return self.spilled[at : at + self.spill_len[~code]]

    def member(self, row: int) -> StoryMember:
        return StoryMember(self.item_id(row), self.story_ids[self.stories[row]], self.seen[row])

    def item_id(self, row: int) -> str:
        odd = self.odd_ids.get(row) if self.odd_ids else None
        return "i-" + self.item_ids[row * 16 : row * 16 + 16].hex() if odd is None else odd

    def bucket(self, code: int) -> StoryBucket:
        return StoryBucket(tuple(map(self.member, self.rows(code))))

    def row(self, member: StoryMember, old: Sequence[int]) -> int:
        """The row of `member`: the one it was read from or added as (by identity), else the
        bucket's own when it held it already (by value), else one added."""
        known = self.known.get(id(member))
        if known is not None and known[0] is member:
            return known[1]
        for row in old:
            if (
                self.seen[row] == member.seen_at
                and self.item_id(row) == member.item_id
                and self.story_ids[self.stories[row]] == member.story_id
            ):
                return row
        row = len(self.seen)
        self.remember(member, row)
        self.item_ids += _id_bytes(member.item_id) or self._odd(row, member.item_id)
        story = self.story_codes.get(member.story_id)
        if story is None:
            story = self.story_codes[member.story_id] = len(self.story_ids)
            self.story_ids.append(member.story_id)
        self.stories.append(story)
        self.seen.append(member.seen_at)
        return row

    def _odd(self, row: int, item_id: str) -> bytes:
        self.odd_ids[row] = item_id
        return bytes(16)

    def remember(self, member: StoryMember, row: int) -> StoryBucket:
        """Keep `member` as the object of `row`; its bucket alone."""
        if len(self.known) >= _KNOWN_MAX:
            self.forget()
        alone = StoryBucket((member,))
        self.known[id(member)] = (member, row)
        self.made[row] = (member, alone)
        return alone

    def forget(self) -> None:
        self.known.clear()
        self.made.clear()

    def release(self, code: int) -> None:
        if code < 0:
            slot = ~code
            self.garbage += self.spill_len[slot]
            self.spill_at[slot], self.spill_len[slot] = -1, 0
            self.spill_free.append(slot)

    def write(self, located: tuple[_Keys, int, int], bucket: StoryBucket | None) -> None:
        keys, number, position = located
        old = self.code(keys, number, position)
        if bucket is None:
            if old is not None:
                self.release(old)
                if position < 0:
                    del keys.recent[number]
                else:
                    keys.codes[position] = _DEAD
                    keys.dead += 1
            return
        old_rows = () if old is None else (old,) if old >= 0 else self.rows(old)
        members = bucket.members
        if len(members) == 1:
            code = self.row(members[0], old_rows)
            if old is not None and old < 0:
                self.release(old)
        else:
            code = self.spill(old, [self.row(member, old_rows) for member in members])
        if position >= 0:
            keys.codes[position] = code
        else:
            keys.recent[number] = code
            if len(keys.recent) > _MERGE_MIN + len(keys.high) // _MERGE_SHARE:
                keys.merge()
        if self.garbage > _GARBAGE_MIN + len(self.spilled) // 2:
            self.compact()

    def spill(self, old: int | None, rows: list[int]) -> int:
        """The code of a bucket of these rows, in the slot of the `old` one if it had one."""
        if old is not None and old < 0:
            slot = ~old
            at, held = self.spill_at[slot], self.spill_len[slot]
            if len(rows) <= held:  # a cap dropped a member: written over
                self.spilled[at : at + len(rows)] = array("i", rows)
                self.garbage += held - len(rows)
                self.spill_len[slot] = len(rows)
                return old
            self.garbage += held
        elif self.spill_free:
            slot = self.spill_free.pop()
        else:
            slot = len(self.spill_at)
            self.spill_at.append(-1)
            self.spill_len.append(0)
        self.spill_at[slot], self.spill_len[slot] = len(self.spilled), len(rows)
        self.spilled.extend(rows)
        return ~slot

    def spill_ranges(self) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]:
        """(which slots are held, where each held slot's rows are in `spilled`, all of them)."""
        at = np.frombuffer(self.spill_at, dtype=np.int32)
        lengths = np.frombuffer(self.spill_len, dtype=np.uint16).astype(np.int64)
        held = at >= 0
        return held, _ranges(at[held], lengths[held])

    def compact(self, renumber: npt.NDArray[np.int64] | None = None) -> None:
        """`spilled` without garbage and the slots without free ones (their codes changed
        in every band), rows renumbered if `renumber` is given."""
        held, positions = self.spill_ranges()
        rows = np.frombuffer(self.spilled, dtype=np.int32)[positions]
        if renumber is not None:
            rows = renumber[rows].astype(np.int32)
        lengths = np.frombuffer(self.spill_len, dtype=np.uint16)[held]
        reslot = np.full(len(held), -1, dtype=np.int64)
        reslot[held] = np.arange(int(held.sum()))
        self.spilled = _array("i", rows)
        self.spill_len = _array("H", lengths)
        self.spill_at = _array("i", (np.cumsum(lengths, dtype=np.int64) - lengths).astype(np.int32))
        self.spill_free, self.garbage = [], 0
        self.recode(lambda codes: codes, reslot)
        if renumber is not None:
            self.recode(lambda codes: renumber[codes], None)

    def recode(
        self,
        singles: Callable[[npt.NDArray[np.int32]], npt.NDArray[Any]],
        reslot: npt.NDArray[np.int64] | None,
    ) -> None:
        """Every key's code mapped: a row's by `singles`, a slot's by `reslot` if given."""
        for keys in self.bands.values():
            high, low, codes = keys.arrays
            codes = codes.copy()
            numbers = list(keys.recent)
            codes = np.concatenate([codes, np.array(list(keys.recent.values()), np.int32)])
            single = codes >= 0
            codes[single] = singles(codes[single])
            if reslot is not None:
                spill = (codes < 0) & (codes != _DEAD)
                codes[spill] = ~reslot[~codes[spill]]
            keys.hold(high, low, codes[: len(high)].copy())
            keys.recent = dict(zip(numbers, codes[len(high) :].tolist(), strict=True))

    def newest(self, codes: npt.NDArray[np.int32], seen: npt.NDArray[np.float64],
               spill_newest: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:  # fmt: skip
        """The newest member's time of each code's bucket (-inf for a deleted key)."""
        newest = np.full(len(codes), -np.inf)
        single = codes >= 0
        newest[single] = seen[codes[single]]
        spilled = (codes < 0) & (codes != _DEAD)
        newest[spilled] = spill_newest[~codes[spilled]]
        return newest

    def spill_newest(self, seen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The newest member's time of every spill slot (-inf for a free or empty one)."""
        newest = np.full(len(self.spill_at), -np.inf)
        held, positions = self.spill_ranges()
        lengths = np.frombuffer(self.spill_len, dtype=np.uint16)[held].astype(np.int64)
        filled = np.flatnonzero(held)[lengths > 0]
        if len(filled):
            times = seen[np.frombuffer(self.spilled, dtype=np.int32)[positions]]
            starts = (np.cumsum(lengths) - lengths)[lengths > 0]
            newest[filled] = np.maximum.reduceat(times, starts)
        return newest

    def sweep(self, now: float, horizon: float) -> int:
        """Delete the buckets whose newest member is past the horizon; how many."""
        seen = np.frombuffer(self.seen, dtype=np.float64)
        spill_newest = self.spill_newest(seen)
        swept = 0
        for keys in self.bands.values():
            codes = keys.arrays[2]
            # The same float arithmetic as _is_expired; a deleted key (-inf) goes too.
            expired = now - self.newest(codes, seen, spill_newest) > horizon
            swept += int(np.count_nonzero(expired & (codes != _DEAD)))
            for code in codes[expired & (codes < 0) & (codes != _DEAD)].tolist():
                self.release(code)
            if expired.any():
                keys.keep(~expired)
            recent = np.array(list(keys.recent.values()), dtype=np.int32)
            gone = (now - self.newest(recent, seen, spill_newest) > horizon).tolist()
            for number, code, expired_too in zip(list(keys.recent), recent.tolist(), gone,
                                                  strict=True):  # fmt: skip
                if expired_too:
                    self.release(code)
                    del keys.recent[number]
                    swept += 1
        del seen
        self.collect()
        return swept

    def collect(self) -> None:
        """Drop the rows no bucket holds (and free spill slots, unused story ids) once they are
        a quarter of them: an item leaves its last bucket through a cap or a sweep."""
        count = len(self.seen)
        used = np.zeros(count, dtype=np.bool_)
        for keys in self.bands.values():
            codes = keys.arrays[2]
            used[codes[codes >= 0]] = True
            used[[code for code in keys.recent.values() if code >= 0]] = True
        _, positions = self.spill_ranges()
        used[np.frombuffer(self.spilled, dtype=np.int32)[positions]] = True
        kept = np.flatnonzero(used)
        if len(kept) >= _ROWS_KEPT * count and len(self.spill_free) <= len(self.spill_at) // 4:
            return
        renumber = np.cumsum(used, dtype=np.int64) - 1
        self.forget()  # rows move
        stories, story_rows = np.unique(
            np.frombuffer(self.stories, dtype=np.int32)[kept], return_inverse=True
        )
        self.story_ids = [self.story_ids[story] for story in stories.tolist()]
        self.story_codes = {story_id: code for code, story_id in enumerate(self.story_ids)}
        self.stories = _array("i", story_rows.astype(np.int32))
        ids = np.frombuffer(self.item_ids, dtype=np.uint8).reshape(-1, 16)[kept]
        self.item_ids = bytearray(ids.tobytes())
        self.odd_ids = {int(renumber[row]): odd for row, odd in self.odd_ids.items() if used[row]}
        self.seen = _array("d", np.frombuffer(self.seen, dtype=np.float64)[kept])
        self.compact(renumber)

    def buckets(self, group: str, band_digits: int) -> dict[str, StoryBucket]:
        out = {}
        for tag, keys in self.bands.items():
            for number, code in keys.entries():
                if tag:
                    name = f"{group}|b{tag - 1}|{number:0{band_digits}x}"
                else:
                    name = f"{group}|link|{number:0{_LINK_DIGITS}x}"
                out[name] = self.bucket(code)
        return out

    def size(self) -> tuple[int, int]:
        keys = members = 0
        for band in self.bands.values():
            for _, code in band.entries():
                keys += 1
                members += 1 if code >= 0 else self.spill_len[~code]
        return keys, members


# Where `reader` found a key, for `apply` to write it without parsing and searching again: the
# group and keys it was found in, the key's number and position, and the keys' generation then.
_Located = tuple[_Group, _Keys, int, int, int]


class _Memo:
    """Where each key a read found was, for the write that follows it. Forgotten after every
    apply and sweep; a write that finds nothing here searches again."""

    __slots__ = ("located",)

    def __init__(self) -> None:
        self.located: dict[str, _Located] = {}

    def clear(self) -> None:
        self.located.clear()


class StoryIndex:
    """The band and link index of every story group a worker places items of, in memory.

    Derived state: `assign_story` reads it and its index writes go here, never to a changelog;
    `rebuild` makes a group's index from the signatures table after a rebalance. Bounded by the
    horizon through `sweep`, as the table it replaces was by the agent's sweep. It holds buckets
    compactly (`_Group`, `_Keys`): flat arrays, ~16 bytes a key and ~40 a row (an item version),
    ~430 bytes an item live instead of ~1,360 (bench/memory_bench.py, 120,000 items). What it
    gives back is what was written: the same buckets, members in the same order.
    """

    def __init__(self, config: StoryConfig) -> None:
        self.config = config
        self._groups: dict[str, _Group] = {}
        # Every key `assign_story` reads it then writes (`apply`): located once, for the write.
        self._memo = _Memo()
        self.bulk = True  # `rebuild` through `_built`; tests compare it with the replay

    def __contains__(self, group: object) -> bool:
        return group in self._groups

    def rebuild(self, group: str, records: Iterable[tuple[str, StorySignature]]) -> None:
        """Make `group`'s index from its signatures. Built aside and put in place at the end,
        with its own memos: the agent may run this in a thread, and a group is never seen half
        built (nor left so by an exception)."""
        built = _built(records, self.config) if self.bulk else None
        if built is None:
            built = self._replayed(group, records)
        self._groups[group] = built

    def _replayed(self, group: str, records: Iterable[tuple[str, StorySignature]]) -> _Group:
        """`rebuild` a key at a time: `_replay` through the reads and writes `assign_story`'s
        go through (~13 µs a key; `_built` does it at once when it can)."""
        state, memo = _Group(), _Memo()

        def write(key: str, bucket: StoryBucket) -> None:
            state.write(_where(state, memo, key), bucket)

        _replay(group, records, self.config, _read(state, memo), write)
        state.collect()
        return state

    def reader(self, group: str) -> Callable[[str], StoryBucket | None]:
        return _read(self._group(group), self._memo)

    def _group(self, group: str) -> _Group:
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = _Group()
        return state

    def apply(self, group: str, writes: dict[str, StoryBucket | None]) -> None:
        state, memo = self._group(group), self._memo
        for key, bucket in writes.items():
            state.write(_where(state, memo, key), bucket)
        # Keys read but not written (an item redelivered): forgotten, so this stays small.
        memo.clear()

    def sweep(self, group: str, now: float) -> int:
        """Delete the group's buckets whose newest member is past the horizon; how many."""
        self._memo.clear()  # rows and positions move
        state = self._groups.get(group)
        return 0 if state is None else state.sweep(now, self.config.horizon_seconds)

    def clear(self) -> None:
        self._groups.clear()
        self._memo.clear()

    def buckets(self, group: str) -> dict[str, StoryBucket]:
        """The group's buckets under their str keys, for tests and measurements."""
        state = self._groups.get(group)
        return {} if state is None else state.buckets(group, self.config.rows * 8)

    def size(self) -> tuple[int, int]:
        """(keys, members) over every group."""
        sizes = [state.size() for state in self._groups.values()]
        return sum(keys for keys, _ in sizes), sum(members for _, members in sizes)


def _where(state: _Group, memo: _Memo, key: str) -> tuple[_Keys, int, int]:
    """Where `key` is in `state`: as the read before this write found it, if nothing moved."""
    found = memo.located.pop(key, None)
    if found is not None and found[0] is state and found[1].generation == found[4]:
        return found[1], found[2], found[3]
    return state.locate(key)


def _read(state: _Group, memo: _Memo) -> Callable[[str], StoryBucket | None]:
    # The hot path (~20 reads an item): locals, and `_Group.locate` and `code` written inline.
    # The row arrays are looked up at each read: a sweep may replace them.
    bands, located, made = state.bands, memo.located, state.made

    def read(key: str) -> StoryBucket | None:
        _, kind, digits = key.rsplit("|", 2)
        number = int(digits, 16)
        keys = bands.get(0 if kind == "link" else int(kind[1:]) + 1)
        if keys is None:
            keys = state.locate(key)[0]
        code = keys.recent.get(number)
        position = -1
        if code is None:
            position = keys.find(number)
            if position >= 0:
                code = keys.codes[position]
                if code == _DEAD:
                    code = None
        located[key] = (state, keys, number, position, keys.generation)
        if code is None:
            return None
        if code >= 0:
            hit = made.get(code)
            return state.remember(state.member(code), code) if hit is None else hit[1]
        members = []
        for row in state.rows(code):
            hit = made.get(row)
            if hit is None:
                member = state.member(row)
                state.remember(member, row)
                members.append(member)
            else:
                members.append(hit[0])
        return StoryBucket(tuple(members))

    return read


def _built(records: Iterable[tuple[str, StorySignature]], config: StoryConfig) -> _Group | None:
    """`_replay` of `records` into a `_Group` at once, or None when band keys would be too wide
    for the arrays (the caller replays them then).

    The replay adds every version to its keys in (seen_at, item_id) order, and a key's bucket
    is a function of the versions added to it, in that order (`_add_member`). So the band keys
    of every version are cut from the signatures' bytes at once (numpy), each key's versions
    grouped by one stable sort, a key of one version given that version's row, and only the
    keys of several run through `_add_member`'s rules, on ints (`_kept`). Rows are made for the
    versions some bucket holds, in replay order; every key goes straight into the sorted
    arrays. The replay cost ~13 µs a key added (a read, members made, a write); this ~1 µs.
    tests/unit/test_story_index_compact.py checks it against the replay."""
    width = 4 * config.rows
    if width * 8 > 96:
        return None
    adds: list[tuple[float, str, str, tuple[str, ...] | StorySignature]] = []
    for item_id, record in records:
        for entry in record.earlier:
            adds.append((entry.seen_at, item_id, entry.story_id, entry.keys))
        adds.append((record.seen_at, item_id, record.story_id, record))
    adds.sort(key=operator.itemgetter(0, 1))  # stable, as _replay's
    seen = [add[0] for add in adds]
    names = [add[1] for add in adds]
    item_codes: dict[str, int] = {}
    items = [item_codes.setdefault(name, len(item_codes)) for name in names]
    story_codes: dict[str, int] = {}
    stories = [story_codes.setdefault(add[2], len(story_codes)) for add in adds]
    # Keys given as strings (earlier versions' keys, links): (number, add) by tag, in add order.
    parsed: dict[int, list[tuple[int, int]]] = {}
    signed: list[int] = []  # the adds whose band keys are cut from their signature
    signatures: list[bytes] = []
    full, prefix = 4 * config.num_perm, config.bands * width
    for at, (_, _, _, version) in enumerate(adds):
        if isinstance(version, tuple):
            strings: Iterable[str] = version
        else:
            if len(version.signature) == full:
                signed.append(at)
                signatures.append(version.signature[:prefix])
            strings = () if version.link_key is None else (version.link_key,)
        for key in strings:
            tag, number = _parse_key(key)
            parsed.setdefault(tag, []).append((number, at))
    del adds
    # Each band's 96 bits (fewer rows: zeros on the left) as its high 64 and low 32.
    joined = np.frombuffer(b"".join(signatures), np.uint8).reshape(len(signed), config.bands, width)
    del signatures
    if width < 12:
        joined = np.concatenate(
            [np.zeros((len(signed), config.bands, 12 - width), np.uint8), joined], axis=2
        )
    split = joined.reshape(len(signed), 12 * config.bands).view(
        np.dtype([("high", ">u8"), ("low", ">u4")])
    )
    band_high, band_low = split["high"].astype(np.uint64), split["low"].astype(np.uint32)
    del joined, split
    signed_adds = np.array(signed, dtype=np.int64)

    # Per tag: its keys sorted, each with the adds (in replay order) made to its bucket.
    found: list[tuple[_Keys, npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    wide: list[tuple[_Keys, dict[int, list[int]]]] = []
    state = _Group()
    for tag in sorted({*parsed, *range(1, config.bands + 1)} if signed else parsed):
        keys = state.bands[tag] = _Keys()
        given = parsed.get(tag, [])
        narrow = [(number, at) for number, at in given if number < _WIDE]
        if len(narrow) < len(given):
            runs: dict[int, list[int]] = {}
            for number, at in given:
                if number >= _WIDE:
                    runs.setdefault(number, []).append(at)
            wide.append((keys, runs))
        high = np.array([number >> _LOW_BITS for number, _ in narrow], dtype=np.uint64)
        low = np.array([number & _LOW_MASK for number, _ in narrow], dtype=np.uint32)
        made = np.array([at for _, at in narrow], dtype=np.int64)
        if signed and 1 <= tag <= config.bands:
            high = np.concatenate([band_high[:, tag - 1], high])
            low = np.concatenate([band_low[:, tag - 1], low])
            made = np.concatenate([signed_adds, made])
        order = np.lexsort((made, low, high))
        high, low, made = high[order], low[order], made[order]
        first = np.ones(len(made), dtype=np.bool_)
        first[1:] = (high[1:] != high[:-1]) | (low[1:] != low[:-1])
        starts = np.flatnonzero(first)
        keys.hold(high[starts], low[starts], np.zeros(len(starts), dtype=np.int32))
        found.append((keys, starts, made))
    del band_high, band_low, parsed

    # Which adds each bucket keeps. For nearly every bucket, its adds of distinct items within
    # the horizon of each other, `_add_member`'s rules come to this: an add is kept unless three
    # later ones of its story came (the per-story cap) or `cap` later ones were kept (the
    # bucket's), and nothing is sorted (the adds come in its order). Proof by induction on the
    # adds: the story cap drops at most one, the oldest of three in the bucket, and the bucket
    # holds the last `cap` of those the story cap left. The others (an item added again, a
    # version past the horizon of a later one) go through its rules one add at a time (`_kept`).
    used = np.zeros(len(seen), dtype=np.bool_)
    seen_at = np.array(seen, dtype=np.float64)
    item_of, story_of = np.array(items, dtype=np.int64), np.array(stories, dtype=np.int64)
    horizon, cap = config.horizon_seconds, config.max_bucket_members
    placed: list[tuple[_Keys, npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_],
                       npt.NDArray[np.bool_], list[list[int]]]] = []  # fmt: skip
    for keys, starts, made in found:
        if not len(made):
            continue
        ends = np.append(starts[1:], len(made))
        key_of = np.repeat(np.arange(len(starts)), ends - starts)
        # Float subtraction is monotonic: within the horizon of the first, none expires.
        simple = seen_at[made[ends - 1]] - seen_at[made[starts]] <= horizon
        keep = np.ones(len(made), dtype=np.bool_)
        for values, reach in ((item_of[made], 1), (story_of[made], MEMBERS_PER_STORY)):
            order = np.lexsort((values, key_of))  # stable: in add order within a key and value
            by_key, by_value = key_of[order], values[order]
            over = (by_key[reach:] == by_key[:-reach]) & (by_value[reach:] == by_value[:-reach])
            if reach == 1:
                simple[by_key[1:][over]] = False
            else:
                keep[order[:-reach][over]] = False
        keep &= simple[key_of]
        # The bucket cap: kept only with fewer than `cap` kept after it in its key.
        counted = np.cumsum(keep, dtype=np.int64)
        before = np.append(0, counted)[starts]
        after = (counted[ends - 1] - before)[key_of] - (counted - before[key_of])
        keep &= after < cap
        used[made[keep]] = True
        rest = np.flatnonzero(~simple)
        every = made.tolist()
        runs_at = zip(starts[rest].tolist(), ends[rest].tolist(), strict=True)
        kept = [_kept(every[a:b], seen, names, items, stories, horizon, cap)
                for a, b in runs_at]  # fmt: skip
        for run in kept:
            used[run] = True
        placed.append((keys, starts, made, simple, keep, kept))
    del found
    for _, runs in wide:
        for number, run in runs.items():
            runs[number] = survivors = _kept(run, seen, names, items, stories, horizon, cap)
            used[survivors] = True

    # Rows for the adds kept, in replay order; their stories coded in the order first held.
    rows = np.flatnonzero(used)
    row_of = np.cumsum(used, dtype=np.int64) - 1
    # Story codes in the order of the first add of each (as the replay makes its rows), the
    # stories no row holds left out (as its `collect` would).
    story_ids = list(story_codes)
    held, recoded = np.unique(np.array(stories, dtype=np.int32)[rows], return_inverse=True)
    state.story_ids = [story_ids[story] for story in held.tolist()]
    state.story_codes = {story_id: code for code, story_id in enumerate(state.story_ids)}
    state.stories = _array("i", recoded.astype(np.int32))
    state.seen = _array("d", np.array(seen, dtype=np.float64)[rows])
    for row, at in enumerate(rows.tolist()):
        name = names[at]
        raw = _id_bytes(name)
        if raw is None:
            state.odd_ids[row] = name
            raw = bytes(16)
        state.item_ids += raw

    # Each key's code: its one row's, or a spill slot of its rows (the slots in one arena).
    spilled: list[npt.NDArray[np.int64]] = []
    lengths: list[npt.NDArray[np.int64]] = []
    slots = 0

    def spill(rows: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        nonlocal slots
        spilled.append(rows)
        lengths.append(sizes)
        slots += len(sizes)
        return ~np.arange(slots - len(sizes), slots, dtype=np.int32)

    for keys, starts, made, simple, keep, kept in placed:
        # A bucket's newest add is always kept: when it keeps one, that one.
        ends = np.append(starts[1:], len(made))
        codes = row_of[made[ends - 1]].astype(np.int32)
        sizes = np.add.reduceat(keep.astype(np.int64), starts)
        several = simple & (sizes > 1)
        entries = keep & np.repeat(several, ends - starts)
        codes[several] = spill(row_of[made[entries]], sizes[several])
        rest = np.flatnonzero(~simple)
        if len(rest):
            taken = np.array([len(run) for run in kept], dtype=np.int64)
            flat = np.array([add for run in kept for add in run], dtype=np.int64)
            codes[rest] = row_of[flat[np.cumsum(taken) - taken]]
            shared = taken > 1
            codes[rest[shared]] = spill(row_of[flat[np.repeat(shared, taken)]], taken[shared])
        high, low, _ = keys.arrays
        keys.hold(high, low, codes)
    for keys, runs in wide:
        for number, run in runs.items():
            sizes = np.array([len(run)], dtype=np.int64)
            code = row_of[run[0]] if len(run) == 1 else spill(row_of[run], sizes)[0]
            keys.recent[number] = int(code)
    if slots:
        counts = np.concatenate(lengths)
        state.spilled = _array("i", np.concatenate(spilled).astype(np.int32))
        state.spill_len = _array("H", counts.astype(np.uint16))
        state.spill_at = _array("i", (np.cumsum(counts) - counts).astype(np.int32))
    return state


def _kept(
    run: list[int],
    seen: list[float],
    names: list[str],
    items: list[int],
    stories: list[int],
    horizon: float,
    cap: int,
) -> list[int]:
    """The adds a bucket keeps of the adds `run` made to it, in order: `_add_member` on ints."""
    kept: list[int] = []
    for new in run:
        now, item, story = seen[new], items[new], stories[new]
        fresh, siblings = [], 1
        for old in kept:
            if now - seen[old] <= horizon and items[old] != item:
                fresh.append(old)
                siblings += stories[old] == story
        fresh.append(new)
        if siblings > MEMBERS_PER_STORY:
            excess, trimmed = siblings - MEMBERS_PER_STORY, []
            for old in fresh:
                if excess and stories[old] == story:
                    excess -= 1
                else:
                    trimmed.append(old)
            fresh = trimmed
        if len(fresh) > 1 and (seen[fresh[-2]], names[fresh[-2]]) > (now, names[new]):
            fresh.sort(key=lambda add: (seen[add], names[add]))
        kept = fresh[-cap:]
    return kept


def expired_keys(
    entries: Iterable[tuple[str, StoryBucket | StorySignature]], now: float, config: StoryConfig
) -> list[str]:
    """Keys of either story table whose value is past the horizon: a signature stored that long
    ago, or a bucket whose newest member is. Deleting them keeps the tables bounded; most band
    keys are written once and never touched again, so `assign_story` alone would not."""
    expired = []
    for key, value in entries:
        if isinstance(value, StorySignature):
            newest = value.seen_at
        else:
            newest = max((member.seen_at for member in value.members), default=float("-inf"))
        if _is_expired(newest, now, config):
            expired.append(key)
    return expired


def _earlier_versions(
    group: str,
    stored: StorySignature | None,
    now: float,
    keys: tuple[str, ...],
    config: StoryConfig,
) -> tuple[StoryIndexEntry, ...]:
    """The versions before this one that the index still holds: an update leaves the item in the
    buckets of its old keys (each at its old time) until the horizon or the caps drop it."""
    if stored is None:
        return ()
    previous = StoryIndexEntry(stored.story_id, stored.seen_at, index_keys(group, stored, config))
    versions = [*stored.earlier]
    # The same version again (a redelivered item with too little text to be known by signature).
    if previous.keys and (previous.seen_at, previous.keys) != (now, keys):
        versions.append(previous)
    return tuple(v for v in versions if not _is_expired(v.seen_at, now, config))


def new_story_id(item_id: str) -> str:
    """The id of a story an item starts: stable, so a redelivered item gets the same one."""
    return "s-" + hashlib.blake2b(item_id.encode(), digest_size=8).hexdigest()


def _minhash(shingles: Iterable[bytes], config: StoryConfig) -> npt.NDArray[np.uint32]:
    """datasketch's MinHash of `shingles` (affine32 scheme, CRC-32 input hash), bit for bit,
    without building a MinHash object: its constructor and checks cost more than the arithmetic
    (measured 28 µs a sketch of 40 shingles through datasketch, about 14 µs here)."""
    # CRC-32 rather than datasketch's default SHA-1: 0.15 µs a shingle instead of 3 µs, and the
    # affine32 scheme first mixes every input hash with the MurmurHash3 finalizer, so CRC's
    # linearity never reaches the permutations; over 3,000 rewritten pairs the estimate's bias
    # and spread were the same as with SHA-1 (-0.001 vs 0.001, sd 0.040 vs 0.041).
    values = list(map(zlib.crc32, shingles))
    if not values:
        return np.full(config.num_perm, _MAX_HASH, dtype=np.uint32)
    hashes = np.array(values, dtype=np.uint32)
    # datasketch's _fmix for width 32; uint32 arithmetic wraps, as the finalizer means it to.
    hashes ^= hashes >> _U16
    hashes *= _FMIX_M1
    hashes ^= hashes >> _U13
    hashes *= _FMIX_M2
    hashes ^= hashes >> _U16
    a, b = config.permutations
    permuted = np.multiply.outer(hashes, a)
    permuted += b
    minimum: npt.NDArray[np.uint32] = permuted.min(axis=0)
    return minimum


def _band_keys(group: str, hashvalues: npt.NDArray[np.uint32], config: StoryConfig) -> list[str]:
    # The band's own values in hex make the key: they are hash values already, so hashing them
    # again would only cost time. Little-endian, so every machine sharing the changelog agrees.
    digits = hashvalues.astype("<u4").tobytes().hex()
    width = config.rows * 8
    return [
        f"{group}|b{band}|{digits[band * width : (band + 1) * width]}"
        for band in range(config.bands)
    ]


def _link_key(group: str, link: str | None) -> str | None:
    canonical = canonicalize_link(link)
    if canonical is None:
        return None
    parts = urlsplit(canonical)
    # Some feeds link every item to their home page (or to nothing usable): not one story.
    if parts.scheme not in _HTTP_SCHEMES or (parts.path in ("", "/") and not parts.query):
        return None
    return f"{group}|link|" + hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


def _find_story(
    item_id: str,
    hashvalues: npt.NDArray[np.uint32] | None,
    band_keys: list[str],
    link_key: str | None,
    buckets: dict[str, StoryBucket | None],
    now: float,
    signatures: Callable[[str], StorySignature | None],
    config: StoryConfig,
) -> tuple[str, Match, float | None]:
    """The story of a new item: by link, else by its best confirmed candidate, else its own."""
    if link_key is not None:
        linked = _fresh_members(buckets[link_key], now, config)
        if linked:
            return linked[-1].story_id, "link", None
    best: tuple[float, float, str] | None = None  # (-similarity, seen_at, story_id): min wins
    if hashvalues is not None:
        size = 4 * len(hashvalues)
        compared = {item_id}
        for key in band_keys:
            bucket = buckets[key]
            if bucket is None:  # two in three of an item's keys
                continue
            for member in _fresh_members(bucket, now, config):
                if member.item_id in compared:
                    continue
                compared.add(member.item_id)
                stored = signatures(member.item_id)
                # A signature of another length was made with another num_perm: not comparable.
                if (
                    stored is None
                    or _is_expired(stored.seen_at, now, config)
                    or len(stored.signature) != size
                ):
                    continue
                similarity = _estimate_jaccard(hashvalues, stored.signature)
                if similarity >= config.threshold:
                    rank = (-similarity, stored.seen_at, stored.story_id)
                    best = rank if best is None else min(best, rank)
    if best is not None:
        return best[2], "similar", -best[0]
    return new_story_id(item_id), "new", None


def _estimate_jaccard(hashvalues: npt.NDArray[np.uint32], stored: bytes) -> float:
    """The share of equal MinHash values: datasketch's `MinHash.jaccard`, without the objects."""
    equal = int(np.count_nonzero(hashvalues == np.frombuffer(stored, dtype="<u4")))
    return equal / len(hashvalues)


def _fresh_members(
    bucket: StoryBucket | None, now: float, config: StoryConfig
) -> tuple[StoryMember, ...]:
    if bucket is None:
        return ()
    return tuple(m for m in bucket.members if now - m.seen_at <= config.horizon_seconds)


MEMBERS_PER_STORY = 3


def _add_member(
    bucket: StoryBucket | None, member: StoryMember, now: float, config: StoryConfig
) -> tuple[StoryBucket, list[str]]:
    """The bucket with `member` in it, past-horizon members out and at most the newest
    `max_bucket_members` kept; plus the ids of the members that expired.

    A bucket keeps at most `MEMBERS_PER_STORY` members of a story, the newest: it only has to
    lead a new item to the story, and a story reported by 500 outlets would otherwise fill every
    bucket it hashes to (pipeline_bench's stream, ~40 items per story, replayed in process: 41 KiB
    of changelog per item with no cap, 2.5 KiB with one member per story). One member cost recall
    (0.948 to 0.894 in story_bench: a variant may resemble an older sibling more than the newest).
    """
    if bucket is None:
        return StoryBucket((member,)), []
    horizon, item_id, story_id = config.horizon_seconds, member.item_id, member.story_id
    kept: list[StoryMember] = []
    expired: list[str] = []
    siblings = 1  # the member itself
    for old in bucket.members:
        if now - old.seen_at > horizon:
            expired.append(old.item_id)
        elif old.item_id != item_id:
            kept.append(old)
            siblings += old.story_id == story_id
    kept.append(member)
    if siblings > MEMBERS_PER_STORY:
        excess = siblings - MEMBERS_PER_STORY
        trimmed = []
        for old in kept:  # the story's oldest members come first
            if excess and old.story_id == story_id:
                excess -= 1
            else:
                trimmed.append(old)
        kept = trimmed
    # Members arrive in time order, so the new one is nearly always last already.
    if len(kept) > 1 and (kept[-2].seen_at, kept[-2].item_id) > (now, member.item_id):
        kept.sort(key=lambda m: (m.seen_at, m.item_id))
    return StoryBucket(tuple(kept[-config.max_bucket_members :])), expired


def _is_expired(seen_at: float, now: float, config: StoryConfig) -> bool:
    return now - seen_at > config.horizon_seconds
