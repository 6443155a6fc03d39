"""Tagging round 22: recall in the weakest languages (hu tr fa sv nl fr it), fresh20 tune half.

fresh20 is 163 real items in hu tr fa fr it nl sv over all eight topics (quake tolls and river
floods, teachers' and rail strikes, farmers' tractor protests, the forint, the lira and the
dollar in Tehran, central bank rates, Gaza and Ukraine, Islamic State and PKK bombings, hacked
town halls and hospitals, measles and cholera, election nights) beside false friends (derbies
told as wars or storms, price wars, war museums and memorials, disaster explainers and studies,
a cut cable, a 'rate bomb'). Its tune half missed a river flooding the quays of Budapest told
without the word flood (hu), a two-thirds win with the seats won in parliament (hu), the Israeli
army beside the massacres and the wounded (fa), the plural "rougeoles" (fr), fires beside the
displaced (it) and farmers on tractors in The Hague (nl); it tagged an explainer of the causes
of floods (tr), a guard carried to nl for fresh19's "Hoe overleef je een orkaan". The tune
cases fail on main at 6355d6c; the near misses pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH20 = "news_eval_fresh20.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("hu-f20-016", "natural_disaster"),  # ... a budai alsó rakpartot is elöntötte a víz ...
        ("hu-f20-026", "elections"),  # ... kétharmaddal győzött, ... 135 helyet szereztek
        ("fa-f20-008", "armed_conflict"),  # ... ارتش رژیم صهیونیستی ۱۵ کشتار ... زخمی شدند
        ("fr-f20-011", "disease_outbreak"),  # ... le nombre de cas de rougeoles reste ...
        ("it-f20-004", "natural_disaster"),  # Incendi in California, 6 vittime e 38mila sfollati
        ("nl-f20-002", "protest"),  # De eerste boeren ... in Den Haag | ... de tractoren ...
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH20, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("tr-f20-018", "natural_disaster"),  # Sel felaketi ve su taşkınlarının sebepleri
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH20, item_id, taxonomy)


@pytest.mark.parametrize(
    ("path", "item_id", "topic"),
    [
        # the river-at-its-highest family carried from hu: "Maas op hoogste niveau ... waterpeil"
        ("news_eval_fresh3.jsonl", "nl-f3-005", "natural_disaster"),
        # the variant named is the covid wave: "... depuis la vague Omicron"
        ("news_eval_fresh5.jsonl", "fr-f5-011", "disease_outbreak"),
    ],
)
def test_older_tune_items_are_tagged(
    path: str, item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in item_topics(path, item_id, taxonomy)


def test_survival_guide_from_fresh19_tune_stays_untagged(taxonomy: CompiledTaxonomy) -> None:
    # the explainer guard carried to nl: "Hoe overleef je een orkaan – thuis, in de auto en te voet"
    assert "natural_disaster" not in item_topics("news_eval_fresh19.jsonl", "nl-f19-010", taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # water in a cellar after a burst pipe is no flood: the rule wants a river or its level
        ("Elöntötte a víz a pincét egy csőtörés után", "hu", "natural_disaster"),
        # parliament passing a law by two thirds is a vote in parliament, no election
        ("Kétharmaddal megszavazta az országgyűlés az új törvényt", "hu", "elections"),
        # one building on fire with families displaced is no wildfire (the rule wants the plural)
        ("Incendio in un palazzo a Milano, dieci sfollati", "it", "natural_disaster"),
        # a farmer's tractor accident is no farmers' protest
        ("De boer reed met zijn tractor de sloot in", "nl", "protest"),
        # inflation at its highest is no river
        ("Inflatie op hoogste niveau in veertig jaar", "nl", "natural_disaster"),
        # the "Zionist regime" condemned on an anniversary is no war
        ("رژیم صهیونیستی در سالگرد انقلاب محکوم شد", "fa", "armed_conflict"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        # the explainer guard leaves a quake whose causes are investigated beside its dead
        ("Depremin nedenleri araştırılıyor: 40 kişi öldü", "tr", "natural_disaster"),
        ("Deprem: 12 ölü, yüzlerce yaralı", "tr", "natural_disaster"),
        # an Israeli attack on Gaza with its dead keeps its tag
        ("حمله ارتش رژیم صهیونیستی به غزه؛ ۲۰ نفر کشته شدند", "fa", "armed_conflict"),
        # forest fires named as such keep their tag
        ("Incendi boschivi in Sardegna: evacuati 300 turisti", "it", "natural_disaster"),
        # farmers demonstrating by the verb keep their tag
        ("Duizenden boeren demonstreren in Den Haag tegen het stikstofbeleid", "nl", "protest"),
        # a hurricane with its dead keeps its tag beside the nl explainer guard
        ("Orkaan raast over Florida: tien doden", "nl", "natural_disaster"),
    ],
)
def test_near_misses_stay_tagged(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)
