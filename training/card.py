"""The generated model card (README.md inside a model folder)."""

from __future__ import annotations

import yaml

from detector.meta import ModelMeta

_COLUMNS = ("n", "roc_auc", "average_precision", "f1", "precision", "recall", "fpr", "ece")


def _table(metrics: dict[str, dict]) -> list[str]:
    rows = ["| subset | " + " | ".join(_COLUMNS) + " |", "|---" * (len(_COLUMNS) + 1) + "|"]
    for name, m in metrics.items():
        cells = ["" if m.get(c) is None else str(m[c]) for c in _COLUMNS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def model_card(meta: ModelMeta) -> str:
    """Return a Markdown model card for ``meta``: purpose, calibration, metrics, provenance."""
    cfg = meta.training_config
    lines = [
        f"# {meta.name} {meta.version}",
        "",
        "Sentence-level detector of garbled English (machine-translation and article-spinner",
        "garbling), fine-tuned from "
        f"`{cfg.get('model', {}).get('base', '?')}` by `garble-train train`.",
        "",
        f"- labels: {meta.labels}; output: calibrated probability of `garbled`",
        f"- threshold: {meta.threshold} (chosen on the dev split: best F1 with a false-positive",
        f"  rate <= {cfg.get('calibration', {}).get('max_fpr', '?')} on clean dev sentences)",
        f"- calibration: {meta.calibration.method} a={meta.calibration.a:.4f} "
        f"b={meta.calibration.b:.4f} (fitted on the dev split)",
        f"- max length: {meta.max_length} tokens; package versions: {meta.versions}",
        "",
        "Metrics are on synthetic garbling of held-out documents (see `meta.json`); they say",
        "little about real MT or spun text, which needs `../shared/eval`-style evaluation.",
        "Per recipe: that recipe's garbled rows against all clean rows of the split.",
        "",
    ]
    for split in ("dev", "test"):
        if split in meta.metrics:
            lines += [f"## {split} metrics", "", *_table(meta.metrics[split]), ""]
    lines += [
        "## Training config",
        "",
        "```yaml",
        yaml.safe_dump(cfg, sort_keys=False).rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)
