"""Time per word of `score_text` on long inputs: linear time, bounded memory.

    python -m benchmarks.long_input [--model fast] [--backend auto]

Builds three texts from the sentences of ``benchmarks/article40.txt`` (repeated, in a fixed
shuffled order): a 1,000-word article, a 100,000-word article (paragraphs of five sentences)
and one 200,000-character line (no newline). Each is scored by ``GarbleDetector.score_text``
(segmentation and scoring) in a fresh process after one warm-up call (the 1,000-word
article: the median of 5 calls); the process reports the
seconds, the words, the sentences and its peak RSS (``ru_maxrss``). Prints a Markdown table
with each text's time per word as a ratio to the 1,000-word article's.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ARTICLE = Path(__file__).parent / "article40.txt"
CASES = ("article_1k", "article_100k", "line_200k")
REPEATS = 5


def _sentences() -> list[str]:
    text = ARTICLE.read_text(encoding="utf-8")
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if s]


def build(case: str, seed: int = 0) -> str:
    """Return the text of a benchmark case."""
    pool, rng = _sentences(), random.Random(seed)
    words, chars, out = 0, 0, []
    while True:
        s = rng.choice(pool)
        out.append(s)
        words += len(s.split())
        chars += len(s) + 1
        if case == "article_1k" and words >= 1_000:
            break
        if case == "article_100k" and words >= 100_000:
            break
        if case == "line_200k" and chars >= 200_000:
            return " ".join(out)[:200_000].rsplit(" ", 1)[0]
    paragraphs = [" ".join(out[i : i + 5]) for i in range(0, len(out), 5)]
    return "\n\n".join(paragraphs)


def measure(case: str, model: str, backend: str) -> dict:
    """Score one case in this process; return its figures."""
    from detector.api import GarbleDetector

    detector = GarbleDetector.from_pretrained(model, backend=backend)
    detector.score_text("The council met on Monday. It approved the plan.")  # warm-up
    text = build(case)
    times = []
    for _ in range(REPEATS if len(text) < 20_000 else 1):  # the short text: median of 5
        start = time.perf_counter()
        result = detector.score_text(text)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    words = len(text.split())
    return {
        "case": case,
        "chars": len(text),
        "words": words,
        "sentences": result.n_sentences,
        "seconds": round(seconds, 3),
        "ms_per_word": round(1000 * seconds / words, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="fast")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--case", choices=CASES, help="measure one case here (internal)")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(measure(args.case, args.model, args.backend)))
        return
    rows = []
    for case in CASES:
        command = [sys.executable, "-m", "benchmarks.long_input", "--case", case]
        command += ["--model", args.model, "--backend", args.backend]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]["ms_per_word"]
    print("| text | characters | words | sentences | seconds | ms/word | ratio | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['case']} | {r['chars']:,} | {r['words']:,} | {r['sentences']:,} | "
            f"{r['seconds']} | {r['ms_per_word']} | {r['ms_per_word'] / base:.2f} | "
            f"{r['peak_rss_mb']} |"
        )


if __name__ == "__main__":
    main()
