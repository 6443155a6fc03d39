"""Alert rules: loading TOML and YAML, every validation error, the watch setting, each condition."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streams.alerts.rule_file import (
    check_rules,
    load_configured_rules,
    load_rules,
    rules_from_watch,
)
from streams.alerts.rules import SEVERITY_RANK, Rule, RulesError, build_rule_set, match_rules
from streams.records import Article, Language, TopicTag
from streams.settings import DEFAULT_WATCH
from streams.tagging.taxonomy import Taxonomy, load_taxonomy

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
FEED = "f-0123456789abcdef"
BUNDLED = Path(__file__).resolve().parents[2] / "streams" / "data" / "alert_rules.toml"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def write(tmp_path: Path, text: str, name: str = "alerts.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def article(
    title: str,
    summary: str = "",
    language: str = "en",
    topics: tuple[TopicTag, ...] = (),
    source: str = "Wire",
    feed_id: str = FEED,
) -> Article:
    return Article(
        item_id="i-1",
        feed_id=feed_id,
        source=source,
        link="https://example.com/1",
        title=title,
        summary=summary,
        language=Language(language, 0.99),
        topics=topics,
        published_at=None,
        fetched_at=NOW,
        enriched_at=NOW,
    )


def fired(text_or_article: Article, *rules: Rule) -> list[str]:
    return [m.rule.id for m in match_rules(text_or_article, build_rule_set(rules, "test"))]


def watch(*terms: str, exclude: tuple[str, ...] = (), **kw: object) -> Rule:
    return Rule(id="watchlist", severity="warning", terms=terms, exclude_terms=exclude, **kw)  # type: ignore[arg-type]  # test helper passes Rule fields through


CYBER = TopicTag("cyberattack", 3.5, ("hackers",))
ELECTIONS = TopicTag("elections", 2.5, ("election",))

GOOD_TOML = """\
schema_version = 1

[[rules]]
id = "ukraine-infrastructure"
description = "Attacks on Ukrainian operators"
severity = "critical"
topics = { cyberattack = 2.0, armed_conflict = 2.5 }
topics_mode = "any"
languages = ["en", "uk"]
feeds = ["f-0123456789abcdef"]
sources = ["Kyiv Wire"]
terms = ["Ukrposhta|Укрпошт*", "Ukrenergo"]
exclude_terms = ["stamp*"]
min_sources = 3

[[rules]]
id = "elections"
severity = "info"
enabled = false
topics = { elections = 0 }
"""

GOOD_YAML = """\
schema_version: 1
rules:
  - id: ukraine-infrastructure
    description: Attacks on Ukrainian operators
    severity: critical
    topics: {cyberattack: 2.0, armed_conflict: 2.5}
    topics_mode: any
    languages: [en, uk]
    feeds: [f-0123456789abcdef]
    sources: [Kyiv Wire]
    terms: ["Ukrposhta|Укрпошт*", Ukrenergo]
    exclude_terms: ["stamp*"]
    min_sources: 3
  - id: elections
    severity: info
    enabled: false
    topics:
      elections: 0
"""


# --- loading -------------------------------------------------------------------------------------


def test_bundled_rules_check_clean_against_the_bundled_taxonomy(taxonomy: Taxonomy) -> None:
    assert check_rules(BUNDLED, taxonomy) == []
    assert check_rules(None, taxonomy) == []


def test_bundled_rules_cover_every_default_watched_topic_at_its_severity() -> None:
    rules = load_rules()
    single_topic = {
        rule.topics[0][0]: rule
        for rule in rules.rules
        if rule.enabled and len(rule.topics) == 1 and not rule.terms and not rule.languages
    }
    for topic, severity in DEFAULT_WATCH.items():
        assert single_topic[topic].severity == severity, topic
    assert any(rule.terms for rule in rules.rules)
    assert any(rule.languages or rule.sources for rule in rules.rules)


def test_toml_file_loads_every_field(tmp_path: Path, taxonomy: Taxonomy) -> None:
    rules = load_rules(write(tmp_path, GOOD_TOML), taxonomy)
    first, second = rules.rules
    assert first == Rule(
        id="ukraine-infrastructure",
        severity="critical",
        description="Attacks on Ukrainian operators",
        enabled=True,
        topics=(("cyberattack", 2.0), ("armed_conflict", 2.5)),
        topics_mode="any",
        languages=("en", "uk"),
        feeds=(FEED,),
        sources=("Kyiv Wire",),
        terms=("Ukrposhta|Укрпошт*", "Ukrenergo"),
        exclude_terms=("stamp*",),
        min_sources=3,
    )
    assert second == Rule(
        id="elections", severity="info", enabled=False, topics=(("elections", 0.0),)
    )
    assert rules.watchlist is not None
    assert rules.rule("elections") is second


def test_yaml_file_loads_the_same_rules_as_toml(tmp_path: Path, taxonomy: Taxonomy) -> None:
    from_toml = load_rules(write(tmp_path, GOOD_TOML), taxonomy)
    for name in ("alerts.yaml", "alerts.yml"):
        assert load_rules(write(tmp_path, GOOD_YAML, name), taxonomy).rules == from_toml.rules


def test_load_raises_the_first_problem_and_counts_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rules]]\nid = "a"\nseverity = "urgent"\nenabled = "yes"\n')
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert "(and 2 more: run `wirewatch rules check`)" in message


# --- validation errors: file:line, rule id, field, what is accepted ------------------------------

TOML_CASES = [
    # (file text, line, what the message must say)
    ('rule = 1\n[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\n', 1,
     "unknown key 'rule'; accepted: schema_version, rules"),
    ('schema_version = 2\n[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\n', 1,
     "schema_version: got 2; accepted: 1"),
    ("schema_version = 1\n", 1, "no rules; accepted: one or more [[rules]] tables"),
    ('[[rules]]\nid = "Cyber Attack"\nseverity = "info"\n', 2,
     "rule #1, id: got 'Cyber Attack'; accepted: a slug"),
    ('[[rules]]\nseverity = "info"\nterms = ["x"]\n', 1, "rule #1, id: got None"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\n\n'
     '[[rules]]\nid = "a"\nseverity = "info"\nterms = ["y"]\n', 7,
     "rule 'a', id: defined twice (first at {path}:2); accepted: each id once"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nseverty = "info"\n', 5,
     "rule 'a', unknown key 'severty'; accepted: id, description, severity,"),
    ('[[rules]]\nid = "a"\nterms = ["x"]\nseverity = "urgent"\n', 4,
     "rule 'a', severity: got 'urgent'; accepted: 'info', 'warning', 'critical'"),
    ('[[rules]]\nid = "a"\nterms = ["x"]\n', 1, "rule 'a', severity: got None; accepted:"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nenabled = "yes"\n', 5,
     "rule 'a', enabled: got 'yes'; accepted: true or false"),
    ('[[rules]]\nid = "a"\nseverity = "info"\ntopics = { protest = 1 }\ntopics_mode = "most"\n', 5,
     "rule 'a', topics_mode: got 'most'; accepted: 'any', 'all'"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nmin_sources = 0\n', 5,
     "rule 'a', min_sources: got 0; accepted: a whole number ≥ 1"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nmin_sources = "3"\n', 5,
     "rule 'a', min_sources: got '3'; accepted: a whole number ≥ 1"),
    ('[[rules]]\nid = "a"\nseverity = "info"\ntopics = ["protest"]\n', 4,
     "rule 'a', topics: got ['protest']; accepted: a table of topic id = minimum score"),
    ('[[rules]]\nid = "a"\nseverity = "info"\n\n[rules.topics]\nprotest = 2.0\ncyber = 2.0\n', 7,
     "rule 'a', topics.cyber: unknown topic; accepted: did you mean 'cyberattack'? one of"),
    ('[[rules]]\nid = "a"\nseverity = "info"\ntopics = { protest = -1 }\n', 4,
     "rule 'a', topics.protest: minimum score -1; accepted: a number ≥ 0"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nlanguages = "en"\n', 5,
     "rule 'a', languages: got 'en'; accepted: a list, e.g. languages = [\"en\"]"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nlanguages = [\n  "en",\n  "EN",\n]\n',
     7, "rule 'a', languages: got 'EN'; accepted: an ISO 639 code in lower case"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nfeeds = ["bbc"]\n', 5,
     "rule 'a', feeds: got 'bbc'; accepted: a feed id like 'f-0000000000000000'"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nsources = ["  "]\n', 5,
     "rule 'a', sources: got '  '; accepted: a source name as text"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = [\n  "Ukrposhta",\n  "ab*",\n]\n', 6,
     "rule 'a', terms: term 'ab*': the stem before '*' needs at least 3 letters; accepted: the "
     "taxonomy's term syntax"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"]\nexclude_terms = ["a||b"]\n', 5,
     "rule 'a', exclude_terms: term 'a||b' has an empty alternative"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = [3]\n', 4,
     "rule 'a', terms: got 3; accepted: a term as text"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nlanguages = ["en"]\n', 2,
     "rule 'a', no condition on topics or terms; accepted: at least one of topics"),
    ('[[rules]]\nid = "a"\nseverity = "info"\nterms = ["x"\n', 4, "not valid TOML"),
    ('[[rules]]\nid = "a"\nseverity = info\nterms = ["x"]\n', 3,
     "not valid TOML: Expected newline"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "expected"), TOML_CASES)
def test_toml_problem_names_line_rule_field_and_what_is_accepted(
    tmp_path: Path, taxonomy: Taxonomy, text: str, line: int, expected: str
) -> None:
    path = write(tmp_path, text)
    problems = check_rules(path, taxonomy)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: "), problems[0]
    assert expected.format(path=path) in problems[0]


YAML_CASES = [
    ("rules:\n  - id: a\n    severity: info\n    terms: [x]\nextra: 1\n", 5,
     "unknown key 'extra'; accepted: schema_version, rules"),
    ("rules:\n  - id: a\n    severity: info\n    terms: [x]\n    severity: critical\n", 5,
     "key 'severity' appears twice in one table; accepted: each key once"),
    ("rules:\n  - id: a\n    severity: info\n    terms: [x]\n  - id: b\n    severity: loud\n"
     "    terms: [y]\n", 6, "rule 'b', severity: got 'loud'; accepted:"),
    ("rules:\n  - id: a\n    severity: info\n    terms: [x]\n    languages:\n      - en\n"
     "      - no\n", 7, "rule 'a', languages: got False; quote it in YAML; accepted: an ISO 639"),
    ("rules:\n  - id: a\n    severity: info\n    topics:\n      protest: 2\n"
     "      elections: high\n", 6,
     "rule 'a', topics.elections: minimum score 'high'; accepted: a number ≥ 0"),
    ("rules:\n  - id: a\n    severity: info\n    terms:\n      - Ukrposhta\n      - '~ab'\n", 6,
     "rule 'a', terms: term '~ab': a '~' term needs at least 3 letters"),
    ("rules:\n  - id: a\n    severity: info\n    terms: [x]\n    colour: red\n", 5,
     "rule 'a', unknown key 'colour'"),
    ("rules:\n  - [a, b]\n", 2, "rule #1: got list; accepted: a table with id, severity"),
    ("- id: a\n  severity: info\n", 1, "no rules; accepted: a [[rules]] table (TOML) or rules:"),
    ("rules:\n  - id: a\n    severity: info\n    terms: [x\n", 5, "not valid YAML"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "expected"), YAML_CASES)
def test_yaml_problem_names_line_rule_field_and_what_is_accepted(
    tmp_path: Path, taxonomy: Taxonomy, text: str, line: int, expected: str
) -> None:
    path = write(tmp_path, text, "alerts.yaml")
    problems = check_rules(path, taxonomy)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path}:{line}: "), problems[0]
    assert expected in problems[0]


def test_every_problem_of_a_file_is_reported_at_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[rules]]\nid = "a"\nseverity = "loud"\nterms = ["x"]\n\n'
        '[[rules]]\nid = "b"\nseverity = "info"\nterms = ["y"]\nmin_sources = -2\n',
    )
    problems = check_rules(path)
    assert [p.split(": rule ")[0] for p in problems] == [f"{path}:3", f"{path}:10"]
    assert "rule 'a', severity" in problems[0]
    assert "rule 'b', min_sources" in problems[1]


def test_topics_are_checked_against_the_taxonomy_only_when_one_is_given(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rules]]\nid = "a"\nseverity = "info"\ntopics = { piracy = 1 }\n')
    assert check_rules(path) == []
    assert "topics.piracy: unknown topic" in check_rules(path, load_taxonomy())[0]


def test_unreadable_and_wrongly_named_files_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert check_rules(missing)[0].startswith(f"{missing}: cannot read the rules")
    odd = write(tmp_path, "{}", "alerts.json")
    assert check_rules(odd) == [f"{odd}: unknown file type '.json'; accepted: .toml, .yaml, .yml"]
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[[rules]]\nid = "caf\xe9"\n')
    assert check_rules(latin) == [f"{latin}:2: not UTF-8; save the file as UTF-8"]


# --- the watch setting ---------------------------------------------------------------------------


def test_watch_setting_becomes_one_rule_per_topic_at_its_severity() -> None:
    rules = rules_from_watch({"cyberattack": "critical", "protest": "info"})
    assert [(r.id, r.severity, r.topics) for r in rules.rules] == [
        ("watch-cyberattack", "critical", (("cyberattack", 0.0),)),
        ("watch-protest", "info", (("protest", 0.0),)),
    ]
    low = TopicTag("cyberattack", 2.0, ("hack",))
    (match,) = match_rules(article("Hack", topics=(low, ELECTIONS)), rules)
    assert match.rule.id == "watch-cyberattack"
    assert match.topics == (low,)
    assert match.reason == "cyberattack 2.0"


def test_watch_setting_with_a_bad_severity_or_unknown_topic_is_a_rules_error() -> None:
    with pytest.raises(RulesError, match=r"setting 'watch.protest': got 'loud'; accepted: 'info'"):
        rules_from_watch({"protest": "loud"})
    with pytest.raises(RulesError, match=r"'watch.piracy': unknown topic; accepted: one of"):
        rules_from_watch({"piracy": "info"}, load_taxonomy())


def test_configured_rules_prefer_the_file_then_a_changed_watch_then_the_bundled_file(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, '[[rules]]\nid = "mine"\nseverity = "info"\nterms = ["x"]\n')
    assert [r.id for r in load_configured_rules(str(path), DEFAULT_WATCH).rules] == ["mine"]
    changed = {"protest": "critical"}
    assert [r.id for r in load_configured_rules("", changed).rules] == ["watch-protest"]
    assert load_configured_rules("", DEFAULT_WATCH).rules == load_rules().rules
    with pytest.raises(RulesError, match=r"'alert_rules_path' .* and 'watch' are both set"):
        load_configured_rules(str(path), changed)


def test_severity_rank_orders_info_warning_critical() -> None:
    assert sorted(SEVERITY_RANK, key=SEVERITY_RANK.__getitem__) == ["info", "warning", "critical"]


# --- conditions ----------------------------------------------------------------------------------


def test_topic_minimum_score_is_inclusive_and_reason_shows_score_and_minimum() -> None:
    rule = Rule(id="cyber", severity="critical", topics=(("cyberattack", 3.5),))
    (match,) = match_rules(article("x", topics=(CYBER,)), build_rule_set([rule], "test"))
    assert match.topics == (CYBER,)
    assert match.reason == "cyberattack 3.5 ≥ 3.5"
    assert fired(article("x", topics=(replace(CYBER, score=3.49),)), rule) == []


def test_topics_mode_any_needs_one_topic_and_all_needs_every_one() -> None:
    topics = (("cyberattack", 2.0), ("elections", 2.0))
    any_rule = Rule(id="any", severity="info", topics=topics)
    all_rule = Rule(id="all", severity="info", topics=topics, topics_mode="all")
    assert fired(article("x", topics=(CYBER,)), any_rule, all_rule) == ["any"]
    both = article("x", topics=(CYBER, ELECTIONS))
    assert fired(both, any_rule, all_rule) == ["any", "all"]
    (match,) = match_rules(both, build_rule_set([all_rule], "test"))
    assert match.reason == "cyberattack 3.5 ≥ 2.0, elections 2.5 ≥ 2.0"


def test_language_feed_and_source_filters_must_all_hold() -> None:
    rule = Rule(
        id="kyiv", severity="warning", topics=(("cyberattack", 0),), languages=("uk", "en"),
        feeds=(FEED,), sources=("Kyiv Wire",),
    )  # fmt: skip
    good = article("x", topics=(CYBER,), source="KYIV WIRE ")
    assert fired(good, rule) == ["kyiv"]
    assert fired(replace(good, language=Language("uk", 0.9)), rule) == ["kyiv"]
    assert fired(replace(good, language=Language("ru", 0.9)), rule) == []
    assert fired(replace(good, feed_id="f-ffffffffffffffff"), rule) == []
    assert fired(replace(good, source="Moscow Wire"), rule) == []


def test_disabled_rule_never_matches() -> None:
    rule = Rule(id="off", severity="info", topics=(("cyberattack", 0),), enabled=False)
    assert fired(article("x", topics=(CYBER,)), rule) == []


def test_watchlist_and_topics_combine_with_and() -> None:
    rule = Rule(
        id="infra", severity="critical", topics=(("cyberattack", 2.0),), terms=("Ukrposhta",)
    )
    text = "Ukrposhta systems down after attack"
    (match,) = match_rules(article(text, topics=(CYBER,)), build_rule_set([rule], "test"))
    assert match.reason == "cyberattack 3.5 ≥ 2.0; watchlist: Ukrposhta"
    assert match.evidence == ("Ukrposhta",)
    assert fired(article(text), rule) == []
    assert fired(article("Systems down after attack", topics=(CYBER,)), rule) == []


@pytest.mark.parametrize(
    ("term", "title", "language", "evidence"),
    [
        # English: case folded, whole words, possessive split at the apostrophe
        ("Microsoft", "MICROSOFT's cloud hit by outage", "en", "MICROSOFT"),
        ("Central Election Commission", "The central election commission met", "en",
         "central election commission"),
        # French: accents folded both ways
        ("Commission électorale", "La COMMISSION ELECTORALE a tranché", "fr",
         "COMMISSION ELECTORALE"),
        ("Commission electorale", "La commission électorale a tranché", "fr",
         "commission électorale"),
        # Arabic: conjunction, preposition and article clitics, diacritics, alef variants
        ("حماس", "قالت وحماس في بيان", "ar", "وحماس"),
        ("حماس", "اتهامات لِحَمَاس", "ar", "لِحَمَاس"),
        ("أوكرانيا", "الهجوم على اوكرانيا", "ar", "اوكرانيا"),
        ("لجنة انتخابات مركزية", "أعلنت لجنة الانتخابات المركزية النتائج", "ar",
         "لجنة الانتخابات المركزية"),
        # Russian and Ukrainian: a stem covers the case endings, ё is е
        ("Росатом*", "Санкции против Росатома", "ru", "Росатома"),
        ("Росатом", "Глава Росатом заявил", "ru", "Росатом"),
        ("Укрпошт*", "Кібератака на Укрпошту", "uk", "Укрпошту"),
        ("Королёв", "Завод в Королеве", "ru", None),
        ("Королёв*", "Завод в Королеве", "ru", "Королеве"),
        # Chinese: inside running text
        ("华为", "华为公司今天宣布新芯片", "zh", "华为"),
        ("中央选举委员会", "台湾中央选举委员会公布结果", "zh", "中央选举委员会"),
    ],
)  # fmt: skip
def test_watchlist_term_matches_in_its_language(
    term: str, title: str, language: str, evidence: str | None
) -> None:
    matches = match_rules(article(title, language=language), build_rule_set([watch(term)], "t"))
    if evidence is None:
        assert matches == ()
    else:
        (match,) = matches
        assert match.evidence == (evidence,)
        assert match.reason == f"watchlist: {evidence}"


@pytest.mark.parametrize(
    ("term", "title", "language"),
    [
        ("Microsoft", "Microsofty is a new startup", "en"),  # word boundary
        ("Microsoft", "The MicrosoftEdge bundle", "en"),
        ("Росатом", "Санкции против Росатома", "ru"),  # no stem: inflected form is not matched
        ("Ukrposhta", "Ukrainian post office news", "en"),
        ("华为", "华盛顿消息", "zh"),
    ],
)
def test_watchlist_term_does_not_match_other_words(term: str, title: str, language: str) -> None:
    assert fired(article(title, language=language), watch(term)) == []


def test_watchlist_matches_in_the_summary_and_any_term_suffices() -> None:
    rule = watch("Ukrenergo", "Ukrposhta|Укрпошт*")
    found = match_rules(
        article("Overnight strikes", "Укрпошта and Ukrenergo report damage", "uk"),
        build_rule_set([rule], "t"),
    )
    assert [m.evidence for m in found] == [("Ukrenergo", "Укрпошта")]


def test_exclude_terms_veto_the_rule_in_any_language() -> None:
    rule = watch("Election Commission|Commission électorale", exclude=("student*|étudiant*",))
    assert fired(article("Election Commission meets on Monday"), rule) == ["watchlist"]
    assert fired(article("Student Election Commission meets"), rule) == []
    assert fired(article("La commission électorale des étudiants", language="fr"), rule) == []


def test_exclude_terms_also_veto_a_topic_only_rule() -> None:
    rule = Rule(
        id="cyber", severity="critical", topics=(("cyberattack", 0),), exclude_terms=("exercise",)
    )
    assert fired(article("Hackers hit bank", topics=(CYBER,)), rule) == ["cyber"]
    assert fired(article("Hackers hit bank", "in a drill exercise", topics=(CYBER,)), rule) == []


def test_rules_match_in_file_order_and_share_one_watchlist(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[rules]]\nid = "names"\nseverity = "info"\nterms = ["Naftogaz", "Ukrposhta"]\n\n'
        '[[rules]]\nid = "post"\nseverity = "warning"\nterms = ["Ukrposhta"]\n'
        'exclude_terms = ["Naftogaz"]\n',
    )
    rules = load_rules(path)
    assert rules.watchlist is not None
    assert rules.watchlist.terms == ("Naftogaz", "Ukrposhta")
    assert [m.rule.id for m in match_rules(article("Ukrposhta news"), rules)] == ["names", "post"]
    found = match_rules(article("Naftogaz and Ukrposhta"), rules)
    assert [(m.rule.id, m.evidence) for m in found] == [("names", ("Naftogaz", "Ukrposhta"))]
