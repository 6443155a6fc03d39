"""Compare language identifiers on bench/data: accuracy per language, texts/s on one core, p99.

Run: PYTHONPATH=. python bench/language_bench.py [--repeat N]. Prints numbers; asserts nothing.
Candidates: fastText lite alone, py3langid alone, the shipped `detect_language`, and lingua when
it is installed (low-accuracy mode, all languages).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from streams.text.language import Detector, detect_language, load_detector, normalize_code

DATA_DIR = Path(__file__).parent / "data"
DATA_FILES = ("langid_sentences.tsv", "langid_snippets.tsv")

Sample = tuple[str, str]  # (label, text)
Identify = Callable[[str], tuple[str, float]]


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


def build_candidates(detector: Detector) -> dict[str, Identify]:
    def fasttext_lite(text: str) -> tuple[str, float]:
        labels, probs = detector.fasttext_model.predict(" ".join(text.split()).lower(), k=1)
        return normalize_code(labels[0]), float(probs[0])

    def py3langid(text: str) -> tuple[str, float]:
        code, prob = detector.langid_model.rank(text)[0]
        return normalize_code(code), float(prob)

    def shipped(text: str) -> tuple[str, float]:
        language = detect_language(text, detector, min_confidence=0.0)
        return language.code, language.confidence

    candidates: dict[str, Identify] = {
        "fasttext-lite": fasttext_lite,
        "py3langid": py3langid,
        "shipped": shipped,
    }
    lingua = build_lingua()
    if lingua is not None:
        candidates["lingua-low"] = lingua
    return candidates


def build_lingua() -> Identify | None:
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    model = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

    def lingua_low(text: str) -> tuple[str, float]:
        values = model.compute_language_confidence_values(text)
        if not values:
            return "und", 0.0
        return values[0].language.iso_code_639_1.name.lower(), values[0].value

    return lingua_low


def measure(identify: Identify, samples: list[Sample], repeat: int) -> dict[str, object]:
    per_language: dict[str, list[bool]] = defaultdict(list)
    confidences: list[tuple[float, bool]] = []
    for label, text in samples:
        code, confidence = identify(text)
        per_language[label].append(code == label)
        confidences.append((confidence, code == label))
    latencies = []
    start = time.perf_counter()
    for _ in range(repeat):
        for _, text in samples:
            t0 = time.perf_counter_ns()
            identify(text)
            latencies.append(time.perf_counter_ns() - t0)
    elapsed = time.perf_counter() - start
    return {
        "per_language": {k: sum(v) / len(v) for k, v in sorted(per_language.items())},
        "overall": sum(ok for _, ok in confidences) / len(confidences),
        "texts_per_s": len(latencies) / elapsed,
        "p99_us": statistics.quantiles(latencies, n=100)[98] / 1000,
        "calibration": calibration_table(confidences),
    }


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


def print_report(name: str, dataset: str, result: dict[str, object]) -> None:
    per_language = result["per_language"]
    assert isinstance(per_language, dict)
    cells = " ".join(f"{code}:{acc:.2f}" for code, acc in per_language.items())
    print(
        f"{name:14} {dataset:10} overall={result['overall']:.3f} "
        f"texts/s={result['texts_per_s']:,.0f} p99={result['p99_us']:.0f}us"
    )
    print(f"    {cells}")
    if name == "shipped":
        calibration = result["calibration"]
        assert isinstance(calibration, list)
        print("    calibration (bin, n, mean confidence, accuracy):")
        expected_error = 0.0
        total = sum(row[1] for row in calibration)
        for bin_name, count, mean_conf, accuracy in calibration:
            print(f"      {bin_name} n={count:4} conf={mean_conf:.2f} acc={accuracy:.2f}")
            expected_error += count / total * abs(mean_conf - accuracy)
        print(f"    expected calibration error={expected_error:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over each file")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the agent runs
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    detector = load_detector()
    load_s = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"load_detector: {load_s:.2f}s, max RSS {rss_before / 1024:.0f} MiB before, "
        f"{rss_after / 1024:.0f} MiB after"
    )
    candidates = build_candidates(detector)
    datasets = {name: read_samples(DATA_DIR / name) for name in DATA_FILES}
    # Title + summary size: each sentence joined with the next two of its language, ~250 chars.
    datasets["langid_joined.tsv"] = join_by_language(datasets["langid_sentences.tsv"])
    for dataset, samples in datasets.items():
        languages = len({label for label, _ in samples})
        print(f"\n{dataset}: {len(samples)} texts, {languages} languages")
        for name, identify in candidates.items():
            repeat = args.repeat if not name.startswith("lingua") else max(1, args.repeat // 10)
            print_report(
                name, dataset.split("_")[1].removesuffix(".tsv"), measure(identify, samples, repeat)
            )


if __name__ == "__main__":
    main()
