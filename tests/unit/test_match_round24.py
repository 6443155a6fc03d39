"""Tagging round 24: precision on no-topic news and traps in nl sv fa hu el ro id vi th hi uk cs.

fresh22 is 136 real items in the languages round 23 did not cover, two thirds of them no-topic
false friends with `must_not` traps (price wars, derbies, club and federation elections,
anniversaries of earthquakes, floods, tsunamis and attacks, IT outages said not to be an attack,
weather forecasts) beside real topic items near those borders (ransomware on hospitals and data
centres, polls, strikes and marches, floods and earthquakes, dengue and measles). Its tune half
tagged disasters remembered at anniversaries and memorials (fa id vi th cs), a weather forecast
(el hi), an attack remembered on its anniversary (hi), outages said NOT to be an attack (hu uk),
federations electing their presidents (ro th) and a letter of protest (th). The tune cases and
the guards' own new wordings fail on main at 047655b; the near misses that keep their tag pass
before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH22 = "news_eval_fresh22.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fa-f22-004", "natural_disaster"),  # گرامی داشت جان باختگان زلزله بم
        ("id-f22-003", "natural_disaster"),  # 20 Tahun Tsunami Aceh ... Doa Bersama
        ("vi-f22-001", "natural_disaster"),  # lễ tưởng niệm các nạn nhân vụ lũ quét
        ("vi-f22-002", "natural_disaster"),  # lễ tưởng niệm tròn một năm ... lũ quét
        ("th-f22-003", "natural_disaster"),  # รำลึก 17 ปี คลื่นยักษ์สึนามิ
        ("cs-f22-003", "natural_disaster"),  # Vzpomínky na povodně 2002
        ("el-f22-005", "natural_disaster"),  # βροχές, καταιγίδες ... του καιρού το Σαββατοκύριακο
        ("hi-f22-005", "natural_disaster"),  # Weather Forecast : भारी बारिश और तूफान का अलर्ट
        ("hi-f22-001", "terrorism"),  # आतंकी हमले को आज 11 साल पूरे
        ("hu-f22-007", "cyberattack"),  # Nem kibertámadás, hanem ... hibája
        ("uk-f22-010", "cyberattack"),  # збій стався не через кібератаку
        ("ro-f22-008", "elections"),  # federații olimpice ... alegeri pentru funcția de președinte
        ("th-f22-007", "elections"),  # เลือกตั้งนายกฯ สมาคมกีฬาฟุตบอลฯ
        ("th-f22-007", "protest"),  # ยื่นหนังสือประท้วงสมาคมฯ
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH22, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        # a disaster happening now keeps its tag
        ("زلزله ۶ ریشتری کرمان را لرزاند؛ ۵ نفر کشته شدند", "", "fa", "natural_disaster"),
        ("Gempa M6,2 guncang Maluku, tiga warga tewas", "", "id", "natural_disaster"),
        ("Lũ quét ở Lào Cai làm 5 người chết, 3 người mất tích", "", "vi", "natural_disaster"),
        ("น้ำท่วมหนักเชียงราย ผู้ประสบภัยกว่าพันครัวเรือน", "", "th", "natural_disaster"),
        ("Povodně na Moravě: voda zaplavila stovky domů", "", "cs", "natural_disaster"),
        ("Cutremur puternic în Vrancea, clădiri avariate", "", "ro", "natural_disaster"),
        ("Κακοκαιρία: βροχές και καταιγίδες προκάλεσαν πλημμύρες", "", "el", "natural_disaster"),
        ("भूकंप से 20 लोगों की मौत, कई इमारतें ढहीं", "", "hi", "natural_disaster"),
        ("Землетрус у Туреччині: загинули понад сто людей", "", "uk", "natural_disaster"),
        # a fresh attack keeps its tag
        ("पहलगाम आतंकी हमले में 26 पर्यटकों की मौत", "", "hi", "terrorism"),
        ("Kibertámadás érte a kórházat, leálltak a rendszerek", "", "hu", "cyberattack"),
        ("Хакери здійснили кібератаку на «Київстар»", "", "uk", "cyberattack"),
        # a public election and a march keep their tags
        ("ผลการเลือกตั้ง สส. พรรคประชาชนได้ที่นั่งมากที่สุด", "", "th", "elections"),
        ("Sondaj: cine ar câștiga alegerile prezidențiale", "", "ro", "elections"),
        ("ผู้ชุมนุมเดินขบวนไปทำเนียบรัฐบาล", "", "th", "protest"),
    ],
)
def test_near_misses_stay_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Warga Palu mengenang lima tahun gempa dan tsunami", "", "id", "natural_disaster"),
        ("Výročí povodní: město si připomíná oběti", "", "cs", "natural_disaster"),
        ("Nem volt kibertámadás a bank rendszerleállása mögött", "", "hu", "cyberattack"),
        ("Nešlo o kybernetický útok, ale o chybu v aktualizaci", "", "cs", "cyberattack"),
    ],
)
def test_guards_reach_new_wording(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, summary, language, taxonomy)
