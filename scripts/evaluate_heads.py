"""Regenerate docs/SPANS.md: the span and type heads of a model on the test-only sets.

    python scripts/evaluate_heads.py --eval-dir ../shared/eval --data data/default --out docs

Spans (character level, whitespace ignored, rows pooled): the own test split's garbled rows
against the characters their recipe changed; mqm_wmt23_test's MT rows of label 1 (spun
references left out) against their visible error spans of any severity. Beside the model:
marking every character, and SmolLM2 token surprisal with its cut fitted on the MQM training
rows (models/baselines/surprisal-spans/meta.json). Types: the confusion matrix on the own test
split, and on real text the share typed right among the rows the model flags: spinner for the
MQM test set's spun references, mt for the WMT08-14 MT rows of mt_vs_human. The shared files
are read only; only figures are written into the repo.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
from pathlib import Path

from make_evaluation import mt_subset

from detector.api import TYPES, GarbleDetector
from detector.results import SentenceScore
from detector.segment import Sentence
from training.heads import TYPE_OF_RECIPE
from training.metrics import span_metrics
from training.prepare import load_prepared

logger = logging.getLogger("evaluate_heads")


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def analysed(detector: GarbleDetector, texts: list[str]) -> list[SentenceScore]:
    """Return each text scored as one sentence (score, flag, spans and types), as
    ``score_text`` scores the sentences of an article."""
    out = []
    for start in range(0, len(texts), 512):
        chunk = texts[start : start + 512]
        for text, a in zip(chunk, detector.analyse(chunk), strict=True):
            sentence = Sentence(text, 0, len(text))
            out.append(detector.sentence_score(len(out) + 1, sentence, a, text, detector.threshold))
        logger.info("analysed %d of %d", min(start + 512, len(texts)), len(texts))
    return out


def _spans(row: SentenceScore) -> list[list[int]]:
    return [[span.start, span.end] for span in row.spans]


def surprisal_spans(texts: list[str]) -> list[list[list[int]]] | None:
    """Return the surprisal baseline's spans, or None where its cut has not been fitted."""
    from training.baselines.surprisal_spans import BASELINES_DIR, KIND, load_cut

    if not (BASELINES_DIR / KIND / "meta.json").is_file():
        return None
    from training.baselines.surprisal_spans import surprisal_spans as spans_at
    from training.baselines.surprisal_spans import token_surprisals

    model, tokenizer = _lm()
    return spans_at(token_surprisals(model, tokenizer, texts), texts, load_cut())


@functools.cache
def _lm():
    """Return SmolLM2 and its tokenizer, loaded once."""
    from training.baselines.perplexity import load_lm

    model, tokenizer, _ = load_lm()
    return model, tokenizer


def span_table(name: str, texts, gold, model_spans) -> dict:
    """Return the span metrics of the model, marking everything and the surprisal baseline."""
    rows = {"model": span_metrics(texts, gold, model_spans)}
    rows["mark everything"] = span_metrics(texts, gold, [[[0, len(t)]] for t in texts])
    surprisal = surprisal_spans(texts)
    if surprisal is not None:
        rows["SmolLM2 surprisal"] = span_metrics(texts, gold, surprisal)
    logger.info("%s: %s", name, rows["model"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", default="../shared/eval")
    parser.add_argument("--data", default="data/default", help="prepared dataset (own test split)")
    parser.add_argument("--model", default=None, help="model name or folder (default: default)")
    parser.add_argument("--out", default="docs")
    parser.add_argument("--limit", type=int, help="rows per set (a quick check; figures not kept)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    eval_dir = Path(args.eval_dir)
    detector = GarbleDetector.from_pretrained(args.model)
    if detector.heads is None:
        raise SystemExit(f"{detector.name} has no span and type heads")

    test = load_prepared(args.data)["test"]
    if args.limit:
        test = test.select(range(min(args.limit, len(test))))
    own_kind = [
        TYPE_OF_RECIPE.get(r, "clean") if y else "clean"
        for r, y in zip(test["recipe"], test["label"], strict=True)
    ]
    own = analysed(detector, list(test["text"]))
    garbled = [i for i, k in enumerate(own_kind) if k != "clean"]
    own_spans = span_table(
        "own test",
        [test[i]["text"] for i in garbled],
        [[list(s) for s in test[i]["spans"]] for i in garbled],
        [_spans(own[i]) for i in garbled],
    )
    clean = [a for k, a in zip(own_kind, own, strict=True) if k == "clean"]
    clean_with_spans = sum(bool(a.spans) for a in clean) / max(len(clean), 1)
    confusion = {k: dict.fromkeys(TYPES, 0) for k in TYPES}
    for kind, a in zip(own_kind, own, strict=True):
        confusion[kind][a.type] += 1

    mqm = _read(eval_dir / "mqm_wmt23_test.jsonl")[: args.limit]
    mt_rows = [
        r for r in mqm if r["label"] == 1 and not r["is_human"] and not r.get("spun_reference")
    ]
    mt_gold = [[[e["start"], e["end"]] for e in r["errors"] if e.get("visible")] for r in mt_rows]
    mt_texts = [r["text"] for r in mt_rows]
    mqm_spans = span_table(
        "MQM test", mt_texts, mt_gold, [_spans(a) for a in analysed(detector, mt_texts)]
    )

    spun = [r["text"] for r in mqm if r.get("spun_reference")]
    wmt = [
        r["text"]
        for r in _read(eval_dir / "mt_vs_human.jsonl")
        if r["label"] == 1 and mt_subset(r) == "WMT08-14"
    ][: args.limit]
    shares = {}
    for name, texts, want in (
        ("MQM test spun references", spun, "spinner"),
        ("mt_vs_human WMT08-14 MT rows", wmt, "mt"),
    ):
        flagged = [a for a in analysed(detector, texts) if a.garbled]
        right = sum(a.type == want for a in flagged)
        shares[name] = {
            "rows": len(texts),
            "flagged": len(flagged),
            "typed": want,
            "typed_right": right,
            "share": round(right / len(flagged), 4) if flagged else None,
        }
    report = {
        "model": {"name": detector.name, "version": detector.meta.version},
        "span_threshold": detector.heads.span_threshold,
        "spans": {"own test (garbled rows)": own_spans, "MQM test (label-1 MT rows)": mqm_spans},
        "own_test_clean_rows_with_a_span": round(clean_with_spans, 4),
        "type_confusion_own_test": confusion,
        "type_share_real": shares,
    }
    out = Path(args.out if not args.limit else "/tmp/evaluate_heads_check")
    (out / "evaluation").mkdir(parents=True, exist_ok=True)
    (out / "evaluation" / "heads.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "SPANS.md").write_text(markdown(report), encoding="utf-8")
    print(out / "SPANS.md")


def markdown(report: dict) -> str:
    """Return docs/SPANS.md from the report."""
    m = report["model"]
    lines = [
        "# Spans and types: evaluation",
        "",
        f"Model {m['name']} {m['version']}, span threshold {report['span_threshold']} (chosen on "
        "dev: training/heads.py). Regenerate with `python scripts/evaluate_heads.py --eval-dir "
        "../shared/eval --data data/default --out docs`; the test-only sets were read after "
        "every choice was made.",
        "",
        "## Spans (character level, whitespace ignored, rows pooled)",
        "",
        "| set | spans by | rows | gold share | marked share | P | R | F1 | MCC |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in report["spans"].items():
        for by, x in rows.items():
            lines.append(
                f"| {name} | {by} | {x['rows']} | {x['gold_share']:.3f} | {x['marked_share']:.3f}"
                f" | {x['precision']:.3f} | {x['recall']:.3f} | {x['f1']:.3f} | {x['mcc']:.3f} |"
            )
    lines += [
        "",
        f"Clean rows of the own test split with at least one span: "
        f"{report['own_test_clean_rows_with_a_span']:.1%}.",
        "",
        "## Types",
        "",
        "Own test split: rows by their true type (recipe), columns by the type the model gives "
        "(the likeliest of mt, spinner and clean).",
        "",
        "| true \\ typed | " + " | ".join(TYPES) + " |",
        "|---|" + "---:|" * len(TYPES),
    ]
    for kind, row in report["type_confusion_own_test"].items():
        lines.append(f"| {kind} | " + " | ".join(str(row[t]) for t in TYPES) + " |")
    lines += [
        "",
        "Real text, among the rows the model flags at its threshold:",
        "",
        "| rows | flagged | should be typed | typed right | share |",
        "|---|---:|---|---:|---:|",
    ]
    for name, x in report["type_share_real"].items():
        share = "n/a" if x["share"] is None else f"{x['share']:.3f}"
        lines.append(
            f"| {name} ({x['rows']}) | {x['flagged']} | {x['typed']} | {x['typed_right']} "
            f"| {share} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
