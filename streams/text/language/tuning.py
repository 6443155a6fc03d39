"""The numbers the language cascade was tuned with, each with the reason for its value.

Most were chosen on bench/data's tuning files; a change to one changes answers, so rerun
bench/language_bench.py on every set after it.
"""

from __future__ import annotations

# --- how much text is read ------------------------------------------------------------------------

# Both models are linear in length; the title and the summary's first sentence are enough, and
# fastText costs ~0.2 µs per UTF-8 byte; 150 characters keep Latin text near 30 µs.
MAX_CHARS = 150
# py3langid walks the text byte by byte in Python (~0.5 µs a byte); past 80 characters no tuning
# text changed its vote.
LANGID_MAX_CHARS = 80
SHORT_TEXT_LETTERS = 40  # below this fastText alone misses often on headlines and snippets

# --- the models' mixture --------------------------------------------------------------------------

# Below this probability for its best language the mixture is unsure, and py3langid is asked.
CONFIDENT_MIXTURE = 0.9
# Mixture weights (relative), tuned on bench/data's tuning files only.
FASTTEXT_WEIGHT = 0.3
ELD_WEIGHT = 0.3
LANGID_WEIGHT = 0.4
# ELD's similarity scores become probabilities by a softmax with this temperature, fitted on
# bench/data: a lead of 0.1 in score is a factor of e**(0.1 / 0.03), about 28.
ELD_TEMPERATURE = 0.03
# Labels kept from each model's ranking: fastText's k, ELD's scores, py3langid's first ranks.
TOP_K = 5

# --- ELD alone ------------------------------------------------------------------------------------

# ELD answers alone above these; on the tuning files every such answer was right.
ELD_MIN_LETTERS = 12
ELD_MIN_MARGIN = 0.1
ELD_SURE_CONFIDENCE = 0.98

# --- words and marker words -----------------------------------------------------------------------

# Word likelihoods are tempered: news words are not independent, and loanwords and names sit in
# every list. With this power a lead of one order of magnitude is a Bayes factor of ~3.2.
WORD_EVIDENCE_POWER = 0.5
# The words settle a group when the best language's likelihood leads the next by this many orders
# of magnitude (log10); below it, the models' votes and py3langid still count.
WORDS_DECISIVE_LOG10 = 1.0
MARKER_FACTOR = 4.0  # a marker word counts as a Bayes factor of 4 for its language in the group
MARKERS_COUNTED = 3  # marker words of one language in a text are not independent evidence
SERBIAN_LATIN_SHARE = 1 / 3  # no model here knows Serbian in Latin letters: an even share
DECISIVE_MARKERS = MARKER_FACTOR**2  # two marker (or yat) words more than any other member
# Share of a text's words in neither the Spanish nor the Portuguese list that makes it maybe
# Galician: Spanish and Portuguese news sentences of bench/data stay below it but for names,
# Galician ones mostly reach it.
GALICIAN_UNKNOWN_SHARE = 0.12

# --- letters --------------------------------------------------------------------------------------

# Urdu's ے and ں are in nearly every Urdu sentence: Arabic-script text this long (in characters)
# without them is not Urdu.
URDU_LETTERS_EXPECTED = 40
KANA_SHARE_FOR_JAPANESE = 0.05  # of CJK letters: one kana particle marks Japanese, Chinese has none

# --- priors and calibration -----------------------------------------------------------------------

# The feed's hint is a Bayes prior of 1.6 on its language: enough to break a near-tie, never
# enough to overturn a clear answer (tests/unit/test_language.py holds both).
HINT_PRIOR = 1.6
# Hindi outnumbers Marathi and Nepali in Devanagari news many times over; the models split
# two-word Hindi snippets with them (bench/data).
NEWS_PRIORS = {"hi": 2.0}
# The mixture is under-confident: on bench/data, texts given 0.4-0.5 were right 73% of the time.
# p**0.7 cut the log loss there from 0.158 to 0.125 and the calibration error from 0.09 to 0.06.
CALIBRATION_POWER = 0.7
