"""Compare language identifiers on bench/data: accuracy per language, texts/s on one core, p99.

Run: PYTHONPATH=. python bench/language_bench.py [--set tuning|heldout|fresh|fresh2|fresh3|all]
[--candidates a,b] [--exclude sr,hr,...] [--repeat N]. Prints numbers; asserts nothing.

Sets (each with sentences, two-word snippets, and "joined": each sentence with the next two of its
language, the size of a news item's title and summary):
- "tuning": langid_sentences.tsv and langid_snippets.tsv, which the thresholds and marker words
  were chosen on.
- "heldout": langid_heldout_*.tsv, 37 languages. First scores (shipped 0.984 sentences, 0.907
  snippets) were clean; rules added after reading its errors make later scores optimistic.
- "fresh": 33 languages, 17 in close groups. First scores at 21c82c3: 0.960 / 0.865 / 0.969
  (sentences / snippets / joined); the Galician, yat and OpenCC rules came after its errors.
- "fresh2": 25 languages. First scores at 55faf5c: 0.951 / 0.863 / 0.964; the Galician
  weighing, the yat fixes and the Han word lists came after its errors.
- "fresh3": 25 languages, written after the last rule. First scores at 0cd54a4: 0.962 / 0.892 /
  0.970. Quote this one until something is tuned on it.
Candidates: fastText lite alone, py3langid alone, ELD (eldc) alone, the shipped `detect_language`
(which uses lingua's Croatian, Bosnian and Serbian models only), lingua in low-accuracy mode over
all its languages and lingua in high-accuracy mode restricted to the languages of the data (its
load time and memory are measured in a fresh process). `--exclude` leaves labels out (e.g. the
Serbo-Croatian standards and Galician, which no candidate separates well) to show the rest.
Timing runs on one core, the candidates' passes interleaved; "cpu/wall" is this process's CPU
time over wall time while timing (well below 1.0: another process shared the core), and
"speed / eld" is texts/s over ELD's in the same passes, the figure to compare between runs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from streams.text.language.detect import detect_language
from streams.text.language.models import Detector, load_detector, normalise_code

DATA_DIR = Path(__file__).parent / "data"
SETS = {
    "tuning": {"sentences": "langid_sentences.tsv", "snippets": "langid_snippets.tsv"},
    "heldout": {
        "sentences": "langid_heldout_sentences.tsv",
        "snippets": "langid_heldout_snippets.tsv",
    },
    "fresh": {
        "sentences": "langid_fresh_sentences.tsv",
        "snippets": "langid_fresh_snippets.tsv",
    },
    "fresh2": {
        "sentences": "langid_fresh2_sentences.tsv",
        "snippets": "langid_fresh2_snippets.tsv",
    },
    "fresh3": {
        "sentences": "langid_fresh3_sentences.tsv",
        "snippets": "langid_fresh3_snippets.tsv",
    },
}
BASELINE = "eld"  # the speed ratio's denominator: the fastest candidate, timed in the same passes
CANDIDATES = ("fasttext-lite", "py3langid", "eld", "shipped", "lingua-low", "lingua-high-subset")
# The data's "no" is Norwegian Bokmål; lingua and py3langid call it "nb". Only the name differs.
SAME_LANGUAGE = {"nb": "no"}
LINGUA_CODES = {"no": "nb"}
CONFUSIONS_SHOWN = 8

Sample = tuple[str, str]  # (label, text)
Identify = Callable[[str], tuple[str, float]]


@dataclass(frozen=True, slots=True)
class Result:
    per_language: dict[str, float]
    overall: float
    texts_per_s: float
    p99_us: float
    cpu_share: float  # process CPU time / wall time while timing; well below 1.0: CPU contended
    confusions: Counter[tuple[str, str]]  # (label, answer) -> count, wrong answers only
    calibration: list[tuple[str, int, float, float]]


def read_samples(path: Path) -> list[Sample]:
    samples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, text = line.split("\t", 1)
            samples.append((label, text))
    return samples


def join_by_language(samples: list[Sample]) -> list[Sample]:
    by_language: dict[str, list[str]] = defaultdict(list)
    for label, text in samples:
        by_language[label].append(text)
    return [
        (label, "\n".join(texts[i : i + 3]))
        for label, texts in by_language.items()
        for i in range(len(texts))
    ]


def load_set(name: str, exclude: frozenset[str] = frozenset()) -> dict[str, list[Sample]]:
    datasets = {
        kind: [
            (label, text) for label, text in read_samples(DATA_DIR / file) if label not in exclude
        ]
        for kind, file in SETS[name].items()
    }
    # News-item size (title + summary): each sentence joined with the next two of its language.
    datasets["joined"] = join_by_language(datasets["sentences"])
    return datasets


# --- candidates --------------------------------------------------------------------------------


def lingua_installed() -> bool:
    try:
        import lingua  # noqa: F401
    except ImportError:
        return False
    return True


def build_candidates(
    names: Iterable[str], detector: Detector, labels: frozenset[str]
) -> dict[str, Identify]:
    def fasttext_lite(text: str) -> tuple[str, float]:
        answers, probs = detector.fasttext_model.predict(" ".join(text.split()).lower(), k=1)
        return normalise_code(answers[0]), float(probs[0])

    def py3langid(text: str) -> tuple[str, float]:
        code, prob = detector.langid_model.rank(text)[0]
        return normalise_code(code), float(prob)

    def eld(text: str) -> tuple[str, float]:
        result = detector.eld_model.detect_details(text)
        if result.language is None:
            return "und", 0.0
        return normalise_code(result.language), float(max(result.scores.values(), default=0.0))

    def shipped(text: str) -> tuple[str, float]:
        language = detect_language(text, detector, min_confidence=0.0)
        return language.code, language.confidence

    builders: dict[str, Callable[[], Identify]] = {
        "fasttext-lite": lambda: fasttext_lite,
        "py3langid": lambda: py3langid,
        "eld": lambda: eld,
        "shipped": lambda: shipped,
        "lingua-low": lambda: build_lingua(low_accuracy=True, codes=None),
        "lingua-high-subset": lambda: build_lingua(
            low_accuracy=False, codes=lingua_codes_for(labels)
        ),
    }
    return {name: builders[name]() for name in names}


def lingua_codes_for(labels: Iterable[str]) -> tuple[str, ...]:
    """The data's languages as lingua ISO 639-1 codes, leaving out those lingua does not know."""
    from lingua import Language

    known = {language.iso_code_639_1.name.lower() for language in Language.all()}
    return tuple(sorted(known & {LINGUA_CODES.get(label, label) for label in labels}))


def new_lingua_detector(low_accuracy: bool, codes: tuple[str, ...] | None) -> object:
    """A lingua detector with its models loaded now, so no text pays for loading them."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    if codes is None:
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        isos = [getattr(IsoCode639_1, code.upper()) for code in codes]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*isos)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def build_lingua(low_accuracy: bool, codes: tuple[str, ...] | None) -> Identify:
    model = new_lingua_detector(low_accuracy, codes)
    compute = model.compute_language_confidence_values  # type: ignore[attr-defined]

    def lingua(text: str) -> tuple[str, float]:
        values = compute(text)
        if not values:
            return "und", 0.0
        return values[0].language.iso_code_639_1.name.lower(), values[0].value

    return lingua


def lingua_footprint(low_accuracy: bool, codes: tuple[str, ...] | None) -> tuple[float, float]:
    """(seconds, MiB of max RSS) to build one lingua detector; run in a fresh process.

    lingua keeps its models in a process-wide cache shared by detectors, so a second detector in
    the same process would look cheaper than it is.
    """
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    new_lingua_detector(low_accuracy, codes)
    seconds = time.perf_counter() - started
    return seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def print_lingua_footprints(names: Iterable[str], labels: frozenset[str]) -> None:
    configs = {
        "lingua-low": (True, None),
        "lingua-high-subset": (False, lingua_codes_for(labels)),
    }
    context = multiprocessing.get_context("spawn")
    for name in names:
        if name not in configs:
            continue
        low_accuracy, codes = configs[name]
        with context.Pool(1) as pool:
            seconds, mib = pool.apply(lingua_footprint, configs[name])
        scope = "all 75 languages" if codes is None else f"{len(codes)} languages"
        missing = sorted(
            label for label in labels if codes and LINGUA_CODES.get(label, label) not in codes
        )
        unknown = f" (lingua has no {', '.join(missing)})" if missing else ""
        mode = "low-accuracy" if low_accuracy else "high-accuracy"
        print(
            f"{name}: {mode}, {scope}{unknown}; models preloaded in {seconds:.2f}s, "
            f"+{mib:.0f} MiB max RSS (fresh process)"
        )


# --- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    texts_per_s: float
    p99_us: float
    cpu_share: float  # process CPU time / wall time while timing; well below 1.0: CPU contended


def time_candidates(
    candidates: dict[str, Identify], samples: list[Sample], repeat: int
) -> dict[str, Timing]:
    """Time every candidate over `samples`, interleaving their passes: this machine's speed drifts
    by tens of percent within minutes, and interleaving keeps the ratios between them fair."""
    latencies: dict[str, list[int]] = defaultdict(list)
    elapsed: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    for index in range(repeat):
        for name, identify in candidates.items():
            if name.startswith("lingua") and index >= max(1, repeat // 10):
                continue  # ~100x slower: a tenth of the passes is enough for its figures
            start, cpu_start = time.perf_counter(), time.process_time()
            for _, text in samples:
                t0 = time.perf_counter_ns()
                identify(text)
                latencies[name].append(time.perf_counter_ns() - t0)
            elapsed[name] += time.perf_counter() - start
            cpu[name] += time.process_time() - cpu_start
    return {
        name: Timing(
            texts_per_s=len(latencies[name]) / elapsed[name],
            p99_us=statistics.quantiles(latencies[name], n=100)[98] / 1000,
            cpu_share=cpu[name] / elapsed[name],
        )
        for name in candidates
    }


def measure(identify: Identify, samples: list[Sample], timing: Timing) -> Result:
    per_language: dict[str, list[bool]] = defaultdict(list)
    confidences: list[tuple[float, bool]] = []
    confusions: Counter[tuple[str, str]] = Counter()
    for label, text in samples:
        code, confidence = identify(text)
        code = SAME_LANGUAGE.get(code, code)
        per_language[label].append(code == label)
        confidences.append((confidence, code == label))
        if code != label:
            confusions[(label, code)] += 1
    return Result(
        per_language={k: sum(v) / len(v) for k, v in sorted(per_language.items())},
        overall=sum(ok for _, ok in confidences) / len(confidences),
        texts_per_s=timing.texts_per_s,
        p99_us=timing.p99_us,
        cpu_share=timing.cpu_share,
        confusions=confusions,
        calibration=calibration_table(confidences),
    )


def calibration_table(confidences: list[tuple[float, bool]]) -> list[tuple[str, int, float, float]]:
    """(bin, count, mean confidence, accuracy) per confidence decile, for a reliability check."""
    bins: dict[int, list[tuple[float, bool]]] = defaultdict(list)
    for confidence, ok in confidences:
        bins[min(int(confidence * 10), 9)].append((confidence, ok))
    rows = []
    for index in sorted(bins):
        items = bins[index]
        rows.append(
            (
                f"{index / 10:.1f}-{(index + 1) / 10:.1f}",
                len(items),
                sum(c for c, _ in items) / len(items),
                sum(ok for _, ok in items) / len(items),
            )
        )
    return rows


# --- printing ----------------------------------------------------------------------------------


def short(accuracy: float) -> str:
    """1.00, .97: three characters for most cells of the per-language table."""
    return f"{accuracy:.2f}".removeprefix("0")


def print_summary(kinds: list[str], results: dict[str, dict[str, Result]]) -> None:
    header = (
        f"{'candidate':19}"
        + "".join(f"{kind:>10}" for kind in kinds)
        + " | texts/s "
        + " ".join(f"{kind[:4]:>8}" for kind in kinds)
        + " | p99 us "
        + " ".join(f"{kind[:4]:>6}" for kind in kinds)
        + " | cpu/wall"
        + (f" | speed / {BASELINE} " + " ".join(f"{kind[:4]:>5}" for kind in kinds))
    )
    print(header)
    baseline = results.get(BASELINE)
    for name, by_kind in results.items():
        ratios = " ".join(
            f"{by_kind[kind].texts_per_s / baseline[kind].texts_per_s:5.3f}"
            if baseline
            else "    -"
            for kind in kinds
        )
        print(
            f"{name:19}"
            + "".join(f"{by_kind[kind].overall:10.3f}" for kind in kinds)
            + " |         "
            + " ".join(f"{by_kind[kind].texts_per_s:8,.0f}" for kind in kinds)
            + " |        "
            + " ".join(f"{by_kind[kind].p99_us:6.0f}" for kind in kinds)
            + f" | {min(r.cpu_share for r in by_kind.values()):8.2f}"
            + f" |            {ratios}"
        )


def print_per_language(
    kinds: list[str], datasets: dict[str, list[Sample]], results: dict[str, dict[str, Result]]
) -> None:
    counts = {kind: Counter(label for label, _ in datasets[kind]) for kind in kinds}
    languages = sorted(set().union(*(counts[kind] for kind in kinds)))
    width = max(len(name) for name in results) + 1
    cell = max(width, 5 * len(kinds))
    print(f"per-language accuracy ({'/'.join(kinds)}):")
    print(f"{'lang':5}{'n':>10}" + "".join(f"{name:>{cell + 1}}" for name in results))
    for language in languages:
        n = "/".join(str(counts[kind][language]) for kind in kinds)
        row = [
            "/".join(short(by_kind[kind].per_language.get(language, 0.0)) for kind in kinds)
            for by_kind in results.values()
        ]
        print(f"{language:5}{n:>10}" + "".join(f"{value:>{cell + 1}}" for value in row))


def print_confusions(kinds: list[str], results: dict[str, dict[str, Result]]) -> None:
    print(f"hardest confusions (label>answer count, top {CONFUSIONS_SHOWN}):")
    for name, by_kind in results.items():
        for kind in kinds:
            top = by_kind[kind].confusions.most_common(CONFUSIONS_SHOWN)
            pairs = ", ".join(f"{label}>{code} {count}" for (label, code), count in top)
            print(f"  {name:19} {kind:9} {pairs or '-'}")


def print_calibration(kinds: list[str], result_by_kind: dict[str, Result]) -> None:
    print("shipped calibration (confidence bin: n, mean confidence, accuracy):")
    for kind in kinds:
        calibration = result_by_kind[kind].calibration
        total = sum(row[1] for row in calibration)
        error = sum(count / total * abs(conf - acc) for _, count, conf, acc in calibration)
        cells = "  ".join(
            f"{bin_name}: {count} {conf:.2f} {acc:.2f}"
            for bin_name, count, conf, acc in calibration
        )
        print(f"  {kind:9} ECE={error:.3f}  {cells}")


def report_set(
    name: str, datasets: dict[str, list[Sample]], candidates: dict[str, Identify], repeat: int
) -> None:
    kinds = list(datasets)
    languages = len({label for samples in datasets.values() for label, _ in samples})
    sizes = ", ".join(f"{kind} {len(samples)}" for kind, samples in datasets.items())
    print(f"\n=== {name} set: {sizes} texts; {languages} languages ===")
    timings = {
        kind: time_candidates(candidates, samples, repeat) for kind, samples in datasets.items()
    }
    results = {
        candidate: {
            kind: measure(identify, samples, timings[kind][candidate])
            for kind, samples in datasets.items()
        }
        for candidate, identify in candidates.items()
    }
    print_summary(kinds, results)
    print()
    print_per_language([k for k in kinds if k != "joined"], datasets, results)
    print()
    print_confusions(kinds, results)
    if "shipped" in results:
        print()
        print_calibration(kinds, results["shipped"])


def parse_candidates(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in CANDIDATES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown candidate {', '.join(unknown)}; choose from {', '.join(CANDIDATES)}"
        )
    return names


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over each file")
    parser.add_argument("--set", choices=(*SETS, "all"), default="all")
    parser.add_argument(
        "--exclude",
        type=lambda value: frozenset(code for code in value.split(",") if code),
        default=frozenset(),
        help="comma-separated labels to leave out, e.g. sr,hr,bs,gl",
    )
    parser.add_argument(
        "--candidates",
        type=parse_candidates,
        default=None,
        help=f"comma-separated, from {','.join(CANDIDATES)} (default: all that are installed)",
    )
    args = parser.parse_args()
    has_lingua = lingua_installed()
    names = args.candidates or [n for n in CANDIDATES if has_lingua or not n.startswith("lingua")]
    if not has_lingua and any(name.startswith("lingua") for name in names):
        parser.error("lingua is not installed: pip install lingua-language-detector")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the agent runs
    set_names = list(SETS) if args.set == "all" else [args.set]
    sets = {name: load_set(name, args.exclude) for name in set_names}
    labels = frozenset(label for s in sets.values() for d in s.values() for label, _ in d)

    # First, while this process is small: a forked child starts with its parent's max RSS.
    print_lingua_footprints(names, labels)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    detector = load_detector()
    load_s = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        "load_detector (ELD, fastText, py3langid, wordfreq, OpenCC, lingua hr/bs/sr): "
        f"{load_s:.2f}s, max RSS "
        f"{rss_before / 1024:.0f} MiB before, {rss_after / 1024:.0f} MiB after"
    )
    candidates = build_candidates(names, detector, labels)
    print(f"candidates: {', '.join(candidates)}; timing on CPU {sorted(os.sched_getaffinity(0))}")
    for name, datasets in sets.items():
        report_set(name, datasets, candidates, args.repeat)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:.0f} MiB (all candidates loaded together)")


if __name__ == "__main__":
    main()
