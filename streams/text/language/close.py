"""Close languages the n-gram models split their vote between, and the words that tell them apart.

wordfreq's word frequencies decide where every member of a group has a list (Indonesian/Malay,
Arabic/Persian/Urdu, the Cyrillic languages, Czech/Slovak, Danish/Norwegian, Spanish/Portuguese);
function words decide Hindi/Marathi/Nepali; Galician is told from Spanish and Portuguese by words
and spellings each of them never writes; Serbian, Croatian and Bosnian by marker words and the yat
reflex. Marker words act as Bayes factors on the members of a group.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from streams.records import Language
from streams.text.language.lexicon import (
    Lexicon,
    count_yat_reflexes,
    serbian_latin,
    text_words,
    word_log10_likelihoods,
)
from streams.text.language.tuning import (
    CONFIDENT_MIXTURE,
    DECISIVE_MARKERS,
    ELD_SURE_CONFIDENCE,
    GALICIAN_UNKNOWN_SHARE,
    MARKER_FACTOR,
    MARKERS_COUNTED,
    WORD_EVIDENCE_POWER,
    WORDS_DECISIVE_LOG10,
)


@dataclass(frozen=True, slots=True)
class _CloseLanguages:
    """Latin-script languages the models split their vote between, and words that tell them apart.

    `markers` holds, per language, words spelled that way in it and not in the others of the
    group (`marker_letters` letters likewise); `max_confidence` caps the answer when the group has
    no reliable way to choose.
    """

    members: frozenset[str]
    markers: dict[str, frozenset[str]]
    marker_letters: dict[str, re.Pattern[str]] = field(default_factory=dict)
    max_confidence: float = 1.0
    # Serbo-Croatian: the models never separate its standards, so marker words always count,
    # and so does the yat reflex (e in Serbian, ije/je in Croatian and Bosnian).
    yat: bool = False


def _words(words: str) -> frozenset[str]:
    return frozenset(words.split())


_SERBIAN_AND_BOSNIAN = (
    " hiljada hiljade hiljadu uhapsila uhapsio uhapsili uhapšen uhapšena uhapšeni porodica"
    " porodice porodici porodicu penzija penzije penzioneri penzionera vanredni vanredne"
    " vanredno vanrednih fudbal fudbalski fudbalska fudbalera voz voza vozom zemljotres"
    " zemljotresa sedmica sedmice sedmicu sedmici pozorište pozorišta"
    # Month names (Croatian has its own: siječanj, veljača...), and words Croatian says
    # otherwise (tijekom, zračna luka, promet, veleposlanik, postotak, tko, što, kava).
    " januar januara januaru februar februara februaru mart marta martu april aprila"
    " aprilu maj maja maju jun juna junu juni jula julu juli septembar septembra"
    " septembru oktobar oktobra oktobru novembar novembra novembru decembar decembra"
    " decembru tokom aerodrom aerodroma aerodromu saobraćaj saobraćaja saobraćaju"
    " saobraćajna saobraćajne saobraćajnoj ambasador ambasadora ambasada ambasade"
    " ambasadi procenat procenata procenta zvaničnik zvaničnika zvaničnici ko šta kafa"
)
_CROATIAN_AND_BOSNIAN = " općina općine općini općinu općinski općinskog općinskih također"


# Markers leave out words the other language also uses in news: Indonesian "pejabat" (official),
# "polis" (insurance policy), "kereta api" and "kerajaan" (kingdom); Croatian "veće" (larger),
# Bosnian "proračun"; Spanish "polo"; Serbian "sedmica".
_CLOSE_LANGUAGES = (
    _CloseLanguages(
        members=frozenset(["id", "ms"]),
        markers={
            "ms": _words(
                "kerana bahawa baharu percuma selepas sahaja peratus isnin khamis jumaat faedah"
                " universiti perlawanan memaklumkan mengekalkan"
            ),
            "id": _words(
                "karena bahwa persen senin kamis jumat universitas kasus pertandingan uang mobil"
                " kantor"
            ),
        },
    ),
    _CloseLanguages(
        members=frozenset(["es", "pt", "gl"]),
        markers={
            # Galician writes x and nh where Spanish has j/g and n, and has no ã, õ or ç.
            "gl": _words(
                "unha unhas dunha nunha hoxe onte xente xunta concello goberno orzamento xuro"
                " xuros xeada choiva colexio colexios tamén despois pola cando moito conselleiro"
                " conselleira conselleiros conselleiras xaneiro xuño xullo decembro"
            ),
            "pt": _words("não também até governo pelo pela muito hoje ontem"),
            "es": _words(
                "gobierno también después presupuesto ayer hoy mañana del los las una año"
            ),
        },
        marker_letters={"pt": re.compile("[ãõç]")},
    ),
    # Latin-script Serbian, Croatian and Bosnian differ in their yat reflex (weighed apart, see
    # count_yat_reflexes) and in a few words; a headline often has none of them, so the answer is
    # never given as sure. Serbian and Bosnian share much vocabulary against Croatian (hiljada,
    # voz, porodica, uhapsiti vs tisuća, vlak, obitelj, uhititi), and Croatian and Bosnian write
    # ć where Serbian writes št (općina, saopćio vs opština, saopštio): a word listed under two
    # languages counts for both.
    _CloseLanguages(
        members=frozenset(["sr", "hr", "bs", "hbs"]),
        markers={
            "sr": _words(
                "posle reka deca mleko vreme sledeće nedelje cela cele celi celo celu celoj"
                " severna severne severni severno severnu severnoj istorija opština bezbednost"
                " podneo"
                # Ekavian forms of everyday news words (Croatian and Bosnian write ije/je), and
                # Serbian-only words: odsto (hr and bs posto).
                " predsednik predsednika predsedniku predsednica predsedništvo lekar lekari"
                " lekara cena cene cenu ceni vest vesti vetar vetra sneg snega svet sveta svetu"
                " mesto mesta mestu dete leto leta pesma uvek gde reč reči vek veka telo tela"
                " devojka devojke zvezda nedelja nedelju odsto istorijski istorijske gledišta"
                " primenu primena sprovođenje rešenje rešenja rešio rešila"
                " opštine opštini opštinu opštinski opštinske opštinskih saopštio saopštila"
                " saopštili saopštenje saopštenju saopštenja opšti opšte opšta opštih uopšte"
                " istorije istoriji istoriju istorijskih avgust avgusta avgustu takođe juče"
                + _SERBIAN_AND_BOSNIAN
            ),
            "hr": _words(
                "tisuća tjedan tjedna tjednu sveučilište nogomet nogometno vlak tko kruh"
                " zrakoplov središnja knjižnica knjižnice knjižnici knjižnicu siječnja veljače"
                " ožujka travnja svibnja lipnja srpnja kolovoza rujna listopada studenoga"
                " prosinca"
                " priopćio priopćila priopćili priopćenje priopćenju priopćenja prosvjed"
                " prosvjeda prosvjedi prosvjedu prosvjednici prosvjednika nogometni nogometaši"
                " uhitila uhitio uhitili uhićen uhićena uhićeni uhićenje obitelj obitelji"
                " kazalište kazališta tvrtka tvrtke tvrtki mirovina mirovine umirovljenici"
                " izvanredni izvanredne izvanredno izvanrednih glasovanje glasovanja sabor sabora"
                # Croatian words where Serbian and Bosnian say tokom, izveštaj/izvještaj,
                # aerodrom, saobraćaj, ambasador, procenat, zvaničnik.
                " tijekom izvješće izvješća izvješću zračna zračne zračnoj promet prometa prometu"
                " prometna prometne veleposlanik veleposlanika veleposlanstvo veleposlanstva"
                " postotak postotaka postotka dužnosnik dužnosnika dužnosnici ravnatelj"
                " ravnatelja ravnateljica županija županije županiji županijski tko"
                + _CROATIAN_AND_BOSNIAN
            ),
            "bs": _words(
                "historija historije historiji historiju sahat sahata kahva lahko"
                " saopćio saopćila saopćili saopćenje saopćenju saopćenja hljeb hljeba"
                # Bosnia and Herzegovina's institutions; august (sr avgust, hr kolovoz).
                " kanton kantona kantonu kantonalni kantonalne kantonalnog entitet entiteta"
                " entitetski federacije federaciji august augusta augustu"
                + _SERBIAN_AND_BOSNIAN
                + _CROATIAN_AND_BOSNIAN
            ),
        },
        max_confidence=0.6,
        yat=True,
    ),
)
_CLOSE_MEMBERS = frozenset().union(*(group.members for group in _CLOSE_LANGUAGES))
SERBO_CROATIAN = next(group for group in _CLOSE_LANGUAGES if group.yat)
_GALICIAN_MARKERS = _CLOSE_LANGUAGES[1].markers["gl"]
# Galician (and Portuguese) words no Spanish sentence uses: articles and contractions (as, das, ao,
# na), é (is), foi (was), ou (or), plus Galician's own. Left out: o (es "or"), a, no (es "not"),
# da (es "gives"), dos (es "two"), nos and os (es pronouns).
_GALICIAN_NOT_SPANISH = _words(
    "as das do na nas ao aos é foi foron ou unha unhas non tamén máis moi xa pola polo polas polos"
    " coa coas cos dende ata xente"
)
# Galician words Portuguese writes otherwise: en (em), un (um), non (não), millóns (milhões)...
_GALICIAN_NOT_PORTUGUESE = _words(
    "en un unha unhas non tamén moi xa pola polo polas polos coa coas cos dende ata foron están"
    " millóns dúas catro"
)
# Spanish spelling in a text ELD reads as Portuguese: ñ, -ción/-cións, ll (pt writes nh, ção, lh).
_SPANISH_SPELLING = re.compile("ñ|ción|cións|ll")
# Galician spelling in a text ELD reads as Spanish: -cións (es -ciones), nh (unha), x before a
# vowel at the start of a word (xente, xuño; es gente, junio), and a text opening with the
# article o, os or as (Spanish "o" is "or", which opens no sentence).
_GALICIAN_SPELLING = re.compile(r"cións|nh|\bx[aeiouáéíóú]|^(?:o|os|as) ")

# Close languages wordfreq has a word list for each of: the words of the text decide between them
# (lexicon.py). Serbian takes part in Cyrillic only: in Latin letters it shares one
# list with Croatian and Bosnian. Galician has no list, so Spanish and Portuguese are weighed by
# words only when no Galician marker word is present.
WORD_GROUPS = (
    frozenset(["id", "ms"]),
    frozenset(["ar", "fa", "ur"]),
    frozenset(["ru", "uk", "bg", "mk", "sr"]),
    frozenset(["cs", "sk"]),
    frozenset(["da", "no"]),
    frozenset(["es", "pt"]),
)
WORD_GROUP_OF = {code: group for group in WORD_GROUPS for code in group}
# Japanese and Chinese word lists, for Han-only text whose character shapes do not tell (han.py).
HAN_LISTS = frozenset(["ja", "zh"])

# Hindi, Marathi and Nepali share Devanagari and most n-grams (ELD scores them within 0.01), and
# Marathi and Nepali have no word list; their commonest function words differ. Hindi's को is also
# Nepali's genitive and ने also Marathi's instrumental, so neither is a marker.
DEVANAGARI_MARKERS = {
    "hi": _words("है हैं था थे थी के की का में से और पर भी लिए गया गई किया कहा रहा रही"),
    "mr": _words("आहे आहेत होते होती आणि मध्ये साठी यांनी केले झाली झाले असे"),
    "ne": _words("छ छन् थियो भएको गरेको र मा लागि गर्न भने हुने"),
}
DEVANAGARI_GROUP = frozenset(DEVANAGARI_MARKERS)
# Close groups without word lists for every member, where py3langid's second opinion is asked to
# split the group only (Slovenian and Catalan stay in as the nearest outsiders).
LANGID_GROUPS = (
    frozenset(["hr", "bs", "sr", "sl"]),
    frozenset(["es", "pt", "gl", "ca"]),
    DEVANAGARI_GROUP,
)
# Latin-script groups where ELD's sure group answer is split by py3langid restricted to the group,
# without fastText: on bench/data's tuning files it was as accurate and ~50 µs cheaper.
SPLIT_BY_LANGID = {code: group for group in LANGID_GROUPS[:2] for code in group}


def may_be_galician(eld_code: str, text: str, lexicon: Lexicon) -> bool:
    """Whether text ELD reads as Spanish or Portuguese may be Galician, which ELD has no model
    for and answers es or pt for, sure of itself. Such text goes on to the models that know it.

    Galician writes Portuguese-like articles and verbs (o, da, foi, é) with Spanish-like spelling
    (en, un, -ción, ñ), plus words of its own (unha, tamén, xa): Spanish text then holds a word
    Spanish never writes, Portuguese text a spelling Portuguese never uses. Failing that, many of
    its words are in neither the Spanish nor the Portuguese list.
    """
    words = _word_set(text)
    if not words.isdisjoint(_GALICIAN_MARKERS):
        return True
    not_spanish, not_portuguese = _not_spanish_not_portuguese(text, words)
    if not_spanish if eld_code == "es" else not_portuguese:
        return True
    return _unknown_to_spanish_and_portuguese(words, lexicon)


def _not_spanish_not_portuguese(text: str, words: frozenset[str]) -> tuple[bool, bool]:
    """Whether the text holds a word or spelling Spanish never writes, and one Portuguese never
    writes (_GALICIAN_NOT_SPANISH, _GALICIAN_SPELLING; _GALICIAN_NOT_PORTUGUESE,
    _SPANISH_SPELLING). Galician text shows both."""
    not_spanish = not words.isdisjoint(_GALICIAN_NOT_SPANISH) or bool(
        _GALICIAN_SPELLING.search(text)
    )
    not_portuguese = not words.isdisjoint(_GALICIAN_NOT_PORTUGUESE) or bool(
        _SPANISH_SPELLING.search(text)
    )
    return not_spanish, not_portuguese


def _word_set(text: str) -> frozenset[str]:
    """The text's words without the punctuation around them, for marker lookups."""
    return frozenset(text_words(text))


def _unknown_to_spanish_and_portuguese(words: frozenset[str], lexicon: Lexicon) -> bool:
    """At least two words, and GALICIAN_UNKNOWN_SHARE of them, in neither list. Spanish and
    Portuguese news sentences of bench/data stay below it but for names; Galician ones mostly
    reach it. A false alarm costs only time: the text goes on to the full mixture."""
    if not lexicon.covers(("es", "pt")):
        return False
    spanish, portuguese = lexicon.log10_frequencies["es"], lexicon.log10_frequencies["pt"]
    letters = [word for word in words if word.isalpha()]
    unknown = sum(1 for word in letters if word not in spanish and word not in portuguese)
    return unknown >= 2 and unknown >= GALICIAN_UNKNOWN_SHARE * len(letters)


def settle_close_languages(
    scores: dict[str, float], best: str, text: str, lexicon: Lexicon
) -> tuple[str, float, float]:
    """The best code, its probability and confidence cap, once close languages are pooled.

    Models split a group's mass (sr/hr/bs over three labels), so a group whose pooled mass beats
    the best single language wins; inside it, marker words act as Bayes factors on the members,
    read only when they could change the winner.
    """
    if _CLOSE_MEMBERS.isdisjoint(scores):
        return best, scores[best], 1.0
    for group in _CLOSE_LANGUAGES:
        pooled = sum(scores.get(code, 0.0) for code in group.members)
        if best not in group.members and pooled <= scores[best]:
            continue
        weights = {code: scores[code] for code in group.markers if code in scores}
        if not weights:
            return best, scores[best], group.max_confidence
        ranked = sorted(weights.values(), reverse=True)
        if group.yat or (len(ranked) > 1 and ranked[0] < MARKER_FACTOR * ranked[1]):
            factors = _member_factors(group, text, _word_set(text), lexicon)
            weights = {code: p * factors[code] for code, p in weights.items()}
        winner = max(weights, key=weights.__getitem__)
        return winner, pooled * weights[winner] / sum(weights.values()), group.max_confidence
    return best, scores[best], 1.0


def _member_factors(
    group: _CloseLanguages, text: str, words: frozenset[str], lexicon: Lexicon
) -> dict[str, float]:
    """The Bayes factor of each marked member of a close group: its marker words, for
    Serbo-Croatian the yat reflex (each ekavian word counts for Serbian, each ijekavian one for
    Croatian and Bosnian), and for Spanish/Portuguese/Galician the words or spellings each of
    Spanish and Portuguese never writes, and words in neither list (which count against both)."""
    factors = {code: _marker_factor(group, code, text, words) for code in group.markers}
    if group.yat and lexicon.covers(["sr"]):
        ekavian, ijekavian = count_yat_reflexes(words, lexicon)
        for code in factors:
            factors[code] *= MARKER_FACTOR ** (ekavian if code == "sr" else ijekavian)
    if "gl" in group.members:
        not_spanish, not_portuguese = _not_spanish_not_portuguese(text, words)
        unknown = _unknown_to_spanish_and_portuguese(words, lexicon)
        for code, against in (("es", not_spanish), ("pt", not_portuguese)):
            factors[code] /= MARKER_FACTOR ** (against + unknown)
    return factors


def _marker_factor(group: _CloseLanguages, code: str, text: str, words: frozenset[str]) -> float:
    """MARKER_FACTOR for each marker word of `code` in the text (up to MARKERS_COUNTED), and
    once for its marker letters."""
    letters = group.marker_letters.get(code)
    found = len(words & group.markers[code]) + bool(letters and letters.search(text))
    return MARKER_FACTOR ** min(found, MARKERS_COUNTED)


def words_single_out(text: str, lexicon: Lexicon) -> bool:
    """Whether marker words and the yat favour one Serbo-Croatian standard over both others by
    DECISIVE_MARKERS or more."""
    factors = _member_factors(SERBO_CROATIAN, text, _word_set(text), lexicon)
    first, second = sorted(factors.values(), reverse=True)[:2]
    return first >= DECISIVE_MARKERS * second


def decide_by_markers(markers: dict[str, frozenset[str]], words: list[str]) -> Language | None:
    """The one language whose marker words appear, or None when none or several do."""
    found = [code for code, marker_words in markers.items() if not marker_words.isdisjoint(words)]
    return Language(found[0], ELD_SURE_CONFIDENCE) if len(found) == 1 else None


def word_likelihoods(
    codes: Iterable[str], words: list[str], allowed: str | None, lexicon: Lexicon
) -> dict[str, float]:
    """log10 P(words | language); Serbian Cyrillic is looked up in its list's Latin spelling."""
    likelihoods = word_log10_likelihoods(words, [c for c in codes if c != "sr"], lexicon)
    if "sr" in codes:
        latin = serbian_latin(words) if allowed != "Latin" else words
        likelihoods.update(word_log10_likelihoods(latin, ["sr"], lexicon))
    return likelihoods


def weigh_words(
    scores: dict[str, float], words: list[str], allowed: str | None, lexicon: Lexicon
) -> tuple[dict[str, float], bool]:
    """The models' scores with the mass of the best language's word group redistributed by word
    likelihood, and whether the words settled the group (the langid second opinion is then moot)."""
    if not scores:
        return scores, False
    group = WORD_GROUP_OF.get(max(scores, key=scores.__getitem__))
    if group is None or not lexicon.covers(group):
        return scores, False
    members = [code for code in group if code in scores]
    if len(members) < 2 or ("es" in group and not _GALICIAN_MARKERS.isdisjoint(words)):
        return scores, False
    likelihoods = word_likelihoods(members, words, allowed, lexicon)
    top = max(likelihoods.values())
    weights = {
        code: scores[code] * 10 ** (WORD_EVIDENCE_POWER * (likelihoods[code] - top))
        for code in members
    }
    pooled, total = sum(scores[code] for code in members), sum(weights.values())
    weighed = dict(scores)
    for code in members:
        weighed[code] = pooled * weights[code] / total
    best, second = sorted(likelihoods.values(), reverse=True)[:2]
    return weighed, best - second >= WORDS_DECISIVE_LOG10 and pooled >= CONFIDENT_MIXTURE
