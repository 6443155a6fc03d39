"""Tests for the longest-term rule: a term inside a longer term of another topic does not count.

Texts are real items of the tune sets (bench/data: tagging_dev.jsonl, the tune split of
news_eval_asia_en.jsonl and news_eval_fresh2.jsonl); the rules are small files written here so
that each test shows the rule itself, not an exclusion that the bundled taxonomy also carries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import CompiledTaxonomy, compile_taxonomy, load_taxonomy

RULES = """
[[topics]]
id = "cyberattack"
label = "Cyberattack"
iptc = "medtop:20000086"
threshold = 2.0
[topics.rules.en.terms]
"cyber attack*" = 2
[topics.rules.de.terms]
"~computervirus" = 2
[topics.rules.zh.terms]
"电脑病毒" = 2
[topics.rules.ja.terms]
"サイバー攻撃" = 2

[[topics]]
id = "disease_outbreak"
label = "Disease outbreak"
iptc = "medtop:20000446"
threshold = 2.0
[topics.rules.de.terms]
"~virus" = 2
[topics.rules.zh.terms]
"病毒" = 2
"传播" = 1

[[topics]]
id = "armed_conflict"
label = "Armed conflict"
iptc = "medtop:20000056"
threshold = 2.0
[topics.rules.ja.terms]
"攻撃" = 2
[topics.rules.en.terms]
"strike|strikes" = 2
[topics.rules.de.terms]
"~kampf" = 2

[[topics]]
id = "terrorism"
label = "Terrorism"
iptc = "medtop:20000053"
threshold = 2.0
[topics.rules.en.terms]
"attack|attacks" = 2

[[topics]]
id = "protest"
label = "Protest"
iptc = "medtop:20000065"
threshold = 2.0
[topics.rules.en.terms]
"strike|strikes" = 2

[[topics]]
id = "elections"
label = "Elections"
iptc = "medtop:20000574"
threshold = 2.0
[topics.rules.de.terms]
"~wahl" = 2
"""


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("shadowing")) / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def topic_ids(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


def test_virus_inside_a_german_computervirus_compound_is_not_an_outbreak(
    rules: CompiledTaxonomy,
) -> None:
    # tagging_dev.jsonl de-010: "~virus" and "~computervirus" both match the one word.
    found = topic_ids("Computervirus legt Rechner im Bundestag lahm", "", "de", rules)
    assert found == {"cyberattack"}


def test_chinese_virus_inside_computer_virus_does_not_count_for_an_outbreak(
    rules: CompiledTaxonomy,
) -> None:
    # tagging_dev.jsonl zh-010: without the rule 病毒 (2) + 传播 (1) would tag an outbreak.
    found = topic_ids("新型电脑病毒在企业网络中传播", "", "zh", rules)
    assert found == {"cyberattack"}


def test_japanese_attack_inside_cyber_attack_is_not_armed_conflict(
    rules: CompiledTaxonomy,
) -> None:
    # news_eval_asia_en.jsonl ja-news-011 (tune split)
    summary = (
        "日本医大武蔵小杉病院(川崎市)は13日、医療情報システムの一部が、身代金要求型コンピューター"
        "ウイルス「ランサムウエア」によるサイバー攻撃を受け、患者約1万人の個人情報が漏えいしたと"
        "発表した。"
    )
    assert topic_ids("", summary, "ja", rules) == {"cyberattack"}


def test_english_attacks_inside_cyber_attacks_is_not_terrorism(rules: CompiledTaxonomy) -> None:
    # news_eval_asia_en.jsonl en-news-051 (tune split)
    summary = (
        "Government officials warn that Russian hackers are increasing already-common cyber "
        "attacks on hundreds of U.S. hospitals."
    )
    assert topic_ids("", summary, "en", rules) == {"cyberattack"}
    # The longer term shadows only the stretch it covers: "attacks" elsewhere still counts.
    assert topic_ids("Hospital attacks", summary, "en", rules) == {"cyberattack", "terrorism"}


def test_the_same_term_in_two_topics_counts_for_both(rules: CompiledTaxonomy) -> None:
    # news_eval_asia_en.jsonl en-news-002 (tune split): only a strictly longer term shadows.
    title = "U.K. Postal Workers to Strike Amid High Inflation and Economic Concerns"
    assert topic_ids(title, "", "en", rules) == {"protest", "armed_conflict"}


def test_compound_parts_side_by_side_both_count(rules: CompiledTaxonomy) -> None:
    # news_eval_fresh2.jsonl de-n2-011 (tune split): "wahl" and "kampf" are parts of one word
    # but neither lies inside the other, so neither shadows.
    summary = "Christian Lindner positioniert sich im Wahlkampf klar für Schwarz-Gelb"
    assert topic_ids("", summary, "de", rules) == {"elections", "armed_conflict"}
