"""Feed lists: OPML exports as feed readers write them, TOML and YAML, round trips and bad files."""

from __future__ import annotations

import html
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from streams.errors import SettingsError
from streams.feeds.feedlist import read_feed_list, write_opml, write_toml, write_yaml
from streams.feeds.identity import normalise_feed_url
from streams.settings import FeedConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feedlists"
# A refused bomb answers in milliseconds; expanding lol9 would take minutes and gigabytes.
BOMB_BUDGET_SECONDS = 2.0


def names(feeds: list[FeedConfig]) -> list[str | None]:
    return [feed.name for feed in feeds]


def write(tmp_path: Path, filename: str, text: str) -> Path:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return path


# OPML fixtures ----------------------------------------------------------------------------------


def test_nested_opml_folders_are_flattened_in_document_order() -> None:
    feeds = read_feed_list(FIXTURES / "nested_folders.opml")
    assert names(feeds) == [
        "Top level",
        "Reuters World",
        "AP Europe",
        "Deep",
        "Parent feed",
        "Child feed",
    ]
    assert feeds[2] == FeedConfig("https://ap.example/europe.rss", "AP Europe", "en-GB", None)
    assert feeds[3].url == "http://deep.example/atom"


def test_opml_names_come_from_title_then_text_and_may_be_missing() -> None:
    feeds = read_feed_list(FIXTURES / "missing_titles.opml")
    assert names(feeds) == [
        "Le Monde - Actualités",  # the file is ISO-8859-1: the declared encoding is honoured
        "Only title",
        "Only text",
        "Text wins when title is blank",
        None,
    ]
    assert feeds[-1] == FeedConfig("https://four.example/rss")


def test_html_entities_in_opml_titles_are_read_as_the_characters_they_name() -> None:
    feeds = read_feed_list(FIXTURES / "html_entities.opml")
    assert names(feeds) == [
        "Le Café — Nouvelles",
        "AT&T Newsroom",
        "Reuters’ Picks",
        "Ελληνικά",
        "Q&A daily",
        "Tom & Jerry",
    ]
    assert feeds[4].url == "https://qa.example/feed?format=rss&lang=en"


def test_a_utf8_byte_order_mark_before_the_opml_is_accepted() -> None:
    assert (FIXTURES / "bom_utf8.opml").read_bytes().startswith(b"\xef\xbb\xbf")
    feeds = read_feed_list(FIXTURES / "bom_utf8.opml")
    assert names(feeds) == ["الجزيرة", "新华网", "Новости"]
    assert [feed.language for feed in feeds] == ["ar", "zh-CN", "ru"]


def test_a_feedly_style_export_reads_every_feed_of_every_category() -> None:
    feeds = read_feed_list(FIXTURES / "feedly_style_export.opml")
    assert len(feeds) == 5
    assert feeds[0] == FeedConfig(
        "https://feeds.bbc.example/news/world/rss.xml", "BBC News - World", None, None
    )
    assert feeds[-1].name == "USGS M4.5+ earthquakes"


def test_a_desktop_reader_xml_export_with_lower_case_xmlurl_is_read() -> None:
    feeds = read_feed_list(FIXTURES / "reader_export.xml")
    assert names(feeds) == ["Ars Technica", "Hacker News: Front Page", "The Register"]
    assert feeds[1].url == "https://hnrss.example/frontpage"


@pytest.mark.parametrize(
    ("fixture", "line"), [("entity_bomb.opml", 5), ("external_entity.opml", 4)]
)
def test_an_opml_with_a_dtd_is_refused_quickly_without_expanding_it(
    fixture: str, line: int
) -> None:
    started = time.perf_counter()
    with pytest.raises(SettingsError, match=rf"{fixture}:{line}: refused: .*DTD"):
        read_feed_list(FIXTURES / fixture)
    assert time.perf_counter() - started < BOMB_BUDGET_SECONDS


def test_an_outline_with_its_address_in_the_wrong_attribute_is_named_by_line() -> None:
    with pytest.raises(SettingsError) as caught:
        read_feed_list(FIXTURES / "missing_xmlurl.opml")
    message = str(caught.value)
    assert message.startswith(f"{FIXTURES / 'missing_xmlurl.opml'}:12: ")
    assert "'Broken' without xmlUrl" in message
    assert "htmlUrl='https://broken.example/rss'" in message


def test_the_same_feed_spelled_twice_is_reported_with_both_lines() -> None:
    path = FIXTURES / "duplicate_urls.opml"
    with pytest.raises(SettingsError, match=rf"duplicate_urls.opml:11: duplicate .* at {path}:8"):
        read_feed_list(path)


# OPML errors written in place -------------------------------------------------------------------

OPML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0"><body>\n'


@pytest.mark.parametrize(
    ("outline", "expected"),
    [
        ('<outline type="rss" text="No address"/>', r"feeds.opml:4: outline 'No address' .*xmlUrl"),
        (
            '<outline type="include" url="https://x.example/more.opml" text="More"/>',
            r"feeds.opml:4: .*includes another OPML file",
        ),
        ('<outline text="Link" url="https://x.example/"/>', r"feeds.opml:4: .*it has url="),
        ('<outline text="FTP" xmlUrl="ftp://x.example/rss"/>', r"feeds.opml:4: .*scheme 'ftp'"),
        ('<outline text="Bare" xmlUrl="x.example/rss"/>', r"feeds.opml:4: .*no scheme.*https://"),
        ('<outline text="Blank" xmlUrl="  "/>', r"feeds.opml:4: empty feed URL"),
        ('<outline text="Spaced" xmlUrl="https://x.example/a b"/>', r"feeds.opml:4: .*%20"),
        ('<outline text="Hostless" xmlUrl="https:///rss"/>', r"feeds.opml:4: .*no host"),
        ('<outline text="V6" xmlUrl="http://[oops/rss"/>', r"feeds.opml:4: .*malformed"),
    ],
)
def test_a_bad_outline_is_reported_with_its_line_and_the_fix(
    tmp_path: Path, outline: str, expected: str
) -> None:
    ok = '<outline text="Fine" xmlUrl="https://fine.example/rss"/>\n'  # line 3: the bad one is 4
    path = write(tmp_path, "feeds.opml", OPML_HEAD + ok + outline + "\n</body></opml>\n")
    with pytest.raises(SettingsError, match=expected):
        read_feed_list(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            OPML_HEAD + "<outline text='x' xmlUrl='https://x.example/'>\n</body></opml>",
            r"feeds.opml:4: not well-formed XML: mismatched tag",
        ),
        ("", r"feeds.opml:1: not well-formed XML: no element found"),
        (
            OPML_HEAD + '<outline text="&bogus;" xmlUrl="https://x.example/"/>',
            r"feeds.opml:3: .*undefined entity.*&#NNN;",
        ),
        (
            '<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>',
            r"feeds.opml:2: not an OPML document: the root element is <rss>",
        ),
        (OPML_HEAD + "</body></opml>", r"feeds.opml: the list holds no feeds"),
    ],
    ids=["mismatched-tag", "empty-file", "undefined-entity", "rss-not-opml", "no-feeds"],
)
def test_a_broken_opml_file_is_a_one_line_settings_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, "feeds.opml", text)
    with pytest.raises(SettingsError, match=expected) as caught:
        read_feed_list(path)
    assert "\n" not in str(caught.value)


def test_an_empty_folder_or_a_label_outline_is_not_an_error(tmp_path: Path) -> None:
    body = '<outline text="Fine" xmlUrl="https://fine.example/rss"/>\n<outline text="Empty"/>\n'
    path = write(tmp_path, "feeds.opml", OPML_HEAD + body + "</body></opml>")
    assert read_feed_list(path) == [FeedConfig("https://fine.example/rss", "Fine")]


def test_a_missing_file_and_an_unknown_extension_are_settings_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"nowhere\.opml: cannot read"):
        read_feed_list(tmp_path / "nowhere.opml")
    with pytest.raises(SettingsError, match=r"feeds.json: .*\.opml, \.xml, \.toml, \.yaml"):
        read_feed_list(write(tmp_path, "feeds.json", "[]"))


# TOML and YAML ----------------------------------------------------------------------------------


def test_a_hand_written_toml_list_is_read_with_every_key() -> None:
    assert read_feed_list(FIXTURES / "feeds.toml") == [
        FeedConfig("https://feeds.bbc.example/news/world/rss.xml", "BBC World", "en", 600.0),
        FeedConfig("https://www.nrk.example/toppsaker.rss", "Norsk", "no", None),
        FeedConfig("https://only-url.example/atom.xml"),
        FeedConfig("file:///srv/wirewatch/local.xml", "Local file", None, 1800.5),
    ]


def test_a_hand_written_yaml_list_mixes_bare_urls_and_mappings() -> None:
    assert read_feed_list(FIXTURES / "feeds.yaml") == [
        FeedConfig("https://bare-url.example/rss"),
        FeedConfig("https://www.nrk.example/toppsaker.rss", "NRK", "no", None),
        FeedConfig(
            "https://www.aljazeera.example/xml/rss/all.xml", "Al Jazeera: English", "en", 300.0
        ),
        FeedConfig("https://news.example/feed?lang=fr&page=1", "Le Café"),
    ]


def test_a_yaml_list_may_be_a_bare_sequence_and_a_yml_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "feeds.yml", "- https://a.example/rss\n- url: https://b.example/rss\n")
    assert read_feed_list(path) == [
        FeedConfig("https://a.example/rss"),
        FeedConfig("https://b.example/rss"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[feeds]]\nurl = "https://a.example/"\n\n[[feeds]]\nname = "x"\n',
            r"feeds.toml:4: .*url",
        ),
        ('[[feeds]]\nurl = "https://a.example/"\nurl2 = "x"\n', r"feeds.toml:1: unknown .*'url2'"),
        ('[[feeds]]\nurl = "gopher://a.example/"\n', r"feeds.toml:1: .*scheme 'gopher'"),
        ('[[feeds]]\nurl = "https://a.example/"\ninterval_seconds = 0\n', r":1: interval_seconds"),
        ('[[feeds]]\nurl = "https://a.example/"\ninterval_seconds = "5m"\n', r":1: .*seconds"),
        ('[[feed]]\nurl = "https://a.example/"\n', r"feeds.toml: unknown top-level .*'feed'"),
        ('feeds = ["https://a.example/", 3]\n', r"feeds.toml: feeds\[1\]: a feed is a URL"),
        ('[[feeds]]\nurl = "https://a.example/\n', r"feeds.toml: not valid TOML: .*line 2"),
        (
            '[[feeds]]\nurl = "https://a.example/x"\n[[feeds]]\nurl = "https://A.example/x"\n',
            r"feeds.toml:3: duplicate .* at .*feeds.toml:1",
        ),
        (
            "# nothing yet\n",
            r"feeds.toml: the list holds no feeds; add at least one as a \[\[feeds",
        ),
    ],
)
def test_a_bad_toml_list_names_the_entry_and_the_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        read_feed_list(write(tmp_path, "feeds.toml", text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "feeds:\n  - url: https://a.example/\n    language: no\n",
            r"feeds.yaml:2: .*False.*quotes",
        ),
        ("feeds:\n  - https://a.example/\n  - name: x\n", r"feeds.yaml:3: .*needs url"),
        ("feeds:\n  - url: https://a.example/\n    interval_seconds: yes\n", r":2: interval"),
        ("- url: https://a.example/\n  colour: red\n", r"feeds.yaml:1: unknown key.*'colour'"),
        ("feeds: [https://a.example/, https://a.example/]\n", r"feeds.yaml:1: duplicate"),
        ("feeds:\n  - url: [unclosed\n", r"feeds.yaml: not valid YAML: .*line"),
        ("", r"feeds.yaml: the list holds no feeds"),
        ("just a string\n", r"feeds.yaml: expected a list of feeds"),
        ("feeds: {url: https://a.example/}\n", r"'feeds' must be a list"),
    ],
)
def test_a_bad_yaml_list_names_the_entry_and_the_fix(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        read_feed_list(write(tmp_path, "feeds.yaml", text))


def test_a_toml_or_yaml_list_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_bytes(b'[[feeds]]\nurl = "https://a.example/"\nname = "Caf\xe9"\n')
    with pytest.raises(SettingsError, match=r"feeds.toml:3: not UTF-8"):
        read_feed_list(path)


# Writers and round trips ------------------------------------------------------------------------


def test_written_opml_is_opml_2_with_an_outline_per_feed() -> None:
    feeds = [
        FeedConfig("https://a.example/rss?x=1&y=2", 'Quotes " & <angles>', "en", None),
        FeedConfig("https://b.example/atom", None, None, 600.0),
    ]
    document = ET.fromstring(write_opml(feeds, title="Mine & yours"))
    assert document.tag == "opml" and document.get("version") == "2.0"
    assert document.findtext("head/title") == "Mine & yours"
    outlines = document.findall("body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [feed.url for feed in feeds]
    assert outlines[0].get("text") == outlines[0].get("title") == 'Quotes " & <angles>'
    assert outlines[1].get("text") == "" and outlines[1].get("title") is None
    assert all(o.get("type") == "rss" for o in outlines)


def test_written_opml_drops_characters_xml_cannot_hold() -> None:
    text = write_opml([FeedConfig("https://a.example/", "bell\x07 and nul\x00")])
    assert ET.fromstring(text).find("body/outline").get("text") == "bell and nul"  # type: ignore[union-attr]


def test_written_toml_and_yaml_are_valid_in_their_own_parsers() -> None:
    feeds = [FeedConfig('https://a.example/"q"', 'back\\slash "and" tab\t', "no", 90.0)]
    assert tomllib.loads(write_toml(feeds))["feeds"][0] == {
        "url": 'https://a.example/"q"',
        "name": 'back\\slash "and" tab\t',
        "language": "no",
        "interval_seconds": 90.0,
    }
    assert yaml.safe_load(write_yaml(feeds))["feeds"][0]["language"] == "no"  # quoted, not false


@pytest.mark.parametrize(
    "fixture",
    ["nested_folders.opml", "html_entities.opml", "bom_utf8.opml", "feedly_style_export.opml"],
)
def test_an_opml_export_survives_read_write_read(tmp_path: Path, fixture: str) -> None:
    feeds = read_feed_list(FIXTURES / fixture)
    again = read_feed_list(write(tmp_path, "again.opml", write_opml(feeds)))
    assert again == feeds


@pytest.mark.parametrize("fixture", ["feeds.toml", "feeds.yaml", "missing_titles.opml"])
@pytest.mark.parametrize(
    ("filename", "writer"),
    [("out.opml", write_opml), ("out.toml", write_toml), ("out.yaml", write_yaml)],
)
def test_every_format_converts_into_every_other_without_loss(
    tmp_path: Path, fixture: str, filename: str, writer: object
) -> None:
    feeds = read_feed_list(FIXTURES / fixture)
    assert callable(writer)
    assert read_feed_list(write(tmp_path, filename, writer(feeds))) == feeds


def test_writing_an_empty_list_gives_a_file_that_reads_as_an_error(tmp_path: Path) -> None:
    # An empty list must not silently fall back to the bundled sample feeds.
    for filename, text in [("e.opml", write_opml([])), ("e.toml", write_toml([]))]:
        with pytest.raises(SettingsError, match="no feeds"):
            read_feed_list(write(tmp_path, filename, text))


# Property: any feed list survives each format ---------------------------------------------------

_hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.example", fullmatch=True)
_paths = st.from_regex(
    r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,12}){0,3}(\?[a-z=&0-9]{0,10})?", fullmatch=True
)
_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(["http", "https"]),
    _hosts,
    _paths,
)
_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")) | st.just(" "),
    min_size=1,
    max_size=30,
).map(lambda text: " ".join(text.split()))
_feeds = st.builds(
    FeedConfig,
    url=_urls,
    name=st.none() | _names.filter(bool),
    language=st.none() | st.sampled_from(["en", "no", "zh-Hant", "pt-BR", "yes", "null"]),
    interval_seconds=st.none() | st.floats(0.001, 1e7),
)
_feed_lists = st.lists(
    _feeds, min_size=1, max_size=8, unique_by=lambda f: normalise_feed_url(f.url)
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feeds=_feed_lists, fmt=st.sampled_from(["opml", "toml", "yaml"]))
def test_any_feed_list_round_trips_through_each_format(
    tmp_path: Path, feeds: list[FeedConfig], fmt: str
) -> None:
    # OPML names are HTML-unescaped once on reading (feed readers export escaped titles), so a
    # name that is itself an entity reference such as "&amp;" is out of scope for OPML.
    assume(fmt != "opml" or all(html.unescape(f.name or "") == (f.name or "") for f in feeds))
    writer = {"opml": write_opml, "toml": write_toml, "yaml": write_yaml}[fmt]
    assert read_feed_list(write(tmp_path, f"list.{fmt}", writer(feeds))) == feeds
