"""Compare model folders on one split of a prepared dataset (own data only: for choices).

    python scripts/compare_models.py --data data/default --split dev MODEL_DIR...

``--held-out-for CONFIG`` keeps only the rows whose document is also outside the training split
of another config's data (same sources, e.g. an older config): a fair comparison with a model
trained on that data. ``--unseen-by DATA`` keeps only the rows whose document is not in the
training split of another prepared dataset (e.g. one with more sentences of the same sources).
``--digits N`` prints N decimals (3 by default), for a bar that three leave close.

For each model: ROC-AUC of each garbling recipe (and each kind of MT round trip: single pivot,
chain, clause-only) against all clean rows, and at the model's own threshold the recall of
each recipe and the false-positive rate on each register's clean rows and on hard negatives.
"""

from __future__ import annotations

import argparse

import numpy as np
from datasets import load_from_disk
from sklearn.metrics import roc_auc_score

from detector.api import GarbleDetector
from training.calibrate import registers
from training.config import load_config
from training.prepare import assign_splits
from training.sources import CleanSentence


def held_out_docs(ds_all, config_path: str) -> set[str]:
    """Return the documents that the config's split puts in dev or test.

    Splits depend only on the set of document ids, the seed and the fractions, so they are
    recomputed from the documents of the config's sources present in this dataset.
    """
    config = load_config(config_path)
    names = {s.name for s in config.data.sources}
    docs = {
        d
        for split in ds_all.values()
        for d, s in zip(split["doc_id"], split["source"], strict=True)
        if s in names
    }
    stubs = [CleanSentence("", d, "", "") for d in sorted(docs)]
    splits = assign_splits(stubs, config.data, config.seed)
    return {s.doc_id for name in ("dev", "test") for s in splits[name]}


def mt_kind(detail: str) -> str:
    """Return the kind of an MT round trip from its detail: pivot, chain or clause."""
    if detail.startswith("partial:"):
        return "mt: clause only"
    return "mt: chain" if ">" in detail else "mt: one pivot"


def _groups(ds) -> dict[str, np.ndarray]:
    """Return the garbled subsets to compare, as row masks."""
    recipe, detail = np.array(ds["recipe"]), np.array(ds["detail"])
    label = np.array(ds["label"])
    out = {r: (recipe == r) for r in sorted(set(recipe[label == 1]))}
    pairs = zip(recipe, detail, strict=True)
    kinds = np.array([mt_kind(d) if r == "mt_round_trip" else "" for r, d in pairs])
    out.update({k: kinds == k for k in sorted(set(kinds) - {""})})
    return out


def compare(model_dir: str, ds, digits: int = 3) -> list[str]:
    """Return one Markdown row per metric group for this model, figures to ``digits`` places."""
    det = GarbleDetector.from_pretrained(model_dir)
    p = np.array(det.score(list(ds["text"])))
    y = np.array(ds["label"])
    t = det.threshold
    f = f".{digits}f"
    rows = [
        f"| {det.name} {det.meta.version} | all | {roc_auc_score(y, p):{f}} | "
        f"{(p[y == 1] >= t).mean():{f}} | |"
    ]
    for name, mask in _groups(ds).items():
        m = (y == 0) | mask
        rows.append(
            f"| | {name} | {roc_auc_score(y[m], p[m]):{f}} | {(p[mask] >= t).mean():{f}} | |"
        )
    regs = np.array(registers(ds))
    for reg in sorted(set(regs[y == 0])):
        m = (y == 0) & (regs == reg)
        rows.append(f"| | clean: {reg} (n={m.sum()}) | | | {(p[m] >= t).mean():{f}} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="model folders")
    parser.add_argument("--data", default="data/default")
    parser.add_argument("--split", default="dev", choices=["dev", "test"])
    parser.add_argument("--held-out-for", metavar="CONFIG", help="see the module docstring")
    parser.add_argument("--unseen-by", metavar="DATA", help="see the module docstring")
    parser.add_argument("--digits", type=int, default=3, help="decimals printed")
    args = parser.parse_args()
    dsd = load_from_disk(args.data)
    ds = dsd[args.split]
    if args.unseen_by:
        seen = set(load_from_disk(args.unseen_by)["train"]["doc_id"])
        ds = ds.filter(lambda row: row["doc_id"] not in seen)
        print(f"{len(ds)} {args.split} rows whose documents {args.unseen_by} does not train on\n")
    if args.held_out_for:
        keep = held_out_docs(dsd, args.held_out_for)
        ds = ds.filter(lambda row: row["doc_id"] in keep)
        print(f"{len(ds)} {args.split} rows whose documents {args.held_out_for} also held out\n")
    print("| model | subset | ROC-AUC | recall at threshold | FPR at threshold |")
    print("|---|---|---|---|---|")
    for model in args.models:
        print("\n".join(compare(model, ds, args.digits)))


if __name__ == "__main__":
    main()
