"""Alert rule files users write: read and check a TOML or YAML rule file, or the `watch` setting.

The annotated format is in streams/data/alert_rules.toml. Every problem names file:line, rule id,
field and what is accepted; the rules themselves and their matching are `streams.alerts.rules`.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import yaml

from streams.alerts.rules import WATCHLIST_LANGUAGE, Rule, RulesError, RuleSet, build_rule_set
from streams.feeds.identity import FEED_ID_HEX_CHARS, FEED_ID_PREFIX
from streams.settings import DEFAULT_WATCH, SEVERITIES
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    Taxonomy,
    is_number,
    parse_term,
)

SCHEMA_VERSION = 1
TOPICS_MODES = ("any", "all")
BUNDLED_RULES = "streams/data/alert_rules.toml"
WATCH_RULE_PREFIX = "watch-"
MAX_RULE_ID_LENGTH = 64

_RULE_ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_TOPIC_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_FEED_ID = re.compile(rf"^{re.escape(FEED_ID_PREFIX)}[0-9a-f]{{{FEED_ID_HEX_CHARS}}}$")
_TOML_LINE = re.compile(r"\(at line (\d+)")
_TOML_RULE_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]")
_TOP_KEYS = ("schema_version", "rules")
_RULE_KEYS = (
    "id", "description", "severity", "enabled", "topics", "topics_mode", "languages", "feeds",
    "sources", "terms", "exclude_terms", "min_sources",
)  # fmt: skip


# --- the watch setting -------------------------------------------------------------------------


def rules_from_watch(
    watch: Mapping[str, str], taxonomy: Taxonomy | CompiledTaxonomy | None = None
) -> RuleSet:
    """The `watch` setting (topic = severity) as one rule per topic, raised at any score.

    Raises RulesError for a severity that is not accepted, or a topic the taxonomy lacks.
    """
    known = _topic_ids(taxonomy)
    rules: list[Rule] = []
    for topic, severity in watch.items():
        place = f"setting 'watch.{topic}'"
        if severity not in SEVERITIES:
            raise RulesError(f"{place}: got {severity!r}; accepted: {_one_of(SEVERITIES)}")
        if known is not None and topic not in known:
            raise RulesError(f"{place}: unknown topic; accepted: {_topic_hint(topic, known)}")
        if not _TOPIC_ID.match(topic):
            raise RulesError(f"{place}: got {topic!r}; accepted: a lower_snake_case topic id")
        rules.append(
            Rule(
                id=f"{WATCH_RULE_PREFIX}{topic}",
                severity=severity,
                description=f"watched topic {topic} (setting 'watch')",
                topics=((topic, 0.0),),
            )
        )
    return build_rule_set(rules, "setting 'watch'")


def load_configured_rules(
    alert_rules_path: str,
    watch: Mapping[str, str],
    taxonomy: Taxonomy | CompiledTaxonomy | None = None,
) -> RuleSet:
    """The rules a deployment runs: its rule file, else its `watch` setting, else the bundled file.

    A `watch` left at its default means the bundled rules (which cover the same topics); a changed
    `watch` keeps working as before. Raises RulesError when both a file and a changed `watch` are
    set, since one of them would be silently ignored.
    """
    customised_watch = dict(watch) != DEFAULT_WATCH
    if alert_rules_path:
        if customised_watch:
            raise RulesError(
                f"settings 'alert_rules_path' ({alert_rules_path}) and 'watch' are both set; "
                "accepted: one of them; move the watched topics into the rule file"
            )
        return load_rules(Path(alert_rules_path), taxonomy)
    if customised_watch:
        return rules_from_watch(watch, taxonomy)
    return load_rules(None, taxonomy)


# --- loading and checking ----------------------------------------------------------------------


def load_rules(
    path: Path | None = None, taxonomy: Taxonomy | CompiledTaxonomy | None = None
) -> RuleSet:
    """Read and validate a rule file (.toml, .yaml or .yml); None reads the bundled rules.

    With a taxonomy, topic ids are checked against it too. Raises RulesError naming the first
    problem (and how many more there are).
    """
    rules, problems, name = _read_rules(path, _topic_ids(taxonomy))
    if problems or rules is None:
        more = f" (and {len(problems) - 1} more: run `wirewatch rules check`)"
        raise RulesError(problems[0] + (more if len(problems) > 1 else ""))
    return build_rule_set(rules, name)


def check_rules(
    path: Path | None, taxonomy: Taxonomy | CompiledTaxonomy | None = None
) -> list[str]:
    """Every problem in a rule file as a readable line; empty when the file is good."""
    return _read_rules(path, _topic_ids(taxonomy))[1]


def _topic_ids(taxonomy: Taxonomy | CompiledTaxonomy | None) -> frozenset[str] | None:
    return None if taxonomy is None else frozenset(topic.id for topic in taxonomy.topics)


def _read_rules(
    path: Path | None, known_topics: frozenset[str] | None
) -> tuple[list[Rule] | None, list[str], str]:
    if path is None:
        bundled = resources.files("streams").joinpath("data", "alert_rules.toml")
        name, suffix, body = BUNDLED_RULES, ".toml", bundled.read_bytes()
    else:
        name, suffix = str(path), path.suffix.lower()
        if suffix not in (".toml", ".yaml", ".yml"):
            return (
                None,
                [f"{name}: unknown file type {suffix!r}; accepted: .toml, .yaml, .yml"],
                name,
            )
        try:
            body = path.read_bytes()
        except OSError as exc:
            return None, [f"{name}: cannot read the rules ({exc.strerror}); check the path"], name
    try:
        text = body.decode("utf-8-sig")  # a BOM from a Windows editor is not part of the text
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        return None, [f"{name}:{line}: not UTF-8; save the file as UTF-8"], name
    problems: list[str] = []
    places: _Places
    if suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_LINE.search(str(exc))
            # tomllib says "(at end of document)" for what is left open: the last line.
            at_line = found.group(1) if found else str(max(1, len(text.splitlines())))
            return None, [f"{name}:{at_line}: not valid TOML: {exc}; fix the syntax there"], name
        places = _TomlPlaces.of(name, text)
    else:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}:{mark.line + 1}" if mark is not None else name
            problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
            return None, [f"{where}: not valid YAML: {problem}; fix the syntax there"], name
        finally:
            loader.dispose()
        places = _YamlPlaces(name, node)
        problems.extend(_duplicate_yaml_keys(name, node))
    rules = _parse_document(data, places, known_topics, problems)
    return (None if problems else rules), problems, name


def _parse_document(
    data: Any, at: _Places, known_topics: frozenset[str] | None, problems: list[str]
) -> list[Rule]:
    if not isinstance(data, dict):
        problems.append(
            f"{at.where()}: no rules; accepted: a [[rules]] table (TOML) or rules: list"
        )
        return []
    for key in sorted(set(map(str, data)) - set(_TOP_KEYS)):
        problems.append(
            f"{at.where(field=key)}: unknown key {key!r}; accepted: {', '.join(_TOP_KEYS)}"
        )
    if data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        problems.append(
            f"{at.where(field='schema_version')}: schema_version: got "
            f"{data['schema_version']!r}; accepted: {SCHEMA_VERSION}"
        )
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(
            f"{at.where(field='rules')}: no rules; accepted: one or more [[rules]] tables "
            "(TOML) or a rules: list (YAML), each with id, severity and topics or terms"
        )
        return []
    rules: list[Rule] = []
    first_place: dict[str, str] = {}
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, index, at, known_topics, problems)
        if rule is None:
            continue
        place = at.where(index, "id")
        if rule.id in first_place:
            problems.append(
                f"{place}: rule {rule.id!r}, id: defined twice (first at {first_place[rule.id]}); "
                "accepted: each id once"
            )
            continue
        first_place[rule.id] = place
        rules.append(rule)
    return rules


def _parse_rule(
    raw: Any, index: int, at: _Places, known_topics: frozenset[str] | None, problems: list[str]
) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(
            f"{at.where(index)}: rule #{index + 1}: got {type(raw).__name__}; accepted: a table "
            "with id, severity and topics or terms"
        )
        return None
    rule_id = raw.get("id")
    if (
        not isinstance(rule_id, str)
        or not _RULE_ID.match(rule_id)
        or len(rule_id) > MAX_RULE_ID_LENGTH
    ):
        problems.append(
            f"{at.where(index, 'id')}: rule #{index + 1}, id: got {rule_id!r}; accepted: a slug "
            f"of lower-case letters, digits, '-' and '_' (at most {MAX_RULE_ID_LENGTH}), "
            'e.g. id = "ukraine-infrastructure"'
        )
        return None
    before = len(problems)

    def report(field: str, problem: str, item: int | None = None, text: str | None = None) -> None:
        problems.append(f"{at.where(index, field, item, text)}: rule {rule_id!r}, {problem}")

    for key in sorted(set(map(str, raw)) - set(_RULE_KEYS)):
        report(key, f"unknown key {key!r}; accepted: {', '.join(_RULE_KEYS)}")
    description = raw.get("description", "")
    if not isinstance(description, str):
        report("description", f"description: got {description!r}; accepted: text")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        report("severity", f"severity: got {severity!r}; accepted: {_one_of(SEVERITIES)}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        report("enabled", f"enabled: got {enabled!r}; accepted: true or false")
    topics_mode = raw.get("topics_mode", "any")
    if topics_mode not in TOPICS_MODES:
        report(
            "topics_mode", f"topics_mode: got {topics_mode!r}; accepted: {_one_of(TOPICS_MODES)}"
        )
    min_sources = raw.get("min_sources", 1)
    if not isinstance(min_sources, int) or isinstance(min_sources, bool) or min_sources < 1:
        report("min_sources", f"min_sources: got {min_sources!r}; accepted: a whole number ≥ 1")
    topics = _parse_topics(raw.get("topics", {}), known_topics, report)
    languages = _parse_list(raw, "languages", report, _check_language)
    feeds = _parse_list(raw, "feeds", report, _check_feed)
    sources = _parse_list(raw, "sources", report, _check_source)
    terms = _parse_list(raw, "terms", report, _check_term)
    exclude_terms = _parse_list(raw, "exclude_terms", report, _check_term)
    if not raw.get("topics") and not raw.get("terms"):
        report(
            "id",
            "no condition on topics or terms; accepted: at least one of "
            'topics = { cyberattack = 2.0 } or terms = ["Ukrposhta"]',
        )
    if len(problems) > before:
        return None
    return Rule(
        id=rule_id,
        severity=str(severity),
        description=str(description).strip(),
        enabled=bool(enabled),
        topics=topics,
        topics_mode=str(topics_mode),
        languages=languages,
        feeds=feeds,
        sources=sources,
        terms=terms,
        exclude_terms=exclude_terms,
        min_sources=int(min_sources),
    )


class _Report(Protocol):
    def __call__(
        self, field: str, problem: str, item: int | None = None, text: str | None = None
    ) -> None: ...


def _parse_topics(
    raw: Any, known_topics: frozenset[str] | None, report: _Report
) -> tuple[tuple[str, float], ...]:
    if not isinstance(raw, dict):
        report(
            "topics",
            f"topics: got {raw!r}; accepted: a table of topic id = minimum score, "
            "e.g. topics = { cyberattack = 2.0 }",
        )
        return ()
    topics: list[tuple[str, float]] = []
    for index, (topic, minimum) in enumerate(raw.items()):
        field = f"topics.{topic}"
        if not isinstance(topic, str) or not _TOPIC_ID.match(topic):
            report(
                "topics", f"{field}: not a topic id; accepted: lower_snake_case", index, str(topic)
            )
        elif known_topics is not None and topic not in known_topics:
            hint = _topic_hint(topic, known_topics)
            report("topics", f"{field}: unknown topic; accepted: {hint}", index, topic)
        elif not is_number(minimum) or minimum < 0:
            report(
                "topics",
                f"{field}: minimum score {minimum!r}; accepted: a number ≥ 0 (0: any score "
                "that tags the topic)",
                index,
                topic,
            )
        else:
            topics.append((topic, float(minimum)))
    return tuple(topics)


def _parse_list(
    raw: dict[str, Any], field: str, report: _Report, check: Callable[[Any], str | None]
) -> tuple[str, ...]:
    value = raw.get(field, [])
    if not isinstance(value, list):
        example = f'["{value}"]' if isinstance(value, str) else '["…"]'
        report(field, f"{field}: got {value!r}; accepted: a list, e.g. {field} = {example}")
        return ()
    accepted: list[str] = []
    for index, item in enumerate(value):
        problem = check(item)
        if problem is None:
            accepted.append(item.strip() if field == "sources" else item)
        else:
            report(field, f"{field}: {problem}", index, item if isinstance(item, str) else None)
    return tuple(dict.fromkeys(accepted))


def _check_language(item: Any) -> str | None:
    if isinstance(item, str) and _LANGUAGE_CODE.match(item):
        return None
    # YAML 1.1 reads a bare `no` (Norwegian) as false and `on` as true.
    quote = "; quote it in YAML" if isinstance(item, bool) else ""
    return f"got {item!r}{quote}; accepted: an ISO 639 code in lower case like 'en' or 'fa'"


def _check_feed(item: Any) -> str | None:
    if isinstance(item, str) and _FEED_ID.match(item):
        return None
    example = FEED_ID_PREFIX + "0" * FEED_ID_HEX_CHARS
    return f"got {item!r}; accepted: a feed id like {example!r} (see `wirewatch feeds list`)"


def _check_source(item: Any) -> str | None:
    if isinstance(item, str) and item.strip():
        return None
    return f"got {item!r}; accepted: a source name as text, e.g. 'Reuters'"


def _check_term(item: Any) -> str | None:
    if not isinstance(item, str):
        return f"got {item!r}; accepted: a term as text, e.g. 'Ukrposhta' or 'Росатом*'"
    try:
        parse_term(item, WATCHLIST_LANGUAGE)
    except ValueError as exc:
        return f"{exc}; accepted: the taxonomy's term syntax (word, word*, ~word, a|b)"
    return None


def _topic_hint(topic: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(topic, sorted(known), n=1)
    listing = ", ".join(sorted(known))
    return (f"did you mean {close[0]!r}? " if close else "") + f"one of {listing}"


def _one_of(choices: Sequence[str]) -> str:
    return ", ".join(repr(choice) for choice in choices)


# --- where a problem is ------------------------------------------------------------------------


class _Places(Protocol):
    def where(
        self,
        rule: int | None = None,
        field: str | None = None,
        item: int | None = None,
        text: str | None = None,
    ) -> str:
        """ "file:line" of a rule (by index), one of its fields, an item of a list or table."""
        ...


@dataclass(frozen=True, slots=True)
class _TomlPlaces:
    """tomllib keeps no positions, so search the text: rule n is the n-th [[rules]] table."""

    name: str
    lines: tuple[str, ...]
    starts: tuple[int, ...]  # 0-based line of each [[rules]] header

    @classmethod
    def of(cls, name: str, text: str) -> _TomlPlaces:
        lines = tuple(text.splitlines())
        starts = tuple(i for i, line in enumerate(lines) if _TOML_RULE_HEADER.match(line))
        return cls(name, lines, starts)

    def where(
        self,
        rule: int | None = None,
        field: str | None = None,
        item: int | None = None,
        text: str | None = None,
    ) -> str:
        if rule is None or rule >= len(self.starts):  # top level, or rules = [{...}] inline
            end = self.starts[0] if self.starts else len(self.lines)
            return self._at(self._find(field or "rules", 0, end) or 0)
        start = self.starts[rule]
        end = self.starts[rule + 1] if rule + 1 < len(self.starts) else len(self.lines)
        line = start if field is None else (self._find(field, start, end) or start)
        if text:
            # A list item is a quoted string; a topic is a key, bare or quoted.
            quoted = re.compile(rf"[\"']{re.escape(text)}[\"']")
            bare = re.compile(rf"(?<![\w-]){re.escape(text)}\s*=")
            line = next(
                (i for needle in (quoted, bare) for i in range(line, end)
                 if needle.search(self.lines[i])),
                line,
            )  # fmt: skip
        return self._at(line)

    def _find(self, field: str, start: int, end: int) -> int | None:
        key = re.compile(rf'^\s*"?{re.escape(field)}"?\s*=|^\s*\[\s*rules\.{re.escape(field)}\s*\]')
        inline = re.compile(rf"[{{,]\s*{re.escape(field)}\s*=")
        for pattern in (key, inline):
            for index in range(start, end):
                if pattern.search(self.lines[index]):
                    return index
        return None

    def _at(self, line: int) -> str:
        return f"{self.name}:{line + 1}"


@dataclass(frozen=True, slots=True)
class _YamlPlaces:
    """YAML nodes carry their marks: walk root → rules → rule → field → item."""

    name: str
    root: yaml.Node | None

    def where(
        self,
        rule: int | None = None,
        field: str | None = None,
        item: int | None = None,
        text: str | None = None,
    ) -> str:
        node = self.root
        if node is None:
            return f"{self.name}:1"
        rules = _yaml_value(node, "rules")
        if rule is not None and isinstance(rules, yaml.SequenceNode) and rule < len(rules.value):
            node = rules.value[rule]
        elif rule is None and field is not None:
            return self._at(_yaml_key(node, field) or node)
        if field is not None:
            key, value = _yaml_key(node, field), _yaml_value(node, field)
            node = key or node
            if (
                isinstance(value, yaml.SequenceNode)
                and item is not None
                and item < len(value.value)
            ):
                node = value.value[item]
            elif isinstance(value, yaml.MappingNode) and text is not None:
                node = _yaml_key(value, text) or node
        return self._at(node)

    def _at(self, node: yaml.Node) -> str:
        return f"{self.name}:{node.start_mark.line + 1}"


def _yaml_key(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((k for k, _ in node.value if k.value == key), None)
    return None


def _yaml_value(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == key), None)
    return None


def _duplicate_yaml_keys(name: str, node: yaml.Node | None) -> list[str]:
    """PyYAML keeps the last of two equal keys without a word; a rule file must not lose one."""
    problems: list[tuple[int, str]] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value in seen:
                    line = key.start_mark.line + 1
                    problems.append(
                        (line, f"{name}:{line}: key {key.value!r} appears twice in one table; "
                               "accepted: each key once")
                    )  # fmt: skip
                seen.add(str(key.value))
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return [problem for _, problem in sorted(problems)]
