"""Tests for story clustering: rewrites of one wire story share an id, other stories do not.

The tables are plain dicts, the structure the Faust tables hold; writes are applied as the story
agent applies them (None deletes the key).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.records import Article, Language, StoryBucket, StoryMember, StorySignature
from streams.stories.cluster import (
    MEMBERS_PER_STORY,
    OTHER_SCRIPTS,
    StoryAssignment,
    StoryConfig,
    assign_story,
    expired_keys,
    new_story_id,
    script_group,
    shingle_article,
)

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600.0
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
CONFIG = StoryConfig()

Text = tuple[str, str]  # (title, summary)

# Each language: the same wire story as two or three outlets rewrote it, then another story of the
# same topic (same place or same kind of event, shared stock phrases) that must stay apart.
WIRE_STORIES: dict[str, tuple[list[Text], Text]] = {
    "en": (
        [
            (
                "Opposition leader wins presidential runoff in Moldova, election commission says",
                "Opposition leader Ana Rusu won Sunday's presidential runoff in Moldova with 54.2 "
                "percent of the vote, the central election commission said on Monday after "
                "counting nearly all ballots. Turnout was 48 percent, lower than in the first "
                "round.",
            ),
            (
                "Moldova opposition leader wins presidential runoff, commission says",
                "Opposition leader Ana Rusu has won Sunday's presidential run-off in Moldova with "
                "54.2% of the vote, the central election commission said on Monday, after nearly "
                "all ballots were counted. Turnout stood at 48 percent, lower than in the first "
                "round.",
            ),
            (
                "Ana Rusu wins Moldova presidential runoff",
                "Opposition leader Ana Rusu won Sunday's presidential runoff in Moldova with 54.2 "
                "percent of the vote, the central election commission said on Monday after "
                "counting nearly all ballots.",
            ),
        ],
        (
            "Moldova postpones local elections in three districts over ballot printing delays",
            "Moldova's central election commission said on Monday it would postpone local "
            "elections in three districts by two weeks after delays in printing ballots, the "
            "commission's chairman told reporters.",
        ),
    ),
    "fr": (
        [
            (
                "Séisme de magnitude 6,4 au large du nord du Japon, pas d'alerte au tsunami",
                "Un séisme de magnitude 6,4 a frappé mardi au large des côtes du nord du Japon, a "
                "indiqué l'Agence météorologique japonaise, précisant qu'il n'y avait pas de "
                "risque de tsunami. Aucun dégât ni blessé n'a été signalé dans l'immédiat.",
            ),
            (
                "Japon : un séisme de magnitude 6,4 frappe le nord du pays, pas de tsunami",
                "Un séisme de magnitude 6,4 a frappé mardi au large des côtes du nord du Japon, "
                "selon l'Agence météorologique japonaise, qui a précisé qu'il n'y avait pas de "
                "risque de tsunami. Aucun dégât ni blessé n'a été signalé pour l'instant.",
            ),
        ],
        (
            "Séisme de magnitude 5,1 en Indonésie : deux morts sur l'île de Sulawesi",
            "Un séisme de magnitude 5,1 a frappé mercredi l'île indonésienne de Sulawesi, faisant "
            "deux morts et une dizaine de blessés, a indiqué l'agence nationale de gestion des "
            "catastrophes.",
        ),
    ),
    "ar": (
        [
            (
                "زلزال بقوة 6.4 درجة يضرب قبالة سواحل شمال اليابان دون تحذير من تسونامي",
                "ضرب زلزال بقوة 6.4 درجة قبالة سواحل شمال اليابان يوم الثلاثاء، بحسب ما أعلنت "
                "وكالة الأرصاد الجوية اليابانية، مشيرة إلى عدم وجود خطر حدوث تسونامي. ولم ترد "
                "تقارير فورية عن أضرار أو إصابات.",
            ),
            (
                "زلزال قوته 6.4 درجة يضرب شمال اليابان ولا تحذير من تسونامي",
                "ضرب زلزال بقوة 6.4 درجة قبالة سواحل شمال اليابان الثلاثاء، وفق ما أعلنت وكالة "
                "الأرصاد الجوية اليابانية، التي أشارت إلى عدم وجود خطر حدوث تسونامي. ولم ترد على "
                "الفور تقارير عن أضرار أو إصابات.",
            ),
        ],
        (
            "زلزال بقوة 5.1 درجة يضرب جزيرة سولاويسي الإندونيسية ويقتل شخصين",
            "ضرب زلزال بقوة 5.1 درجة جزيرة سولاويسي الإندونيسية يوم الأربعاء، ما أسفر عن مقتل "
            "شخصين وإصابة نحو عشرة آخرين، بحسب ما أعلنت الوكالة الوطنية لإدارة الكوارث.",
        ),
    ),
    "ru": (
        [
            (
                "Центробанк России сохранил ключевую ставку на уровне 16%",
                "Банк России на заседании в пятницу сохранил ключевую ставку на уровне 16% "
                "годовых, сообщил регулятор. Аналитики, опрошенные агентством, в большинстве "
                "ожидали такого решения, указывая на замедление инфляции.",
            ),
            (
                "Банк России сохранил ключевую ставку на уровне 16% годовых",
                "Банк России по итогам заседания в пятницу сохранил ключевую ставку на уровне 16% "
                "годовых, говорится в сообщении регулятора. Большинство опрошенных агентством "
                "аналитиков ожидали такого решения, указывая на замедление инфляции.",
            ),
        ],
        (
            "Центробанк Турции повысил ключевую ставку до 50%",
            "Центральный банк Турции в четверг повысил ключевую ставку на 5 процентных пунктов, "
            "до 50% годовых, сообщил регулятор. Аналитики ожидали сохранения ставки на прежнем "
            "уровне.",
        ),
    ),
    "zh": (
        [
            (
                "日本北部近海发生6.4级地震 未发布海啸预警",
                "日本气象厅称，周二日本北部近海发生6.4级地震，没有引发海啸的危险。"
                "目前尚无人员伤亡或财产损失的报告。",
            ),
            (
                "日本北部海域发生6.4级地震 无海啸风险",
                "据日本气象厅消息，周二日本北部近海发生6.4级地震，没有引发海啸的危险。"
                "目前暂无人员伤亡或财产损失报告。",
            ),
        ],
        (
            "印尼苏拉威西岛发生5.1级地震 造成两人死亡",
            "印度尼西亚国家抗灾署称，周三印尼苏拉威西岛发生5.1级地震，造成两人死亡、约十人受伤。",
        ),
    ),
    "th": (
        [
            (
                "แผ่นดินไหวขนาด 6.4 เขย่าชายฝั่งทางตอนเหนือของญี่ปุ่น ไม่มีการเตือนภัยสึนามิ",
                "สำนักงานอุตุนิยมวิทยาญี่ปุ่นระบุว่า เกิดแผ่นดินไหวขนาด 6.4 "
                "นอกชายฝั่งทางตอนเหนือของญี่ปุ่นเมื่อวันอังคาร และไม่มีความเสี่ยงที่จะเกิดสึนามิ "
                "ยังไม่มีรายงานความเสียหายหรือผู้บาดเจ็บในทันที",
            ),
            (
                "ญี่ปุ่นเกิดแผ่นดินไหวขนาด 6.4 ทางตอนเหนือ ไม่มีสึนามิ",
                "เกิดแผ่นดินไหวขนาด 6.4 นอกชายฝั่งทางตอนเหนือของญี่ปุ่นเมื่อวันอังคาร "
                "ตามรายงานของสำนักงานอุตุนิยมวิทยาญี่ปุ่น ซึ่งระบุว่าไม่มีความเสี่ยงที่จะเกิดสึนามิ "
                "ยังไม่มีรายงานความเสียหายหรือผู้บาดเจ็บ",
            ),
        ],
        (
            "แผ่นดินไหวขนาด 5.1 ที่เกาะสุลาเวสีของอินโดนีเซีย มีผู้เสียชีวิต 2 ราย",
            "เกิดแผ่นดินไหวขนาด 5.1 ที่เกาะสุลาเวสีของอินโดนีเซียเมื่อวันพุธ ทำให้มีผู้เสียชีวิต 2 ราย "
            "และบาดเจ็บราว 10 คน ตามรายงานของสำนักงานบรรเทาภัยพิบัติแห่งชาติ",
        ),
    ),
    "ko": (
        [
            (
                "일본 북부 해역서 규모 6.4 지진 발생…쓰나미 경보 없어",
                "일본 기상청은 화요일 일본 북부 해역에서 규모 6.4의 지진이 발생했다고 밝혔으며, "
                "쓰나미 위험은 없다고 덧붙였다. 현재까지 피해나 부상자에 대한 보고는 없다.",
            ),
            (
                "일본 북부 해역에서 규모 6.4 지진…쓰나미 위험 없어",
                "일본 북부 해역에서 화요일 규모 6.4의 지진이 발생했다고 일본 기상청이 밝혔다. "
                "기상청은 쓰나미 위험은 없다고 덧붙였다. 아직 피해나 부상자 보고는 없다.",
            ),
        ],
        (
            "인도네시아 술라웨시섬 규모 5.1 지진으로 2명 사망",
            "인도네시아 국가재난관리청은 수요일 술라웨시섬에서 규모 5.1의 지진이 발생해 2명이 "
            "숨지고 10여 명이 다쳤다고 밝혔다.",
        ),
    ),
}
EXPECTED_GROUPS = {
    "en": "Latin",
    "fr": "Latin",
    "ar": "Arabic",
    "ru": "Cyrillic",
    "zh": "Han",
    "th": "Thai",
    "ko": "Hangul",
}


def make_article(
    item_id: str, text: Text, language: str = "en", link: str | None = None
) -> Article:
    fetched = datetime(2026, 1, 1, tzinfo=UTC)
    return Article(
        item_id=item_id,
        feed_id=f"feed-{item_id}",
        source=f"source-{item_id}",
        link=link,
        title=text[0],
        summary=text[1],
        language=Language(language, 0.99),
        topics=(),
        published_at=None,
        fetched_at=fetched,
        enriched_at=fetched,
    )


@dataclass
class Tables:
    """The two story tables as the Faust tables hold them: plain dicts."""

    index: dict[str, StoryBucket] = field(default_factory=dict)
    signatures: dict[str, StorySignature] = field(default_factory=dict)

    def assign(self, article: Article, now: float, config: StoryConfig = CONFIG) -> StoryAssignment:
        assignment = assign_story(article, now, self.index.get, self.signatures.get, config)
        for key, bucket in assignment.index_writes.items():
            if bucket is None:
                self.index.pop(key, None)
            else:
                self.index[key] = bucket
        for key, signature in assignment.signature_writes.items():
            if signature is None:
                self.signatures.pop(key, None)
            else:
                self.signatures[key] = signature
        return assignment


def similarity(first: Article, second: Article) -> float:
    a = shingle_article(first, script_group(first))
    b = shingle_article(second, script_group(second))
    return len(a & b) / len(a | b)


@pytest.mark.parametrize("language", list(WIRE_STORIES))
def test_rewrites_of_one_wire_story_get_one_story_id(language: str) -> None:
    rewrites, _ = WIRE_STORIES[language]
    tables = Tables()
    assignments = [
        tables.assign(make_article(f"{language}-{n}", text, language), T0 + n * 600)
        for n, text in enumerate(rewrites)
    ]
    assert assignments[0].match == "new"
    assert {a.story_id for a in assignments} == {assignments[0].story_id}
    assert all(a.match == "similar" for a in assignments[1:])


@pytest.mark.parametrize("language", list(WIRE_STORIES))
def test_another_story_on_the_same_topic_gets_its_own_id(language: str) -> None:
    rewrites, other = WIRE_STORIES[language]
    tables = Tables()
    for n, text in enumerate(rewrites):
        tables.assign(make_article(f"{language}-{n}", text, language), T0 + n * 600)
    assignment = tables.assign(make_article(f"{language}-other", other, language), T0 + HOUR)
    assert assignment.match == "new"
    assert assignment.story_id == new_story_id(f"{language}-other")


@pytest.mark.parametrize("language", list(WIRE_STORIES))
def test_script_group_is_the_script_of_the_text(language: str) -> None:
    rewrites, other = WIRE_STORIES[language]
    for text in (*rewrites, other):
        assert script_group(make_article("x", text, language)) == EXPECTED_GROUPS[language]


def test_capitals_and_missing_accents_do_not_split_a_story() -> None:
    title, summary = WIRE_STORIES["fr"][0][0]
    plain = (title.upper(), summary.replace("é", "e").replace("è", "e").replace("ê", "e"))
    tables = Tables()
    first = tables.assign(make_article("accents", (title, summary), "fr"), T0)
    second = tables.assign(make_article("plain", plain, "fr"), T0 + 60)
    assert (second.story_id, second.similarity) == (first.story_id, 1.0)


def test_japanese_headlines_route_to_one_group_whichever_script_dominates() -> None:
    kanji_only = make_article("ja-1", ("東京都知事選挙結果発表", ""), "ja")
    mostly_katakana = make_article("ja-2", ("ホワイトハウスで記者会見", ""), "ja")
    assert script_group(kanji_only) == script_group(mostly_katakana) == "Han"


def test_text_without_letters_of_a_known_script_is_other() -> None:
    assert script_group(make_article("n", ("2026", "12 : 7"))) == OTHER_SCRIPTS
    assert script_group(make_article("g", ("ქართული ამბები", ""))) == "Georgian"


def test_items_of_different_scripts_never_share_a_story() -> None:
    # Lottery results: the numbers are nearly all of the text, so the shingles of the two items are
    # alike; only the one word around them is in a different script.
    numbers = "3 11 19 24 36 42 7 5 12 28 33 41 2 9 14 17 21 26 30 38 44 46 48 49"
    latin = make_article("lat", ("Lotto", numbers), "en")
    cyrillic = make_article("cyr", ("Лото", numbers), "ru")
    assert similarity(latin, cyrillic) >= CONFIG.threshold
    tables = Tables()
    first = tables.assign(latin, T0)
    second = tables.assign(cyrillic, T0 + 60)
    assert (script_group(latin), script_group(cyrillic)) == ("Latin", "Cyrillic")
    assert second.match == "new"
    assert first.story_id != second.story_id
    assert all(key.startswith("Cyrillic|") for key in second.index_writes)


def test_a_rewrite_past_the_horizon_starts_a_new_story_and_the_old_item_is_dropped() -> None:
    first, second = WIRE_STORIES["en"][0][:2]
    tables = Tables()
    old = tables.assign(make_article("old", first), T0)
    late = tables.assign(make_article("late", second), T0 + CONFIG.horizon_seconds + 1)
    assert late.match == "new"
    assert late.story_id != old.story_id
    shared = set(old.index_writes) & set(late.index_writes)
    assert shared, "the two texts share band keys, so the old member was in the late one's buckets"
    for key in shared:
        bucket = late.index_writes[key]
        assert bucket is not None
        assert [member.item_id for member in bucket.members] == ["late"]
    assert late.signature_writes["old"] is None
    assert "old" not in tables.signatures


def test_a_rewrite_just_within_the_horizon_joins_the_story() -> None:
    first, second = WIRE_STORIES["en"][0][:2]
    tables = Tables()
    old = tables.assign(make_article("old", first), T0)
    recent = tables.assign(make_article("recent", second), T0 + CONFIG.horizon_seconds - 1)
    assert recent.story_id == old.story_id


def test_redelivered_item_keeps_its_story_and_writes_nothing() -> None:
    rewrites, _ = WIRE_STORIES["en"]
    tables = Tables()
    tables.assign(make_article("a", rewrites[0]), T0)
    joined = tables.assign(make_article("b", rewrites[1]), T0 + 60)
    index_before, signatures_before = dict(tables.index), dict(tables.signatures)
    again = tables.assign(make_article("b", rewrites[1]), T0 + 7200)
    assert (again.story_id, again.match) == (joined.story_id, "redelivered")
    assert again.index_writes == {} and again.signature_writes == {}
    assert (tables.index, tables.signatures) == (index_before, signatures_before)


def test_item_redelivered_before_its_writes_landed_gets_the_same_new_story_id() -> None:
    article = make_article("lonely", WIRE_STORIES["fr"][1])
    first = Tables().assign(article, T0)
    second = Tables().assign(article, T0 + 30)
    assert first.story_id == second.story_id == new_story_id("lonely")


def test_updated_item_keeps_its_story_and_indexes_its_new_text() -> None:
    rewrites, other = WIRE_STORIES["en"]
    tables = Tables()
    original = tables.assign(make_article("a", rewrites[0]), T0)
    updated = tables.assign(make_article("a", other), T0 + 60)
    assert (updated.story_id, updated.match) == (original.story_id, "updated")
    stored = updated.signature_writes["a"]
    assert stored is not None and stored.story_id == original.story_id
    follower = tables.assign(make_article("b", other), T0 + 120)
    assert follower.story_id == original.story_id


def test_same_canonical_link_is_the_same_story_whatever_the_text() -> None:
    rewrites, other = WIRE_STORIES["en"]
    tables = Tables()
    first = tables.assign(
        make_article("a", rewrites[0], link="https://News.example.com/2026/moldova?utm_source=x"),
        T0,
    )
    second = tables.assign(
        make_article("b", other, link="https://news.example.com/2026/moldova#comments"), T0 + 60
    )
    assert (second.story_id, second.match) == (first.story_id, "link")


def test_home_page_links_do_not_join_stories() -> None:
    rewrites, other = WIRE_STORIES["en"]
    tables = Tables()
    first = tables.assign(make_article("a", rewrites[0], link="https://example.com/"), T0)
    second = tables.assign(make_article("b", other, link="https://example.com"), T0 + 60)
    assert second.story_id != first.story_id


def test_headlines_too_short_to_compare_start_their_own_stories() -> None:
    tables = Tables()
    first = tables.assign(make_article("a", ("Live updates", "")), T0)
    second = tables.assign(make_article("b", ("Live updates", "")), T0 + 60)
    assert (first.story_id, second.story_id) == (new_story_id("a"), new_story_id("b"))
    assert second.index_writes == {} and second.signature_writes == {}


def test_buckets_keep_only_the_newest_members() -> None:
    config = StoryConfig(max_bucket_members=3)
    text = WIRE_STORIES["en"][0][0]
    tables = Tables()
    for n in range(5):
        tables.assign(make_article(f"copy-{n}", text), T0 + n, config)
    assert tables.index
    for bucket in tables.index.values():
        assert [m.item_id for m in bucket.members] == ["copy-2", "copy-3", "copy-4"]
    assert {s.story_id for s in tables.signatures.values()} == {new_story_id("copy-0")}


def test_a_big_story_keeps_only_its_newest_members_in_a_bucket() -> None:
    # Twenty copies of one story: every bucket they share holds the newest MEMBERS_PER_STORY,
    # so a story reported everywhere does not fill the index, and all copies keep one story.
    text = WIRE_STORIES["en"][0][0]
    tables = Tables()
    for n in range(20):
        tables.assign(make_article(f"copy-{n:02d}", text), T0 + n)
    newest = [f"copy-{n:02d}" for n in range(20 - MEMBERS_PER_STORY, 20)]
    for bucket in tables.index.values():
        assert [m.item_id for m in bucket.members] == newest
    assert {s.story_id for s in tables.signatures.values()} == {new_story_id("copy-00")}


def test_writes_are_the_same_for_the_same_state_and_item() -> None:
    rewrites, other = WIRE_STORIES["en"]

    def run() -> StoryAssignment:
        tables = Tables()
        tables.assign(make_article("a", rewrites[0], link="https://e.com/a"), T0)
        tables.assign(make_article("o", other), T0 + 10)
        tables.assign(make_article("b", rewrites[1]), T0 + 20)
        return tables.assign(make_article("c", rewrites[2], link="https://e.com/c"), T0 + 30)

    first, second = run(), run()
    assert first == second
    assert list(first.index_writes) == list(second.index_writes)
    assert list(first.signature_writes) == list(second.signature_writes)


def test_signatures_and_keys_are_the_same_in_every_process() -> None:
    # String hashing is randomized per process (PYTHONHASHSEED): state written by one worker is
    # read by another after a rebalance, so nothing may depend on it.
    script = (
        "from tests.unit.test_cluster import WIRE_STORIES, make_article, Tables, T0\n"
        "a = Tables().assign(make_article('a', WIRE_STORIES['ru'][0][0], 'ru'), T0)\n"
        "print(repr(sorted(a.index_writes)), repr(a.signature_writes['a'].signature))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=environment,
            timeout=120,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_expired_keys_are_old_signatures_and_buckets_with_no_recent_member() -> None:
    old = StoryMember("old", "s-1", T0)
    new = StoryMember("new", "s-1", T0 + CONFIG.horizon_seconds)
    entries: list[tuple[str, StoryBucket | StorySignature]] = [
        ("Latin|b0|aa", StoryBucket((old,))),
        ("Latin|b1|bb", StoryBucket((old, new))),
        ("old", StorySignature("s-1", bytes(12), T0)),
        ("new", StorySignature("s-1", bytes(12), T0 + CONFIG.horizon_seconds)),
    ]
    now = T0 + CONFIG.horizon_seconds + 1
    assert expired_keys(entries, now, CONFIG) == ["Latin|b0|aa", "old"]


def test_signatures_of_another_length_are_not_compared() -> None:
    # State written under another num_perm (a config change): its band keys may still collide.
    article = make_article("new", WIRE_STORIES["en"][0][0])
    dry_run = Tables().assign(article, T0)
    member = StoryMember("older", "s-older", T0)
    tables = Tables(
        index={key: StoryBucket((member,)) for key in dry_run.index_writes},
        signatures={"older": StorySignature("s-older", bytes(4 * 64), T0)},
    )
    assignment = tables.assign(article, T0 + 60)
    assert (assignment.story_id, assignment.match) == (new_story_id("new"), "new")


def test_config_with_more_band_values_than_permutations_is_refused() -> None:
    with pytest.raises(ValueError, match="bands"):
        StoryConfig(num_perm=32, bands=20, rows=3)


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=80), summary=st.text(max_size=200))
def test_any_text_gets_a_story_and_the_same_one_twice(title: str, summary: str) -> None:
    article = make_article("any", (title, summary))
    first = Tables().assign(article, T0)
    second = Tables().assign(article, T0)
    assert first == second
    assert first.story_id.startswith("s-")


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 1), (128, 7), (1, 3)])
def test_the_permutations_are_datasketch_s(num_perm: int, seed: int) -> None:
    # Drawn without importing datasketch (which loads scipy at every start); they must stay
    # datasketch's, or every stored signature and band key stops matching new ones.
    from datasketch import MinHash

    from streams.stories.cluster import affine32_permutations

    theirs = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = affine32_permutations(num_perm, seed)
    assert ours.dtype == theirs.dtype
    assert ours.tolist() == theirs.tolist()


@settings(max_examples=60, deadline=None)
@given(shingles=st.frozensets(st.binary(min_size=1, max_size=12), max_size=300))
def test_the_signature_is_datasketch_s_minhash_bit_for_bit(shingles: frozenset[bytes]) -> None:
    # `_minhash` computes datasketch's affine32 sketch without its objects: stored signatures and
    # band keys of earlier releases must keep matching the new ones exactly.
    import zlib

    from datasketch import MinHash

    from streams.stories.cluster import _minhash

    sketch = MinHash(num_perm=CONFIG.num_perm, seed=1, hashfunc=zlib.crc32,
                     permutations=CONFIG.permutations, scheme="affine32")  # fmt: skip
    sketch.update_batch(shingles)
    ours = _minhash(shingles, CONFIG)
    assert ours.dtype == sketch.hashvalues.dtype
    assert ours.tolist() == sketch.hashvalues.tolist()
