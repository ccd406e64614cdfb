"""Do worker processes pay? One process with 2 threads against 2 processes with 1 thread each.

    python -m benchmarks.processes [--model DIR] [--backend onnx] [--n 2000] [--repeats 2]

Scores the same news-length sentences (see ``throughput.py``) once in one process on 2 threads,
then split in two halves over 2 processes on 1 thread each (time: the slower process's scoring,
model loading excluded in both). Prints sentences/s of each, ``--repeats`` times alternating.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

from benchmarks.throughput import SOURCES, news_length_sentences
from detector.api import GarbleDetector
from detector.registry import DEFAULT_MODEL, MODEL_HELP, model_folder

WARMUP = 64


def scoring_seconds(job: tuple[str, str, list[str], int]) -> float:
    """Load the model with ``threads`` and return the seconds it takes to score ``texts``."""
    model, backend, texts, threads = job
    detector = GarbleDetector.from_pretrained(model, backend=backend, threads=threads)
    detector.score(texts[:WARMUP])
    start = time.perf_counter()
    detector.score(texts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=model_folder, default=DEFAULT_MODEL, help=MODEL_HELP)
    parser.add_argument("--backend", default="onnx", choices=["torch", "onnx"])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    texts = news_length_sentences(SOURCES, args.n)
    half = args.n // 2
    print("| layout | sentences/s |\n|---|---:|")
    for _ in range(args.repeats):
        one = scoring_seconds((args.model, args.backend, texts, 2))
        print(f"| 1 process x 2 threads | {args.n / one:.1f} |", flush=True)
        jobs = [
            (args.model, args.backend, texts[:half], 1),
            (args.model, args.backend, texts[half:], 1),
        ]
        with Pool(2) as pool:
            two = max(pool.map(scoring_seconds, jobs))
        print(f"| 2 processes x 1 thread | {args.n / two:.1f} |", flush=True)


if __name__ == "__main__":
    main()
