"""Section 29: the MPNet teachers' ROC-AUC on every evaluation set of docs/EVALUATION.md, beside
the cached scores of the shipped model and the baselines (scripts/make_evaluation.py --cache).

    python runs/teacher-mpnet-0.6/evaluate_teacher.py texts --eval-dir ../shared/eval \
        --out /tmp/evalx/texts.jsonl.gz
    # the GPU machine scores them (runs/exp-distill-0.6/device.sh: extra-margins.jsonl.gz)
    python runs/teacher-mpnet-0.6/evaluate_teacher.py report --eval-dir ../shared/eval \
        --extra /tmp/evalx/extra-margins.jsonl.gz --data data/default --cache runs/eval-cache

The sentences of ../shared/eval and their margins stay outside the repo; only the table is kept.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]
from make_evaluation import own_test_sets, shared_sets  # noqa: E402

from training.prepare import load_prepared  # noqa: E402
from training.teacher_margins import read_margins  # noqa: E402

EVAL_FILES = ("mt_vs_human.jsonl", "cola_dev.jsonl")
CACHED = ("garble-detector", "tfidf", "perplexity")


def eval_texts(eval_dir: Path) -> list[str]:
    """The distinct sentences of the test-only files, in file order."""
    texts: dict[str, None] = {}
    for name in EVAL_FILES:
        with open(eval_dir / name, encoding="utf-8") as f:
            texts.update((json.loads(line)["text"], None) for line in f)
    return list(texts)


def _extra_margins(path: Path) -> list[float]:
    """The margins of extra-margins.jsonl.gz, in the order of the texts that were scored."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    if [r["i"] for r in rows] != list(range(len(rows))):
        raise ValueError(f"{path}: rows out of order")
    return [r["margin"] for r in rows]


def teacher_scores(args) -> dict[str, float]:
    """Text -> teacher margin (mean of the folds) for the own test split and the shared sets."""
    scores = dict(zip(eval_texts(args.eval_dir), _extra_margins(args.extra), strict=True))
    texts = list(load_prepared(args.data)["test"]["text"])  # margins checked row by row
    test = read_margins(REPO / "runs/teacher-mpnet-0.6/teacher-margins.jsonl.gz", "test", texts)
    scores.update(zip(texts, test, strict=True))
    return scores


def report(args) -> str:
    scorers = {"mpnet-teachers": teacher_scores(args)}
    for name in CACHED:
        saved = json.loads((args.cache / f"{name}.json").read_text(encoding="utf-8"))
        scorers[name] = saved["scores"]
    with tempfile.TemporaryDirectory() as tmp:
        sets = {**own_test_sets(args.data), **shared_sets(args.eval_dir, Path(tmp))}
    lines = ["| set | n | " + " | ".join(scorers) + " |", "|---|---|" + "---|" * len(scorers)]
    for name, data in sets.items():
        aucs = [roc_auc_score(data.labels, [s[t] for t in data.texts]) for s in scorers.values()]
        lines.append(
            f"| {name} | {len(data.texts)} | " + " | ".join(f"{a:.3f}" for a in aucs) + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["texts", "report"])
    parser.add_argument("--eval-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, help="texts: the JSONL.gz to write")
    parser.add_argument("--extra", type=Path, help="report: extra-margins.jsonl.gz")
    parser.add_argument("--data", default="data/default")
    parser.add_argument("--cache", type=Path, default=REPO / "runs/eval-cache")
    args = parser.parse_args()
    if args.step == "texts":
        with gzip.open(args.out, "wt", encoding="utf-8") as f:
            f.writelines(json.dumps({"text": t}) + "\n" for t in eval_texts(args.eval_dir))
    else:
        sys.stdout.write(report(args))


if __name__ == "__main__":
    main()
