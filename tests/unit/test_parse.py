"""parse_feed on each fixture format, the refusal of entity declarations, and its edge rules."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.errors import FeedError, WirewatchError
from streams.feeds.identity import derive_item_id
from streams.feeds.parse import FeedSource, ParsedFeed, normalise_language, parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
FETCHED_AT = datetime(2025, 3, 6, 12, 0, tzinfo=UTC)
# The entity checks must answer long before any expansion could; a bomb that got through takes
# seconds and gigabytes (measured 21 s for the quadratic case).
ENTITY_REFUSAL_SECONDS = 1.0


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, url: str | None = None) -> ParsedFeed:
    source = FeedSource.from_url(url or f"https://fixtures.example.com/{name}")
    return parse_feed(read_fixture(name), source, FETCHED_AT)


def rss(items: str, channel: str = "<title>T</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


SOURCE = FeedSource.from_url("https://news.example.com/feed.xml")


# --- FeedSource ---------------------------------------------------------------------------------


def test_feed_source_derives_its_id_and_normalises_its_hint() -> None:
    source = FeedSource.from_url(" https://a.example/rss ", name=" A ", language_hint="pt-BR")
    assert source.url == "https://a.example/rss"
    assert source.name == "A"
    assert source.language_hint == "pt"
    assert source.feed_id == FeedSource.from_url("HTTPS://A.EXAMPLE/rss").feed_id


def test_feed_source_without_name_has_empty_name() -> None:
    assert FeedSource.from_url("https://a.example/rss").name == ""


# --- RSS 2.0 ------------------------------------------------------------------------------------


def test_rss2_items_carry_guid_link_utc_date_and_raw_html() -> None:
    feed = parse_fixture("rss2_basic.xml")
    assert feed.title == "Harbour City Courier"
    assert feed.language == "en"
    first = feed.items[0]
    assert first.guid == "courier-2025-0001"
    assert first.link == "https://courier.example.com/news/flood-barrier"
    assert first.published_at == datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
    assert first.summary.startswith("<p>The council voted 31 to 4 for the barrier &amp; a new")
    assert "appeared first on Harbour City Courier" in first.summary
    assert first.source == "Harbour City Courier"
    assert first.language_hint == "en"
    assert first.fetched_at == FETCHED_AT


def test_rss2_whitespace_guid_falls_back_to_link_identity() -> None:
    source = FeedSource.from_url("https://fixtures.example.com/rss2_basic.xml")
    ferry = parse_feed(read_fixture("rss2_basic.xml"), source, FETCHED_AT).items[1]
    assert ferry.guid is None
    link = "https://courier.example.com/news/ferry-timetable"
    assert ferry.item_id == derive_item_id(source.feed_id, None, link, "", "")


def test_rss2_content_encoded_becomes_summary_when_description_is_missing() -> None:
    library = parse_fixture("rss2_basic.xml").items[2]
    assert library.summary == "<p>From April the central library opens on Sundays.</p>"
    assert library.link is None
    assert library.published_at is None


def test_entry_without_title_and_summary_is_skipped_with_a_warning() -> None:
    feed = parse_fixture("rss2_basic.xml")
    assert [item.guid for item in feed.items] == ["courier-2025-0001", None, "courier-2025-0003"]
    assert any("neither title nor summary" in warning for warning in feed.warnings)


def test_reparsing_the_same_body_yields_the_same_item_ids() -> None:
    first = parse_fixture("rss2_basic.xml")
    again = parse_fixture("rss2_basic.xml")
    assert [i.item_id for i in first.items] == [i.item_id for i in again.items]
    assert len({i.item_id for i in first.items}) == len(first.items)


# --- RSS 1.0 / RDF ------------------------------------------------------------------------------


def test_rdf_items_use_rdf_about_as_guid_and_dc_date_in_utc() -> None:
    feed = parse_fixture("rdf_basic.xml")
    assert feed.title == "Alpenbote"
    assert feed.language == "de"
    assert feed.warnings == ()
    assert [i.guid for i in feed.items] == [
        "https://alpenbote.example.at/2025/03/lawinenwarnung",
        "https://alpenbote.example.at/2025/03/seilbahn",
    ]
    assert feed.items[0].published_at == datetime(2025, 3, 5, 5, 15, tzinfo=UTC)
    assert feed.items[0].title == "Lawinenwarnstufe vier in Tirol ausgerufen"


# --- Atom -----------------------------------------------------------------------------------------

ATOM_URL = "https://news.example.net/feeds/world/atom.xml"


def test_atom_relative_links_resolve_against_feed_url_and_xml_base() -> None:
    links = [i.link for i in parse_fixture("atom_relative_links.xml", ATOM_URL).items]
    assert links == [
        "https://news.example.net/world/1",
        "https://news.example.net/feeds/2",
        "https://cdn.example.org/fr/3",
        None,  # javascript: is not a link anyone should follow
    ]


def test_atom_entry_language_beats_feed_language() -> None:
    feed = parse_fixture("atom_relative_links.xml", ATOM_URL)
    assert feed.language == "en"
    assert [i.language_hint for i in feed.items] == ["en", "en", "fr", "en"]


def test_configured_language_hint_beats_every_declared_language() -> None:
    source = FeedSource.from_url(ATOM_URL, language_hint="de")
    feed = parse_feed(read_fixture("atom_relative_links.xml"), source, FETCHED_AT)
    assert {i.language_hint for i in feed.items} == {"de"}


def test_atom_published_beats_updated_and_content_fills_summary() -> None:
    items = parse_fixture("atom_relative_links.xml", ATOM_URL).items
    assert items[0].published_at == datetime(2025, 3, 5, 6, 0, tzinfo=UTC)
    assert items[1].published_at == datetime(2025, 3, 5, 7, 0, tzinfo=UTC)
    assert items[1].summary == "<p>Wheat futures fell 2% &amp; maize 1%.</p>"


def test_date_more_than_a_day_ahead_is_replaced_by_fetch_time_with_a_warning() -> None:
    feed = parse_fixture("atom_relative_links.xml", ATOM_URL)
    assert feed.items[3].published_at == FETCHED_AT
    assert any("more than a day ahead" in warning for warning in feed.warnings)


def test_date_less_than_a_day_ahead_is_kept() -> None:
    ahead = FETCHED_AT + timedelta(hours=20)
    body = rss(
        f"<item><title>x</title><pubDate>{ahead:%a, %d %b %Y %H:%M:%S} +0000</pubDate></item>"
    )
    feed = parse_feed(body, SOURCE, FETCHED_AT)
    assert feed.items[0].published_at == ahead
    assert feed.warnings == ()


# --- JSON Feed ------------------------------------------------------------------------------------

JSON_URL = "https://blog.example.com/feed.json"


def test_json_feed_v1_ids_links_and_summary_fallbacks() -> None:
    feed = parse_fixture("jsonfeed_v1.json", JSON_URL)
    assert feed.title == "Harbour Tech Notes"
    assert feed.language is None
    assert [i.guid for i in feed.items] == [
        "https://blog.example.com/posts/1",
        "2",
        "post-3",
        "post-4",
    ]
    assert [i.link for i in feed.items] == [
        "https://blog.example.com/posts/1",
        "https://blog.example.com/posts/2",
        "https://elsewhere.example.org/review",
        None,
    ]
    assert [i.summary for i in feed.items] == [
        "Three fixes matter for most offices.",
        "<p>Five shortcuts that <em>save time</em>.</p>",
        "A short link post with no title.",
        "Bug fixes only.",
    ]
    assert feed.items[2].title == ""
    assert feed.items[0].published_at == datetime(2025, 3, 4, 8, 0, tzinfo=UTC)
    assert feed.items[2].published_at == datetime(2025, 3, 2, 13, 30, tzinfo=UTC)
    assert any("neither title nor summary" in w for w in feed.warnings)


def test_json_feed_v1_1_languages_duplicates_and_offsetless_dates() -> None:
    feed = parse_fixture("jsonfeed_v1_1.json")
    assert feed.language == "es"
    assert [(i.guid, i.language_hint) for i in feed.items] == [("np-100", "es"), ("np-101", "pt")]
    assert feed.items[0].published_at == datetime(2025, 3, 5, 10, 0, tzinfo=UTC)
    assert any("repeating an earlier entry's id" in w for w in feed.warnings)


@pytest.mark.parametrize(
    "content_type", ["application/feed+json", "application/json; charset=utf-8", None, "text/xml"]
)
def test_json_body_is_read_as_json_feed_whatever_the_header_says(content_type: str | None) -> None:
    body = (
        b'  {"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "x"}]}'
    )
    feed = parse_feed(body, SOURCE, FETCHED_AT, content_type)
    assert [i.guid for i in feed.items] == ["1"]


def test_json_content_type_routes_a_non_object_body_to_the_json_reader() -> None:
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(b'["not", "a", "feed"]', SOURCE, FETCHED_AT, "application/feed+json")


def test_undecodable_json_raises_feed_error_naming_the_feed() -> None:
    with pytest.raises(FeedError, match=r"https://news\.example\.com/feed\.xml: not valid JSON"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1", "items": [', SOURCE, FETCHED_AT)


def test_json_without_items_array_raises_feed_error() -> None:
    with pytest.raises(FeedError, match="no top-level 'items' array"):
        parse_feed(b'{"title": "x", "items": {}}', SOURCE, FETCHED_AT)


def test_json_feed_without_version_is_read_with_a_warning() -> None:
    feed = parse_feed(b'{"items": [{"id": "a", "title": "x"}, 7]}', SOURCE, FETCHED_AT)
    assert [i.guid for i in feed.items] == ["a"]
    assert any("version" in w for w in feed.warnings)
    assert any("not objects" in w for w in feed.warnings)


# --- Encodings and damaged documents --------------------------------------------------------------


def test_latin1_body_without_declared_encoding_keeps_accents() -> None:
    feed = parse_fixture("latin1_undeclared.xml")
    assert feed.title == "Gazette de Besançon"
    assert feed.items[0].title.startswith("Élections municipales : la liste de Mme Müller")
    assert feed.items[1].title.startswith("Año nuevo chino : défilé")
    assert feed.language == "fr"
    assert any("CharacterEncodingOverride" in w for w in feed.warnings)


def test_malformed_feed_with_entries_is_a_warning_not_an_error() -> None:
    feed = parse_fixture("malformed_but_recoverable.xml")
    assert [i.guid for i in feed.items] == ["rw-1", "rw-2"]
    assert feed.items[0].title == "Fish & chips shop wins regional award"
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("feedparser bozo: SAXParseException")


def test_html_page_raises_feed_error_naming_the_feed() -> None:
    with pytest.raises(FeedError, match=r"fixtures\.example\.com/not_a_feed\.html"):
        parse_fixture("not_a_feed.html")


@pytest.mark.parametrize("body", [b"", b"   \n", b"garbage", b"<html><body>hi</body></html>"])
def test_bodies_without_a_feed_raise_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError):
        parse_feed(body, SOURCE, FETCHED_AT)


def test_body_that_is_a_local_path_is_not_opened_as_a_file() -> None:
    # feedparser.parse(bytes) would open a file of that name; the fixture exists and is a feed.
    path = str(FIXTURES / "rss2_basic.xml").encode()
    with pytest.raises(FeedError):
        parse_feed(path, SOURCE, FETCHED_AT)


def test_feed_with_no_entries_is_empty_not_an_error() -> None:
    feed = parse_feed(rss("", "<title>Quiet</title><language>it</language>"), SOURCE, FETCHED_AT)
    assert feed == ParsedFeed(title="Quiet", language="it", items=(), warnings=())


def test_feed_whose_every_entry_is_empty_raises_feed_error() -> None:
    with pytest.raises(FeedError, match="no entry has a title or a summary"):
        parse_feed(
            rss("<item><guid>1</guid></item><item><link>/x</link></item>"), SOURCE, FETCHED_AT
        )


def test_charset_less_text_xml_header_does_not_raise_a_us_ascii_warning() -> None:
    body = rss("<item><title>Выборы губернатора</title></item>")
    feed = parse_feed(body, SOURCE, FETCHED_AT, "text/xml")
    assert feed.items[0].title == "Выборы губернатора"
    assert feed.warnings == ()


def test_charset_in_header_decodes_an_undeclared_body() -> None:
    body = '<rss version="2.0"><channel><item><title>Привет, мир</title></item></channel></rss>'
    feed = parse_feed(
        body.encode("koi8-r"), SOURCE, FETCHED_AT, "application/rss+xml; charset=KOI8-R"
    )
    assert feed.items[0].title == "Привет, мир"


# --- XML safety -----------------------------------------------------------------------------------


def assert_refused_quickly(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(FeedError, match="declares XML entities"):
        parse_feed(body, SOURCE, FETCHED_AT)
    assert time.perf_counter() - started < ENTITY_REFUSAL_SECONDS


def test_billion_laughs_fixture_is_refused_before_parsing() -> None:
    assert_refused_quickly(read_fixture("entity_bomb.xml"))


def quadratic_blowup() -> bytes:
    # No "&" in the value, so feedparser 6 keeps this entity and its loose parser expands it.
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 50_000 + '">\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>'
        + "&a;" * 20_000
        + "</title></item></channel></rss>"
    ).encode()


def test_quadratic_blowup_is_refused() -> None:
    assert_refused_quickly(quadratic_blowup())


def test_entity_bomb_on_one_line_is_refused() -> None:
    assert_refused_quickly(read_fixture("entity_bomb.xml").replace(b"\n", b""))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_entity_declarations_are_refused_in_wide_encodings(codec: str) -> None:
    text = (
        read_fixture("entity_bomb.xml").decode().replace('encoding="utf-8"', f'encoding="{codec}"')
    )
    assert_refused_quickly(text.encode(codec))


def test_external_entity_is_refused() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        b'<rss version="2.0"><channel><item><title>&xxe;</title></item></channel></rss>'
    )
    assert_refused_quickly(body)


def test_doctype_without_entity_declarations_is_parsed() -> None:
    body = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel><title>Old</title><item><title>x</title>'
        b"<link>https://old.example.com/x</link></item></channel></rss>"
    )
    feed = parse_feed(body, SOURCE, FETCHED_AT)
    assert [i.link for i in feed.items] == ["https://old.example.com/x"]


# --- Identity, names, limits, dates ---------------------------------------------------------------


def test_items_without_guid_or_link_get_distinct_content_ids() -> None:
    feed = parse_fixture("no_guid_no_link.xml")
    assert [(i.guid, i.link) for i in feed.items] == [(None, None), (None, None)]
    assert feed.items[0].item_id != feed.items[1].item_id
    assert feed.items[0].item_id == parse_fixture("no_guid_no_link.xml").items[0].item_id


def test_configured_name_beats_feed_title_and_host_is_the_last_resort() -> None:
    named = FeedSource.from_url("https://n.example.org/rss", name="Desk")
    assert (
        parse_feed(rss("<item><title>x</title></item>"), named, FETCHED_AT).items[0].source
        == "Desk"
    )
    untitled = FeedSource.from_url("https://n.example.org/rss")
    body = rss("<item><title>x</title></item>", channel="")
    assert parse_feed(body, untitled, FETCHED_AT).items[0].source == "n.example.org"


def test_max_entries_keeps_the_first_entries_and_warns() -> None:
    guids = (f'<guid isPermaLink="false">{n}</guid>' for n in range(7))
    body = rss("".join(f"<item>{guid}<title>n</title></item>" for guid in guids))
    feed = parse_feed(body, SOURCE, FETCHED_AT, max_entries=3)
    assert [i.guid for i in feed.items] == ["0", "1", "2"]
    assert feed.warnings == ("kept the first 3 entries, dropped 4",)


def test_max_entries_below_one_is_a_bug() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        parse_feed(rss("<item><title>x</title></item>"), SOURCE, FETCHED_AT, max_entries=0)


def test_naive_fetch_time_is_a_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_feed(rss("<item><title>x</title></item>"), SOURCE, datetime(2025, 3, 6))


def test_fetch_time_in_another_zone_is_stored_as_utc() -> None:
    local = datetime(2025, 3, 6, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    item = parse_feed(rss("<item><title>x</title></item>"), SOURCE, local).items[0]
    assert item.fetched_at == datetime(2025, 3, 6, 12, 0, tzinfo=UTC)
    assert item.fetched_at.utcoffset() == timedelta(0)


def test_json_dates_at_the_edge_of_the_calendar_become_none_not_a_crash() -> None:
    body = orjson.dumps(
        {
            "items": [
                {"id": "1", "title": "x", "date_published": "0001-01-01T00:00:00+05:00"},
                {"id": "2", "title": "y", "date_published": "not a date"},
            ]
        }
    )
    assert [i.published_at for i in parse_feed(body, SOURCE, FETCHED_AT).items] == [None, None]


def test_unparseable_date_becomes_none() -> None:
    body = rss("<item><title>x</title><pubDate>sometime last week</pubDate></item>")
    assert parse_feed(body, SOURCE, FETCHED_AT).items[0].published_at is None


def test_permalink_guid_is_resolved_like_a_link_and_stays_stable() -> None:
    # RSS 2.0: a guid without isPermaLink="false" is a URL, so feedparser resolves it.
    body = rss("<item><guid>story/7</guid><title>x</title></item>")
    first = parse_feed(body, SOURCE, FETCHED_AT).items[0]
    assert first.guid == "https://news.example.com/story/7"
    assert first.item_id == parse_feed(body, SOURCE, FETCHED_AT).items[0].item_id


def test_every_fixture_item_is_utc_aware_or_undated() -> None:
    for name in ["rss2_basic.xml", "rdf_basic.xml", "atom_relative_links.xml", "jsonfeed_v1.json"]:
        for item in parse_fixture(name).items:
            assert item.published_at is None or item.published_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("zh-Hans-CN", "zh"),
        ("fil", "fil"),
        (" ar ", "ar"),
        ("und", None),
        ("english", None),
        ("x-klingon", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_are_cut_to_their_primary_subtag(
    tag: str | None, expected: str | None
) -> None:
    assert normalise_language(tag) == expected


# --- The multilingual fixture and properties ------------------------------------------------------


def test_mixed_multilingual_fixture_keeps_every_script_intact() -> None:
    feed = parse_fixture("mixed_multilingual.xml")
    assert len(feed.items) == 12
    assert feed.language is None
    assert {i.language_hint for i in feed.items} == {None}
    by_guid = {i.guid: i for i in feed.items}
    assert by_guid["mm-ar-02"].title.startswith("زلزال بقوة 6.2 درجات")
    assert by_guid["mm-zh-08"].title.startswith("市中心汽车站")
    assert "\u200c" in by_guid["mm-fa-09"].summary  # the Persian zero-width non-joiner survives


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_give_a_feed_or_a_feed_error(body: bytes) -> None:
    try:
        feed = parse_feed(body, SOURCE, FETCHED_AT)
    except FeedError as exc:
        assert isinstance(exc, WirewatchError)
    else:
        assert all(i.title.strip() or i.summary.strip() for i in feed.items)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {"id": st.text(max_size=20), "title": st.text(max_size=40)},
            optional={"url": st.text(max_size=30), "content_text": st.text(max_size=40)},
        ),
        max_size=8,
    )
)
def test_json_feed_items_round_trip_their_text(items: list[dict[str, str]]) -> None:
    body = orjson.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items})
    try:
        feed = parse_feed(body, SOURCE, FETCHED_AT)
    except FeedError:
        assert not any(i["title"].strip() or i.get("content_text", "").strip() for i in items)
        return
    titles = {i.title for i in feed.items}
    assert titles <= {i["title"] for i in items}
    assert all(i.link is None or i.link.startswith(("http://", "https://")) for i in feed.items)


# --- Bundled sample feeds against their expectations ----------------------------------------------

SAMPLE_FEEDS = Path(__file__).resolve().parents[2] / "streams" / "data" / "feeds"
EXPECTATIONS = orjson.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "sample_expectations.json").read_bytes()
)


def parse_sample(path: Path) -> ParsedFeed:
    return parse_feed(
        path.read_bytes(), FeedSource.from_url(f"http://127.0.0.1/{path.name}"), FETCHED_AT
    )


@pytest.mark.parametrize("path", sorted(SAMPLE_FEEDS.iterdir()), ids=lambda p: p.name)
def test_bundled_feed_parses_cleanly_and_matches_its_expectations(path: Path) -> None:
    feed = parse_sample(path)
    assert feed.warnings == ()
    expected = {
        guid: entry for guid, entry in EXPECTATIONS["bundled"].items() if entry["file"] == path.name
    }
    assert sorted(i.guid or "" for i in feed.items) == sorted(expected)
    assert len(feed.items) == EXPECTATIONS["feeds"][path.name]["items"]
    for item in feed.items:
        assert item.language_hint in (None, expected[item.guid]["language"])
        assert item.link is not None and item.published_at is not None


def test_bundled_feeds_span_the_languages_and_topics_the_demo_needs() -> None:
    items = EXPECTATIONS["bundled"].values()
    assert 60 <= len(items) <= 90
    languages = {entry["language"] for entry in items}
    assert {"en", "ar", "fr", "es", "de", "ru", "uk", "pt", "it", "tr", "fa", "zh"} <= languages
    covered = {topic for entry in items for topic in entry["topics"]}
    assert covered == set(EXPECTATIONS["topics"])
    assert sum(1 for entry in items if not entry["topics"]) >= 5  # items that must stay untagged


def test_bundled_guids_are_unique_across_files() -> None:
    guids = [i.guid for path in sorted(SAMPLE_FEEDS.iterdir()) for i in parse_sample(path).items]
    assert len(guids) == len(set(guids)) == len(EXPECTATIONS["bundled"])


def test_mixed_multilingual_fixture_matches_its_expectations() -> None:
    feed = parse_fixture("mixed_multilingual.xml")
    assert sorted(i.guid or "" for i in feed.items) == sorted(EXPECTATIONS["mixed_multilingual"])
