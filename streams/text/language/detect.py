"""Identify the language of an article's text offline: script, ELD, words, fastText, py3langid.

The cheap answers come first: a script only one language writes (Hangul, Kana, Greek...), then
ELD (eldc, an n-gram detector in C, ~3 µs a text) when it is sure and its answer is not one of the
close groups it cannot tell apart. When ELD is sure of the group but not of the language in it,
the words decide: wordfreq's word frequencies where every member has a list (Indonesian/Malay,
Arabic/Persian/Urdu, the Cyrillic languages, Czech/Slovak, Danish/Norwegian, Spanish/Portuguese),
function words for Hindi/Marathi/Nepali, py3langid restricted to the group for
Spanish/Portuguese/Galician, and for Serbian/Croatian/Bosnian the yat reflex, marker words and
lingua's Croatian and Bosnian models. Han-only text is
narrowed to Chinese or Japanese by OpenCC's character shapes, else by the two word lists.
Everything else (short, mixed or unsure text) goes to a mixture of fastText's lid.176 and ELD,
weighed by the words, with py3langid joining when words do not settle it; letters and marker
words settle the close groups last.
Measured in bench/language_bench.py.

This module is the cascade, its steps in the order `detect_language` takes them. The models and
the reading of their answers are in models.py, the letter rules in letters.py, the close-language
rules in close.py, the numbers in tuning.py.
"""

from __future__ import annotations

from streams.records import UNDETERMINED, Language
from streams.text.language.close import (
    DEVANAGARI_GROUP,
    DEVANAGARI_MARKERS,
    SERBO_CROATIAN,
    SPLIT_BY_LANGID,
    WORD_GROUP_OF,
    decide_by_markers,
    may_be_galician,
    settle_close_languages,
    weigh_words,
    word_likelihoods,
    words_single_out,
)
from streams.text.language.letters import decide_by_script, fits_script, narrow_languages
from streams.text.language.lexicon import Lexicon, text_words
from streams.text.language.models import (
    Detector,
    EldResult,
    eld_distribution,
    fold_scores,
    langid_scores,
    mix,
    normalise_code,
    split_serbo_croatian,
)
from streams.text.language.tuning import (
    CALIBRATION_POWER,
    CONFIDENT_MIXTURE,
    ELD_MIN_LETTERS,
    ELD_MIN_MARGIN,
    ELD_SURE_CONFIDENCE,
    ELD_WEIGHT,
    FASTTEXT_WEIGHT,
    HINT_PRIOR,
    LANGID_WEIGHT,
    MAX_CHARS,
    NEWS_PRIORS,
    SHORT_TEXT_LETTERS,
    TOP_K,
    WORDS_DECISIVE_LOG10,
)
from streams.text.scripts import count_scripts, keep_script


def detect_language(
    text: str, detector: Detector, hint: str | None = None, min_confidence: float = 0.5
) -> Language:
    """Return the language of `text`; 'und' when unsure. The feed's `hint` only breaks near-ties."""
    flat = " ".join(text[: MAX_CHARS * 2].split())[:MAX_CHARS]
    counts = count_scripts(flat)
    if counts.letters == 0:
        return Language(UNDETERMINED, 0.0)
    decided = decide_by_script(counts)
    if decided is not None:
        return _threshold(decided, min_confidence)
    script, share = counts.dominant()
    model_text = keep_script(flat, script) if script and share < 1.0 else flat
    allowed = narrow_languages(flat, script, detector.han_shapes, detector.lexicon)
    lowered = model_text.lower()
    eld = detector.eld_model.detect_details(lowered)
    if _eld_is_sure(eld, counts.letters, allowed, lowered, detector.lexicon):
        assert eld.language is not None  # _eld_is_sure checked it
        return _threshold(Language(eld.language, ELD_SURE_CONFIDENCE), min_confidence)
    words = text_words(lowered)
    in_group = _decide_in_group(eld, counts.letters, allowed, words, detector.lexicon)
    if in_group is not None:
        return _threshold(in_group, min_confidence)
    eld_scores = eld_distribution(eld.scores, allowed)
    if _eld_is_sure_of_latin_group(eld, counts.letters, allowed):
        scores = _split_group(lowered, detector, allowed, eld_scores)
    else:
        scores = _score_with_models(lowered, words, counts.letters, detector, allowed, eld_scores)
    scores = _apply_news_prior(scores)
    if hint:
        scores = _apply_hint(scores, normalise_code(hint))
    if not scores:
        return Language(UNDETERMINED, 0.0)
    best = max(scores, key=scores.__getitem__)
    probability, max_confidence = scores[best], 1.0
    if script == "Latin":
        best, probability, max_confidence = settle_close_languages(
            scores, best, lowered, detector.lexicon
        )
    confidence = min(min(probability, 1.0) ** CALIBRATION_POWER, max_confidence)
    return _threshold(Language(best, round(confidence, 4)), min_confidence)


def _threshold(language: Language, min_confidence: float) -> Language:
    if language.confidence < min_confidence:
        return Language(UNDETERMINED, language.confidence)
    return language


# ELD's answers that letters must confirm (the narrowed candidate set), ...
_ELD_CONFIRMED_BY_LETTERS = {
    "ru": "russian-like",
    "uk": "ukrainian",
    "ar": "Arabic",
    "fa": "persian-like",
    "ur": "urdu",
    "zh": "chinese",
}
# ... languages it has no model for or confuses with a close one (it has no Indonesian,
# Galician, Bosnian or Macedonian), ...
_ELD_NEVER_ALONE = frozenset(
    ["ms", "hr", "sr", "be", "bg", "no", "da", "ja", "sk", "cs", "ku", "pa", "tl", "ca"]
)
# ... and Spanish and Portuguese, which it answers for Galician.
_ELD_UNLESS_GALICIAN = frozenset(["es", "pt"])


def _eld_is_sure(
    eld: EldResult, letters: int, allowed: str | None, text: str, lexicon: Lexicon
) -> bool:
    """ELD alone answers when it calls itself reliable, by a clear margin, on enough letters, and
    its answer is not a language it confuses with a close one the letters have not ruled out."""
    code = eld.language
    if not eld.reliable or code is None or letters < ELD_MIN_LETTERS:
        return False
    # The margin over the languages still possible: letters may have ruled out the runner-up.
    ranked = sorted(
        (score for other, score in eld.scores.items() if fits_script(other, allowed)),
        reverse=True,
    )
    if len(ranked) > 1 and ranked[0] - ranked[1] < ELD_MIN_MARGIN:
        return False
    if code in _ELD_CONFIRMED_BY_LETTERS:
        return allowed == _ELD_CONFIRMED_BY_LETTERS[code]
    if code in _ELD_NEVER_ALONE or not fits_script(code, allowed):
        return False
    if code in _ELD_UNLESS_GALICIAN:
        return not may_be_galician(code, text, lexicon)
    return True


def _decide_in_group(
    eld: EldResult, letters: int, allowed: str | None, words: list[str], lexicon: Lexicon
) -> Language | None:
    """ELD's answer when it is sure of the group but not of the language in it, settled by words:
    word frequencies where every member has a list, marker words for Hindi, Marathi and Nepali.
    None when the words do not settle it clearly."""
    code = eld.language
    if code is None or letters < ELD_MIN_LETTERS:
        return None
    # ELD calls Hindi unreliable because it scores Marathi within 0.01 of it: what counts there
    # is the group's lead over every other language.
    if allowed == "Devanagari" and code in DEVANAGARI_MARKERS:
        if _eld_group_margin(eld.scores, DEVANAGARI_GROUP, allowed) < ELD_MIN_MARGIN:
            return None
        return decide_by_markers(DEVANAGARI_MARKERS, words)
    group = WORD_GROUP_OF.get(code)
    if not eld.reliable:
        return None
    if group is None or not lexicon.covers(group):
        return None
    members = [member for member in group if fits_script(member, allowed)]
    if len(members) < 2 or _eld_group_margin(eld.scores, group, allowed) < ELD_MIN_MARGIN:
        return None
    if "es" in group and may_be_galician(code, " ".join(words), lexicon):
        return None
    likelihoods = word_likelihoods(members, words, allowed, lexicon)
    best, second = sorted(likelihoods.values(), reverse=True)[:2]
    if best - second < WORDS_DECISIVE_LOG10:
        return None
    return Language(max(likelihoods, key=likelihoods.__getitem__), ELD_SURE_CONFIDENCE)


def _eld_group_margin(
    scores: dict[str, float], group: frozenset[str], allowed: str | None
) -> float:
    """How far ELD's best language of the group leads its best other language the script allows."""
    inside = max((score for code, score in scores.items() if code in group), default=0.0)
    outside = max(
        (
            score
            for code, score in scores.items()
            if code not in group and fits_script(code, allowed)
        ),
        default=0.0,
    )
    return inside - outside


def _eld_is_sure_of_latin_group(eld: EldResult, letters: int, allowed: str | None) -> bool:
    """ELD is sure the Latin text is in Serbo-Croatian or in Spanish/Portuguese/Galician, and
    words could not tell which member."""
    group = SPLIT_BY_LANGID.get(eld.language or "")
    return (
        group is not None
        and allowed == "Latin"
        and eld.reliable
        and letters >= ELD_MIN_LETTERS
        and _eld_group_margin(eld.scores, group, allowed) >= ELD_MIN_MARGIN
    )


def _split_group(
    text: str, detector: Detector, script: str | None, eld: dict[str, float]
) -> dict[str, float]:
    """ELD's distribution mixed with py3langid's restricted to ELD's group. For Serbo-Croatian,
    when the yat and marker words already single out one standard, py3langid (~70% of this
    path's time) is not asked: ELD gives the three standards equal mass and the words decide."""
    best = max(eld, key=eld.__getitem__)
    if best in SERBO_CROATIAN.members:
        if words_single_out(text, detector.lexicon):
            return eld
        if detector.serbo_croatian is not None:
            return split_serbo_croatian(text, detector.serbo_croatian)
    second, second_excluded = langid_scores(detector.langid_for(best), text, script)
    return mix([(ELD_WEIGHT, eld, 0.0), (LANGID_WEIGHT, second, second_excluded)])


def _score_with_models(
    text: str,
    words: list[str],
    letters: int,
    detector: Detector,
    script: str | None,
    eld: dict[str, float],
) -> dict[str, float]:
    """fastText's distribution mixed with ELD's, weighed by word frequencies inside a close group,
    and mixed with py3langid's too when the text is short or unsure and words did not settle it.

    Mass a model puts on languages not written in the text's script is removed and the mixture
    renormalised: it is P(language | model, script), and a model that guessed another script
    (fastText reads short Chinese as Danish) loses its say. ELD's distribution is already
    restricted to the script.
    """
    labels, probs = detector.fasttext_model.predict(text, k=TOP_K)
    first, excluded = fold_scores(zip(labels, probs, strict=True), script)
    mixture = [(FASTTEXT_WEIGHT, first, excluded)]
    if eld:
        mixture.append((ELD_WEIGHT, eld, 0.0))
    scores, settled = weigh_words(mix(mixture), words, script, detector.lexicon)
    confident = max(scores.values(), default=0.0) >= CONFIDENT_MIXTURE
    if settled or (letters >= SHORT_TEXT_LETTERS and confident):
        return scores
    langid_model = detector.langid_for(max(scores, key=scores.__getitem__, default=""))
    second, second_excluded = langid_scores(langid_model, text, script)
    mixed = mix([*mixture, (LANGID_WEIGHT, second, second_excluded)])
    return weigh_words(mixed, words, script, detector.lexicon)[0]


def _apply_news_prior(scores: dict[str, float]) -> dict[str, float]:
    """Bayes with a prior for languages far more common in news than the ones the models confuse
    them with, renormalised; it matters only when the models are split."""
    if NEWS_PRIORS.keys().isdisjoint(scores):
        return scores
    weighted = {code: p * NEWS_PRIORS.get(code, 1.0) for code, p in scores.items()}
    total = sum(weighted.values())
    return {code: p / total for code, p in weighted.items()} if total else scores


def _apply_hint(scores: dict[str, float], hint: str) -> dict[str, float]:
    """Bayes with a prior of HINT_PRIOR on the hint's language, renormalised to total mass 1."""
    hinted = scores.get(hint)
    if not hinted:
        return scores
    norm = 1.0 + (HINT_PRIOR - 1.0) * hinted
    return {code: p * (HINT_PRIOR if code == hint else 1.0) / norm for code, p in scores.items()}
