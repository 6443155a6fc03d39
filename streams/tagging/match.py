"""Tag a title and summary with taxonomy topics in one pass over their words.

Each word is folded once and turned into lookup keys (the word, its Arabic or Persian forms
without clitics and suffixes, its stems); a trie walk from every word finds every term and phrase
at once, and one regex per language finds compound parts and Chinese terms. Scoring is per topic:
matches inside an exclusion or inside a longer term of another topic do not count, overlapping
matches count once (the heavier wins), and each term counts once. A topic that lists `evidence`
terms for the item's language is tagged only when one of them is found as well (under the same
exclusions): a disease name without cases or spread is not an outbreak; a bare headline with no
lead is judged on its score alone. A tag carries the distinct terms found and every counted match
with its field and character offsets.

When the taxonomy turns its arbiter on, a topic the rules scored above 0 but below its threshold
(a supporting word, no decisive one) in an item with a lead, with none of the topic's exclusions
found, is tagged too if the arbiter's model is confident; that tag keeps its rule score, so a
score below the threshold marks it. No rule word, no such tag.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, product
from operator import itemgetter
from typing import NamedTuple

from streams.records import TermMatch, TopicTag
from streams.tagging.arbiter import arbiter_text
from streams.tagging.taxonomy import CompiledTaxonomy, LanguageMatcher, RuleKind
from streams.text.fold import UNSPACED_SCRIPT, base_language, fold_for_rules, split_words

TITLE, SUMMARY = 0, 1
_FIELD_NAMES = ("title", "summary")  # TermMatch.field, indexed by TITLE and SUMMARY

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3]")
# Conjunction (و ف), preposition (ب ك ل) and article (ال) in their written combinations; "لل" is
# ل + ال with the alef dropped. Longest first so "وال" is tried before "و".
_ARABIC_PREFIXES = tuple(
    sorted(
        {
            "".join(parts).replace("لال", "لل")
            for parts in product(("", "و", "ف"), ("", "ب", "ك", "ل"), ("", "ال"))
            if any(parts)
        },
        key=len,
        reverse=True,
    )
)
# Pronoun and plural suffixes after folding (ة is already ه). A ة before a suffix is written ت.
_ARABIC_SUFFIXES = ("هما", "ها", "هم", "كم", "نا", "ات", "ين", "ون", "ان", "ه")
# Persian after folding (ی is ي, the ZWNJ before a suffix is gone): plural ها/های/هایی, ان, the
# ezafe or adjective ی/ای, superlative ترین, and the Arabic plural ات. The ة rule is Arabic only.
_PERSIAN_SUFFIXES = ("هايي", "هاي", "ترين", "ها", "ات", "ان", "اي", "ي")
_UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th"})
_HEBREW_LETTER = re.compile("[\u05d0-\u05ea]")
# Hebrew writes "and", "the", "in", "to", "from", "that" and "as" as one-letter prefixes, up to
# four at once ("וכשהבחירות"); the stem keeps at least three letters so short words stay whole.
_HEBREW_PREFIX_LETTERS = frozenset("והבלמשכ")
_MAX_HEBREW_PREFIXES = 4
_MIN_HEBREW_STEM = 3
_CHARS_PER_UNSPACED_WORD = 2  # a Chinese word is one to three characters, two on average
_TA_MARBUTA_SUFFIXES = ("تهما", "تها", "تهم", "ته")
_MIN_ARABIC_STEM = 2
_WORD_CACHE_SIZE = 1 << 16
_MATCHER_CACHE_SIZE = 256  # (language, matcher) pairs; a taxonomy has a few dozen


# Named tuples rather than frozen dataclasses: an item makes dozens of hits, and a frozen
# dataclass costs ~1 µs to build (object.__setattr__ per field) against ~0.2 µs for a tuple.
class _Hit(NamedTuple):
    rule: int
    part: int
    field: int
    first: int  # word index in the field
    last: int
    start: int  # character offsets in the field as written
    end: int
    # Where the term itself lies: the same as start/end except for a part of a compound word,
    # whose start/end cover the whole word (the evidence shown) but which is compared with other
    # topics' terms by the part alone ("Wahlkampf": "wahl" and "kampf" do not contain each other).
    # Folded offsets stand in for written ones there: exact unless folding changed the length.
    inner_start: int
    inner_end: int

    def overlaps(self, field: int, start: int, end: int) -> bool:
        return self.field == field and self.start < end and start < self.end


class _Candidate(NamedTuple):
    rule: int
    value: float
    hits: tuple[_Hit, ...]


def match_topics(
    title: str, summary: str, language: str, taxonomy: CompiledTaxonomy
) -> tuple[TopicTag, ...]:
    """Topics whose score reaches their threshold, plus the border topics the taxonomy's arbiter
    confirms, best first; evidence is the distinct matched terms as written in the text. Items in
    'und' or an unruled language use every language."""
    texts = (title, summary)
    hits, evidence_topics = text_hits(title, summary, language, taxonomy)
    arbiter = taxonomy.arbiter
    # Bare headlines are left to the rules: the unit suite's hard negatives (a museum's computer
    # virus, a tennis federation's vote, a war of words) are headlines the model called sure.
    if arbiter is None or not summary.strip():
        return tuple(tag for _, tag in _score_topics(hits, texts, taxonomy, evidence_topics))
    border: list[tuple[int, float, list[_Candidate]]] = []
    tags = _score_topics(hits, texts, taxonomy, evidence_topics, border)
    # The model runs only when the rules left a border case (~12% of real news items).
    border = [case for case in border if taxonomy.topics[case[0]].id in arbiter.thresholds]
    if border:
        probabilities = arbiter.probabilities(arbiter_text(title, summary), language)
        for topic_index, score, chosen in border:
            topic_id = taxonomy.topics[topic_index].id
            if arbiter.confirms(probabilities, topic_id):
                evidence, matches = _evidence(chosen, texts)
                tags.append((topic_index, TopicTag(topic_id, score, evidence, matches)))
        tags.sort(key=_tag_order)
    return tuple(tag for _, tag in tags)


def text_hits(
    title: str, summary: str, language: str, taxonomy: CompiledTaxonomy
) -> tuple[list[_Hit], frozenset[int]]:
    """The rule hits in the title and the lead, and the topics whose evidence condition applies
    to this item: what match_topics scores (bench/arbiter_experiment.py scores them too)."""
    matcher = taxonomy.matcher_for(language)
    base = base_language(language)
    # The fallback may hold Chinese terms; any other language's text is split as it always is.
    unspaced = base in _UNSPACED_LANGUAGES or (
        matcher is taxonomy.fallback and UNSPACED_SCRIPT.search(title + summary) is not None
    )
    hits = _find_hits(title, TITLE, language, matcher, unspaced) + _find_hits(
        summary, SUMMARY, language, matcher, unspaced
    )
    # A bare headline (no lead) has no room for evidence: it is judged on its score alone, as a
    # headline list or an alert shows it. Evidence is asked of items that carry a lead.
    evidence_topics = matcher.evidence_topics if summary.strip() else frozenset()
    return hits, evidence_topics


def _tag_order(pair: tuple[int, TopicTag]) -> tuple[float, int]:
    """Best first: the higher score, then the topic's place in the taxonomy."""
    return -pair[1].score, pair[0]


def _find_hits(
    text: str, field: int, language: str, matcher: LanguageMatcher, unspaced: bool
) -> list[_Hit]:
    analyses = _word_analyses(language, matcher)
    parts = split_words(text, unspaced)
    analysed = [
        analyses.get(written) or _analyse_word(written, language, matcher, analyses)
        for written in parts[1::2]
    ]
    keyed = [index for index, (_, keys) in enumerate(analysed) if keys]
    if not keyed and matcher.infix is None:
        return []
    # Word k spans bounds[2k]:bounds[2k + 1], from the lengths of the words and the gaps.
    bounds = list(accumulate(map(len, parts)))
    count = len(analysed)
    found: set[_Hit] = set()
    add, depth, root = found.add, matcher.depth, matcher.root  # locals: this loop is the hot one
    for i in keyed:
        nodes = [root]
        start = bounds[2 * i]
        for j in range(i, min(count, i + depth)):
            keys = analysed[j][1]
            reached = [n.children[k] for n in nodes for k in keys if k in n.children]
            for node in reached:
                end = bounds[2 * j + 1]
                for rule, part in node.ends:
                    add(_Hit(rule, part, field, i, j, start, end, start, end))
            if not reached:
                break
            nodes = reached
    if matcher.infix is not None:
        words = [word for word, _ in analysed]
        spans = list(zip(bounds[0::2], bounds[1::2], strict=False))
        found.update(_find_infix_hits(text, field, spans, words, matcher))
    return sorted(found, key=_HIT_ORDER)


_HIT_ORDER = itemgetter(5, 6, 0, 1)  # start, end, rule, part


def _find_infix_hits(
    text: str,
    field: int,
    spans: list[tuple[int, int]],
    words: list[str],
    matcher: LanguageMatcher,
) -> list[_Hit]:
    assert matcher.infix is not None
    joined = " ".join(words)
    offsets: list[int] = []
    position = 0
    for word in words:
        offsets.append(position)
        position += len(word) + 1
    hits: list[_Hit] = []
    for found in matcher.infix.finditer(joined):
        longest = found.group(1)
        index = bisect_right(offsets, found.start()) - 1
        start, end = spans[index]
        inside = found.start() - offsets[index]
        for term in (longest, *matcher.infix_prefixes[longest]):
            node = matcher.root.children.get("~" + term)
            if node is None:
                continue
            # Chinese evidence is the term itself; a compound's evidence is the whole word.
            # Offsets inside a word hold only when folding kept its length.
            exact = UNSPACED_SCRIPT.search(term) and len(words[index]) == end - start
            inner = (start + inside, min(end, start + inside + len(term)))
            span = inner if exact else (start, end)
            hits.extend(
                _Hit(rule, part, field, index, index, *span, *inner) for rule, part in node.ends
            )
    return hits


_Analysis = tuple[str, tuple[str, ...]]  # the folded word and its lookup keys
# News vocabulary repeats, so most words are folded and keyed once per language and matcher: a
# plain dict per pair, emptied when full, costs a third of an lru_cache keyed on all three.
_ANALYSES: dict[tuple[str, LanguageMatcher], dict[str, _Analysis]] = {}


def _word_analyses(language: str, matcher: LanguageMatcher) -> dict[str, _Analysis]:
    analyses = _ANALYSES.get((language, matcher))
    if analyses is None:
        if len(_ANALYSES) >= _MATCHER_CACHE_SIZE:
            _ANALYSES.clear()
        analyses = _ANALYSES[(language, matcher)] = {}
    return analyses


def _analyse_word(
    written: str, language: str, matcher: LanguageMatcher, analyses: dict[str, _Analysis]
) -> _Analysis:
    word = fold_for_rules(written, language)
    if len(analyses) >= _WORD_CACHE_SIZE:
        analyses.clear()
    persian = base_language(language) == "fa"
    analysis = analyses[written] = (word, _word_keys(word, matcher, persian))
    return analysis


def _word_keys(word: str, matcher: LanguageMatcher, persian: bool) -> tuple[str, ...]:
    keys: dict[str, None] = {}
    for form in _word_forms(word, persian):
        if "=" + form in matcher.keys:
            keys["=" + form] = None
        for length in matcher.stem_lengths:
            if length > len(form):
                break
            if "^" + form[:length] in matcher.keys:
                keys["^" + form[:length]] = None
    return tuple(keys)


def _word_forms(word: str, persian: bool = False) -> tuple[str, ...]:
    """The word itself and, for Arabic script, the word without clitic prefixes and suffixes
    (Persian suffixes instead of Arabic ones when `persian`); for Hebrew, the word without its
    one-letter prefixes."""
    if _HEBREW_LETTER.match(word):
        return _hebrew_forms(word)
    if not _ARABIC_LETTER.match(word):
        return (word,)
    if persian:
        # Persian writes its prepositions apart ("به انتخابات"); only suffixes attach.
        stems = [
            word[: -len(suffix)]
            for suffix in _PERSIAN_SUFFIXES
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_ARABIC_STEM
        ]
        return (word, *stems)
    bases = [word] + [
        word[len(prefix) :]
        for prefix in _ARABIC_PREFIXES
        if word.startswith(prefix) and len(word) - len(prefix) >= _MIN_ARABIC_STEM
    ]
    forms = dict.fromkeys(bases)
    for base in bases:
        for suffix in _TA_MARBUTA_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= _MIN_ARABIC_STEM:
                forms[base[: -len(suffix)] + "ه"] = None
        for suffix in _ARABIC_SUFFIXES:
            if base.endswith(suffix) and len(base) - len(suffix) >= _MIN_ARABIC_STEM:
                forms[base[: -len(suffix)]] = None
    return tuple(forms)


def _hebrew_forms(word: str) -> tuple[str, ...]:
    forms = [word]
    for cut in range(1, _MAX_HEBREW_PREFIXES + 1):
        if len(word) - cut < _MIN_HEBREW_STEM or word[cut - 1] not in _HEBREW_PREFIX_LETTERS:
            break
        forms.append(word[cut:])
    return tuple(forms)


def _score_topics(
    hits: list[_Hit],
    texts: tuple[str, str],
    taxonomy: CompiledTaxonomy,
    evidence_topics: frozenset[int] = frozenset(),
    border: list[tuple[int, float, list[_Candidate]]] | None = None,
) -> list[tuple[int, TopicTag]]:
    """The (topic index, tag) pairs that reach their threshold, best first. When `border` is a
    list, the topics scored above 0 and below their threshold with none of their exclusions found
    are appended to it as (topic index, score, counted candidates). Evidence terms are not asked
    for (the arbiter judges them as the rules scored them); an exclusion is the rule author's word
    that the topic is not meant here."""
    rules = taxonomy.rules
    by_topic: dict[int, dict[int, list[_Hit]]] = {}
    for hit in hits:
        by_topic.setdefault(rules[hit.rule].topic, {}).setdefault(hit.rule, []).append(hit)
    tags: list[tuple[int, TopicTag]] = []
    longer: list[_Hit] | None = None
    for topic_index, by_rule in by_topic.items():
        topic = taxonomy.topics[topic_index]
        # Most items hit only a few context words; when every rule found, counted once at title
        # weight, cannot reach the threshold, exclusions and overlaps need not be worked out.
        best = _best_case(by_rule, taxonomy)
        if best < topic.threshold and (border is None or best == 0):
            continue
        if len(by_topic) > 1:
            if longer is None:
                longer = _longer_terms(hits, taxonomy)
            by_rule = _unshadowed(by_rule, topic_index, longer, taxonomy)
        excluded = _excluded_spans(by_rule, taxonomy)
        needs_evidence = topic_index in evidence_topics
        if needs_evidence and border is None and not _has_evidence(by_rule, excluded, taxonomy):
            continue
        candidates: list[_Candidate] = []
        for index, rule_hits in by_rule.items():
            allowed = (
                [hit for hit in rule_hits if not any(hit.overlaps(*span) for span in excluded)]
                if excluded
                else rule_hits
            )
            candidates.extend(_candidates(index, allowed, taxonomy))
        chosen = _choose(candidates)
        score = round(sum(candidate.value for candidate in chosen), 3)
        if not chosen or score <= 0:
            continue
        if score >= topic.threshold:
            # Asked here only when the border pass skipped it above.
            if (
                needs_evidence
                and border is not None
                and not _has_evidence(by_rule, excluded, taxonomy)
            ):
                continue
            evidence, matches = _evidence(chosen, texts)
            tags.append((topic_index, TopicTag(topic.id, score, evidence, matches)))
        elif border is not None and not excluded:
            border.append((topic_index, score, chosen))
    tags.sort(key=_tag_order)
    return tags


def _has_evidence(
    by_rule: dict[int, list[_Hit]], excluded: list[tuple[int, int, int]], taxonomy: CompiledTaxonomy
) -> bool:
    """Whether one of the topic's evidence terms is found outside its exclusions."""
    return any(
        not any(hit.overlaps(*span) for span in excluded)
        for index, rule_hits in by_rule.items()
        if taxonomy.rules[index].kind is RuleKind.EVIDENCE
        for hit in rule_hits
    )


def _longer_terms(hits: list[_Hit], taxonomy: CompiledTaxonomy) -> list[_Hit]:
    """The hits that can shadow another topic's: single terms that count (weight > 0)."""
    rules = taxonomy.rules
    return [
        hit
        for hit in hits
        if rules[hit.rule].kind is RuleKind.TERM
        and rules[hit.rule].weight
        and hit.inner_end - hit.inner_start > 1
    ]


def _unshadowed(
    by_rule: dict[int, list[_Hit]], topic: int, longer: list[_Hit], taxonomy: CompiledTaxonomy
) -> dict[int, list[_Hit]]:
    """A topic's hits without those that lie inside a longer term of another topic.

    The longest term says what a stretch of text is about: "attack" inside "cyber attack",
    "virus" inside "computer virus" (电脑病毒), "strike" inside "drone strike", "Angriff" inside
    "Cyberangriff" count for the longer term's topic only. Exclusions (weight 0) always count,
    and only single terms shadow: a near or all rule is made of pieces, not a name for a stretch.
    Evidence terms are shadowed like scoring terms: "spread" inside "malware spread" is no
    evidence of an outbreak.
    """
    rules = taxonomy.rules
    others = [hit for hit in longer if rules[hit.rule].topic != topic]
    if not others:
        return by_rule
    kept: dict[int, list[_Hit]] = {}
    for index, rule_hits in by_rule.items():
        if rules[index].weight or rules[index].kind is RuleKind.EVIDENCE:
            rule_hits = [hit for hit in rule_hits if not _inside_longer(hit, others)]
        if rule_hits:
            kept[index] = rule_hits
    return kept


def _inside_longer(hit: _Hit, others: list[_Hit]) -> bool:
    field, start, end = hit.field, hit.inner_start, hit.inner_end
    return any(
        other.field == field
        and other.inner_start <= start
        and end <= other.inner_end
        and other.inner_end - other.inner_start > end - start
        for other in others
    )


def _best_case(by_rule: dict[int, list[_Hit]], taxonomy: CompiledTaxonomy) -> float:
    """An upper bound of a topic's score: each rule with all its parts found, at title weight."""
    best = 0.0
    for index, rule_hits in by_rule.items():
        rule = taxonomy.rules[index]
        if rule.weight and (rule.parts == 1 or len({hit.part for hit in rule_hits}) == rule.parts):
            best += rule.weight
    return best * max(taxonomy.title_weight, 1.0)


def _excluded_spans(
    by_rule: dict[int, list[_Hit]], taxonomy: CompiledTaxonomy
) -> list[tuple[int, int, int]]:
    """The (field, start, end) spans of one topic's exclusions found in the item."""
    excluded: list[tuple[int, int, int]] = []
    for index, rule_hits in by_rule.items():
        rule = taxonomy.rules[index]
        if rule.kind is RuleKind.EXCLUDE:
            excluded.extend((hit.field, hit.start, hit.end) for hit in rule_hits)
        elif rule.kind is RuleKind.EXCLUDE_NEAR:
            excluded.extend(
                (a.field, a.start, a.end) for a, _ in _near_pairs(rule_hits, rule.within)
            )
    return excluded


def _candidates(index: int, hits: list[_Hit], taxonomy: CompiledTaxonomy) -> list[_Candidate]:
    rule = taxonomy.rules[index]

    def value(*chosen: _Hit) -> float:
        in_title = all(hit.field == TITLE for hit in chosen)
        return rule.weight * (taxonomy.title_weight if in_title else 1.0)

    if rule.kind is RuleKind.TERM:
        in_title = rule.weight * taxonomy.title_weight
        return [
            _Candidate(index, in_title if hit.field == TITLE else rule.weight * 1.0, (hit,))
            for hit in hits
        ]
    if rule.kind is RuleKind.NEAR:
        return [_Candidate(index, value(a, b), (a, b)) for a, b in _near_pairs(hits, rule.within)]
    if rule.kind is RuleKind.ALL:
        # The first hit of each part: hits are sorted title first, then by position.
        firsts = {hit.part: hit for hit in reversed(hits)}
        if len(firsts) < rule.parts:
            return []
        chosen = tuple(firsts[part] for part in range(rule.parts))
        return [_Candidate(index, value(*chosen), chosen)]
    return []


def _near_pairs(hits: list[_Hit], within: int) -> list[tuple[_Hit, _Hit]]:
    firsts = [hit for hit in hits if hit.part == 0]
    seconds = [hit for hit in hits if hit.part == 1]
    return [(a, b) for a in firsts for b in seconds if a.field == b.field and _near(a, b, within)]


def _near(a: _Hit, b: _Hit, within: int) -> bool:
    gap = max(b.first - a.last, a.first - b.last)  # words from one to the other
    if gap >= 1:
        return gap <= within
    # Both in one word: a Chinese run holds many words, and its terms have exact spans; two that
    # do not overlap are near when the characters between them could be `within` words (about
    # two characters each). The parts of a German compound share one span and never are.
    between = max(b.start - a.end, a.start - b.end)
    return 0 <= between <= _CHARS_PER_UNSPACED_WORD * within


def _choose(candidates: list[_Candidate]) -> list[_Candidate]:
    """Heaviest first; a term counts once, and a stretch of text counts for one term only."""
    ordered = sorted(
        candidates,
        key=lambda c: (-c.value, -sum(h.end - h.start for h in c.hits), c.hits[0].field,
                       c.hits[0].start),
    )  # fmt: skip
    chosen: list[_Candidate] = []
    used_rules: set[int] = set()
    used_spans: list[_Hit] = []
    for candidate in ordered:
        if candidate.rule in used_rules:
            continue
        if any(u.overlaps(h.field, h.start, h.end) for h in candidate.hits for u in used_spans):
            continue
        chosen.append(candidate)
        used_rules.add(candidate.rule)
        used_spans.extend(candidate.hits)
    return chosen


def _evidence(
    chosen: list[_Candidate], texts: tuple[str, str]
) -> tuple[tuple[str, ...], tuple[TermMatch, ...]]:
    """The distinct matched terms as written, and every counted match with its position."""
    hits = sorted((hit for c in chosen for hit in c.hits), key=lambda h: (h.field, h.start, h.end))
    seen: dict[str, str] = {}
    matches: list[TermMatch] = []
    for hit in hits:
        written = texts[hit.field][hit.start : hit.end]
        seen.setdefault(written.casefold(), written)
        matches.append(TermMatch(written, _FIELD_NAMES[hit.field], hit.start, hit.end))
    return tuple(seen.values()), tuple(matches)
