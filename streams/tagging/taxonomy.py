"""Load and check the topic rule file, and compile it into tries that match a text in one pass.

The file is TOML (see streams/data/taxonomy.toml for the annotated format). A term is one or more
alternatives separated by "|", each a word or phrase in dictionary form; "word*" matches any word
starting with "word", "~word" matches "word" anywhere inside a word (German compounds), and terms
written in Chinese, Japanese or Thai characters always match inside runs of text.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeGuard

from streams.errors import WirewatchError
from streams.tagging.arbiter import Arbiter, load_arbiter
from streams.text.fold import UNSPACED_SCRIPT, WORD_PATTERN, base_language, fold_for_rules

SCHEMA_VERSION = 1
DEFAULT_TITLE_WEIGHT = 1.5
MIN_STEM_LETTERS = 3
# A Hangul syllable is a whole consonant-vowel(-consonant) block: two of them ("선거", election)
# say as much as three Latin letters, and Korean attaches its particles to the noun ("선거에서").
MIN_HANGUL_STEM_SYLLABLES = 2
_HANGUL_SYLLABLES = re.compile("^[\uac00-\ud7a3]+$")
MAX_NEAR_WORDS = 20

_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_IPTC_CODE = re.compile(r"^medtop:\d{8}$")

_TOP_KEYS = frozenset({"schema_version", "title_weight", "arbiter", "topics"})
_TOPIC_KEYS = frozenset({"id", "label", "iptc", "threshold", "rules"})
_RULE_KEYS = frozenset({"terms", "all", "near", "not", "not_near", "evidence"})


class TaxonomyError(WirewatchError):
    """A rule file that does not load; the message names file:line, topic, language and fix."""


@dataclass(frozen=True, slots=True)
class AllRule:
    """Every term must appear somewhere in the item (title or summary)."""

    terms: tuple[str, ...]
    weight: float


@dataclass(frozen=True, slots=True)
class NearRule:
    """Term `a` with term `b` at most `within` words away; weight 0 for exclusions."""

    a: str
    b: str
    within: int
    weight: float


@dataclass(frozen=True, slots=True)
class LanguageRules:
    language: str
    terms: tuple[tuple[str, float], ...]  # (term as written, weight)
    all_of: tuple[AllRule, ...] = ()
    near: tuple[NearRule, ...] = ()
    exclude: tuple[str, ...] = ()  # a match inside one of these does not count
    exclude_near: tuple[NearRule, ...] = ()  # `a` does not count when `b` is near it
    # When given, the topic is tagged in this language only if one of these terms is found too:
    # evidence of the event the topic covers (case counts for an outbreak, voters for an
    # election), not just its name. Empty: the score alone decides, as before.
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    label: str
    iptc: str
    threshold: float
    rules: tuple[LanguageRules, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """Parsed, validated topics."""

    topics: tuple[Topic, ...]
    title_weight: float = DEFAULT_TITLE_WEIGHT
    source: str = "taxonomy.toml"
    # `arbiter = true`: the bundled n-gram model decides the rules' border cases (see
    # streams/tagging/arbiter.py); off unless the file asks, so watchlists and own files are rules.
    arbiter: bool = False

    @property
    def languages(self) -> tuple[str, ...]:
        seen = {rules.language: None for topic in self.topics for rules in topic.rules}
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Piece:
    """One word position of a term, in folded form."""

    kind: str  # "=" whole word, "^" word starting with, "~" inside a word
    text: str

    @property
    def key(self) -> str:
        return self.kind + self.text


class RuleKind(Enum):
    TERM = "term"
    ALL = "all"
    NEAR = "near"
    EXCLUDE = "not"
    EXCLUDE_NEAR = "not_near"
    EVIDENCE = "evidence"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    topic: int  # index into CompiledTaxonomy.topics
    kind: RuleKind
    weight: float
    parts: int  # terms that must all be found: 1, 2 for near rules, n for all-groups
    within: int  # near rules only
    spec: str  # as written in the file, for people reading a match


@dataclass(slots=True)
class TrieNode:
    children: dict[str, TrieNode] = field(default_factory=dict)
    ends: list[tuple[int, int]] = field(default_factory=list)  # (rule index, part index)


@dataclass(
    frozen=True, slots=True, eq=False
)  # identity hash: match.py caches word keys per matcher
class LanguageMatcher:
    """The rules of one language (or of all, for the fallback) as a trie over word keys."""

    root: TrieNode
    keys: frozenset[str]  # every key in the trie: a word's candidate keys are filtered by it
    stem_lengths: tuple[int, ...]  # lengths of the "^" stems, ascending
    infix: re.Pattern[str] | None  # one alternation of every "~" term, longest first
    infix_prefixes: Mapping[str, tuple[str, ...]]  # "~" term -> shorter "~" terms it starts with
    depth: int  # words in the longest term
    # Topics (indexes) that need one of their `evidence` terms in this matcher's language; the
    # all-languages fallback needs none, so an unruled language keeps the score-only behaviour.
    evidence_topics: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    id: str
    label: str
    iptc: str
    threshold: float


@dataclass(frozen=True)
class CompiledTaxonomy:
    """Ready to match; built once at start-up and shared read-only."""

    topics: tuple[CompiledTopic, ...]
    rules: tuple[CompiledRule, ...]
    matchers: Mapping[str, LanguageMatcher]
    fallback: LanguageMatcher  # every language's rules, for "und" and languages without rules
    title_weight: float
    arbiter: Arbiter | None = None  # decides topics the rules scored above 0, below threshold

    def matcher_for(self, language: str) -> LanguageMatcher:
        return self.matchers.get(base_language(language), self.fallback)


def parse_term(spec: str, language: str) -> tuple[tuple[Piece, ...], ...]:
    """Split a term into its alternatives, each a sequence of word pieces.

    Raises ValueError with the fix when the term cannot be matched as written.
    """
    alternatives: list[tuple[Piece, ...]] = []
    for alternative in spec.split("|"):
        words = alternative.split()
        if not words:
            raise ValueError(f"term {spec!r} has an empty alternative; remove the stray '|'")
        pieces: list[Piece] = []
        for word in words:
            pieces.extend(_parse_word(word, len(words), spec, language))
        alternatives.append(tuple(pieces))
    return tuple(alternatives)


def _parse_word(word: str, word_count: int, spec: str, language: str) -> list[Piece]:
    infix = word.startswith("~")
    stem = word.endswith("*")
    core = word.removeprefix("~").removesuffix("*")
    if "*" in core or "~" in core:
        raise ValueError(
            f"term {spec!r}: '*' may only end a word and '~' only start one, as in 'elect*'"
        )
    parts = [fold_for_rules(m.group(), language) for m in WORD_PATTERN.finditer(core)]
    if not parts:
        raise ValueError(f"term {spec!r} has a word with no letters; write a word or phrase")
    unspaced = any(UNSPACED_SCRIPT.search(part) for part in parts)
    if unspaced and (word_count > 1 or len(parts) > 1 or stem):
        raise ValueError(
            f"term {spec!r}: write Chinese/Japanese terms as one run with no spaces and no '*'"
        )
    if unspaced:
        # Chinese text is split where the script changes ("DDoS攻击" is "DDoS" and "攻击").
        if UNSPACED_SCRIPT.sub("", parts[0]):
            raise ValueError(
                f"term {spec!r} mixes Chinese/Japanese characters with other letters or digits; "
                "write each script as a term of its own"
            )
        if len(parts[0]) < 2:
            raise ValueError(f"term {spec!r}: one character matches too much; use two or more")
        return [Piece("~", parts[0])]
    if infix:
        if word_count > 1 or len(parts) > 1:
            raise ValueError(f"term {spec!r}: a '~' compound term must be one single word")
        if len(parts[0]) < MIN_STEM_LETTERS:
            raise ValueError(f"term {spec!r}: a '~' term needs at least {MIN_STEM_LETTERS} letters")
        return [Piece("~", parts[0])]
    pieces = [Piece("=", part) for part in parts]
    if stem:
        hangul = _HANGUL_SYLLABLES.match(parts[-1]) is not None
        if len(parts[-1]) < (MIN_HANGUL_STEM_SYLLABLES if hangul else MIN_STEM_LETTERS):
            raise ValueError(
                f"term {spec!r}: the stem before '*' needs at least {MIN_STEM_LETTERS} letters"
            )
        pieces[-1] = Piece("^", parts[-1])
    return pieces


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a rule file; None reads the bundled streams/data/taxonomy.toml.

    Raises TaxonomyError naming the first problem (and how many more there are).
    """
    taxonomy, problems = _read_taxonomy(path)
    if problems or taxonomy is None:
        more = f" (and {len(problems) - 1} more: run `wirewatch taxonomy check`)"
        raise TaxonomyError(problems[0] + (more if len(problems) > 1 else ""))
    return taxonomy


def check_taxonomy(path: Path) -> list[str]:
    """Return every problem in a rule file as a readable line; empty when the file is good."""
    return _read_taxonomy(path)[1]


def load_default_taxonomy() -> CompiledTaxonomy:
    """Load the bundled taxonomy and compile it."""
    return compile_taxonomy(load_taxonomy())


def _read_taxonomy(path: Path | None) -> tuple[Taxonomy | None, list[str]]:
    if path is None:
        bundled = resources.files("streams").joinpath("data", "taxonomy.toml")
        name, text = "streams/data/taxonomy.toml", bundled.read_text(encoding="utf-8")
    else:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return None, [f"{name}: cannot read the taxonomy ({exc}); check the path"]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{name}: not valid TOML: {exc}; fix the syntax there"]
    return _parse_document(data, _Locator(name, text.splitlines()))


@dataclass(frozen=True, slots=True)
class _Locator:
    """Finds the line a problem is on: tomllib keeps no positions, so search the text."""

    name: str
    lines: list[str]

    def where(self, topic_id: str | None = None, needle: str | None = None) -> str:
        start = 0
        if topic_id is not None:
            pattern = re.compile(rf'^\s*id\s*=\s*"{re.escape(topic_id)}"')
            start = next((i for i, line in enumerate(self.lines) if pattern.match(line)), 0)
        if needle is not None:
            for index in range(start, len(self.lines)):
                if needle in self.lines[index]:
                    return f"{self.name}:{index + 1}"
        return f"{self.name}:{start + 1}"


def _parse_document(data: dict[str, Any], at: _Locator) -> tuple[Taxonomy | None, list[str]]:
    problems: list[str] = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(
            f"{at.where(needle=key)}: unknown key {key!r}; allowed: {sorted(_TOP_KEYS)}"
        )
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        problems.append(f"{at.where(needle='schema_version')}: schema_version must be 1")
    title_weight = data.get("title_weight", DEFAULT_TITLE_WEIGHT)
    if not is_number(title_weight) or title_weight <= 0:
        problems.append(f"{at.where(needle='title_weight')}: title_weight must be a number > 0")
        title_weight = DEFAULT_TITLE_WEIGHT
    arbiter = data.get("arbiter", False)
    if not isinstance(arbiter, bool):
        problems.append(
            f"{at.where(needle='arbiter')}: arbiter must be true or false, e.g. arbiter = false "
            "for the rules alone"
        )
    raw_topics = data.get("topics")
    if not isinstance(raw_topics, list) or not raw_topics:
        problems.append(f"{at.where()}: no topics; add at least one [[topics]] table")
        return None, problems
    topics: list[Topic] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_topics, start=1):
        topic = _parse_topic(raw, number, at, problems)
        if topic is None:
            continue
        if topic.id in seen:
            problems.append(
                f"{at.where(needle=topic.id)}: topic {topic.id!r} is defined twice; "
                "merge the two [[topics]] tables"
            )
        seen.add(topic.id)
        topics.append(topic)
    if problems:
        return None, problems
    return Taxonomy(tuple(topics), float(title_weight), at.name, arbiter is True), []


def _parse_topic(raw: Any, number: int, at: _Locator, problems: list[str]) -> Topic | None:
    topic_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(topic_id, str) or not _TOPIC_ID.match(topic_id):
        problems.append(
            f"{at.name}: topic #{number}: id must be lower_snake_case text, e.g. "
            f'id = "elections"; got {topic_id!r}'
        )
        return None
    assert isinstance(raw, dict)
    where = f"{at.where(topic_id)}: topic {topic_id!r}"
    before = len(problems)
    for key in sorted(set(raw) - _TOPIC_KEYS):
        problems.append(f"{where}: unknown key {key!r}; allowed: {sorted(_TOPIC_KEYS)}")
    label, iptc, threshold = raw.get("label"), raw.get("iptc"), raw.get("threshold")
    if not isinstance(label, str) or not label.strip():
        problems.append(f'{where}: label is missing; add label = "Human readable name"')
    if not isinstance(iptc, str) or not _IPTC_CODE.match(iptc):
        problems.append(
            f'{where}: iptc must be an IPTC Media Topic code like "medtop:20000574"; got {iptc!r}'
        )
    if not is_number(threshold) or threshold <= 0:
        problems.append(f"{where}: threshold must be a number > 0, e.g. threshold = 2.0")
    raw_rules = raw.get("rules")
    if not isinstance(raw_rules, dict) or not raw_rules:
        problems.append(f"{where}: no rules; add a [topics.rules.en.terms] table")
        return None
    rules: list[LanguageRules] = []
    for language, body in raw_rules.items():
        parsed = _parse_rules(topic_id, language, body, at, problems)
        if parsed is not None:
            rules.append(parsed)
    if len(problems) > before:
        return None
    assert isinstance(label, str) and isinstance(iptc, str)
    assert is_number(threshold)
    return Topic(topic_id, label, iptc, float(threshold), tuple(rules))


def _parse_rules(
    topic_id: str, language: str, body: Any, at: _Locator, problems: list[str]
) -> LanguageRules | None:
    where = f"{at.where(topic_id, f'rules.{language}')}: topic {topic_id!r}, language {language!r}"
    if not _LANGUAGE_CODE.match(language):
        problems.append(f"{where}: language must be an ISO 639 code like 'en' or 'fa'")
        return None
    if not isinstance(body, dict):
        problems.append(f"{where}: rules must be a table; write [topics.rules.{language}.terms]")
        return None
    for key in sorted(set(body) - _RULE_KEYS):
        problems.append(f"{where}: unknown key {key!r}; allowed: {sorted(_RULE_KEYS)}")

    def report(needle: str, problem: str) -> None:
        line = at.where(topic_id, needle)
        problems.append(f"{line}: topic {topic_id!r}, language {language!r}: {problem}")

    def term_ok(spec: Any, needle: str) -> bool:
        if not isinstance(spec, str):
            report(needle, f"{spec!r} is not text; write terms as quoted strings")
            return False
        try:
            parse_term(spec, language)
        except ValueError as exc:
            report(f'"{spec}"', str(exc))
            return False
        return True

    raw_terms = body.get("terms", {})
    terms: list[tuple[str, float]] = []
    if not isinstance(raw_terms, dict) or not raw_terms:
        report(f"rules.{language}", f'no terms; add [topics.rules.{language}.terms] "word" = 2')
    else:
        for spec, weight in raw_terms.items():
            if not term_ok(spec, f'"{spec}"'):
                continue
            if not is_number(weight) or weight <= 0:
                report(f'"{spec}"', f'weight of "{spec}" must be a number > 0, e.g. "{spec}" = 1')
                continue
            terms.append((spec, float(weight)))
    all_of = _parse_all(body.get("all", []), report, term_ok)
    near = _parse_near(body.get("near", []), "near", report, term_ok, weighted=True)
    exclude_near = _parse_near(body.get("not_near", []), "not_near", report, term_ok, False)
    raw_exclude = body.get("not", [])
    exclude: list[str] = []
    if not isinstance(raw_exclude, list):
        report("not", 'not must be a list of terms, e.g. not = ["board election*"]')
    else:
        exclude = [spec for spec in raw_exclude if term_ok(spec, f'"{spec}"')]
    raw_evidence = body.get("evidence", [])
    evidence: list[str] = []
    if not isinstance(raw_evidence, list) or ("evidence" in body and not raw_evidence):
        report(
            "evidence",
            'evidence must be a non-empty list of terms, e.g. evidence = ["voter*|ballot*"]; '
            "leave it out to tag on the score alone",
        )
    else:
        evidence = [spec for spec in raw_evidence if term_ok(spec, f'"{spec}"')]
    return LanguageRules(
        language,
        tuple(terms),
        tuple(all_of),
        tuple(near),
        tuple(exclude),
        tuple(exclude_near),
        tuple(evidence),
    )


def _parse_all(raw: Any, report: Any, term_ok: Any) -> list[AllRule]:
    groups: list[AllRule] = []
    if not isinstance(raw, list):
        report("all", "all must be a list of { terms = [...], weight = 2 } tables")
        return groups
    for group in raw:
        terms = group.get("terms") if isinstance(group, dict) else None
        weight = group.get("weight") if isinstance(group, dict) else None
        if not isinstance(terms, list) or len(terms) < 2:
            report("all", "an all-group needs terms = [two or more terms]")
            continue
        if not is_number(weight) or weight <= 0:
            report("all", "an all-group needs weight = a number > 0")
            continue
        if all(term_ok(spec, f'"{spec}"') for spec in terms):
            groups.append(AllRule(tuple(terms), float(weight or 0)))
    return groups


def _parse_near(raw: Any, name: str, report: Any, term_ok: Any, weighted: bool) -> list[NearRule]:
    rules: list[NearRule] = []
    if not isinstance(raw, list):
        report(name, f"{name} must be a list of {{ a = ..., b = ..., within = 3 }} tables")
        return rules
    for rule in raw:
        if not isinstance(rule, dict):
            report(name, f"each {name} entry must be {{ a = ..., b = ..., within = 3 }}")
            continue
        a, b, within = rule.get("a"), rule.get("b"), rule.get("within")
        weight = rule.get("weight", 0.0) if weighted else 0.0
        if not isinstance(within, int) or not 1 <= within <= MAX_NEAR_WORDS:
            report(f"{a}", f"{name}: within must be a whole number of words, 1..{MAX_NEAR_WORDS}")
            continue
        if weighted and (not is_number(weight) or weight <= 0):
            report(f"{a}", f"{name}: weight must be a number > 0")
            continue
        if term_ok(a, f"{a}") and term_ok(b, f"{b}"):
            assert isinstance(a, str) and isinstance(b, str)
            rules.append(NearRule(a, b, within, float(weight)))
    return rules


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON/TOML number: int or float, and not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def compile_taxonomy(taxonomy: Taxonomy) -> CompiledTaxonomy:
    """Build one trie per language plus an all-languages fallback."""
    rules: list[CompiledRule] = []
    # (language, pieces, rule index, part index) for every term of every rule
    entries: list[tuple[str, tuple[Piece, ...], int, int]] = []

    def add(topic: int, kind: RuleKind, language: str, specs: tuple[str, ...], **kw: Any) -> None:
        index = len(rules)
        rules.append(
            CompiledRule(
                topic=topic,
                kind=kind,
                weight=kw.get("weight", 0.0),
                parts=len(specs),
                within=kw.get("within", 0),
                spec=" + ".join(specs),
            )
        )
        for part, spec in enumerate(specs):
            for pieces in parse_term(spec, language):
                entries.append((language, pieces, index, part))

    for number, topic in enumerate(taxonomy.topics):
        for lang in topic.rules:
            for spec, weight in lang.terms:
                add(number, RuleKind.TERM, lang.language, (spec,), weight=weight)
            for group in lang.all_of:
                add(number, RuleKind.ALL, lang.language, group.terms, weight=group.weight)
            for near in lang.near:
                add(number, RuleKind.NEAR, lang.language, (near.a, near.b), weight=near.weight,
                    within=near.within)  # fmt: skip
            for spec in lang.exclude:
                add(number, RuleKind.EXCLUDE, lang.language, (spec,))
            for near in lang.exclude_near:
                add(number, RuleKind.EXCLUDE_NEAR, lang.language, (near.a, near.b),
                    within=near.within)  # fmt: skip
            for spec in lang.evidence:
                add(number, RuleKind.EVIDENCE, lang.language, (spec,))

    languages = taxonomy.languages
    needs_evidence = {
        language: frozenset(
            number
            for number, topic in enumerate(taxonomy.topics)
            for lang in topic.rules
            if lang.language == language and lang.evidence
        )
        for language in languages
    }
    matchers = {
        language: _build_matcher([e for e in entries if e[0] == language], needs_evidence[language])
        for language in languages
    }
    topics = tuple(CompiledTopic(t.id, t.label, t.iptc, t.threshold) for t in taxonomy.topics)
    return CompiledTaxonomy(
        topics=topics,
        rules=tuple(rules),
        matchers=MappingProxyType(matchers),
        # The fallback's text may be in any language, so no evidence list fits it: score only.
        fallback=_build_matcher(entries, frozenset()),
        title_weight=taxonomy.title_weight,
        arbiter=load_arbiter() if taxonomy.arbiter else None,
    )


def _build_matcher(
    entries: list[tuple[str, tuple[Piece, ...], int, int]], evidence_topics: frozenset[int]
) -> LanguageMatcher:
    root = TrieNode()
    keys: set[str] = set()
    for _, pieces, rule, part in entries:
        node = root
        for piece in pieces:
            keys.add(piece.key)
            node = node.children.setdefault(piece.key, TrieNode())
        if (rule, part) not in node.ends:
            node.ends.append((rule, part))
    stems = sorted({len(key) - 1 for key in keys if key.startswith("^")})
    infixes = sorted({key[1:] for key in keys if key.startswith("~")}, key=lambda s: (-len(s), s))
    # A lookahead finds every starting position; the longest term wins at each, and the shorter
    # terms it begins with are recovered from infix_prefixes, so overlapping compounds all count.
    infix = re.compile("(?=(" + _trie_pattern(infixes) + "))") if infixes else None
    # Each term's own prefixes looked up (longest first, the order of `infixes`), not every pair
    # of terms compared: with ~4,800 infix terms the pairs took ~1 s of every worker's start.
    known = frozenset(infixes)
    prefixes = {
        long: tuple(long[:end] for end in range(len(long) - 1, 0, -1) if long[:end] in known)
        for long in infixes
    }
    depth = max((len(pieces) for _, pieces, _, _ in entries), default=0)
    return LanguageMatcher(
        root=root,
        keys=frozenset(keys),
        stem_lengths=tuple(stems),
        infix=infix,
        infix_prefixes=MappingProxyType(prefixes),
        depth=depth,
        evidence_topics=evidence_topics,
    )


def _trie_pattern(words: list[str]) -> str:
    """One regex for many words with shared prefixes factored out, longest match first.

    A flat alternation of ~500 words is tried word by word at every position (measured 6x slower
    on a 300-character text); a prefix tree lets the regex engine reject a position at once.
    """
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_pattern(root)


def _node_pattern(node: dict[str, Any]) -> str:
    branches = [
        re.escape(char) + _node_pattern(child) for char, child in sorted(node.items()) if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy "?" tries the longer word first, so each position reports its longest term.
    return f"(?:{body})?" if "" in node else body
