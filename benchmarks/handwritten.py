"""Handwritten sentences (benchmarks/handwritten.jsonl): a small own set that no recipe made.

    python benchmarks/handwritten.py [MODEL_FOLDER ...]   # default: the shipped default model

80 sentences written for this check, never trained on: 20 spun with tortured phrases ("bosom
malignancy", "irregular woodland"; some of these phrases are among the real spinner
substitutions the spinner recipe draws from), 20 with the word-by-word errors of older MT
systems, and 40 clean ones on the same topics in six registers. For each model folder and
backend (onnx where the folder has an export): ROC-AUC of each garbled kind against all clean
sentences, recall at the backend's own threshold, and the clean sentences flagged. Own data:
fit to choose between candidates, unlike ../shared/eval.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from detector.api import GarbleDetector
from detector.registry import DEFAULT_MODEL, MODEL_HELP, model_folder
from training.metrics import per_recipe_metrics

DATA = Path(__file__).with_name("handwritten.jsonl")


def rows() -> list[dict]:
    """Return the labelled sentences."""
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def report(folder: Path, backend: str, data: list[dict]) -> str:
    """Return one Markdown table row per garbled kind for one model and backend."""
    detector = GarbleDetector.from_pretrained(folder, backend=backend)
    scores = detector.score([r["text"] for r in data])
    metrics = per_recipe_metrics(
        [r["kind"] for r in data], [r["label"] for r in data], scores, detector.threshold
    )
    clean = metrics["clean (clean)"]
    flagged = round(clean["fpr"] * clean["n"])
    name = f"{detector.name} {detector.meta.version} ({folder}), {backend} {detector.threshold}"
    return "\n".join(
        f"| {name} | {kind} | {metrics[kind]['roc_auc']:.3f} | {metrics[kind]['recall']:.2f} "
        f"| {flagged} of {clean['n']} |"
        for kind in ("mt", "spinner")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "models",
        nargs="*",
        type=model_folder,
        help=f"{MODEL_HELP}, repeatable (default: {DEFAULT_MODEL})",
    )
    args = parser.parse_args()
    data = rows()
    print("| model, backend, threshold | garbled kind | ROC-AUC | recall | clean flagged |")
    print("|---|---|---|---|---|")
    for folder in args.models or [model_folder(DEFAULT_MODEL)]:
        for backend in ("torch", "onnx") if (folder / "onnx").is_dir() else ("torch",):
            print(report(folder, backend, data))


if __name__ == "__main__":
    main()
