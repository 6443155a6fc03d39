"""Unit and property tests for streams.text.clean: HTML to display text, boilerplate, links."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.text.clean import canonicalize_link, clean_summary, clean_text

# HTML opens a tag only when '<' is followed directly by a letter or '/': '< A>' is plain text.
REAL_TAG = re.compile(
    r"</?(?:a|b|i|p|br|div|span|script|style|img|iframe|ul|li|em|strong|table|td|tr)\b[^<>]*>",
    re.IGNORECASE,
)
ANY_TAG = re.compile(r"<(?:/?[A-Za-z][^<>]*|![^<>]*|\?[^<>]*)>")

TAGS = [
    "p",
    "b",
    "i",
    "div",
    "span",
    "br",
    "script",
    "style",
    "a",
    "ul",
    "li",
    "td",
    "title",
    "xmp",
]
html_fragment = st.recursive(
    st.text(max_size=20)
    | st.sampled_from(["&amp;", "&amp;amp;", "&lt;", "&gt;", "&#60;", "&#x3c;b&#x3e;", "&nbsp;"]),
    lambda inner: st.builds(
        lambda tag, attrs, body, close: f"<{tag}{attrs}>{body}" + (f"</{tag}>" if close else ""),
        st.sampled_from(TAGS),
        st.sampled_from(["", " hidden", ' style="display:none"', ' class="x"', " <"]),
        st.lists(inner, max_size=4).map("".join),
        st.booleans(),
    ),
    max_leaves=10,
)
arbitrary_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=200
) | st.text(alphabet="<>&;/!-ab#x0123 \n\t=\"'", max_size=60)


@settings(max_examples=400, deadline=None)
@given(arbitrary_text | html_fragment)
def test_clean_text_never_raises_and_is_idempotent(raw: str) -> None:
    once = clean_text(raw)
    assert clean_text(once) == once


@settings(max_examples=400, deadline=None)
@given(html_fragment | arbitrary_text)
def test_clean_text_never_returns_a_complete_tag(raw: str) -> None:
    cleaned = clean_text(raw)
    assert not REAL_TAG.search(cleaned)
    assert not ANY_TAG.search(cleaned)


@settings(max_examples=200, deadline=None)
@given(html_fragment | arbitrary_text)
def test_clean_summary_is_idempotent(raw: str) -> None:
    once = clean_summary(raw)
    assert clean_summary(once) == once


def test_lone_surrogates_do_not_raise() -> None:
    assert clean_text("a\ud800b") == "a\ufffdb"


def test_markup_is_removed_and_blocks_become_lines() -> None:
    raw = "<div><p>First <b>bold</b> para.</p><p>Second</p>tail<br>last</div>"
    assert clean_text(raw) == "First bold para.\nSecond\ntail\nlast"


def test_inline_elements_do_not_split_words() -> None:
    assert clean_text("Hel<b>lo</b> <i>wor</i>ld") == "Hello world"


def test_script_style_comments_and_hidden_elements_are_removed() -> None:
    raw = (
        "<style>p{color:red}</style>Visible<script>alert(1)</script><!-- note -->"
        '<span hidden>h1</span><span style="display: none">h2</span>'
        '<span aria-hidden="true">h3</span> text'
    )
    assert clean_text(raw) == "Visible text"


def test_named_numeric_and_double_encoded_entities_are_decoded() -> None:
    assert clean_text("Tom &amp;amp; Jerry &eacute;t&#233; &#x2014; caf&amp;eacute;") == (
        "Tom & Jerry été — café"
    )


def test_escaped_markup_is_removed_after_decoding() -> None:
    assert clean_text("&lt;b&gt;bold&lt;/b&gt; and &amp;lt;i&amp;gt;it&amp;lt;/i&amp;gt;") == (
        "bold and it"
    )


def test_lone_angle_brackets_and_ampersands_survive() -> None:
    assert clean_text("x < y, a<b and AT&T") == "x < y, a<b and AT&T"


def test_whitespace_collapses_to_single_spaces_and_newlines() -> None:
    assert clean_text("  a \t\u00a0 b\r\n\r\n\n  c\u2028d  ") == "a b\nc\nd"


def test_invisible_characters_soft_hyphen_and_tatweel_are_removed() -> None:
    raw = "zero\u200bwidth soft\u00adhyphen \u202bbidi\u202c "
    raw += "\u0627\u0644\u0640\u0640\u0633\u0644\u0627\u0645"
    assert clean_text(raw) == "zerowidth softhyphen bidi \u0627\u0644\u0633\u0644\u0627\u0645"


def test_zero_width_non_joiner_inside_a_persian_word_is_kept() -> None:
    assert clean_text("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u200c") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    )


def test_mojibake_is_repaired_and_output_is_nfc() -> None:
    assert clean_text("SchÃ¶ne GrÃ¼ÃŸe â€” cafe\u0301") == "Schöne Grüße — caf\u00e9"


def test_wordpress_footer_is_removed_from_summary() -> None:
    raw = "<p>The council met today.</p><p>The post Council meets appeared first on Town News.</p>"
    assert clean_summary(raw) == "The council met today."


@pytest.mark.parametrize(
    "footer",
    [
        "L’article Le conseil se réunit est apparu en premier sur Journal.",
        "La entrada El consejo se reúne se publicó primero en Diario.",
        "Der Beitrag Der Rat tagt erschien zuerst auf Zeitung.",
        "ظهرت المقالة اجتماع المجلس أولاً على الجريدة.",
    ],
)
def test_translated_wordpress_footers_are_removed(footer: str) -> None:
    assert clean_summary(f"<p>Body text.</p><p>{footer}</p>") == "Body text."


@pytest.mark.parametrize(
    "line",
    [
        "Read more",
        "Continue reading →",
        "Share this:",
        "Subscribe to our newsletter",
        "Lire la suite",
        "Leer más",
        "Weiterlesen",
        "اقرأ المزيد",
    ],
)
def test_call_to_action_lines_are_removed(line: str) -> None:
    assert clean_summary(f"Body text.\n{line}") == "Body text."


def test_trailing_read_more_on_the_excerpt_line_is_removed() -> None:
    assert clean_summary("The minister said so … [Read more]") == "The minister said so …"


def test_sentences_that_merely_start_like_boilerplate_are_kept() -> None:
    text = "Subscribers to the service fell by a third.\nShare this year's budget rose."
    assert clean_summary(text) == text


def test_link_host_and_scheme_are_lowercased_and_trackers_dropped() -> None:
    url = "HTTPS://News.Example.COM:443/a/B?utm_source=x&id=3&fbclid=9&gclid=1&mc_cid=2#top"
    assert canonicalize_link(url) == "https://news.example.com/a/B?id=3"


def test_link_keeps_non_default_port_and_parameter_encoding() -> None:
    url = " http://EX.com:8080?q=a+b%20c&UTM_Medium=z "
    assert canonicalize_link(url) == "http://ex.com:8080/?q=a+b%20c"


@pytest.mark.parametrize("url", ["mailto:desk@example.com", "ftp://example.com/x", "http://[::1"])
def test_non_http_or_unparseable_link_is_returned_stripped(url: str) -> None:
    assert canonicalize_link(f"  {url} ") == url


@pytest.mark.parametrize("url", [None, "", "   "])
def test_missing_link_is_none(url: str | None) -> None:
    assert canonicalize_link(url) is None


@given(st.text(max_size=80))
def test_canonicalize_link_never_raises_and_is_idempotent(url: str) -> None:
    once = canonicalize_link(url)
    assert canonicalize_link(once) == once
