"""Tests for the tagging arbiter: it decides only the rules' border cases, and the shipped weights
give the decisions checked on the evaluation sets (bench/arbiter_confirm.py)."""

from __future__ import annotations

import zlib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest

from streams.records import TopicTag
from streams.tagging.arbiter import DIMENSIONS, Arbiter, arbiter_text, load_arbiter, ngram_buckets
from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    check_taxonomy,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
)
from streams.text.fold import fold_for_matching


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


@pytest.fixture(scope="module")
def rules_alone() -> CompiledTaxonomy:
    return compile_taxonomy(replace(load_taxonomy(), arbiter=False))


def sure_arbiter(taxonomy: CompiledTaxonomy, bias: float) -> Arbiter:
    """An arbiter that gives every topic the same probability, whatever the text."""
    topics = tuple(topic.id for topic in taxonomy.topics)
    return Arbiter(
        topics,
        np.zeros((DIMENSIONS, len(topics)), dtype=np.float32),
        np.full(len(topics), bias),
        MappingProxyType(dict.fromkeys(topics, 0.65)),
    )


def tag_ids(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


# Border items of bench/data the shipped model confirms: rule score above 0, below 2.
CONFIRMED = [
    # news_eval_europe pl-eu-022: farmers blocking roads, "rolników" + "blokują" (1.75)
    ("Odetną dojeżdżających. Ma zaboleć. Nowy plan rolników",
     "- Nie będzie jak dojechać do Warszawy od północy, ponieważ sąsiednie drogi i możliwość "
     "dojazdu blokują inne grupy. Organizujemy wam dzień wolny od pracy - zapowiedział Piotr, "
     "rolnik spod Płońska.", "pl", "protest", 1.75),
    # news_eval_europe pt-eu-046: the Rio Grande do Sul floods, "chuvas" in the title (0.75)
    ("Tragédia mostra apagão de dados sobre chuvas e falhas de operação no RS, apontam "
     "especialistas.", "Pesquisadores dizem que nem todos os rios do estado são monitorados "
     "corretamente, o que pode atrasar as ações de retirada.", "pt", "natural_disaster", 0.75),
    # news_eval_europe ru-eu-015: US strikes on Kharg island, "военных" in the lead (0.5)
    ("Захватят ли США стратегический иранский остров",
     "Судя по сообщению Пентагона об уничтожении 90 военных целей на Харке, уже начата "
     "подготовка к высадке.", "ru", "armed_conflict", 0.5),
]  # fmt: skip


@pytest.mark.parametrize(("title", "summary", "language", "topic", "score"), CONFIRMED)
def test_a_border_item_is_tagged_with_its_rule_words_when_the_model_is_sure(
    title: str,
    summary: str,
    language: str,
    topic: str,
    score: float,
    taxonomy: CompiledTaxonomy,
    rules_alone: CompiledTaxonomy,
) -> None:
    assert topic not in tag_ids(title, summary, language, rules_alone)
    tag = {t.id: t for t in match_topics(title, summary, language, taxonomy)}[topic]
    assert tag.score == score < 2.0  # a score below the threshold marks the arbiter's tag
    assert tag.evidence and tag.matches  # the rule words that supported it
    assert load_arbiter().probabilities(arbiter_text(title, summary), language)[topic] >= 0.65


def test_a_border_item_the_model_doubts_is_not_tagged(taxonomy: CompiledTaxonomy) -> None:
    # news_eval_asia_en en-news-024: "Strikes" scores protest 0.75; the model says 0.04.
    title = "Middle East on Edge: Israel Strikes Iran, Crypto Markets Plunge"
    summary = (
        "In a dramatic escalation, Israel launched a major airstrike on Iran early this morning "
        'under the operation name "Rising Lion."'
    )
    assert load_arbiter().probabilities(arbiter_text(title, summary), "en")["protest"] < 0.1
    assert "protest" not in tag_ids(title, summary, "en", taxonomy)


def test_a_sure_model_never_tags_a_topic_without_a_rule_word(taxonomy: CompiledTaxonomy) -> None:
    sure = replace(taxonomy, arbiter=sure_arbiter(taxonomy, bias=30.0))
    found = match_topics("Ministry website hacked", "Officials said more later.", "en", sure)
    assert [tag.id for tag in found] == ["cyberattack"]  # no other topic has a word here
    assert not match_topics("Quiet day", "Nothing happened in town today.", "en", sure)


def test_a_doubting_model_adds_nothing_to_the_rules(
    taxonomy: CompiledTaxonomy, rules_alone: CompiledTaxonomy
) -> None:
    doubting = replace(taxonomy, arbiter=sure_arbiter(taxonomy, bias=-30.0))
    for title, summary, language, _, _ in CONFIRMED:
        assert tag_ids(title, summary, language, doubting) == tag_ids(
            title, summary, language, rules_alone
        )


def test_a_bare_headline_is_left_to_the_rules(taxonomy: CompiledTaxonomy) -> None:
    sure = replace(taxonomy, arbiter=sure_arbiter(taxonomy, bias=30.0))
    assert "cyberattack" not in tag_ids("", "", "en", sure)
    assert "elections" not in tag_ids(
        "Tennis federation elects new president in contested vote", "", "en", sure
    )


def test_a_topic_whose_exclusion_is_found_is_left_to_the_rules(taxonomy: CompiledTaxonomy) -> None:
    sure = replace(taxonomy, arbiter=sure_arbiter(taxonomy, bias=30.0))
    # "attack on" beside hackers is excluded for armed_conflict; the rules tag cyberattack.
    found = tag_ids(
        "Hackers attack on Israel websites", "The group claimed the attack on Israel sites.", "en",
        sure,
    )  # fmt: skip
    assert "cyberattack" in found
    assert "armed_conflict" not in found


def test_border_tags_come_after_the_rule_tags(taxonomy: CompiledTaxonomy) -> None:
    sure = replace(taxonomy, arbiter=sure_arbiter(taxonomy, bias=30.0))
    found = match_topics(
        "Hackers hit election commission servers", "Voters queued; police watched a strike.", "en",
        sure,
    )  # fmt: skip
    scores = [tag.score for tag in found]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(tag, TopicTag) for tag in found)


def test_the_shipped_weights_load_once_for_the_bundled_topics(taxonomy: CompiledTaxonomy) -> None:
    arbiter = load_arbiter()
    assert load_arbiter() is arbiter
    assert taxonomy.arbiter is arbiter
    assert arbiter.topics == tuple(topic.id for topic in taxonomy.topics)
    assert arbiter.weights.shape == (DIMENSIONS, len(arbiter.topics))
    assert arbiter.weights.dtype == np.float32
    assert set(arbiter.thresholds.values()) == {0.65}


def test_ngram_buckets_fold_the_text_and_do_not_depend_on_the_process() -> None:
    assert np.array_equal(ngram_buckets("ÉLECTIONS", "fr"), ngram_buckets("elections", "fr"))
    # crc32 of " a", "a ", " a ": fixed numbers, unlike Python's salted hash().
    assert ngram_buckets("a", "en").tolist() == [26515, 26833, 58844]


def _buckets_by_definition(text: str, language: str) -> list[int]:
    """Every 2-4-gram of the whole folded text, sliced one by one: what the model was trained on."""
    folded = " " + " ".join(fold_for_matching(text, language).split()) + " "
    grams = {folded[i : i + n] for n in (2, 3, 4) for i in range(len(folded) - n + 1)}
    return sorted({zlib.crc32(gram.encode()) % DIMENSIONS for gram in grams})


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", "en"),
        ("a", "en"),
        ("a b c", "fr"),
        ("I a b cd efg", "en"),
        ("  Spaces\n and\ttabs  ", "de"),
        ("Wahl in Berlin: die SPD liegt vorn\nDie Auszählung läuft.", "de"),
        ("Землетрясение в Турции\nПогибли 12 человек", "ru"),
        ("日本で地震 震度6強\n気象庁によると", "ja"),
        ("انتخابات الرئاسة\nبدأ فرز الأصوات", "ar"),
    ],
)
def test_ngram_buckets_are_every_gram_of_the_folded_text(text: str, language: str) -> None:
    # The per-word and per-gap caches must give exactly the grams of the whole text, twice.
    expected = _buckets_by_definition(text, language)
    assert ngram_buckets(text, language).tolist() == expected
    assert ngram_buckets(text, language).tolist() == expected


def test_the_arbiter_is_off_unless_the_taxonomy_asks(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.toml"
    body = '[[topics]]\nid = "quakes"\nlabel = "Quakes"\niptc = "medtop:20000148"\n'
    body += 'threshold = 2.0\n[topics.rules.en.terms]\n"quake" = 2\n'
    path.write_text(body, encoding="utf-8")
    assert compile_taxonomy(load_taxonomy(path)).arbiter is None
    path.write_text("arbiter = false\n" + body, encoding="utf-8")
    assert compile_taxonomy(load_taxonomy(path)).arbiter is None
    path.write_text('arbiter = "yes"\n' + body, encoding="utf-8")
    assert any("arbiter must be true or false" in p for p in check_taxonomy(path))


def test_the_bundled_taxonomy_turns_the_arbiter_on() -> None:
    assert load_taxonomy().arbiter is True
