"""The cleaning and matching shortcuts give exactly what the general code gives.

Each shortcut in streams/text/clean.py and streams/text/fold.py stands in for slower code on the
inputs it accepts; these properties compare the two on generated HTML, whitespace and words.
"""

from __future__ import annotations

import re
from itertools import accumulate

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.text.clean import (
    _BOILERPLATE_LINE,
    _POSTED_FIRST,
    _TRAILING_MORE,
    _extract_html_text,
    _extract_simple_html_text,
    _normalise_whitespace,
    _remove_boilerplate,
    clean_text,
)
from streams.text.fold import WORD_PATTERN, split_words

TEXT_PIECES = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "\t",
        "\x0c",
        "\x0b",
        "word",
        "Héllo",
        "مرحبا",
        " a b ",
        "x>y",
        "\u00a0",
        "\u2028",
        "\x85",
        "e\u0301",
        "&amp;",
        "&amp;lt;b&amp;gt;",
        "&#8217;",
        "&#x2019;",
        "&nbsp;",
        "&#32;",
        "&#128;",
        "&#0;",
        "&amp",
        "&notin;",
        "&AMP;",
        "&#xD800;",
        "&#xFFFE;",
        "&lt;p&gt;",
        "<",
        "\r",
    ]
) | st.text(max_size=6)
INLINE = ["a", "b", "i", "em", "strong", "span", "small", "code", "q", "SPAN", "font", "nobr"]
BLOCKS = ["p", "h2", "div", "blockquote", "section", "figure", "figcaption", "P", "table", "pre"]
ATTRIBUTES = st.sampled_from(
    [
        "",
        ' class="x"',
        " href='y'",
        " id=z",
        ' style="color:red"',
        ' style="display: none"',
        " hidden",
        ' aria-hidden="true"',
        " data-x",
        "\n title = 'a b'",
        ' style="display&colon;none"',
    ]
)
VOIDS = st.sampled_from(["<br>", "<br/>", "<BR />", "<hr>", "<img src=x.png alt='a'>", "<wbr>"])


def _element(names: list[str], body: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda name, attributes, inner, close: (
            f"<{name}{attributes}>{inner}" + (f"</{name}>" if close else "")
        ),
        st.sampled_from(names),
        ATTRIBUTES,
        body,
        st.sampled_from([True, True, True, False]),
    )


phrasing = st.recursive(
    TEXT_PIECES | VOIDS,
    lambda inner: _element(INLINE, st.lists(inner, max_size=4).map("".join)),
    max_leaves=8,
)
flow = st.recursive(
    phrasing,
    lambda inner: (
        _element(BLOCKS, st.lists(inner, max_size=4).map("".join))
        | st.builds(
            lambda items, ordered: (
                ("<ol>" if ordered else "<ul>")
                + "".join(f"<li>{item}</li>" for item in items)
                + ("</ol>" if ordered else "</ul>")
            ),
            st.lists(inner, max_size=3),
            st.booleans(),
        )
    ),
    max_leaves=12,
)
stray = st.sampled_from(["</p>", "</div>", "</li>", "<li>", "</b>", "<!-- c -->", "</br>", "<p/>"])
markup = st.lists(flow | stray, min_size=1, max_size=5).map("".join)


@settings(max_examples=400, deadline=None)
@given(markup)
def test_simple_html_path_gives_the_parsers_text_whenever_it_answers(fragment: str) -> None:
    simple = _extract_simple_html_text(fragment)
    assert simple is None or simple == _extract_html_text(fragment)


def test_simple_html_path_answers_for_common_feed_markup() -> None:
    fragment = (
        "<p>Polls <b>closed</b> at 8&nbsp;pm &amp; counting began.<br/>"
        '<a href="https://example.com/x?a=1&amp;b=2">Results</a></p>'
        "<ul><li>Turnout: 71%</li><li>Seats: <em>42</em></li></ul>"
    )
    simple = _extract_simple_html_text(fragment)
    assert simple is not None
    assert simple == _extract_html_text(fragment)
    assert (
        clean_text(fragment)
        == "Polls closed at 8 pm & counting began.\nResults\nTurnout: 71%\nSeats: 42"
    )


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(
        [
            "  \n<p>a</p>",  # the parser drops whitespace before the first tag
            "\t x<p>a",  # ... and before the first letter; open elements end with the text
            "<p>a</p>\n <div>b<br>c<hr>d</div>  ",
            "<P CLASS=x>a</P><Ol><li>b</li></Ol>",
        ]
    )
)
def test_simple_html_path_matches_the_parser_on_edges_of_the_fragment(fragment: str) -> None:
    simple = _extract_simple_html_text(fragment)
    assert simple is not None
    assert simple == _extract_html_text(fragment)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "<p>a</div>b",  # a stray end tag an HTML parser ignores
            "<p>a<div>b</div>c</p>",  # a block inside a paragraph closes it
            "<li>a<li>b",  # list items outside a list
            "<b>a<i>b</b>c</i>",  # misnested: the adoption agency reorders
            "<p hidden>a</p>",
            "<p>a &notin b</p>",  # a legacy reference without ';'
            "<p>a &#150; b</p>",  # C1 numbers map to cp1252
            "<table>a<tr><td>b</td></tr></table>",
        ]
    )
)
def test_simple_html_path_declines_what_a_parser_rearranges(fragment: str) -> None:
    assert _extract_simple_html_text(fragment) is None


_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINE_RUNS = re.compile(r" ?\n[\n ]*")
whitespace_heavy = st.text(
    alphabet=st.sampled_from(list(" \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029\u00a0\u3000ab")),
    max_size=40,
) | st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(whitespace_heavy)
def test_whitespace_normalization_matches_line_break_space_and_run_substitutions(
    text: str,
) -> None:
    expected = _NEWLINE_RUNS.sub("\n", _SPACES.sub(" ", _LINE_BREAKS.sub("\n", text))).strip()
    assert _normalise_whitespace(text) == expected


boilerplate_text = st.lists(
    st.sampled_from(
        [
            "The post ",
            "L'article ",
            "Der Beitrag ",
            " appeared first on ",
            " erschien zuerst auf ",
            "Example News",
            "read more",
            "READ MORE",
            "Weiterlesen",
            "ſeguir leyendo",
            "اقرأ المزيد",
            " … ",
            "]",
            "»",
            "\n",
            " ",
            ".",
            "Subscribe now",
            "x",
        ]
    ),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(boilerplate_text | st.text(max_size=40))
def test_boilerplate_removal_matches_running_every_pattern(text: str) -> None:
    expected = _TRAILING_MORE.sub("", _BOILERPLATE_LINE.sub("", _POSTED_FIRST.sub("", text)))
    assert _remove_boilerplate(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.text(alphabet="a_\u02bc\u0301 .é", max_size=20))
def test_split_words_cuts_text_around_exactly_the_word_pattern_words(text: str) -> None:
    parts = split_words(text)
    bounds = list(accumulate(map(len, parts)))
    assert "".join(parts) == text
    assert list(zip(bounds[0::2], bounds[1::2], strict=False)) == [
        found.span() for found in WORD_PATTERN.finditer(text)
    ]
