"""Turn feed HTML or plain text into display text, strip feed boilerplate and canonicalize links.

Markup policy: the output never holds a complete tag. Entities are decoded until stable, so a
double-encoded '&amp;lt;b&amp;gt;bold' decodes to '<b>bold', which is markup again and is parsed
away to 'bold': downstream renderers never see markup, even markup a feed escaped on purpose. A lone
'<' that opens no tag ('x < y', 'a<b') stays. `clean_text` only returns a text that cleaning leaves
unchanged, so it is idempotent by construction.
"""

from __future__ import annotations

import html
import html.entities
import re
import unicodedata
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

import ftfy
from selectolax.lexbor import LexborHTMLParser

# unescape_html is ours (html.unescape, repeated); curly quotes are kept because they are content.
# Full-width punctuation is how Chinese and Japanese are written ('，'), not damage: keep it.
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False, uncurl_quotes=False, fix_character_width=False, explain=False
)

# A complete tag, comment, doctype or processing instruction: what a browser would not display.
MARKUP_PATTERN = re.compile(r"<(?:/?[A-Za-z][^<>]*|![^<>]*|\?[^<>]*)>")

_DROPPED_ELEMENTS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "canvas",
    "audio",
    "video",
    "select",
    "button",
)
_BLOCK_ELEMENTS = (
    "address, article, aside, blockquote, br, caption, dd, details, dialog, div, dl, dt, "
    "fieldset, figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hgroup, hr, "
    "li, main, nav, ol, p, pre, section, summary, table, title, tr, ul"
)
_CELL_ELEMENTS = "td, th"
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

# ZWSP, word joiner, BOM, Mongolian vowel separator, bidi marks/embeddings/isolates, Arabic letter
# mark, soft hyphen and tatweel: invisible or purely typographic, and they split words for search.
_INVISIBLE = re.compile(
    "[\u200b\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\u00ad\u0640]"
)
# ZWNJ/ZWJ are kept inside words: Persian spelling (می‌خواهم), Indic conjuncts and emoji need them.
_EDGE_JOINERS = re.compile(r"(?:(?<=\s)|^)[\u200c\u200d]+|[\u200c\u200d]+(?=\s|$)")
_RUN_JOINERS = re.compile(r"([\u200c\u200d])[\u200c\u200d]+")

# ASCII without controls has no mojibake and is already NFC, so ftfy (most of the cost) is skipped.
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-8 read as Latin-1 or cp1252 leaves a lead byte (Â–ô) followed by a continuation byte
# (U+0080–U+00BF, or the cp1252 glyph it maps to): 'Ã©', 'â€™', 'Ø§', 'Ð¿'. Without such a pair
# (or controls, or U+FFFD) ftfy would change nothing but NFC; measured 3x faster on feed text.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac"
    "\u2122]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufb00-\ufb06]"
)
_MAX_UNESCAPE_ROUNDS = 4
_MAX_CLEAN_ROUNDS = 4


def clean_text(raw: str) -> str:
    """Return `raw` (HTML or plain text) as NFC display text without markup; never raises."""
    text = raw
    for _ in range(_MAX_CLEAN_ROUNDS):
        cleaned = _clean_once(text)
        if cleaned == text or _is_settled(cleaned):
            return cleaned
        text = cleaned
    # Pathological input that keeps changing (markup nested in entities many levels deep):
    # drop the characters that can form markup rather than return something unstable.
    fallback = _clean_once(re.sub(r"[<>&]", " ", text))
    return fallback if _clean_once(fallback) == fallback else ""


def _is_settled(text: str) -> bool:
    """True when another pass cannot change `text`: nothing to parse, decode or repair is left
    (saves the second pass, half of the cost, on nearly every real item)."""
    return "<" not in text and "&" not in text and not _MOJIBAKE_HINT.search(text)


def _clean_once(text: str) -> str:
    """One pass: markup out, entities decoded, Unicode repaired, whitespace normalised."""
    if not text.isascii():
        text = _replace_lone_surrogates(text)
    if "<" in text and MARKUP_PATTERN.search(text):
        simple = _extract_simple_html_text(text)
        text = simple if simple is not None else _extract_html_text(text)
    text = _decode_entities(text)
    if text.isascii():
        if _ASCII_CONTROLS.search(text):
            text = ftfy.fix_text(text, _FTFY_CONFIG)
    elif _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text, _FTFY_CONFIG)
    else:
        text = unicodedata.normalize("NFC", text)
    if not text.isascii():
        text = _remove_invisible(text)
    return _normalise_whitespace(text)


def _replace_lone_surrogates(text: str) -> str:
    """Pair surrogates into code points and turn lone ones into U+FFFD so UTF-8 encoding works."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# --- HTML without a parser ---------------------------------------------------------------------

# Parsing a fragment with lexbor costs ~65 µs even for '<p>one line</p>', more than the rest of
# cleaning; nearly every feed summary is a few well-nested paragraphs, links and emphasis, and for
# those the text is the pieces between the tags with a line break at each block element. Anything
# where an HTML parser would do more (rare references, comments, implied end tags, misnesting,
# hidden elements, other tags) goes to lexbor; tests/unit/test_clean_simple_html.py compares them.
_SIMPLE_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    ]
)
_SIMPLE_VOID = frozenset({"img", "wbr", "br", "hr"})
# Blocks that hold only phrasing content: an HTML parser closes them when a block starts inside.
_SIMPLE_PHRASING_BLOCKS = frozenset(["p", "h1", "h2", "h3", "h4", "h5", "h6"])
_SIMPLE_BLOCKS = _SIMPLE_PHRASING_BLOCKS | frozenset(
    [
        "div",
        "blockquote",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "nav",
        "main",
        "figure",
        "figcaption",
        "ul",
        "ol",
        "li",
        "br",
        "hr",
    ]
)
_LISTS = frozenset({"ul", "ol"})
# The references feeds use most, as HTML5 defines them (html.entities.html5 is the same table).
_SIMPLE_ENTITY_NAMES = {
    name: html.entities.html5[name + ";"]
    for name in [
        "amp",
        "lt",
        "gt",
        "quot",
        "apos",
        "nbsp",
        "hellip",
        "mdash",
        "ndash",
        "lsquo",
        "rsquo",
        "sbquo",
        "ldquo",
        "rdquo",
        "bdquo",
        "laquo",
        "raquo",
        "middot",
        "bull",
        "copy",
        "reg",
        "trade",
        "deg",
        "euro",
        "pound",
    ]
}
_SIMPLE_ENTITY = re.compile(
    "&(?:(" + "|".join(_SIMPLE_ENTITY_NAMES) + r");|#([0-9]{1,7});|#[xX]([0-9a-fA-F]{1,6});)"
)
# HTML's own whitespace (not Python's \s): tab, LF, FF, space (CR is excluded before parsing).
_TAG = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9]*)"
    r"((?:[\t\n\f ]+[^\t\n\f /<>\"'=]+"
    r"(?:[\t\n\f ]*=[\t\n\f ]*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\t\n\f <>\"'=`]+))?)*)"
    r"[\t\n\f ]*(/?)>"
)
_ATTRIBUTE = re.compile(
    r"([^\t\n\f /<>\"'=]+)"
    r"(?:[\t\n\f ]*=[\t\n\f ]*(?:\"([^\"<>]*)\"|'([^'<>]*)'|([^\t\n\f <>\"'=`]+)))?"
)


def _extract_simple_html_text(markup: str) -> str | None:
    """Exactly what `_extract_html_text` returns, for simple well-nested markup; else None."""
    if "\r" in markup or "\x00" in markup:
        return None
    pieces: list[str] = []
    stack: list[str] = []
    phrasing_open = 0
    position = 0
    for tag in _TAG.finditer(markup):
        text = markup[position : tag.start()]
        if "<" in text:
            return None
        if "&" in text:
            decoded = _decode_simple_entities(text)
            if decoded is None:
                return None
            text = decoded
        pieces.append(text)
        position = tag.end()
        closing, name, attributes, self_closing = tag.groups()
        name = name.lower()
        if closing:
            if attributes or self_closing or not stack or stack[-1] != name:
                return None
            stack.pop()
            if name in _SIMPLE_BLOCKS:
                pieces.append("\n")
                phrasing_open -= name in _SIMPLE_PHRASING_BLOCKS
        elif attributes and not _attributes_show(attributes):
            return None
        elif name in _SIMPLE_VOID and not (name == "hr" and phrasing_open):
            pieces.append("\n\n" if name in _SIMPLE_BLOCKS else "")
        elif name in _SIMPLE_INLINE:
            # The same inline element twice runs HTML's adoption agency, which may reorder.
            if name in stack:
                return None
            stack.append(name)
        elif name in _SIMPLE_BLOCKS and not phrasing_open:
            if name == "li" and (not stack or stack[-1] not in _LISTS):
                return None  # an <li> outside a list closes the open <li>
            pieces.append("\n")
            stack.append(name)
            phrasing_open += name in _SIMPLE_PHRASING_BLOCKS
        else:
            return None
    rest = markup[position:]
    if "<" in rest:
        return None
    if "&" in rest:
        decoded = _decode_simple_entities(rest)
        if decoded is None:
            return None
        rest = decoded
    pieces.append(rest)
    # Elements still open end with the fragment; whitespace before the first tag or letter is
    # dropped by the parser's "initial" and "before head" insertion modes.
    pieces.extend("\n" for name in stack if name in _SIMPLE_BLOCKS)
    pieces[0] = pieces[0].lstrip("\t\n\f ")
    return "".join(pieces)


def _decode_simple_entities(text: str) -> str | None:
    """`text` with the character references an HTML parser decodes the same way in any context;
    None when it holds any other '&' (legacy names without ';', C1 and invalid numbers...)."""
    found = _SIMPLE_ENTITY.findall(text)
    if len(found) != text.count("&"):
        return None
    for name, decimal, hexadecimal in found:
        if not name and not _is_plain_code_point(
            int(decimal or hexadecimal, 10 if decimal else 16)
        ):
            return None
    return _SIMPLE_ENTITY.sub(_decode_entity, text)


def _decode_entity(entity: re.Match[str]) -> str:
    name, decimal, hexadecimal = entity.groups()
    if name:
        return _SIMPLE_ENTITY_NAMES[name]
    return chr(int(decimal, 10) if decimal else int(hexadecimal, 16))


def _is_plain_code_point(value: int) -> bool:
    """Printable, not C1 (remapped to cp1252), no surrogate or noncharacter (replaced, flagged)."""
    return (
        0x20 <= value <= 0x7E
        or 0xA0 <= value <= 0xD7FF
        or 0xE000 <= value <= 0xFDCF
        or (0xFDF0 <= value <= 0x10FFFF and (value & 0xFFFE) != 0xFFFE)
    )


def _attributes_show(attributes: str) -> bool:
    """False when an attribute may hide the element (or needs decoding to tell)."""
    for attribute in _ATTRIBUTE.finditer(attributes):
        name = attribute.group(1).lower()
        if name in ("hidden", "aria-hidden"):
            return False
        if name == "style":
            value = attribute.group(2) or attribute.group(3) or attribute.group(4) or ""
            if "&" in value or _HIDDEN_STYLE.search(value):
                return False
    return True


def _extract_html_text(markup: str) -> str:
    """Text of an HTML fragment: hidden parts dropped, block elements become line breaks."""
    parser = LexborHTMLParser(markup)
    parser.strip_tags(list(_DROPPED_ELEMENTS))
    for node in parser.css("[hidden], [aria-hidden=true], [style]"):
        style = node.attributes.get("style") or ""
        if node.tag != "html" and (
            "hidden" in node.attributes
            or node.attributes.get("aria-hidden") == "true"
            or _HIDDEN_STYLE.search(style)
        ):
            node.decompose()
    for node in parser.css(_BLOCK_ELEMENTS):
        node.insert_before("\n")
        node.insert_after("\n")
    for node in parser.css(_CELL_ELEMENTS):
        node.insert_after(" ")
    root = parser.root
    return root.text(deep=True) if root is not None else ""


def _decode_entities(text: str) -> str:
    """Decode entities until stable, so double-encoded feeds ('&amp;amp;') come out right."""
    for _ in range(_MAX_UNESCAPE_ROUNDS):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def _remove_invisible(text: str) -> str:
    text = _INVISIBLE.sub("", text)
    if "\u200c" not in text and "\u200d" not in text:
        return text  # the joiner patterns cost ~30 µs per summary and rarely have work
    text = _RUN_JOINERS.sub(r"\1", text)
    return _EDGE_JOINERS.sub("", text)


def _normalise_whitespace(text: str) -> str:
    """Line breaks of every kind become one '\\n', other whitespace one space, edges trimmed."""
    # str.splitlines breaks at exactly [\n\r\v\f\x1c-\x1e\x85\u2028\u2029] and str.split at
    # exactly regex \s: the result of substituting line breaks, then space runs, then runs of
    # breaks, in a quarter of the time (test_clean_simple_html.py compares the two).
    return "\n".join(filter(None, (" ".join(line.split()) for line in text.splitlines())))


# --- feed boilerplate -------------------------------------------------------------------------

# WordPress's "The post … appeared first on …" footer and its translations; it may follow the
# excerpt on the same line when the feed put both in one paragraph.
_POSTED_FIRST = re.compile(
    r"(?:^|(?<=[\s.!?…]))(?:"
    r"The post .{1,300}? (?:appeared first|first appeared) on "
    r"|L[’']article .{1,300}? est apparu en premier sur "
    r"|La entrada .{1,300}? se publicó primero en "
    r"|El post .{1,300}? apareció primero en "
    r"|Der Beitrag .{1,300}? erschien zuerst auf "
    r"|ظهرت المقالة .{1,300}? أولا(?:ً)? على "
    r")[^\n]{1,200}$",
    re.MULTILINE,
)
# Whole lines that are only a call to action; bounded so a real sentence starting alike survives.
_BOILERPLATE_LINE = re.compile(
    r"^[\s\[(«»“\"'…:.\-–—>|]*(?:"
    r"read more|read the full (?:story|article)|continue reading|keep reading|full story"
    r"|share this(?: article| story| post)?|share on \w+|subscribe(?: now| today)?(?: to .{0,80})?"
    r"|sign up for .{0,80}newsletter.{0,40}"
    r"|lire la suite|lire plus|en savoir plus|partager(?: cet article)?|abonnez-vous.{0,80}"
    r"|s[’']abonner.{0,80}"
    r"|leer más|seguir leyendo|continuar leyendo|compartir(?: en \w+)?|suscr[ií]bete.{0,80}"
    r"|suscribirse.{0,80}"
    r"|weiterlesen|mehr lesen|mehr dazu|teilen|diesen artikel teilen|jetzt abonnieren.{0,80}"
    r"|abonnieren.{0,80}"
    r"|اقرأ المزيد|اقرأ أيضا|اقرأ أيضاً|تابع القراءة|أكمل القراءة|شارك(?: هذا| المقال)?"
    r"|اشترك.{0,80}"
    r")[\s\])»“”\"'…:.!?\-–—>|→»›]*$",
    re.MULTILINE | re.IGNORECASE,
)
# "… Read more" / "[Continue reading…]" glued to the end of the excerpt's last line.
_MORE_WORDS = (
    r"(?:read more|continue reading|lire la suite|leer más|seguir leyendo|weiterlesen"
    r"|اقرأ المزيد)"
)
_TRAILING_MORE = re.compile(
    r"[\s\[(]*" + _MORE_WORDS + r"(?: ?[\s\])»…:.!?\-–—>→›]*)$", re.IGNORECASE
)
# _TRAILING_MORE tries its words at every position (~15 µs a summary); it can only match when
# they end the text once these trailing marks and whitespace are set aside, which is cheap to see.
_MORE_WORDS_AT_END = re.compile(_MORE_WORDS + "$", re.IGNORECASE)
_MORE_LONGEST_WORDS = len("continue reading")
_MORE_TRAILERS = frozenset("])»…:.!?-–—>→›")
# Every _POSTED_FIRST alternative starts with one of these; without one it cannot match.
_POSTED_FIRST_OPENINGS = (
    "The post ",
    "article ",
    "La entrada ",
    "El post ",
    "Der Beitrag ",
    "ظهرت المقالة ",
)


def clean_summary(raw: str) -> str:
    """Return `clean_text(raw)` without feed boilerplate ("The post … appeared first on …")."""
    text = clean_text(raw)
    for _ in range(_MAX_CLEAN_ROUNDS):
        stripped = _remove_boilerplate(text)
        if stripped == text:
            break
        text = clean_text(stripped)
    return text


def _remove_boilerplate(text: str) -> str:
    if any(opening in text for opening in _POSTED_FIRST_OPENINGS):
        text = _POSTED_FIRST.sub("", text)
    text = _BOILERPLATE_LINE.sub("", text)
    return _TRAILING_MORE.sub("", text) if _may_end_in_more(text) else text


def _may_end_in_more(text: str) -> bool:
    end = len(text)
    while end and (text[end - 1].isspace() or text[end - 1] in _MORE_TRAILERS):
        end -= 1
    return _MORE_WORDS_AT_END.search(text, max(0, end - _MORE_LONGEST_WORDS), end) is not None


# --- links -------------------------------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Click and campaign trackers from Google, Meta, Microsoft, Mailchimp, HubSpot, Marketo, Yandex,
# Instagram and Vero: they name the visit, not the page.
_TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "_ga",
        "_gl",
    }
)


def canonicalize_link(url: str | None) -> str | None:
    """Return `url` with host lowercased and trackers, default port and fragment removed.

    None and blank give None; a link that is not http(s) or does not parse is returned stripped.
    """
    if url is None:
        return None
    stripped = url.strip()
    if not stripped:
        return None
    try:
        parts = urlsplit(stripped)
        port = parts.port
    except ValueError:
        return stripped
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return stripped
    return urlunsplit(
        SplitResult(
            scheme=scheme,
            netloc=_rebuild_netloc(parts, scheme, port),
            path=parts.path or "/",
            query=_drop_tracking_params(parts.query),
            fragment="",
        )
    )


def _rebuild_netloc(parts: SplitResult, scheme: str, port: int | None) -> str:
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return netloc


def _drop_tracking_params(query: str) -> str:
    """Filter the raw 'k=v' pairs so kept parameters keep their original encoding and order."""
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        key = unquote_plus(pair.partition("=")[0]).lower()
        if key.startswith("utm_") or key in _TRACKING_KEYS:
            continue
        kept.append(pair)
    return "&".join(kept)
