"""Sentences per second of each backend against a naive transformers pipeline, and cold start.

    python benchmarks/throughput.py                      # 2000 sentences, 5 cold starts each
    python benchmarks/throughput.py --quick              # 200 sentences, 1 cold start each
    python benchmarks/throughput.py --model lite --json throughput.json

In one run, on the same sentences: (a) the naive baseline, transformers
``pipeline("text-classification")`` on the default model in fp32, batch size 32, input in its
given (shuffled) order; (b) ``GarbleDetector`` with each backend (``torch``: fp32, sentences
sorted by length and padded per batch; ``onnx``: the int8 export) on the default model, and the
int8 export in ``--workers`` processes of one thread each (default: one per physical core, if
more than one); (c) the same for every extra ``--model``. Then the median wall time of
``garble score`` (a fresh process) on a 40-sentence article with each backend. Sentences are
the 20-30 word sentences of the clean news and Wikipedia text in ../shared/data, shuffled with
a fixed seed. Prints a Markdown table; ``--json`` also writes the numbers and the environment.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from detector.api import GarbleDetector
from detector.backends import BACKENDS, ONNX_MODEL, export_paths, physical_cores, runs_in_bf16
from detector.registry import DEFAULT_MODEL, MODEL_HELP, model_folder

logger = logging.getLogger("throughput")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SOURCES = (SHARED_DATA / "clean_news_en.jsonl", SHARED_DATA / "clean_wikitext_en.jsonl")
ARTICLE = Path(__file__).resolve().parent / "article40.txt"
NAIVE_BATCH_SIZE = 32
WARMUP = 8


@dataclass
class Throughput:
    """One scorer's speed on the benchmark sentences."""

    scorer: str
    model: str
    load_s: float
    sentences_per_s: float
    vs_naive: float | None = None


@dataclass
class ColdStart:
    """Median wall time of ``garble score`` on the article in a fresh process."""

    model: str
    backend: str
    runs: int
    median_s: float
    min_s: float


def news_length_sentences(
    sources: Sequence[Path], n: int, words: tuple[int, int] = (20, 30), seed: int = 0
) -> list[str]:
    """Return ``n`` sentences of 20-30 words from JSONL ``text`` fields, shuffled with ``seed``.

    The pool is repeated if it holds fewer than ``n`` sentences.
    """
    pool = []
    for source in sources:
        with open(source, encoding="utf-8") as f:
            texts = (json.loads(line)["text"] for line in f if line.strip())
            pool.extend(t for t in texts if words[0] <= len(t.split()) <= words[1])
    if not pool:
        raise ValueError(f"no sentences of {words[0]}-{words[1]} words in {list(sources)}")
    random.Random(seed).shuffle(pool)
    return (pool * (n // len(pool) + 1))[:n]


def sentences_per_second(score: Callable[[list[str]], object], sentences: list[str]) -> float:
    """Return how many sentences per second ``score`` handles, after a short warm-up."""
    score(sentences[:WARMUP])
    start = time.perf_counter()
    score(sentences)
    return len(sentences) / (time.perf_counter() - start)


def naive_pipeline(folder: Path, sentences: list[str]) -> Throughput:
    """Measure transformers' text-classification pipeline in fp32, batch 32, unsorted input."""
    from transformers import AutoTokenizer, pipeline

    from detector.weights import load_classifier

    start = time.perf_counter()
    # The folder's classifier in fp32 as transformers holds it (load_classifier reads int8
    # matrices and weights stored over a base encoder, which from_pretrained(folder) cannot).
    model, tokenizer = load_classifier(folder), AutoTokenizer.from_pretrained(folder)
    classify = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu")
    load = time.perf_counter() - start
    speed = sentences_per_second(
        lambda batch: classify(batch, batch_size=NAIVE_BATCH_SIZE, truncation=True), sentences
    )
    name = f"transformers pipeline fp32 (batch {NAIVE_BATCH_SIZE})"
    return Throughput(name, folder.name, load, speed, vs_naive=1.0)


def detector_speed(
    folder: Path, backend: str, sentences: list[str], workers: int = 1
) -> Throughput | None:
    """Measure ``GarbleDetector.score`` with one backend; None if the folder lacks its export.

    With ``workers`` > 1 the backend runs in that many processes, one thread each.
    """
    start = time.perf_counter()
    try:
        detector = GarbleDetector.from_pretrained(folder, backend=backend, workers=workers)
    except FileNotFoundError as exc:
        logger.warning("skipping %s with %s: %s", folder, backend, exc)
        return None
    load = time.perf_counter() - start
    try:
        speed = sentences_per_second(detector.score, sentences)
    finally:
        detector.close()
    onnx_precision = "int8" if export_paths(folder)[0].name == ONNX_MODEL else "fp32"
    precision = {"torch": "bf16" if runs_in_bf16(folder) else "fp32", "onnx": onnx_precision}
    label = f"{backend} {precision[backend]}"
    label += f" (batch {detector.batch_size}" + (f", {workers} processes)" if workers > 1 else ")")
    return Throughput(f"garble {label}", folder.name, load, speed)


def layouts(workers: int) -> list[tuple[str, int]]:
    """Return the (backend, processes) pairs to measure on each model."""
    return [(backend, 1) for backend in BACKENDS] + ([("onnx", workers)] if workers > 1 else [])


def cold_start(folder: Path, backend: str, runs: int) -> ColdStart | None:
    """Return the wall times of ``garble score ARTICLE`` in fresh processes; None if it fails."""
    command = [sys.executable, "-m", "detector.cli", "score", str(ARTICLE)]
    command += ["--model", str(folder), "--backend", backend, "--format", "json"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            logger.warning("garble score --backend %s failed: %s", backend, done.stderr.strip())
            return None
    return ColdStart(folder.name, backend, runs, statistics.median(times), min(times))


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def environment() -> dict:
    """Return the machine and package versions the numbers were taken on."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "cpus_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "",
        "physical_cores_available": physical_cores(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        **{p: _version(p) for p in ("torch", "transformers", "onnxruntime", "tokenizers")},
    }


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def markdown(speeds: list[Throughput], starts: list[ColdStart], env: dict, n: int) -> str:
    """Return the results as Markdown tables, ready to paste."""
    lines = [
        f"Throughput on {n} sentences of 20-30 words (one run, same process):",
        "",
        "| scorer | model | load (s) | sentences/s | vs naive |",
        "|---|---|---:|---:|---:|",
    ]
    for s in speeds:
        ratio = f"{s.vs_naive:.2f}x" if s.vs_naive else ""
        lines.append(
            f"| {s.scorer} | {s.model} | {s.load_s:.2f} | {s.sentences_per_s:.1f} | {ratio} |"
        )
    if starts:
        lines += [
            "",
            f"Cold start of `garble score` on a 40-sentence article ({ARTICLE.name}):",
            "",
            "| model | backend | runs | median (s) | min (s) |",
            "|---|---|---:|---:|---:|",
        ]
        lines += [
            f"| {c.model} | {c.backend} | {c.runs} | {c.median_s:.2f} | {c.min_s:.2f} |"
            for c in starts
        ]
    env_line = ", ".join(f"{k} {v}" for k, v in env.items())
    return "\n".join([*lines, "", f"Environment: {env_line}."])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 sentences, 1 cold start each")
    parser.add_argument("--n", type=int, help="sentences to score (default 2000, quick 200)")
    parser.add_argument("--cold-start-runs", type=int, help="per backend (default 5, quick 1)")
    parser.add_argument(
        "--default-model",
        type=model_folder,
        default=DEFAULT_MODEL,
        help=f"the naive baseline's model: {MODEL_HELP}",
    )
    parser.add_argument(
        "--model",
        type=model_folder,
        action="append",
        default=[],
        help=f"extra model: {MODEL_HELP} (repeatable)",
    )
    parser.add_argument(
        "--sentences", type=Path, action="append", help="JSONL with a text field (repeatable)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=physical_cores(),
        help="processes of the multi-process onnx row (default: physical cores; 1: no such row)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the Markdown tables."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    n = args.n or (200 if args.quick else 2000)
    runs = args.cold_start_runs if args.cold_start_runs is not None else (1 if args.quick else 5)
    env = environment()
    sentences = news_length_sentences(args.sentences or SOURCES, n)
    naive = naive_pipeline(args.default_model, sentences)
    speeds = [naive]
    for folder in [args.default_model, *args.model]:
        for backend, workers in layouts(args.workers):
            measured = detector_speed(folder, backend, sentences, workers)
            if measured:
                measured.vs_naive = measured.sentences_per_s / naive.sentences_per_s
                speeds.append(measured)
            logger.info("%s %s x%d done", folder.name, backend, workers)
    starts = [
        c
        for folder in [args.default_model, *args.model]
        for backend in BACKENDS
        if runs and (c := cold_start(folder, backend, runs))
    ]
    env["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    print(markdown(speeds, starts, env, n))
    if args.json:
        payload = {
            "environment": env,
            "sentences": n,
            "throughput": [asdict(s) for s in speeds],
            "cold_start": [asdict(c) for c in starts],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
