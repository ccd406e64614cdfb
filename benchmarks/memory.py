"""Peak memory of `garble batch` against corpus size: streaming must keep it flat.

    python benchmarks/memory.py --sizes 10000 100000 [--model DIR] [--backend onnx]
    python benchmarks/memory.py --sizes 10000 1000000 --tiny
    python benchmarks/memory.py --sizes 10000 50000 --backend onnx --workers 2

For each size, writes a JSONL corpus of that many news-length sentences (the benchmark
sentences of ``throughput.py``, repeated; ``id`` and ``text`` fields) into a temporary folder,
runs ``garble batch CORPUS -o OUT.jsonl`` in a fresh process and reads the peak RSS of its
largest process from ``wait4``; it also samples the summed RSS of the process and its worker
processes (``--workers``) every 0.2 s from /proc. Prints a Markdown table (rows, wall seconds,
rows/s, peak RSS in MB) and checks that every input row has exactly one output row.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.throughput import SOURCES, news_length_sentences

POOL = 5000


def write_corpus(path: Path, n: int) -> None:
    """Write ``n`` rows ``{"id", "text"}`` cycling through a pool of benchmark sentences."""
    pool = news_length_sentences(SOURCES, POOL)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "text": pool[i % POOL]}) + "\n")


def tree_rss_mb(pid: int) -> float:
    """Return the summed RSS in MB of process ``pid`` and its descendants (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        todo += [int(child) for child in children]
    return total / 1024


def peak_rss(cmd: list[str]) -> tuple[float, float, float]:
    """Run ``cmd``; return wall seconds, peak RSS (MB) of its largest process, peak summed RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    tree = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree = max(tree, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, tree


def tiny_random_model(folder: Path) -> Path:
    """Save a randomly initialised 2-layer BERT folder: the pipeline's cost without the model's.

    Scores are meaningless; it makes a 1M-row run take minutes rather than an hour on 2 cores.
    """
    from detector.meta import ModelMeta
    from training.config import ModelConfig
    from training.encoder import load_encoder

    layers = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2}
    model, tokenizer = load_encoder(ModelConfig(random_init={**layers, "intermediate_size": 64}), 0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ModelMeta("tiny-random", "0", max_length=96).save(folder)
    return folder


def count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--tiny", action="store_true", help="use a tiny random model instead")
    parser.add_argument("--backend", default="torch")
    parser.add_argument("--workers", type=int, default=1, help="garble batch --workers")
    args = parser.parse_args()
    print("| rows | wall s | rows/s | peak RSS MB | peak summed RSS MB |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        if args.tiny:
            args.model = str(tiny_random_model(Path(tmp) / "tiny"))
        for n in args.sizes:
            corpus, out = Path(tmp) / f"in{n}.jsonl", Path(tmp) / f"out{n}.jsonl"
            write_corpus(corpus, n)
            cmd = [sys.executable, "-m", "detector.cli", "batch", str(corpus), "-o", str(out)]
            cmd += ["--backend", args.backend, "--workers", str(args.workers), "--no-progress"]
            cmd += ["--model", args.model] if args.model else []
            wall, rss, tree = peak_rss(cmd)
            if count_lines(out) != n:
                raise RuntimeError(f"{out}: expected {n} rows")
            print(
                f"| {n:,} | {wall:.1f} | {n / wall:,.0f} | {rss:,.0f} | {tree:,.0f} |", flush=True
            )
            corpus.unlink()
            out.unlink()


if __name__ == "__main__":
    main()
