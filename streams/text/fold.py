"""Fold text into the form topic rules match against; the text shown to people is never folded."""

from __future__ import annotations

import re
import unicodedata

# A word for matching: letters and digits plus the combining marks, tatweel and joiners that sit
# inside Arabic, Persian and accented words (Python's \w leaves out combining marks). U+02BC, the
# Ukrainian apostrophe, is a letter to Unicode but splits words here as the ASCII apostrophe does.
# Devanagari and Thai write most vowels as combining marks: without them "चुनाव" would be the
# three words "च", "न", "व".
_DEVANAGARI_MARKS = "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
_THAI_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
# Bengali vowel signs, virama, nukta and candrabindu are combining marks too: without them
# "নির্বাচন" (election) falls apart into "ন", "র", "ব", "চন".
_BENGALI_MARKS = "\u0981-\u0983\u09bc\u09be-\u09c4\u09c7\u09c8\u09cb-\u09cd\u09d7\u09e2\u09e3"
_IN_WORD_MARKS = (
    "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u200c\u200d"
    + _DEVANAGARI_MARKS
    + _THAI_MARKS
    + _BENGALI_MARKS
)
WORD_PATTERN = re.compile("(?:[^\\W_\u02bc]|[" + _IN_WORD_MARKS + "])+")
# The same words when the text holds no "_" and no U+02BC (the only \\w characters WORD_PATTERN
# leaves out): one character class, which the regex engine scans ~3x faster than the alternation.
# Both capture, so re.split hands back words and gaps in one call, without a match object a word.
_WORDS_SPLIT = re.compile("(" + WORD_PATTERN.pattern + ")")
_WORD_RUNS_SPLIT = re.compile("([\\w" + _IN_WORD_MARKS + "]+)")

# Scripts written without spaces between words (Chinese, Japanese kana and kanji, Thai).
_UNSPACED_LETTERS = "\u0e01-\u0e5b\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
UNSPACED_SCRIPT = re.compile(f"[{_UNSPACED_LETTERS}]")
# Chinese copy glues Latin names and numbers to the characters around them ("DDoS攻击",
# "2024年大选"): there a change between an unspaced script and any other also ends a word, so
# "DDoS" is a word of its own that a Latin term can match.
# The blocks also hold code points that are no word characters (U+3040 is unassigned, U+30FB is
# the katakana middle dot): a lookahead keeps those in the gaps, as WORD_PATTERN would.
# Thai vowel and tone marks are no word characters but belong inside the run.
_UNSPACED_WORD_CHARACTER = f"(?:(?![\\W_])[{_UNSPACED_LETTERS}]|[{_THAI_MARKS}])"
_SCRIPT_RUNS_SPLIT = re.compile(
    f"((?:{_UNSPACED_WORD_CHARACTER})+|(?:[^\\W_\u02bc{_UNSPACED_LETTERS}]|[{_IN_WORD_MARKS}])+)"
)


def base_language(code: str) -> str:
    """A language code's primary subtag, lower case ("pt-BR", "zh_Hant" -> "pt", "zh"): what the
    taxonomy, the alert rules and the country names are keyed by."""
    return code.split("-")[0].split("_")[0].lower()


def split_words(text: str, unspaced: bool = False) -> list[str]:
    """`text` cut around its WORD_PATTERN words: [gap, word, gap, word, ..., gap].

    With `unspaced` (Chinese, Japanese or Thai text), a word also ends where its script changes.
    """
    if unspaced:
        return _SCRIPT_RUNS_SPLIT.split(text)
    pattern = _WORDS_SPLIT if "_" in text or "\u02bc" in text else _WORD_RUNS_SPLIT
    return pattern.split(text)


_ARABIC_MARKS = (
    *range(0x0610, 0x061B),  # Quranic honorifics and small signs
    *range(0x064B, 0x0660),  # harakat: tanwin, fatha, damma, kasra, shadda, sukun, hamza marks
    0x0670,  # superscript alef
    *range(0x06D6, 0x06EE),  # Quranic annotation signs
    0x0640,  # tatweel: stretches a word for layout, never changes it
    0x200C,  # ZWNJ: Persian writes "می‌شود" and "میشود" for the same word
    0x200D,
)
_LETTER_VARIANTS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ۀ": "ه",
    "ھ": "ه",
    "ک": "ك",
    "ی": "ي",
    "ؤ": "و",
    "ئ": "ي",
    "ё": "е",
    # Dotted and dotless i merge: Turkish text is often typed without its own i's, and casefold
    # already turns "I" into "i" outside Turkish, so one form is the only consistent choice.
    "ı": "i",
}
_FOLD_TABLE: dict[int, str | None] = {
    **dict.fromkeys(_ARABIC_MARKS),
    **{ord(letter): plain for letter, plain in _LETTER_VARIANTS.items()},
}

_LATIN_WITH_MARKS = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
# Marks are dropped only after a Latin base letter: Cyrillic й and Ukrainian ї keep theirs, as
# "война" (war) and "воина" (warrior) are different words.
_MARKS_AFTER_LATIN = re.compile("([a-z])[\u0300-\u036f]+")

_THAI_SARA_AM_SPLIT = "\u0e4d\u0e32"

# Languages whose accents tell words apart too often to fold (Vietnamese tones).
_ACCENTS_SIGNIFICANT = frozenset({"vi"})


def fold_for_matching(text: str, language: str) -> str:
    """Return the matching form of `text`: casefolded, Arabic marks and letter variants unified,
    Latin accents removed unless `language` needs them, Cyrillic ё written е."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text)
    # casefold() turns "İ" into "i" plus a combining dot above, which no term is written with.
    folded = folded.replace("İ", "i").casefold().translate(_FOLD_TABLE)
    if _THAI_SARA_AM_SPLIT in folded:
        # NFKC splits Thai sara am (ำ) into two code points; composed again, a Thai word keeps its
        # length, so a term's position inside a Thai run maps back onto the text as written.
        folded = folded.replace(_THAI_SARA_AM_SPLIT, "\u0e33")
    if base_language(language) not in _ACCENTS_SIGNIFICANT and _LATIN_WITH_MARKS.search(folded):
        folded = _drop_marks(folded, _MARKS_AFTER_LATIN)
    return folded


def _drop_marks(text: str, marks_after_letter: re.Pattern[str]) -> str:
    """`text` without the combining marks `marks_after_letter` finds after a letter (its one
    group); decomposed first so precomposed letters lose theirs too, then composed again."""
    decomposed = marks_after_letter.sub(r"\1", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", decomposed)


# Greek letters (basic block and the polytonic extended block). Rule matching drops their tonos,
# dialytika and polytonic marks: an all-caps Greek headline is written without its accents
# ("ΙΣΧΥΡΟΣ ΣΕΙΣΜΟΣ", lowered "ισχυρος σεισμος"), so "σεισμός" must match it. Only the rule
# matcher folds them (fold_for_rules): the arbiter's n-grams and the story shingles keep the text
# as fold_for_matching gives it, which is what the arbiter was trained on.
_GREEK_LETTER = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_MARKS_AFTER_GREEK = re.compile("([\u0370-\u03ff])[\u0300-\u036f]+")


def fold_for_rules(text: str, language: str) -> str:
    """fold_for_matching, and Greek letters without their accents: the form topic rule terms and
    the words they are matched against are compared in."""
    folded = fold_for_matching(text, language)
    if _GREEK_LETTER.search(folded):
        folded = _drop_marks(folded, _MARKS_AFTER_GREEK)
    return folded
