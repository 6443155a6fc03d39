"""Alert rules: what a rule asks of an article, and which rules an article matches.

A rule names a severity and conditions that must all hold: topics with minimum scores, languages,
feeds, sources, and a watchlist of terms (names such as "Ukrposhta", "Росатом*", "حماس") with
terms that veto the rule. Watchlist terms use the taxonomy's term syntax and are compiled by its
compiler, so case, accents, Arabic clitics and letter variants are handled exactly as for topics.
Reading rules from a file (or the `watch` setting) is `streams.alerts.rule_file`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from streams.errors import WirewatchError
from streams.records import Article, TopicTag
from streams.settings import SEVERITIES
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    LanguageRules,
    Taxonomy,
    Topic,
    compile_taxonomy,
)
from streams.text.fold import base_language

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# Watchlist terms are compiled as one single-term topic each, under the language-neutral code:
# the taxonomy matcher then folds them like any term and falls back to them for every language.
WATCHLIST_LANGUAGE = "und"
_WATCHLIST_HIT = 1.0  # weight and threshold alike: one match anywhere is enough


class RulesError(WirewatchError):
    """A rule file that does not load; names file:line, rule id, field and what is accepted."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule; every condition given must hold (AND), an empty one holds for all."""

    id: str
    severity: str  # "info" | "warning" | "critical"
    description: str = ""
    enabled: bool = True
    topics: tuple[tuple[str, float], ...] = ()  # (topic id, minimum score), as written
    topics_mode: str = "any"  # "any": one listed topic suffices; "all": every one is needed
    languages: tuple[str, ...] = ()  # ISO 639 codes of the article's language
    feeds: tuple[str, ...] = ()  # feed ids
    sources: tuple[str, ...] = ()  # source names, compared case-insensitively
    terms: tuple[str, ...] = ()  # watchlist: any one of them must appear
    exclude_terms: tuple[str, ...] = ()  # none of them may appear
    min_sources: int = 1  # distinct sources reporting the story before the alert is raised


@dataclass(frozen=True, slots=True)
class Watchlist:
    """Every rule's terms compiled once, so an article is scanned once for all rules."""

    taxonomy: CompiledTaxonomy  # one topic per distinct term; topic id "w<index into terms>"
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Parsed, validated rules, ready to match; built once at start-up and shared read-only."""

    rules: tuple[Rule, ...]
    watchlist: Watchlist | None
    source: str  # where the rules came from, for messages

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule an article satisfies, and why."""

    rule: Rule
    topics: tuple[TopicTag, ...]  # the article's tags that satisfied the rule's topics
    evidence: tuple[str, ...]  # the watchlist matches, as written in the article
    reason: str  # one line an analyst reads: "cyberattack 3.5 ≥ 2.0; watchlist: Ukrposhta"


# --- building and matching ---------------------------------------------------------------------


def build_rule_set(rules: Sequence[Rule], source: str) -> RuleSet:
    """Compile the rules' watchlists into one matcher; the rules must be valid already."""
    terms = tuple(dict.fromkeys(t for rule in rules for t in (*rule.terms, *rule.exclude_terms)))
    return RuleSet(tuple(rules), _compile_watchlist(terms) if terms else None, source)


def _compile_watchlist(terms: tuple[str, ...]) -> Watchlist:
    topics = tuple(
        Topic(
            id=f"w{index}",
            label=term,
            iptc="",
            threshold=_WATCHLIST_HIT,
            rules=(LanguageRules(language=WATCHLIST_LANGUAGE, terms=((term, _WATCHLIST_HIT),)),),
        )
        for index, term in enumerate(terms)
    )
    compiled = compile_taxonomy(Taxonomy(topics=topics, title_weight=1.0, source="watchlist"))
    return Watchlist(compiled, terms)


def match_rules(article: Article, rules: RuleSet) -> tuple[RuleMatch, ...]:
    """The enabled rules `article` satisfies, in file order (min_sources is the story's concern)."""
    found: dict[str, tuple[str, ...]] | None = None
    matches: list[RuleMatch] = []
    for rule in rules.rules:
        if not rule.enabled or not _passes_filters(rule, article):
            continue
        topics = _satisfied_topics(rule, article.topics)
        if topics is None:
            continue
        evidence: tuple[str, ...] = ()
        if rule.terms or rule.exclude_terms:
            if found is None:
                found = _find_watchlist_terms(article, rules.watchlist)
            if any(term in found for term in rule.exclude_terms):
                continue
            evidence = merge_evidence(found[term] for term in rule.terms if term in found)
            if rule.terms and not evidence:
                continue
        matches.append(RuleMatch(rule, topics, evidence, describe_match(rule, topics, evidence)))
    return tuple(matches)


def _passes_filters(rule: Rule, article: Article) -> bool:
    if rule.languages and base_language(article.language.code) not in rule.languages:
        return False
    if rule.feeds and article.feed_id not in rule.feeds:
        return False
    return not rule.sources or article.source.strip().casefold() in {
        source.casefold() for source in rule.sources
    }


def _satisfied_topics(rule: Rule, tags: tuple[TopicTag, ...]) -> tuple[TopicTag, ...] | None:
    """The tags meeting the rule's minimum scores, or None when the topic condition fails."""
    if not rule.topics:
        return ()
    minimums = dict(rule.topics)
    satisfied = tuple(tag for tag in tags if tag.id in minimums and tag.score >= minimums[tag.id])
    needed = len(minimums) if rule.topics_mode == "all" else 1
    return satisfied if len({tag.id for tag in satisfied}) >= needed else None


def _find_watchlist_terms(
    article: Article, watchlist: Watchlist | None
) -> dict[str, tuple[str, ...]]:
    """Every watchlist term found in the article, with the words that matched as written."""
    if watchlist is None:
        return {}
    tags = match_topics(article.title, article.summary, article.language.code, watchlist.taxonomy)
    return {watchlist.terms[int(tag.id[1:])]: tag.evidence for tag in tags}


def merge_evidence(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Distinct words, first spelling kept: "Ukrposhta" and "UKRPOSHTA" are one."""
    seen: dict[str, str] = {}
    for group in groups:
        for word in group:
            seen.setdefault(word.casefold(), word)
    return tuple(seen.values())


def describe_match(rule: Rule, topics: Sequence[TopicTag], evidence: Sequence[str]) -> str:
    """One line saying why `rule` fired: the topic scores against their minimums, the watchlist."""
    minimums = dict(rule.topics)
    parts: list[str] = []
    if topics:
        parts.append(
            ", ".join(
                f"{tag.id} {_score(tag.score)} ≥ {_score(minimums[tag.id])}"
                if minimums.get(tag.id)
                else f"{tag.id} {_score(tag.score)}"
                for tag in topics
            )
        )
    if evidence:
        parts.append("watchlist: " + ", ".join(evidence))
    return "; ".join(parts)


def _score(value: float) -> str:
    text = f"{value:.2f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
