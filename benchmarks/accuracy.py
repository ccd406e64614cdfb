"""What the int8 ONNX backend costs in accuracy: torch fp32 and onnx int8 on the same labels.

    python benchmarks/accuracy.py data/default --split test          # a saved DatasetDict
    python benchmarks/accuracy.py ../shared/eval/mt_vs_human.jsonl  # a labelled JSONL (test only)

For each backend: ROC-AUC, average precision, F1, precision, recall and false-positive rate at
each backend's own threshold (the export carries its own, fitted on dev); between them: the
largest and mean absolute score difference and the
fraction of sentences flagged alike. Prints a Markdown table; ``--json`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
from pathlib import Path

import numpy as np

from detector.api import GarbleDetector
from detector.backends import BACKENDS
from detector.registry import DEFAULT_MODEL, MODEL_HELP, model_folder
from training.evaluate import LabelledData, read_labelled
from training.metrics import binary_metrics

logger = logging.getLogger("accuracy")

METRICS = ("roc_auc", "average_precision", "f1", "precision", "recall", "fpr")


def load_labelled(path: Path, split: str, text_field: str, label_field: str) -> LabelledData:
    """Return the rows of a labelled JSONL file or of one split of a saved DatasetDict."""
    if path.is_file():
        return read_labelled(path, text_field, label_field)
    from datasets import load_from_disk

    rows = load_from_disk(str(path))[split]
    labels = [int(y) for y in rows[label_field]]
    return LabelledData(list(rows[text_field]), labels, [""] * len(labels))


def sample(data: LabelledData, limit: int | None, seed: int = 0) -> LabelledData:
    """Return at most ``limit`` rows, drawn at random with a fixed seed."""
    if not limit or limit >= len(data.texts):
        return data
    keep = sorted(random.Random(seed).sample(range(len(data.texts)), limit))
    return LabelledData(
        [data.texts[i] for i in keep],
        [data.labels[i] for i in keep],
        [data.groups[i] for i in keep],
    )


def compare(
    labels: list[int], scores: dict[str, list[float]], thresholds: dict[str, float]
) -> dict:
    """Return each backend's metrics at its own threshold and how far the onnx scores are from
    the torch scores."""
    torch_s, onnx_s = np.asarray(scores["torch"]), np.asarray(scores["onnx"])
    diff = np.abs(torch_s - onnx_s)
    flags = (torch_s >= thresholds["torch"]) == (onnx_s >= thresholds["onnx"])
    return {
        "n": len(labels),
        "thresholds": thresholds,
        "metrics": {b: binary_metrics(labels, s, thresholds[b]) for b, s in scores.items()},
        "max_abs_score_diff": round(float(diff.max()), 4),
        "mean_abs_score_diff": round(float(diff.mean()), 4),
        "flag_agreement": round(float(flags.mean()), 4),
    }


def markdown(result: dict, data_name: str) -> str:
    """Return the comparison as a Markdown table, ready to paste."""
    m = result["metrics"]
    lines = [
        f"{data_name}: {result['n']} rows, thresholds {result['thresholds']}",
        "",
        "| backend | " + " | ".join(METRICS) + " |",
        "|---|" + "---:|" * len(METRICS),
    ]
    for backend in BACKENDS:
        lines.append(f"| {backend} | " + " | ".join(str(m[backend][k]) for k in METRICS) + " |")
    lines += [
        "",
        f"onnx vs torch: max |score difference| {result['max_abs_score_diff']}, "
        f"mean {result['mean_abs_score_diff']}, same flag on {result['flag_agreement']:.2%}",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="labelled JSONL, or a saved DatasetDict folder")
    parser.add_argument("--split", default="test", help="split of a DatasetDict (default test)")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--label-field", default="label")
    parser.add_argument("--model", type=model_folder, default=DEFAULT_MODEL, help=MODEL_HELP)
    parser.add_argument("--limit", type=int, help="score a seeded random sample of this many rows")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Score the data with both backends; print the comparison."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    data = sample(
        load_labelled(args.data, args.split, args.text_field, args.label_field), args.limit
    )
    scores, thresholds = {}, {}
    for backend in BACKENDS:
        detector = GarbleDetector.from_pretrained(args.model, backend=backend)
        thresholds[backend] = detector.threshold
        logger.info("scoring %d rows with %s", len(data.texts), backend)
        scores[backend] = detector.score(data.texts)
    result = compare(data.labels, scores, thresholds)
    print(markdown(result, args.data.name))
    if args.json:
        payload = {"data": str(args.data), "model": str(args.model), **result}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
