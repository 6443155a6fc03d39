"""Turn feed HTML or plain text into display text, strip feed boilerplate and canonicalize links.

Markup policy: the output never holds a complete tag. Entities are decoded until stable, so a
double-encoded '&amp;lt;b&amp;gt;bold' decodes to '<b>bold', which is markup again and is parsed
away to 'bold': downstream renderers never see markup, even markup a feed escaped on purpose. A lone
'<' that opens no tag ('x < y', 'a<b') stays. `clean_text` only returns a text that cleaning leaves
unchanged, so it is idempotent by construction.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

import ftfy
from selectolax.lexbor import LexborHTMLParser

# unescape_html is ours (html.unescape, repeated); curly quotes are kept because they are content.
_FTFY_CONFIG = ftfy.TextFixerConfig(unescape_html=False, uncurl_quotes=False, explain=False)

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
_LINE_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINE_RUNS = re.compile(r" ?\n[\n ]*")

# ASCII without controls has no mojibake and is already NFC, so ftfy (most of the cost) is skipped.
_ASCII_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# UTF-8 read as Latin-1 or cp1252 leaves a lead byte (Â–ô) followed by a continuation byte
# (U+0080–U+00BF, or the cp1252 glyph it maps to): 'Ã©', 'â€™', 'Ø§', 'Ð¿'. Without such a pair
# (or controls, or U+FFFD) ftfy would change nothing but NFC; measured 3x faster on feed text.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
    "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac"
    "\u2122]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufb00-\ufb06\uff01-\uff5e]"
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
    """One pass: markup out, entities decoded, Unicode repaired, whitespace normalized."""
    text = _replace_lone_surrogates(text)
    if MARKUP_PATTERN.search(text):
        text = _extract_html_text(text)
    text = _decode_entities(text)
    if text.isascii():
        if _ASCII_CONTROLS.search(text):
            text = ftfy.fix_text(text, _FTFY_CONFIG)
    elif _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text, _FTFY_CONFIG)
    else:
        text = unicodedata.normalize("NFC", text)
    return _normalize_whitespace(_remove_invisible(text))


def _replace_lone_surrogates(text: str) -> str:
    """Pair surrogates into code points and turn lone ones into U+FFFD so UTF-8 encoding works."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


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
    text = _RUN_JOINERS.sub(r"\1", text)
    return _EDGE_JOINERS.sub("", text)


def _normalize_whitespace(text: str) -> str:
    """Line breaks of every kind become one '\\n', other whitespace one space, edges trimmed."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _SPACES.sub(" ", text)
    text = _NEWLINE_RUNS.sub("\n", text)
    return text.strip()


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
_TRAILING_MORE = re.compile(
    r"[\s\[(]*(?:read more|continue reading|lire la suite|leer más|seguir leyendo|weiterlesen"
    r"|اقرأ المزيد)(?: ?[\s\])»…:.!?\-–—>→›]*)$",
    re.IGNORECASE,
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
    text = _POSTED_FIRST.sub("", text)
    text = _BOILERPLATE_LINE.sub("", text)
    return _TRAILING_MORE.sub("", text)


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
