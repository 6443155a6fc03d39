"""Read and write feed lists: OPML as feed readers export it, TOML and YAML as people write them."""

from __future__ import annotations

import html
import html.entities
import io
import math
import re
import tomllib
import xml.etree.ElementTree as ET
import xml.sax
import xml.sax.handler
import xml.sax.xmlreader
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from defusedxml.common import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from streams.errors import SettingsError
from streams.feeds.identity import normalise_feed_url
from streams.settings import FeedConfig

FEED_URL_SCHEMES = frozenset({"http", "https", "file"})
# A feed list of a few thousand feeds is well under 1 MB; anything this big is the wrong file.
MAX_FEED_LIST_BYTES = 10 * 1024 * 1024
# OPML has no field for a poll interval; OPML 2.0 §outline allows attributes in other namespaces.
WIREWATCH_OPML_NAMESPACE = "https://github.com/wirewatch/wirewatch/opml"
FEED_KEYS = ("url", "name", "language", "interval_seconds")

# Feed readers export feed titles as the publisher wrote them, and publishers HTML-escape them, so
# OPML in the wild holds HTML entities that XML does not define (&eacute;, &nbsp;). expat rejects
# those; they are rewritten as character references before parsing. Only names HTML5 defines are
# touched, never the five XML ones, and a DTD is still refused by the parser.
_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
# Characters XML 1.0 §2.2 cannot hold at all, not even as references.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WHITESPACE_RUN = re.compile(r"\s+")
_HTML_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\s]")
_TOML_FEEDS_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*feeds[ \t]*\]\]", re.MULTILINE)
# Attributes that mean "this outline points somewhere", so a leaf holding one without xmlUrl is a
# feed entered wrongly, not an empty folder.
_ADDRESS_ATTRIBUTES = {
    name.lower(): name for name in ("url", "htmlUrl", "link", "href", "feedUrl", "rssUrl")
}


@dataclass(frozen=True, slots=True)
class _Entry:
    """One feed as read, with the place to name in an error ("feeds.opml:12")."""

    feed: FeedConfig
    place: str


def read_feed_list(path: Path) -> list[FeedConfig]:
    """Read the feeds listed in an OPML (.opml, .xml), TOML (.toml) or YAML (.yaml, .yml) file.

    Feeds come back in file order; OPML folders are flattened. Raises SettingsError naming the file
    (and the line where the format tells it) for an unreadable or malformed file, an entry without
    a usable http, https or file URL, a duplicate URL, a DTD in OPML, or a list with no feeds.
    """
    body = _read_bytes(path)
    suffix = path.suffix.lower()
    if suffix in (".opml", ".xml"):
        entries = _read_opml(body, path)
    elif suffix == ".toml":
        entries = _read_toml(body, path)
    elif suffix in (".yaml", ".yml"):
        entries = _read_yaml(body, path)
    else:
        raise SettingsError(
            f"{path}: unknown feed list type {suffix or '(no extension)'!r}; "
            "name it .opml, .xml, .toml, .yaml or .yml"
        )
    if not entries:
        raise SettingsError(f"{path}: the list holds no feeds; add at least one feed URL")
    _refuse_duplicates(entries)
    return [entry.feed for entry in entries]


def _read_bytes(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            body = handle.read(MAX_FEED_LIST_BYTES + 1)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read the feed list: {exc.strerror or exc}") from None
    if len(body) > MAX_FEED_LIST_BYTES:
        raise SettingsError(
            f"{path}: larger than {MAX_FEED_LIST_BYTES // (1024 * 1024)} MiB; "
            "is this really a feed list?"
        )
    return body


def _refuse_duplicates(entries: Sequence[_Entry]) -> None:
    first_place: dict[str, str] = {}
    for entry in entries:
        # The spelling that decides the feed id: two spellings of one feed would poll it twice.
        key = normalise_feed_url(entry.feed.url)
        if key in first_place:
            raise SettingsError(
                f"{entry.place}: duplicate feed URL {entry.feed.url!r}, already listed at "
                f"{first_place[key]}; remove one of them"
            )
        first_place[key] = entry.place


def _check_url(value: str, place: str) -> str:
    """Return the stripped URL, or raise SettingsError saying what is wrong and how to write it."""
    url = value.strip()
    if not url:
        raise SettingsError(f"{place}: empty feed URL")
    if _CONTROL_OR_SPACE.search(url):
        raise SettingsError(
            f"{place}: feed URL {url!r} contains spaces or control characters; "
            "percent-encode them (a space is %20)"
        )
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:
        raise SettingsError(f"{place}: feed URL {url!r} is malformed: {exc}") from None
    scheme = parts.scheme.lower()
    if not scheme or (scheme not in FEED_URL_SCHEMES and not parts.netloc):
        raise SettingsError(
            f"{place}: feed URL {url!r} has no scheme; write it in full, e.g. 'https://{url}'"
        )
    if scheme not in FEED_URL_SCHEMES:
        raise SettingsError(
            f"{place}: feed URL {url!r} has scheme {scheme!r}; use http, https or file"
        )
    if scheme != "file" and not hostname:
        raise SettingsError(f"{place}: feed URL {url!r} has no host, e.g. https://example.org/feed")
    if scheme == "file" and not parts.path:
        raise SettingsError(f"{place}: feed URL {url!r} has no path, e.g. file:///srv/feed.xml")
    return url


def _check_interval(value: object, place: str) -> float:
    # bool is an int subclass: `interval_seconds: yes` in YAML must not become 1 second.
    seconds = (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
    )
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingsError(
            f"{place}: interval_seconds {value!r} must be a positive number of seconds, e.g. 900"
        )
    return seconds


# OPML -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Outline:
    """An <outline> whose end tag is not reached yet: a leaf is judged only once it closes."""

    line: int
    attributes: dict[str, str]
    has_feed: bool
    has_children: bool = False


class _OpmlHandler(xml.sax.handler.ContentHandler):
    """Collect every outline with an xmlUrl, in document order, whatever folders it sits in."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.entries: list[_Entry] = []
        self._open: list[_Outline] = []
        self._root_seen = False
        self._locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:
        self._locator = locator

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: Any) -> None:
        uri, local = name
        line = (self._locator.getLineNumber() if self._locator else None) or 0
        place = f"{self.path}:{line}"
        if not self._root_seen:
            self._root_seen = True
            if uri is not None or local != "opml":
                raise SettingsError(
                    f"{place}: not an OPML document: the root element is <{qname or local}>, "
                    "not <opml>"
                )
            return
        if uri is not None or local != "outline":
            return
        if self._open:
            self._open[-1].has_children = True
        # Exporters disagree on the case (xmlUrl, xmlurl, xmlURL); attribute names are compared
        # without it.
        attributes = {
            attr_local.lower(): value
            for (attr_uri, attr_local), value in attrs.items()
            if attr_uri is None
        }
        url = attributes.get("xmlurl")
        if url is not None:
            interval = attrs.get((WIREWATCH_OPML_NAMESPACE, "intervalSeconds"))
            self.entries.append(_Entry(self._outline_feed(url, attributes, interval, place), place))
        self._open.append(_Outline(line, attributes, has_feed=url is not None))

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        if name != (None, "outline") or not self._open:
            return
        outline = self._open.pop()
        if not outline.has_feed and not outline.has_children:
            _check_empty_folder(outline, f"{self.path}:{outline.line}")

    def _outline_feed(
        self, url: str, attributes: Mapping[str, str], interval: str | None, place: str
    ) -> FeedConfig:
        label = attributes.get("title", "").strip() or attributes.get("text", "")
        # Titles arrive HTML-escaped once more than XML needs ("AT&amp;amp;T"): unescape once,
        # and only complete references, so a bare "&copy" or "R&D" stays as written.
        unescaped = _HTML_REFERENCE.sub(lambda m: html.unescape(m.group(0)), label)
        name = _WHITESPACE_RUN.sub(" ", unescaped).strip() or None
        language = (attributes.get("language") or "").strip() or None
        seconds = None
        if interval is not None:
            try:
                seconds = _check_interval(float(interval), place)
            except ValueError:
                raise SettingsError(
                    f"{place}: intervalSeconds {interval!r} must be a positive number of seconds"
                ) from None
        return FeedConfig(_check_url(url, place), name, language, seconds)


def _check_empty_folder(outline: _Outline, place: str) -> None:
    """Let an empty folder pass; raise SettingsError for a leaf that was meant to be a feed."""
    label = outline.attributes.get("title") or outline.attributes.get("text") or ""
    kind = outline.attributes.get("type", "").strip().lower()
    if kind == "include":
        raise SettingsError(
            f"{place}: outline {label!r} includes another OPML file, which is not followed; "
            "paste that file's outlines here"
        )
    address = next((a for a in _ADDRESS_ATTRIBUTES if outline.attributes.get(a)), None)
    if address is not None:
        raise SettingsError(
            f"{place}: outline {label!r} without xmlUrl: it has {_ADDRESS_ATTRIBUTES[address]}="
            f"{outline.attributes[address]!r}; a feed's address belongs in xmlUrl"
        )
    if kind in ("rss", "atom", "feed"):
        raise SettingsError(
            f'{place}: outline {label!r} without xmlUrl; add xmlUrl="https://…" or remove it'
        )


def _read_opml(body: bytes, path: Path) -> list[_Entry]:
    handler = _OpmlHandler(path)
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setContentHandler(handler)
    source = xml.sax.xmlreader.InputSource(str(path))
    source.setByteStream(io.BytesIO(_HTML_ENTITY.sub(_to_character_references, body)))
    try:
        parser.parse(source)
    except DefusedXmlException:
        found = _DOCTYPE.search(body)
        line = body.count(b"\n", 0, found.start()) + 1 if found else 1
        raise SettingsError(
            f"{path}:{line}: refused: the document has a DTD (<!DOCTYPE …>), which OPML never "
            "needs and entity bombs rely on; delete the declaration"
        ) from None
    except xml.sax.SAXParseException as exc:
        message = exc.getMessage()
        hint = "; write the character itself or &#NNN;" if message == "undefined entity" else ""
        raise SettingsError(
            f"{path}:{exc.getLineNumber()}: not well-formed XML: {message}{hint}"
        ) from None
    return handler.entries


def _to_character_references(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    text = None if name in _XML_ENTITIES else html.entities.html5.get(name.decode("ascii") + ";")
    if text is None:
        return match.group(0)
    return "".join(f"&#{ord(char)};" for char in text).encode("ascii")


def write_opml(feeds: Sequence[FeedConfig], title: str = "wirewatch feeds") -> str:
    """Return `feeds` as an OPML 2.0 document that feed readers import.

    A feed without a name gets text="" (readers then show the feed's own title). Characters XML
    cannot hold at all (most C0 controls) are dropped from every value.
    """
    with_interval = any(feed.interval_seconds is not None for feed in feeds)
    root = ET.Element("opml", {"version": "2.0"})
    if with_interval:
        root.set("xmlns:wirewatch", WIREWATCH_OPML_NAMESPACE)
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    body = ET.SubElement(root, "body")
    for feed in feeds:
        outline = ET.SubElement(
            body, "outline", {"type": "rss", "text": _xml_text(feed.name or "")}
        )
        if feed.name:
            outline.set("title", _xml_text(feed.name))
        outline.set("xmlUrl", _xml_text(feed.url))
        if feed.language:
            outline.set("language", _xml_text(feed.language))
        if feed.interval_seconds is not None:
            outline.set("wirewatch:intervalSeconds", repr(float(feed.interval_seconds)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _xml_text(value: str) -> str:
    return _NOT_XML_CHAR.sub("", value)


# TOML and YAML ----------------------------------------------------------------------------------


def _read_toml(body: bytes, path: Path) -> list[_Entry]:
    text = _decode_utf8(body, path)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    feeds = _feeds_value(document, path, "a [[feeds]] table per feed")
    # tomllib keeps no positions; when every feed is a [[feeds]] table, the n-th header is its line.
    headers = [text.count("\n", 0, m.start()) + 1 for m in _TOML_FEEDS_HEADER.finditer(text)]
    places = (
        [f"{path}:{line}" for line in headers]
        if len(headers) == len(feeds)
        else [f"{path}: feeds[{index}]" for index in range(len(feeds))]
    )
    return [_Entry(_feed_from_value(v, p), p) for v, p in zip(feeds, places, strict=True)]


def _read_yaml(body: bytes, path: Path) -> list[_Entry]:
    loader = yaml.SafeLoader(_decode_utf8(body, path))
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {_one_line(str(exc))}") from None
    finally:
        loader.dispose()
    if isinstance(document, list) and isinstance(node, yaml.SequenceNode):
        feeds, items = document, node.value
    else:
        feeds = _feeds_value(document, path, "a list of feeds, or feeds: followed by one")
        items = _feeds_node_items(node)
    places = (
        [f"{path}:{item.start_mark.line + 1}" for item in items]
        if len(items) == len(feeds)
        else [f"{path}: feeds[{index}]" for index in range(len(feeds))]
    )
    return [_Entry(_feed_from_value(v, p), p) for v, p in zip(feeds, places, strict=True)]


def _feeds_node_items(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "feeds" and isinstance(value, yaml.SequenceNode):
                return list(value.value)
    return []


def _decode_utf8(body: bytes, path: Path) -> str:
    try:
        return body.decode("utf-8-sig")  # a BOM from a Windows editor is not part of the text
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1
        raise SettingsError(f"{path}:{line}: not UTF-8; save the file as UTF-8") from None


def _feeds_value(document: object, path: Path, form: str) -> list[Any]:
    """Return the `feeds` list of a parsed TOML or YAML document, or say which form is wanted."""
    if document is None or document == {}:
        raise SettingsError(f"{path}: the list holds no feeds; add at least one as {form}")
    if not isinstance(document, dict):
        raise SettingsError(f"{path}: expected {form}, found {type(document).__name__}")
    unknown = sorted(str(key) for key in document if key != "feeds")
    if unknown:
        raise SettingsError(
            f"{path}: unknown top-level key(s) {unknown}; the only one is 'feeds' ({form})"
        )
    feeds = document.get("feeds")
    if not isinstance(feeds, list):
        raise SettingsError(f"{path}: 'feeds' must be {form}, found {type(feeds).__name__}")
    return feeds


def _feed_from_value(value: object, place: str) -> FeedConfig:
    """Build a FeedConfig from a URL string or a {url, name, language, interval_seconds} table."""
    if isinstance(value, str):
        return FeedConfig(_check_url(value, place))
    if not isinstance(value, dict):
        raise SettingsError(
            f"{place}: a feed is a URL or a table with url, name, language, interval_seconds; "
            f"found {type(value).__name__}"
        )
    unknown = sorted(str(key) for key in value if key not in FEED_KEYS)
    if unknown:
        raise SettingsError(f"{place}: unknown key(s) {unknown}; accepted: {', '.join(FEED_KEYS)}")
    url = value.get("url")
    if not isinstance(url, str):
        raise SettingsError(f'{place}: a feed needs url = "https://…" (text), found {url!r}')
    for key in ("name", "language"):
        if value.get(key) is not None and not isinstance(value[key], str):
            # YAML 1.1 reads an unquoted `no` (Norwegian) as false and `2024` as a number.
            raise SettingsError(f"{place}: {key} {value[key]!r} must be text; put it in quotes")
    interval = value.get("interval_seconds")
    return FeedConfig(
        url=_check_url(url, place),
        name=(value.get("name") or "").strip() or None,
        language=(value.get("language") or "").strip() or None,
        interval_seconds=None if interval is None else _check_interval(interval, place),
    )


def write_toml(feeds: Sequence[FeedConfig]) -> str:
    """Return `feeds` as TOML, one [[feeds]] table each, that read_feed_list reads back equal."""
    blocks = ["# wirewatch feed list: one [[feeds]] table per feed.\n"]
    for feed in feeds:
        lines = ["[[feeds]]", f"url = {_toml_string(feed.url)}"]
        if feed.name is not None:
            lines.append(f"name = {_toml_string(feed.name)}")
        if feed.language is not None:
            lines.append(f"language = {_toml_string(feed.language)}")
        if feed.interval_seconds is not None:
            # repr of a finite float is a valid TOML float ("900.0", "1e+20").
            lines.append(f"interval_seconds = {float(feed.interval_seconds)!r}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _toml_string(value: str) -> str:
    """Return `value` as a TOML basic string (TOML 1.0 §String: escape \\, " and controls)."""
    escaped = []
    for char in value:
        if char in ('"', "\\"):
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            continue  # a lone surrogate cannot be written as UTF-8 at all
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


class _FeedListDumper(yaml.SafeDumper):
    """SafeDumper that double-quotes strings holding a Unicode line break."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # PyYAML writes NEL, LS and PS raw inside single quotes and reads them back as folded line
    # breaks; only the double-quoted style escapes them (\N, \L, \P).
    style = '"' if any(char in text for char in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_FeedListDumper.add_representer(str, _represent_str)


def write_yaml(feeds: Sequence[FeedConfig]) -> str:
    """Return `feeds` as YAML (`feeds:` then one mapping each) that read_feed_list reads back."""
    entries = [
        {key: value for key, value in _feed_fields(feed).items() if value is not None}
        for feed in feeds
    ]
    # A wide line limit: PyYAML would otherwise fold a long URL over several lines.
    return yaml.dump(
        {"feeds": entries},
        Dumper=_FeedListDumper,
        allow_unicode=True,
        sort_keys=False,
        width=1_000_000,
    )


def _feed_fields(feed: FeedConfig) -> dict[str, Any]:
    interval = None if feed.interval_seconds is None else float(feed.interval_seconds)
    return {
        "url": feed.url,
        "name": feed.name,
        "language": feed.language,
        "interval_seconds": interval,
    }


def _one_line(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", text).strip()
