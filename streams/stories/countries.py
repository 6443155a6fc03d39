"""Countries a story names, as ISO 3166 codes, from Unicode CLDR's territory names (via babel).

Two reports of one event name the same country in their own languages ("Australien", "オースト
ラリア", "أستراليا" are all AU); two same-day reports of different events often do not (the
Australian and the Singaporean elections of 3 May 2025). `extract_countries` is pure: the
per-language matchers are built from `babel.Locale.parse(language).territories` on first use and
cached. Inflection is met loosely, per script: in cased and Cyrillic/Greek scripts a name matches
at a word start with up to four more letters (a final vowel of a long name may change: "Россия",
"России", "Россию"; "Australiens", "Australian"), an apostrophe suffix counts ("Türkiye'de"),
Arabic takes the prefixes و ف ب ل ك ال, and scripts written without spaces (Han, kana, Thai)
match anywhere. Longer names are tried first, so "Nigeria" is never "Niger" and "インドネシア"
never "インド".
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from streams.text.fold import base_language

# Languages whose text is written without spaces between words: names match as substrings.
_UNSPACED = frozenset(("zh", "ja", "th", "lo", "km", "my"))
_ARABIC_SCRIPT = frozenset(("ar", "fa", "ur", "ps"))
# Words that never make a name on their own (parts of CLDR's long forms).
_SKIP_CODES = frozenset(("EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"))
# Long forms that carry their country in a wrapper: "Hong Kong SAR China", "中国香港特别行政区".
_WRAPPERS = (
    re.compile(r"^(.+?)\s+(?:SAR|S\.A\.R\.|RAE|SVR|ОАР|САР)\b.*$"),
    re.compile(r"^(?:RAE|SRA|SAR)\s+(?:de\s+)?(.+)$"),
    re.compile(
        r"^(?:中国|中國|中華人民共和国|中华人民共和国)(.+?)(?:特别行政区|特別行政區|特別行政区)$"
    ),
)
_VOWELS = "aeiouyáéíóúàèìòùâêîôûäëïöüåæøœıаеёиоуыэюяіїєαεηιουωάέήίόύώ"
_KOREAN_PARTICLE = (
    "(?:은|는|이|가|을|를|과|와|의|에서|에게|에|으로|로|도|만|까지|부터|보다|처럼|산|인|측)?"
)
_KANA = re.compile("[ァ-ヺー]")
_ARABIC_PREFIX = "(?:[وف]?[بلك]?(?:ال)?)"
# Only the nisba endings (مصري, مصرية, المصريين): a free ending made "مصرعه" ("his death") Egypt.
_ARABIC_SUFFIX = "(?:ا|ى|ي|يا|ية|يه|يين|يون|ين|ون|ة)?"
# Forms that are more often a part of another word than the country: 海地 (Haiti) in 沿海地區.
_AMBIGUOUS = {"zh": frozenset(("海地",))}
# Locales whose names are merged into a language's: Chinese reports come in both scripts.
_EXTRA_LOCALES = {"zh": ("zh_Hant",)}


def _inner(name: str) -> set[str]:
    """The parenthesised part of a name: another name ("Myanmar (Burma)") or, as often, the
    parent state ("Виргинские о-ва (США)"); `_matcher` keeps it when one territory has it."""
    return {inner.strip() for inner in re.findall(r"[(（](.+?)[)）]", name) if len(inner) >= 2}


def _forms(name: str) -> set[str]:
    """A CLDR territory name and the shorter forms it contains, its parenthesised part aside."""
    forms = {name}
    bare = re.sub(r"\s*[(（].*?[)）]\s*", " ", name).strip()
    forms.add(bare)
    for wrapper in _WRAPPERS:
        match = wrapper.match(bare)
        if match:
            forms.add(match.group(1).strip())
    if "," in bare:  # "Korea, South" style orderings
        forms.add(bare.split(",")[0].strip())
    return {form for form in forms if len(form) >= 2}


def _normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    if language in _ARABIC_SCRIPT:
        text = re.sub("[\u064b-\u065f\u0670]", "", text)  # harakat
        text = text.translate(str.maketrans("أإآٱ", "اااا"))
    return text


def _word_pattern(word: str, language: str) -> str:
    """One word of a name, loosened for its script's inflection."""
    if language in _UNSPACED:  # a katakana name is not the start or end of a longer one
        return (
            ("(?<![ァ-ヺー])" if _KANA.match(word) else "")
            + re.escape(word)
            + ("(?![ァ-ヺー])" if _KANA.match(word[-1]) else "")
        )
    if language in _ARABIC_SCRIPT:
        stem = word[:-1] if len(word) >= 5 and word[-1] in "اةيى" else word
        return re.escape(stem) + _ARABIC_SUFFIX
    if language == "ko":  # particles attach to the name: 태국과, 일본에서
        return re.escape(word) + _KOREAN_PARTICLE
    stem = word
    if (len(word) >= 6 and word[-1] in _VOWELS) or (len(word) == 5 and word[-1] in "йяь"):
        stem = word[:-1]  # "Россия" -> "Росси" (России, Россию), "Китай" -> "Кита" (Китая)
    if len(word) <= 4:  # "Iraqi", "Malian", "Iran's", never "Malik"
        return re.escape(stem) + rf"(?:[{_VOWELS}]\w{{0,3}})?(?:['’]\w+)?"
    tail = r"\w{0,6}" if len(stem) >= 5 else r"\w{0,4}"  # российские, украинских
    if language == "de":  # adjectives: australisch (Australien), ukrainisch, israelisch
        base = re.sub("(?:ien|en|e|a)$", "", word)
        if len(base) >= 3 and base != word:
            return rf"(?:{re.escape(base)}isch\w{{0,3}}|{re.escape(stem)}{tail})"
    return re.escape(stem) + tail + r"(?:['’]\w+)?"


@cache
def _matcher(language: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """The language's name pattern and the code of each matched group, or None without CLDR."""
    try:
        from babel import Locale, UnknownLocaleError

        try:
            tables = [Locale.parse(language.replace("-", "_")).territories]
            extras = _EXTRA_LOCALES.get(language, ())
            tables += [Locale.parse(extra).territories for extra in extras]
        except (UnknownLocaleError, ValueError):
            return None
    except ImportError:  # babel missing: no country evidence, never a veto
        return None
    names: dict[str, str] = {}
    skip = _AMBIGUOUS.get(language, frozenset())
    inner: dict[str, set[str]] = {}
    for territories in tables:
        for code, name in territories.items():
            if len(code) != 2 or not code.isalpha() or code in _SKIP_CODES:
                continue
            for form in _forms(name):
                if form not in skip:
                    names.setdefault(_normalise(form, language), code)
            for form in _inner(name):
                inner.setdefault(_normalise(form, language), set()).add(code)
    for form, codes in inner.items():  # "Бирма" (MM) is kept; "США" (UM and VI) is not
        if len(codes) == 1 and form not in names:
            names[form] = next(iter(codes))
    if not names:
        return None
    groups: dict[str, str] = {}
    # Alternatives grouped by their first character behind a lookahead, longest first within
    # a group: a word start tries only the names that begin with its letter (5x faster).
    by_first: dict[str, list[str]] = {}
    for index, form in enumerate(sorted(names, key=lambda form: (-len(form), form))):
        body = r"\s+".join(_word_pattern(word, language) for word in form.split())
        groups[f"c{index}"] = names[form]
        by_first.setdefault(form[0], []).append(f"(?P<c{index}>{body})")
    alternation = "|".join(
        f"(?={re.escape(first)})(?:{'|'.join(parts)})" for first, parts in by_first.items()
    )
    if language in _ARABIC_SCRIPT:
        alternation = f"{_ARABIC_PREFIX}(?:{alternation})"
    # Unspaced scripts match anywhere; elsewhere a name starts and ends a word.
    spaced = language not in _UNSPACED
    pattern = rf"(?<!\w)(?:{alternation})(?!\w)" if spaced else f"(?:{alternation})"
    return re.compile(pattern), groups


def matcher_built(language: str) -> bool:
    """Whether `language`'s pattern is built (`build_matcher`), so `extract_countries` is quick."""
    return base_language(language) in _BUILT


def build_matcher(language: str) -> None:
    """Build `language`'s pattern now. It takes 40-210 ms of CPU (192 ms for English) the first
    time for each language, once per process: a caller with an event loop runs this in a thread
    first, so the loop never stalls that long on a story in a language it has not seen yet."""
    base = base_language(language)
    _matcher(base)
    _BUILT.add(base)


_BUILT: set[str] = set()


def extract_countries(text: str, language: str) -> frozenset[str]:
    """ISO 3166 alpha-2 codes of the countries and territories `text` names in `language`.

    Empty when the language has no CLDR names (or babel is missing): an unknown side never
    vetoes a link.
    """
    base = base_language(language)
    built = _matcher(base)
    if built is None or not text:
        return frozenset()
    pattern, groups = built
    found = set()
    for match in pattern.finditer(_normalise(text, base)):
        group = match.lastgroup
        if group is not None:
            found.add(groups[group])
    return frozenset(found)
