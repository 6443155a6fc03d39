"""Count the letters of each Unicode script in a text, for script shortcuts and model filtering."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# Ranges from the Unicode Scripts.txt blocks most used in news, most frequent first so counting
# stops early; letters outside them count only toward the total, so no shortcut fires on them.
_SCRIPT_CLASSES: dict[str, str] = {
    "Latin": "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff",
    "Cyrillic": "\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f",
    "Arabic": "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefe",
    "Han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f",
    "Kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "Hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff",
    "Devanagari": "\u0900-\u097f\ua8e0-\ua8ff",
    "Greek": "\u0370-\u03ff\u1f00-\u1fff",
    "Hebrew": "\u0590-\u05ff\ufb1d-\ufb4f",
    "Thai": "\u0e00-\u0e7f",
    "Bengali": "\u0980-\u09ff",
    "Georgian": "\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f",
    "Armenian": "\u0530-\u058f\ufb13-\ufb17",
}
_SCRIPT_PATTERNS = {name: re.compile(f"[{chars}]+") for name, chars in _SCRIPT_CLASSES.items()}
_OTHER_SCRIPTS = {
    name: re.compile(
        "[" + "".join(chars for other, chars in _SCRIPT_CLASSES.items() if other != name) + "]+"
    )
    for name in _SCRIPT_CLASSES
}
# (first code point, last code point, script) of every range above, sorted, to name a letter's
# script by bisection.
_RANGES = sorted(
    (ord(first), ord(last or first), name)
    for name, chars in _SCRIPT_CLASSES.items()
    for first, last in re.findall(r"(.)(?:-(.))?", chars)
)
_RANGE_STARTS = [first for first, _, _ in _RANGES]
# Runs rather than single letters: the joined string is the same, the list ~5x shorter.
_LETTERS = re.compile(r"[^\W\d_]+")
# Latin, ASCII and General Punctuation only: the common case in news, counted without script scans.
_NOT_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20bf]")


@dataclass(frozen=True, slots=True)
class ScriptCounts:
    letters: int  # every Unicode letter, in any script
    by_script: dict[str, int]  # only the scripts present, from _SCRIPT_CLASSES

    def dominant(self) -> tuple[str | None, float]:
        """The script with the most letters and its share of all letters."""
        if not self.by_script or not self.letters:
            return None, 0.0
        name = max(self.by_script, key=self.by_script.__getitem__)
        return name, self.by_script[name] / self.letters


def count_scripts(text: str) -> ScriptCounts:
    """Count letters per script; stops scanning once every letter is accounted for."""
    letters = "".join(_LETTERS.findall(text))
    if not letters:
        return ScriptCounts(0, {})
    if not _NOT_LATIN.search(letters):
        return ScriptCounts(len(letters), {"Latin": len(letters)})
    by_script = {}
    remaining = len(letters)
    # Most non-Latin text is one script plus some Latin: counting the first non-Latin letter's
    # script first usually accounts for every letter in two scans instead of up to thirteen.
    first = _script_of(_NOT_LATIN.search(letters).group())  # type: ignore[union-attr]
    for name in (first, "Latin", *_SCRIPT_PATTERNS):
        if name is None or name in by_script:
            continue
        found = len("".join(_SCRIPT_PATTERNS[name].findall(letters)))
        by_script[name] = found
        remaining -= found
        if remaining <= 0:
            break
    return ScriptCounts(len(letters), {name: n for name, n in by_script.items() if n})


def _script_of(char: str) -> str | None:
    """The script of one letter, or None when it is in none of the ranges above."""
    index = bisect.bisect_right(_RANGE_STARTS, ord(char)) - 1
    if index < 0:
        return None
    _, last, name = _RANGES[index]
    return name if ord(char) <= last else None


def keep_script(text: str, script: str) -> str:
    """Replace letters of every other known script with spaces, keeping digits and punctuation."""
    pattern = _OTHER_SCRIPTS.get(script)
    return pattern.sub(" ", text) if pattern is not None else text
