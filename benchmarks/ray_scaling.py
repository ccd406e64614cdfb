"""Rows per second of ``garble batch`` with the local engine and with ``--engine ray``.

    python benchmarks/ray_scaling.py                    # 2000 rows; local, ray 1 and 2 workers
    python benchmarks/ray_scaling.py --quick            # 100 rows (a smoke check)
    python benchmarks/ray_scaling.py --n 5000 --workers 1 2 4 --json ray_scaling.json

One input file of N rows, each a news-length sentence (20-30 words of the clean news and
Wikipedia text in ../shared/data, shuffled with a fixed seed), is scored by each engine in
turn with the shipped model (or ``--model``), in blocks of ``--chunk-size`` rows (default N / 20,
so that every worker gets blocks). A job's wall time includes loading the model (the Ray engine:
once per actor, in parallel) but not starting the local Ray instance, which is timed on its own.
Prints a Markdown table; ``--json`` also writes the numbers and the environment.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from throughput import SOURCES, environment, news_length_sentences  # benchmarks/throughput.py

from detector.api import GarbleDetector
from detector.batch.run import BatchJob, Engine, run_batch
from detector.registry import DEFAULT_MODEL, MODEL_HELP, model_folder

logger = logging.getLogger("ray_scaling")


@dataclass
class Measured:
    """One engine's job on the benchmark file."""

    engine: str
    workers: int
    rows: int
    wall_s: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s


def write_corpus(path: Path, sentences: list[str]) -> Path:
    """Write one JSONL row per sentence."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"text": s}) + "\n" for s in sentences)
    return path


def measure(job: BatchJob, model: Path, workers: int, engine: Engine | None) -> Measured:
    """Run one ``garble batch`` job with ``engine`` (None: local) and time it."""
    start = time.perf_counter()
    summary = run_batch(job, partial(GarbleDetector.from_pretrained, model), engine)
    wall = time.perf_counter() - start
    name = engine.name if engine else "local"
    logger.info("%s, %d workers: %.1f s", name, workers, wall)
    return Measured(name, workers, summary.rows_in, wall)


def markdown(results: list[Measured], ray_start_s: float, env: dict, chunk_size: int) -> str:
    """Return the results as a Markdown table, ready to paste."""
    local = next(r.rows_per_s for r in results if r.engine == "local")
    lines = [
        f"`garble batch` on {results[0].rows} news-length rows, blocks of {chunk_size} rows:",
        "",
        "| engine | workers | wall (s) | rows/s | vs local |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.engine} | {r.workers} | {r.wall_s:.1f} | {r.rows_per_s:.1f} "
        f"| {r.rows_per_s / local:.2f}x |"
        for r in results
    ]
    env_line = ", ".join(f"{k} {v}" for k, v in env.items())
    lines += ["", f"Starting the local Ray instance: {ray_start_s:.1f} s."]
    return "\n".join([*lines, f"Environment: {env_line}."])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 rows")
    parser.add_argument("--n", type=int, help="rows to score (default 2000, quick 100)")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="Ray actor counts (default: 1 2)"
    )
    parser.add_argument("--chunk-size", type=int, help="rows per block (default: N / 20)")
    parser.add_argument("--model", type=model_folder, default=DEFAULT_MODEL, help=MODEL_HELP)
    parser.add_argument(
        "--sentences", type=Path, action="append", help="JSONL with a text field (repeatable)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the Markdown table."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    import ray

    from detector.batch.ray_engine import RayEngine

    n = args.n or (100 if args.quick else 2000)
    chunk_size = args.chunk_size or max(n // 20, 1)
    env = environment()
    start = time.perf_counter()
    ray.init(num_cpus=max(args.workers), include_dashboard=False, logging_level=logging.WARNING)
    ray_start = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sentences = news_length_sentences(args.sentences or SOURCES, n)
        corpus = write_corpus(folder / "corpus.jsonl", sentences)
        engines = [(1, None), *((workers, RayEngine(workers)) for workers in args.workers)]
        results = []
        for i, (workers, engine) in enumerate(engines):
            out = folder / f"out-{i}.jsonl"
            job = BatchJob([str(corpus)], out, chunk_size=chunk_size)
            results.append(measure(job, args.model, workers, engine))
    ray.shutdown()
    env["load_average_1min_after"] = round(os.getloadavg()[0], 2)
    print(markdown(results, ray_start, env, chunk_size))
    if args.json:
        payload = {
            "environment": env,
            "rows": n,
            "chunk_size": chunk_size,
            "ray_start_s": ray_start,
            "results": [{**asdict(r), "rows_per_s": r.rows_per_s} for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
