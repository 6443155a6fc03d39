"""What the letters of a text say about its language, before any model is asked.

A script only one language writes decides alone (Hangul, Kana, Greek...). Inside a shared script,
letters peculiar to some languages narrow the candidates (Urdu's retroflexes, Serbian's ђ ћ,
Ukrainian's ї є ґ, Chinese-only or Japanese-only Han shapes), and a model's guess outside the
candidates the letters allow is dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from streams.records import Language
from streams.text.language.han import HanShapes, han_standard, han_words_standard
from streams.text.language.lexicon import Lexicon
from streams.text.language.tuning import KANA_SHARE_FOR_JAPANESE, URDU_LETTERS_EXPECTED
from streams.text.scripts import ScriptCounts, keep_script

# Languages written in one non-Latin script; a model's guess outside the text's script is dropped.
_SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "Arabic": frozenset(
        [
            "ar",
            "fa",
            "ur",
            "ps",
            "ug",
            "sd",
            "ku",
            "azb",
            "mzn",
            "glk",
            "lrc",
            "ks",
            "pa",
            "bal",
            "ckb",
            "arz",
            "ary",
        ]
    ),
    "Cyrillic": frozenset(
        [
            "ru",
            "uk",
            "bg",
            "sr",
            "mk",
            "be",
            "kk",
            "ky",
            "mn",
            "tg",
            "tt",
            "ba",
            "cv",
            "ce",
            "os",
            "sah",
            "av",
            "kv",
            "mhr",
            "mrj",
            "myv",
            "udm",
            "xal",
            "tyv",
            "krc",
            "lez",
            "bxr",
            "rue",
        ]
    ),
    "Devanagari": frozenset(
        ["hi", "mr", "ne", "sa", "bh", "mai", "new", "dty", "gom", "bho", "awa"]
    ),
    "Han": frozenset(["zh", "ja", "lzh", "gan"]),
}
# Letters that rule languages out inside a shared script. Urdu's retroflex letters, noon ghunna and
# bari ye appear in no Arabic or Persian word; پ چ ژ گ and Persian ye/keheh are not Arabic
# spelling; simplified and traditional forms below have different shapes in Japanese (発, 時, 說).
_URDU_LETTERS = re.compile("[ٹڈڑںےۓ]")
_NOT_ARABIC_LETTERS = re.compile("[پچژگیک]")
# Simplified forms, then traditional forms whose Japanese shape differs (Japanese keeps 選, 東, 書).
_CHINESE_ONLY_HAN = re.compile(
    "[们这说课过为发对关长门问间东车书见话还进让么时动电经济业员议选举报务华场现产权军调总统"
    "领导气实应变钱银证预级线组织结吗呢"
    "們這說嗎發對關讓經濟舉權產總氣實應變錢證學國會來區體點灣]"
)
# Shinjitai: the Japanese shapes of characters that Chinese writes otherwise in both its
# simplified and traditional forms (発 vs 发/發, 価 vs 价/價), and Japanese-made characters (働 込).
# One of them in a Han-only headline marks it as Japanese.
_JAPANESE_ONLY_HAN = re.compile(
    "[発気総戦続価円県駅経済労働売読広図楽転鉄権営検験険団実対応関伝変択沢浜渋恵弁歩両辺満拡挙"
    "込畑峠枠悪圧囲壊拠様剤巻勧歓観覚隠単帯駆継軽剣倹巣捜挿弾遅鋳庁聴徴逓闘稲徳弐悩脳廃髪仏払"
    "塀毎訳薬謡頼覧竜塁霊渉衆]"
)
# Japanese writes some characters in their simplified shape (国 会 学) and others in their
# traditional one (開 間 選): a Han-only text with one of each is neither Chinese standard.
_SIMPLIFIED_SHAPES_IN_JAPANESE = re.compile("[国会学来区当点灯独乱与宝盗党旧体声医号万礼]")
_TRADITIONAL_SHAPES_IN_JAPANESE = re.compile(
    "[開間門問東車書見話進長時動電議選報場軍調統領導業員務華現語記義親設許認論費貿資質賃購館"
    "飯飲閣難監騰過決鎮災衛紛約審]"
)
# Words of Japanese news that Chinese says otherwise (嫌疑人, 执政党和在野党, 访美, 下降, 房租).
_JAPANESE_HAN_WORDS = re.compile("容疑者|与野党|訪米|訪中|訪日|低下|家賃|知事|衆院|参院|政権|株価")
_UKRAINIAN_LETTERS = re.compile("[їєґЇЄҐ]")
_RUSSIAN_LETTERS = re.compile("[ыэёЫЭЁ]")  # absent from Ukrainian, Bulgarian, Serbian, Macedonian
# Serbian Cyrillic's ђ ћ are in no other national alphabet, Macedonian's ѓ ќ ѕ in no other either;
# ј љ њ џ are shared by the two and nothing else in news.
_SERBIAN_LETTERS = re.compile("[ђћЂЋ]")
_MACEDONIAN_LETTERS = re.compile("[ѓќѕЃЌЅ]")
# One search for all three on the common path: most Cyrillic news is Russian or Ukrainian.
_SOUTH_SLAVIC_LETTERS = re.compile("[ђћЂЋѓќѕЃЌЅјљњџЈЉЊЏ]")
_NARROWED_LANGUAGES = {
    "serbian": frozenset(["sr"]),
    "macedonian": frozenset(["mk"]),
    "serbian-or-macedonian": frozenset(["sr", "mk"]),
    "ukrainian": frozenset(["uk", "rue"]),
    "russian-like": frozenset(
        [
            "ru",
            "be",
            "kk",
            "ky",
            "mn",
            "tg",
            "tt",
            "ba",
            "cv",
            "ce",
            "os",
            "sah",
            "av",
            "kv",
            "udm",
            "myv",
        ]
    ),
    "urdu": frozenset(["ur", "pa", "ks", "sd"]),
    "not-arabic": frozenset(
        ["fa", "ur", "ps", "ku", "ug", "sd", "ks", "pa", "bal", "mzn", "glk", "lrc"]
    ),
    "chinese": frozenset(["zh", "lzh", "gan"]),
    "japanese": frozenset(["ja"]),
}
_NARROWED_LANGUAGES["persian-like"] = _NARROWED_LANGUAGES["not-arabic"] - {"ur", "pa", "ks", "sd"}

# A model that reads Cyrillic text as Croatian, Bosnian or Serbo-Croatian has recognized Serbian:
# the other two are written in Latin letters only.
_SERBIAN_CYRILLIC_FOLDS = {"hbs": "sr", "hr": "sr", "bs": "sr"}
SCRIPT_FOLDS = {
    name: _SERBIAN_CYRILLIC_FOLDS for name in ("Cyrillic", "serbian", "serbian-or-macedonian")
}

# Languages that are also commonly written in Latin script are not ruled out for Latin text.
_LATIN_EXCLUDED = frozenset().union(*_SCRIPT_LANGUAGES.values()) - {
    "ku",
    "sr",
    "tt",
    "kk",
    "uz",
    "az",
}
# Scripts used by one language in news; Bengali is also Assamese's, Hebrew also Yiddish's, both
# rare in feeds. Arabic and Devanagari scripts are shared by several languages and never decide.
_DECISIVE_SCRIPTS = {
    "Hangul": "ko",
    "Kana": "ja",
    "Hebrew": "he",
    "Greek": "el",
    "Thai": "th",
    "Georgian": "ka",
    "Armenian": "hy",
    "Bengali": "bn",
}


def decide_by_script(counts: ScriptCounts) -> Language | None:
    """A language the script alone gives away, with a confidence that falls with mixed text."""
    kana = counts.by_script.get("Kana", 0)
    han = counts.by_script.get("Han", 0)
    if kana and (kana + han) * 2 >= counts.letters and kana >= KANA_SHARE_FOR_JAPANESE * han:
        return Language("ja", _script_confidence((kana + han) / counts.letters))
    script, share = counts.dominant()
    if script in _DECISIVE_SCRIPTS and share >= 0.5:
        return Language(_DECISIVE_SCRIPTS[script], _script_confidence(share))
    return None


def _script_confidence(share: float) -> float:
    # A text all in one decisive script was right in every bench case; half Latin is less sure.
    return round(0.5 + 0.49 * share, 4)


def narrow_languages(
    text: str,
    script: str | None,
    han_shapes: HanShapes | None = None,
    lexicon: Lexicon | None = None,
) -> str | None:
    """The script, or a narrower candidate set when letters peculiar to some languages show up."""
    if script == "Arabic":
        if _URDU_LETTERS.search(text):
            return "urdu"
        if _NOT_ARABIC_LETTERS.search(text):
            # Urdu's ے and ں are in nearly every Urdu sentence; a longer text without them is not.
            return "persian-like" if len(text) >= URDU_LETTERS_EXPECTED else "not-arabic"
    if script == "Cyrillic":
        if _SOUTH_SLAVIC_LETTERS.search(text):
            return _narrow_south_slavic(text)
        if _UKRAINIAN_LETTERS.search(text):
            return "ukrainian"
        if _RUSSIAN_LETTERS.search(text):
            return "russian-like"
    if script == "Han":
        chinese = _CHINESE_ONLY_HAN.search(text)
        japanese = (
            _JAPANESE_ONLY_HAN.search(text)
            or _JAPANESE_HAN_WORDS.search(text)
            or (
                _SIMPLIFIED_SHAPES_IN_JAPANESE.search(text)
                and _TRADITIONAL_SHAPES_IN_JAPANESE.search(text)
            )
        )
        if chinese and not japanese:
            return "chinese"
        if japanese and not chinese:
            return "japanese"
        if han_shapes is not None:
            han = "".join(keep_script(text, "Han").split())
            by_shape = han_standard(han, han_shapes)
            if by_shape is None and lexicon is not None:
                by_shape = han_words_standard(han, han_shapes, lexicon)
            return by_shape or script
    return script


def _narrow_south_slavic(text: str) -> str:
    if _SERBIAN_LETTERS.search(text):
        return "serbian"
    if _MACEDONIAN_LETTERS.search(text):
        return "macedonian"
    return "serbian-or-macedonian"


@lru_cache(maxsize=4096)
def fits_script(code: str, script: str | None) -> bool:
    """Whether `code` is written in `script`, or in the candidate set the letters narrowed it to."""
    if script == "Latin":
        return code not in _LATIN_EXCLUDED
    allowed = _NARROWED_LANGUAGES.get(script or "") or _SCRIPT_LANGUAGES.get(script or "")
    return allowed is None or code in allowed
