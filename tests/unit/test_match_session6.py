"""Tagging round 6: evidence that generalises to news the rules were not written from.

Natural-disaster evidence (people dead, hurt, moved or helped; damage; the event measured; where
it happened) in all 24 languages, and the rule that makes it workable: a bare headline, an item
with no lead, has no room for evidence and is judged on its score alone, so "Terremoto en el sur de
México" keeps its tag while a football "aardbeving" in a match report's lead loses it. The real
items are tune-split items read from the bench files by id; each untagged one was tagged on the
taxonomy before this round.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streams.tagging.match import match_topics
from streams.tagging.taxonomy import (
    CompiledTaxonomy,
    compile_taxonomy,
    load_default_taxonomy,
    load_taxonomy,
)

DATA = Path(__file__).parents[2] / "bench" / "data"

RULES = """
schema_version = 1

[[topics]]
id = "quake"
label = "Quake"
iptc = "medtop:20000148"
threshold = 2.0

[topics.rules.en]
evidence = ["dead|injured", "village*"]
[topics.rules.en.terms]
"earthquake" = 2
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> CompiledTaxonomy:
    path = Path(tmp_path_factory.mktemp("rules")) / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    return compile_taxonomy(load_taxonomy(path))


def ids(title: str, summary: str, language: str, taxonomy: CompiledTaxonomy) -> set[str]:
    return {tag.id for tag in match_topics(title, summary, language, taxonomy)}


def test_bare_headline_needs_no_evidence(small: CompiledTaxonomy) -> None:
    assert ids("Earthquake in Sumatra", "", "en", small) == {"quake"}
    assert ids("Earthquake in Sumatra", "   ", "en", small) == {"quake"}


def test_item_with_a_lead_still_needs_evidence(small: CompiledTaxonomy) -> None:
    assert ids("Earthquake in Sumatra", "Scientists publish a new map.", "en", small) == set()
    assert ids("Earthquake in Sumatra", "Three villages cut off.", "en", small) == {"quake"}
    # A lead without a headline is no bare headline: it has the room, so it must show evidence.
    assert ids("", "An earthquake of emotions at the final.", "en", small) == set()
    assert ids("", "An earthquake left two dead.", "en", small) == {"quake"}


@pytest.fixture(scope="module")
def taxonomy() -> CompiledTaxonomy:
    return load_default_taxonomy()


def read(name: str) -> dict[str, dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as lines:
        return {item["id"]: item for item in map(json.loads, lines)}


# (file, tune item id, topic no longer tagged)
UNTAGGED = [
    # A Champions League goal called "a small, local earthquake": no victim, damage or place.
    ("news_eval_tune2.jsonl", "nl-t2-024", "natural_disaster"),
]


@pytest.mark.parametrize(("name", "item_id", "topic"), UNTAGGED)
def test_tune_item_without_event_evidence_is_not_tagged(
    name: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    item = read(name)[item_id]
    assert item.get("split", "tune") == "tune"
    assert topic not in item["topics"]
    assert topic not in ids(item["title"], item["summary"], item["language"], taxonomy)


# Items that show the event, or are bare headlines, and stay tagged.
TAGGED = [
    # Storms: the fire service's count of call-outs (pl "Straży Pożarnej", inflected), a flash
    # flood that knocked down power poles (th เสาไฟฟ้า).
    ("news_eval_fresh2.jsonl", "pl-n2-014", "natural_disaster"),
    ("news_eval_asia_en.jsonl", "th-news-030", "natural_disaster"),
    # Bare headlines from the development set: a flood that killed ten (fa), and a cyberattack on
    # the election system (fa), which the elections evidence list dropped while it needed a lead.
    ("tagging_dev.jsonl", "fa-017", "natural_disaster"),
    ("tagging_dev.jsonl", "fa-005", "elections"),
]


@pytest.mark.parametrize(("name", "item_id", "topic"), TAGGED)
def test_tune_item_with_event_evidence_stays_tagged(
    name: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    item = read(name)[item_id]
    assert item.get("split", "tune") == "tune" and topic in item["topics"]
    assert topic in ids(item["title"], item["summary"], item["language"], taxonomy)


# --- families carried to languages that lacked the rule (no tune item shows them; each case is
# tagged wrongly, or missed, on the taxonomy before its commit) ------------------------------------

# (language, title, summary, topic, expected)
FAMILIES = [
    # The pandemic as a time is no outbreak (2d8d662).
    ("de", "Während der Pandemie entdeckten viele Menschen das Brotbacken", "",
     "disease_outbreak", False),
    ("it", "Dopo la pandemia il turismo torna a crescere", "", "disease_outbreak", False),
    # A club's election with the club a dozen words away (7fe240b); a public one stays tagged.
    ("en", "", "Chelsea football club announced on Monday that its long awaited presidential "
     "election will be held in June.", "elections", False),
    ("en", "", "Voters in Poland cast ballots in the presidential election on Sunday, with turnout "
     "above 60 percent.", "elections", True),
    # Strike words are decisive (45b19e1).
    ("fr", "Grève à la SNCF : trafic perturbé mardi", "", "protest", True),
    ("pt", "Greve dos metroviários paralisa São Paulo", "", "protest", True),
    # A currency that falls (fa38d7c).
    ("zh", "人民币兑美元跌破7.3", "", "economy_markets", True),
    ("ja", "ドル急落、一時140円台", "", "economy_markets", True),
    # Bad weather that kills (409f3fe).
    ("en", "Heavy rain kills two in Kerala", "", "natural_disaster", True),
    ("it", "Maltempo in Liguria, due morti", "", "natural_disaster", True),
    # A virus in computers is malware (de075e2).
    ("zh", "新型病毒感染大量电脑", "该病毒在全国迅速传播，已有上万台电脑被感染。",
     "disease_outbreak", False),
    ("pt", "Vírus infecta computadores de hospitais",
     "O vírus se espalha pelos servidores e os hackers pedem resgate; casos em vários estados.",
     "disease_outbreak", False),
    ("nl", "Virus besmet duizenden computers",
     "Het virus verspreidt zich snel via de computers van ziekenhuizen in de regio.",
     "disease_outbreak", False),
    ("ja", "ウイルスがパソコンに感染拡大", "病院のパソコンでウイルス感染が拡大、身代金を要求。",
     "disease_outbreak", False),
    # A column called "the front line" and "bombarded with calls" are no war; the real ones are.
    ("zh", "科技最前线：新款手机发布", "", "armed_conflict", False),
    ("zh", "乌军在最前线遭到炮击", "", "armed_conflict", True),
    ("es", "Bombardeados con llamadas: la alcaldía cede", "", "armed_conflict", False),
    ("de", "Mit Anrufen bombardiert: Stadtverwaltung gibt auf", "", "armed_conflict", False),
    ("es", "Rusia bombardea Kiev con misiles", "", "armed_conflict", True),
    # The dead of the pandemic remembered; a count of new cases stays an outbreak.
    ("fr", "Hommage aux victimes du Covid-19",
     "Une cérémonie en mémoire des morts de la pandémie a eu lieu à Paris.",
     "disease_outbreak", False),
    ("zh", "悼念新冠疫情遇难者", "全国哀悼日纪念抗疫牺牲烈士和逝世同胞。",
     "disease_outbreak", False),
    ("pl", "Pomnik ofiar pandemii odsłonięty", "W Warszawie upamiętniono zmarłych na COVID-19.",
     "disease_outbreak", False),
    ("fr", "Covid-19 : 30 000 nouveaux cas, les hôpitaux sous tension",
     "L'épidémie progresse dans toutes les régions.", "disease_outbreak", True),
]  # fmt: skip


@pytest.mark.parametrize(("language", "title", "summary", "topic", "expected"), FAMILIES)
def test_family_rule_in_the_languages_that_lacked_it(
    language: str,
    title: str,
    summary: str,
    topic: str,
    expected: bool,
    taxonomy: CompiledTaxonomy,
) -> None:
    assert (topic in ids(title, summary, language, taxonomy)) is expected


# Tune items the new rules fire on, all labelled with the topic (they must stay tagged).
FIRING = [
    ("news_eval_fresh2.jsonl", "de-n2-015", "natural_disaster"),  # storm with three dead
    ("news_eval_fresh2.jsonl", "vi-n2-005", "natural_disaster"),  # heavy rain, one dead
    ("news_eval_tune2.jsonl", "th-t2-001", "economy_markets"),  # the baht weakens
    ("news_eval_fresh3.jsonl", "hi-f3-001", "economy_markets"),  # the rupee falls
]


@pytest.mark.parametrize(("name", "item_id", "topic"), FIRING)
def test_tune_item_the_new_rules_fire_on_stays_tagged(
    name: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    item = read(name)[item_id]
    assert item.get("split", "tune") == "tune" and topic in item["topics"]
    assert topic in ids(item["title"], item["summary"], item["language"], taxonomy)
