"""Evaluation output: metrics.json, ROC / precision-recall / reliability PNGs, a Markdown report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from training.metrics import calibration_bins, has_both_labels

COLUMNS = (
    "n",
    "roc_auc",
    "roc_auc_length_held",
    "average_precision",
    "precision",
    "recall",
    "f1",
    "fpr",
    "mcc",
    "ece",
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure():
    return _pyplot().subplots(figsize=(5, 4.5), dpi=100)


def _save(fig, ax, path: Path, title: str, xlabel: str, ylabel: str) -> Path:
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    _pyplot().close(fig)
    return path


def write_plots(out: Path, labels: Sequence[int], scores: dict[str, list[float]]) -> list[Path]:
    """Write roc.png, pr.png and reliability.png (all scorers on the same axes); return paths."""
    y = np.asarray(labels)
    both = has_both_labels(y)
    (fig1, roc), (fig2, pr), (fig3, rel) = _figure(), _figure(), _figure()
    for ax in () if both else (roc, pr):
        ax.text(0.5, 0.5, "undefined: the rows have one label", ha="center", va="center")
    for name, s in scores.items():
        if both:
            fpr, tpr, _ = roc_curve(y, s)
            roc.plot(fpr, tpr, label=name)
            precision, recall, _ = precision_recall_curve(y, s)
            pr.plot(recall, precision, label=name)
        mean_score, frac_garbled, _ = zip(*calibration_bins(labels, s), strict=True)
        rel.plot(mean_score, frac_garbled, "o-", label=name)
    roc.plot([0, 1], [0, 1], ":", color="grey")
    rel.plot([0, 1], [0, 1], ":", color="grey", label="perfect calibration")
    return [
        _save(fig1, roc, out / "roc.png", "ROC", "false-positive rate", "true-positive rate"),
        _save(fig2, pr, out / "pr.png", "Precision-recall", "recall", "precision"),
        _save(
            fig3,
            rel,
            out / "reliability.png",
            "Reliability",
            "mean score (bin)",
            "fraction garbled",
        ),
    ]


def _fmt(value) -> str:
    return "" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def table(results: dict) -> str:
    """Return a Markdown table: one row per (group, scorer)."""
    lines = ["| group | scorer | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
    groups = sorted(
        {g for r in results.values() for g in r["groups"]}, key=lambda g: (g == "all", g)
    )
    for group in groups:
        for name, r in results.items():
            m = r["groups"].get(group, {})
            lines.append(
                f"| {group} | {name} | " + " | ".join(_fmt(m.get(c)) for c in COLUMNS) + " |"
            )
    return "\n".join(lines)


def write_report(out: Path, data_path: str, results: dict, plots: list[Path]) -> Path:
    """Write metrics.json and report.md (table and embedded plots) into ``out``."""
    (out / "metrics.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    thresholds = ", ".join(f"{n}: {r['threshold']}" for n, r in results.items())
    body = [
        f"# Evaluation of `{Path(data_path).name}`",
        "",
        f"Threshold-based columns use each scorer's own threshold ({thresholds}).",
        "",
        table(results),
        "",
        *[f"![{p.stem}]({p.name})" for p in plots],
        "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(body), encoding="utf-8")
    return path
