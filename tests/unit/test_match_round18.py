"""Tagging round 18: rule families written from the tune half of the sixteenth unseen set.

fresh16 is feed-like: whole headline lists from homepages, tickers, briefings and sports pages in
tr nl pl ko id vi he fa uk hi sv el, the languages the last feed-like sets lacked, two thirds of it
with no topic. Its tune half missed peace talks and plans about the war (uk nl vi), Russian drones
in Polish airspace and a blast at a military unit (uk pl), an air attack (he), bombing by aircraft
(sv), a teenager who joined the Islamic State (nl), a planted bomb (pl), a hunger strike (hi),
rain that turned streets into lakes (tr), a raging flood (vi), raging fires (el) and trees felled
by wind (pl); it tagged a missile test (fa), an armistice (he, שביתת נשק read as a strike) and an
archbishop who tested positive (el). The families are carried: hunger strike to en tr vi, joining
IS to en de sv, a planted bomb to en de nl, talks on ending the war to ru pl en de, peace plans to
id ko, Russian drones in a neighbour's airspace to ru en de pl. The tune, guard and carry cases
fail on main at 782bf3c; the near misses and real-news cases pass before and after.
"""

from __future__ import annotations

import pytest

from streams.tagging.taxonomy import CompiledTaxonomy
from tests.unit.tagging_cases import item_topics, topics

FRESH16 = "news_eval_fresh16.jsonl"


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("nl-f16-005", "armed_conflict"),  # Oekraïne en Rusland ... dichter bij een vredesakkoord
        ("uk-f16-004", "armed_conflict"),  # переговорів про завершення війни
        ("uk-f16-007", "armed_conflict"),  # пропозиції до мирного плану для зустрічі із Трампом
        (
            "uk-f16-001",
            "armed_conflict",
        ),  # порушення російськими безпілотниками повітряного простору
        ("uk-f16-016", "armed_conflict"),  # два вибухи пролунали біля військової частини
        ("pl-f16-002", "armed_conflict"),  # wybuchu rosyjskiego drona, który spadł na pole
        ("vi-f16-006", "armed_conflict"),  # Kế hoạch hòa bình Ukraine 28 điểm
        ("he-f16-008", "armed_conflict"),  # מתקפה אווירית חסרת תקדים
        ("sv-f16-023", "armed_conflict"),  # Flygplan från Ryssland ... bombar nu området Idlib
        ("nl-f16-016", "terrorism"),  # die zich in juni aansloot bij Islamitische Staat
        ("pl-f16-008", "terrorism"),  # Sprawca podłożenia bomby jest poszukiwany
        ("hi-f16-007", "protest"),  # अनशन पर बैठीं
        ("tr-f16-002", "natural_disaster"),  # sağanak ... sokaklar göle döndü ... selde kaldı
        ("vi-f16-003", "natural_disaster"),  # trong đêm lũ dữ
        ("el-f16-015", "natural_disaster"),  # Μεγάλες φωτιές μαίνονται ... ανεξέλεγκτη
        ("pl-f16-014", "natural_disaster"),  # powalone drzewa ... wietrznym dniem
    ],
)
def test_tune_items_are_tagged(item_id: str, topic: str, taxonomy: CompiledTaxonomy) -> None:
    assert topic in item_topics(FRESH16, item_id, taxonomy)


@pytest.mark.parametrize(
    ("item_id", "topic"),
    [
        ("fa-f16-006", "armed_conflict"),  # موشک بالستیک ... آزمایش کرد ... کلاهک جنگی
        ("he-f16-004", "protest"),  # להחיות שביתת נשק (an armistice)
        ("el-f16-002", "disease_outbreak"),  # ο Αρχιεπίσκοπος ... διαγνώστηκε θετικός
    ],
)
def test_tune_false_friends_stay_untagged(
    item_id: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in item_topics(FRESH16, item_id, taxonomy)


@pytest.mark.parametrize(
    ("title", "language", "topic"),
    [
        ("Activist on hunger strike taken to hospital", "en", "protest"),
        ("Açlık grevindeki aktivist hastaneye kaldırıldı", "tr", "protest"),
        ("Nhà hoạt động tuyệt thực được đưa vào bệnh viện", "vi", "protest"),
        ("Teenager who joined Islamic State releases threatening video", "en", "terrorism"),
        ("Jugendlicher, der sich dem IS angeschlossen hat, droht in Video", "de", "terrorism"),
        ("Tonåring som anslöt sig till IS hotar i video", "sv", "terrorism"),
        ("Police hunt suspect who planted bomb on busy street", "en", "terrorism"),
        ("Polizei sucht Täter, der die Bombe in der Fußgängerzone gelegt hat", "de", "terrorism"),
        ("Politie zoekt dader die bom plaatste in winkelstraat", "nl", "terrorism"),
        ("Переговоры о завершении войны продолжатся в Абу-Даби", "ru", "armed_conflict"),
        ("Talks on ending the war to resume in Abu Dhabi", "en", "armed_conflict"),
        ("Gespräche über ein Ende des Krieges gehen in Abu Dhabi weiter", "de", "armed_conflict"),
        ("Rencana perdamaian Ukraina 28 poin disusun oleh siapa?", "id", "armed_conflict"),
        ("우크라이나 28개항 평화 계획은 누가 작성했나", "ko", "armed_conflict"),
        ("Russian drones violate Polish airspace", "en", "armed_conflict"),
        ("Rosyjskie drony naruszyły polską przestrzeń powietrzną", "pl", "armed_conflict"),
        ("Российские беспилотники нарушили воздушное пространство Польши", "ru", "armed_conflict"),
        ("Russische Drohnen verletzen polnischen Luftraum", "de", "armed_conflict"),
    ],
)
def test_the_families_carry_to_other_headlines(
    title: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, "", language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        (
            "Ο υπουργός διαγνώστηκε θετικός στον κορωνοϊό",
            "Παρουσιάζει ήπια συμπτώματα",
            "el",
            "disease_outbreak",
        ),
    ],
)
def test_the_guard_holds_on_another_headline(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Iran tests a new ballistic missile", "", "en", "armed_conflict"),
        ("ایران موشک جدید را آزمایش کرد", "", "fa", "armed_conflict"),
        ("Meteorologen verwachten een droge zomer", "", "nl", "natural_disaster"),
        ("Strażacy posadzili drzewa przed remizą", "", "pl", "natural_disaster"),
        ("Yarın sağanak yağış bekleniyor", "", "tr", "natural_disaster"),
        ("He joined the club in 2019 and won the league", "", "en", "terrorism"),
    ],
)
def test_near_misses_stay_untagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic not in topics(title, summary, language, taxonomy)


@pytest.mark.parametrize(
    ("title", "summary", "language", "topic"),
    [
        ("Ισραήλ και Χαμάς συμφώνησαν σε εκεχειρία", "", "el", "armed_conflict"),
        ("הפגנות נגד הממשלה בתל אביב", "", "he", "protest"),
        ("Κρούσματα κορωνοϊού: 3.000 νέα κρούσματα σε 24 ώρες", "", "el", "disease_outbreak"),
        ("Deprem: 5,8 büyüklüğünde sarsıntı, evler yıkıldı", "", "tr", "natural_disaster"),
        ("Lũ lụt ở miền Trung khiến 20 người chết", "", "vi", "natural_disaster"),
    ],
)
def test_guards_leave_real_news_tagged(
    title: str, summary: str, language: str, topic: str, taxonomy: CompiledTaxonomy
) -> None:
    assert topic in topics(title, summary, language, taxonomy)
