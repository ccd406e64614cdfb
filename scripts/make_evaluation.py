"""Regenerate docs/EVALUATION.md: the shipped model and the baselines on every evaluation set.

    python scripts/make_evaluation.py --eval-dir ../shared/eval --data data/default --out docs

Sets: the own test split (each garbling recipe against all clean rows), ../shared/eval's
mt_vs_human per subset and cola_dev. The shared files are read only; nothing of them is written
into the repo except metrics and plots.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path

from detector.api import GarbleDetector
from training.baselines import load_scorer
from training.evaluate import LabelledData, evaluate, read_labelled
from training.prepare import load_prepared
from training.report import table, write_plots

logger = logging.getLogger("make_evaluation")


class CachedScorer:
    """Wraps a scorer so that a sentence shared by several sets is scored once.

    With ``path`` the scores also persist in a JSON file, reused by a later run only while the
    scorer's fingerprint (its threshold and calibration) is unchanged.
    """

    def __init__(self, scorer, path: Path | None = None) -> None:
        self.scorer = scorer
        self.threshold = scorer.threshold
        self.path = path
        identity = getattr(scorer, "meta", None) or getattr(scorer, "info", None)
        self.fingerprint = repr((scorer.threshold, identity))
        self.cache: dict[str, float] = {}
        if path is not None and path.is_file():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("fingerprint") == self.fingerprint:
                self.cache = saved["scores"]

    def score(self, texts: list[str]) -> list[float]:
        missing = sorted(set(texts) - set(self.cache))
        if missing:
            self.cache.update(zip(missing, self.scorer.score(missing), strict=True))
            if self.path is not None:
                payload = {"fingerprint": self.fingerprint, "scores": self.cache}
                self.path.write_text(json.dumps(payload), encoding="utf-8")
        return [self.cache[t] for t in texts]


def _slug(name: str) -> str:
    """Return a folder name for an evaluation set's plots."""
    return "".join(c if c.isalnum() else "_" for c in name).strip("_").lower()


def mt_subset(row: dict) -> str:
    """Return the subset of an mt_vs_human row named in the evaluation plan."""
    if str(row.get("testset", "")).startswith("WMT21 TED"):
        return "TED (WMT21 zh-en, MQM)"
    if row.get("year") == 2021:
        return f"WMT21 {row.get('sample_stratum')}"
    return "WMT08-14"


def own_test_sets(data_dir: str) -> dict[str, LabelledData]:
    """Return one set per garbling recipe: its test rows plus every clean test row."""
    test = load_prepared(data_dir)["test"]
    clean = [i for i, y in enumerate(test["label"]) if y == 0]
    sets = {}
    for recipe in sorted({r for r, y in zip(test["recipe"], test["label"], strict=True) if y}):
        idx = clean + [i for i, r in enumerate(test["recipe"]) if r == recipe]
        rows = test.select(idx)
        sets[f"own test: {recipe}"] = LabelledData(rows["text"], rows["label"], ["all"] * len(rows))
    return sets


def shared_sets(eval_dir: Path, tmp: Path) -> dict[str, LabelledData]:
    """Return mt_vs_human per subset and cola_dev (read from eval_dir, never copied)."""
    mt_path = tmp / "mt.jsonl"
    with open(eval_dir / "mt_vs_human.jsonl", encoding="utf-8") as f, open(mt_path, "w") as out:
        for line in f:
            row = json.loads(line)
            out.write(
                json.dumps({"text": row["text"], "label": row["label"], "subset": mt_subset(row)})
                + "\n"
            )
    mt = read_labelled(mt_path, group_by=["subset"])
    sets = {}
    for subset in sorted(set(mt.groups)):
        idx = [i for i, g in enumerate(mt.groups) if g == subset]
        name = "mt_vs_human " + subset.split("=", 1)[1]
        sets[name] = LabelledData(
            [mt.texts[i] for i in idx], [mt.labels[i] for i in idx], ["all"] * len(idx)
        )
    sets["cola_dev"] = read_labelled(eval_dir / "cola_dev.jsonl")
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", default="../shared/eval")
    parser.add_argument("--data", default="data/default", help="prepared dataset (own test split)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--baseline", action="append", default=None)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--cache", help="folder to keep scores in between runs (optional)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    cache = Path(args.cache) if args.cache else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)

    def cached(name: str, scorer) -> CachedScorer:
        return CachedScorer(scorer, cache / f"{name}.json" if cache else None)

    scorers = {
        "garble-detector": cached("garble-detector", GarbleDetector.from_pretrained(args.model))
    }
    scorers.update({b: cached(b, load_scorer(b)) for b in args.baseline or ["tfidf", "perplexity"]})
    out = Path(args.out)
    plots_dir = out / "evaluation"
    plots_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sets = {**own_test_sets(args.data), **shared_sets(Path(args.eval_dir), Path(tmp))}
    results = {}
    for name, data in sets.items():
        logger.info("evaluating %s (%d rows)", name, len(data.texts))
        res, scores = evaluate(data, scorers)
        results[name] = res
        slug = _slug(name)
        (plots_dir / slug).mkdir(exist_ok=True)
        write_plots(plots_dir / slug, data.labels, scores)
    (plots_dir / "metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "EVALUATION.md").write_text(render(results, scorers))


MODEL = "garble-detector"
# ROC-AUC targets of issue 4 per set name (prefix match); None: only "above the baselines".
AUC_TARGETS = {
    "own test": 0.97,
    "mt_vs_human WMT08-14": 0.80,
    "cola_dev": 0.70,
    "mt_vs_human WMT21": 0.50,
    "mt_vs_human TED": 0.50,
}


def _target(name: str) -> float:
    return next(v for k, v in AUC_TARGETS.items() if name.startswith(k))


def targets_table(results: dict) -> str:
    """Return the Markdown summary of the model against issue 4's targets, set by set."""
    lines = [
        "| set | model ROC-AUC | target | best baseline | margin | FPR on clean | recall | ECE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, res in results.items():
        model = res[MODEL]["groups"]["all"]
        base = {k: v["groups"]["all"]["roc_auc"] for k, v in res.items() if k != MODEL}
        best = max(base, key=base.get)
        target = _target(name)
        need = max(target, base[best] + (0.0 if name.startswith("own") else 0.05))
        met = "met" if model["roc_auc"] >= need else f"missed by {need - model['roc_auc']:.3f}"
        lines.append(
            f"| {name} | {model['roc_auc']:.3f} ({met}) | >= {target:.2f} | {best} "
            f"{base[best]:.3f} | {model['roc_auc'] - base[best]:+.3f} | {model['fpr']:.3f} | "
            f"{model['recall']:.3f} | {model['ece']:.3f} |"
        )
    return "\n".join(lines)


def render(results: dict, scorers: dict) -> str:
    """Return the EVALUATION.md text: one table per set, with links to its plots."""
    thresholds = ", ".join(f"{n} {s.threshold}" for n, s in scorers.items())
    lines = [
        "# Evaluation",
        "",
        "Generated by",
        "`python scripts/make_evaluation.py --eval-dir ../shared/eval --data data/default`",
        "(after `garble-train prepare --config configs/default.yaml` for the own test split).",
        f"Threshold-based columns use each scorer's own dev-chosen threshold ({thresholds}).",
        "`../shared/eval` is test-only: nothing was trained, tuned or chosen on it.",
        "",
        "## Summary against the targets of issue 4",
        "",
        "A real set's target is its ROC-AUC floor and at least 0.05 above the best baseline;",
        '"FPR on clean" is the share of clean rows flagged at the model\'s threshold (human',
        "references for mt_vs_human, acceptable sentences for CoLA; targets <= 0.05, and <= 0.02",
        'on the own clean test rows), "recall" the share of garbled rows flagged.',
        "",
        targets_table(results),
        "",
        "Where a target is missed, what was tried is in `docs/EXPERIMENTS.md` (every choice made",
        "on the own dev split): training-set size (1), data levers against shortcut cues and for",
        "MT realism (2), the register-wise threshold rule (3), a shortcut-cue audit (4),",
        "distillation into the lite model (5), twice the distinct data at equal compute (6),",
        "LoRA adapters (7), distillation from an MPNet teacher fine-tuned on a GPU (8), int8",
        "weight storage (9), calibration for a 15 % garbled share with a threshold that holds",
        "the FPR cap at 95 % confidence (10), context from the neighbouring sentence (11),",
        "four training epochs instead of two (12, shipped as 0.4.0), a token-level",
        "auxiliary loss that learns where the garbling is (13) and, with it, an everyday",
        "register of clean text from WordNet's usage examples (14, shipped as 0.5.0), a",
        "larger weight for that loss (15) and the grammatical errors of older MT systems",
        "(wrong inflections, words moved within their clause) in the MT-noise recipe (16);",
        "on a lent GPU, eight epochs and two corruption draws of every training sentence (17,",
        "the draws shipped as 0.6.0); on this CPU, four draws at two epochs (18) and a weight",
        "average of two fine-tuned runs (19), neither above 0.6.0 on dev by the 0.01 bar; on",
        "a lent GPU, words left untranslated in the MT-noise recipe, alone and with the errors",
        "of section 16 (20), neither passing its dev bars; and a dropped main verb, an error",
        "0.6.0 ranks at only 0.63 on own dev pairs, tried by continued training on this CPU",
        "(21), too little training to teach it; and on a lent GPU, full runs with the dropped",
        "verb, alone and with the errors of section 16 (22): the latter held its dev bars (own",
        "dev pairs without their verb ranked at 0.69) but failed the shipped-model tests, so",
        "0.6.0 stays; and 2-3 words regenerated by a small LM (23), fluent errors of the kind",
        "neural systems make, which 0.6.0 ranks at 0.63 on own dev pairs: neither continued",
        "training nor a small run from the base encoder on this CPU taught them, and a full run",
        "on this CPU learnt them part of the way (0.67) but lost 0.005 on the own dev split, so",
        "0.6.0 stays. A reader audit of the own dev labels (24) finds 3-5 % of the",
        "garbled rows read as acceptable English by blind readers, who rank each recipe's rows",
        "at 0.96-0.97 where 0.6.0 has 0.89-0.94: the gap on the own split is the model's.",
        "A pairwise loss that ranks each garbled training row above its own original (25)",
        "changed nothing in a short screen and lost 0.003 on the own dev split in a full run",
        "on this CPU, so 0.6.0 stays. Dialogue held out of training (The Office, seasons 6-9)",
        "joined dev and test as a conversational register (26): 0.6.0 flagged 2.3 % of it on",
        "dev, so 0.6.1 is 0.6.0 with its threshold refitted by the same rule. Since then the",
        "own test rows include 1,964 clean sentences of dialogue, which the model scores higher",
        "than other clean text, so the own per-recipe ROC-AUC is lower than on the rows",
        "without them (section 26 gives both). Training on 3,000 sentences of other seasons",
        "(27) ranked the held-out dialogue lower (own dev +0.005) but lowered recall at the",
        "threshold by 0.041, so 0.6.1 stays. A probe of real tortured phrases swapped into",
        "own dev sentences (28) ranks them at 0.88 and flags 43 % of them: the spinner sees few",
        "of the list's terms in the clean text. Weighting the spinner towards such sentences",
        "(four times the rows with a real phrase), in a full run on this CPU, taught them",
        "(probe 0.93, 63 % flagged) but lost 0.006 on dev MT noise and 0.03 of recall at the",
        "threshold, so 0.6.1 stays. On a lent GPU, two MPNet teachers (110M parameters)",
        "fine-tuned on today's train split, and 0.6.1's recipe distilled from them with the",
        "token loss kept (29): the student lost 0.002 on own dev, so 0.6.1 stays.",
        "",
        "What bounds these figures here. On the own split, the blind readers of section 24",
        "rank each recipe's rows at 0.962-0.971, so 0.97 is about what a careful reader",
        "achieves. The one larger encoder available offline, MPNet (110M parameters), trained",
        "on the same data (section 29, the mean of two teachers each trained on half of it),",
        "ranks the own test split at 0.936-0.963, WMT08-14 at 0.838, CoLA at 0.809, WMT21",
        "low-DA at 0.548, WMT21 random at 0.492 and TED at 0.398. So the size of the encoder",
        "bounds the older-MT and CoLA figures: MPNet reaches their targets, but its int8",
        "weights alone are 113 MB, against the 50 MB cap of the folder with its ONNX export,",
        "and it is about ten times slower on a CPU. Distilled into the capped model, it gave",
        "nothing on own dev (sections 8 and 29). Within the cap, no candidate since 0.6.0",
        "(sections 18-25, 27-29) ranked the own dev split above 0.918, against 0.916 for",
        "0.6.0. TED and the WMT21 subsets hold the output of neural MT systems, which even",
        "MPNet does not rank above human references, apart from the low-DA quartile. No neural",
        "MT engine or corpus is among the offline resources (`../shared/docs/RESOURCES.md`).",
        "The synthetic stand-ins for its errors moved these sets by 0.02 or less (sections 20",
        "and 23).",
        "",
    ]
    for name, res in results.items():
        slug = _slug(name)
        lines += [
            f"## {name}",
            "",
            table(res),
            "",
            f"Plots: [ROC](evaluation/{slug}/roc.png), "
            f"[precision-recall](evaluation/{slug}/pr.png), "
            f"[reliability](evaluation/{slug}/reliability.png)",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
