"""`garble-train`: prepare labelled data and train a model from a YAML config."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time

from pydantic import ValidationError

from detector.registry import MODEL_HELP, add_model_option
from training.config import load_config

logger = logging.getLogger("garble-train")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="garble-train", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("prepare", "build the labelled train/dev/test dataset from clean text"),
        ("train", "fine-tune, calibrate on dev and write the model folder"),
        (
            "all",
            "prepare, train, calibrate the stored weights and write the ONNX export: the "
            "shipped folder in one command",
        ),
    ):
        cmd = sub.add_parser(name, help=help_)
        cmd.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
        cmd.add_argument("--output", help="override the config's output folder")
    _add_baselines_parser(sub)
    _add_evaluate_parser(sub)
    export = sub.add_parser("export-onnx", help="write the int8 ONNX export for --backend onnx")
    export.add_argument("--model", help="model folder (default: the shipped model)")
    export.add_argument(
        "--calibrate-on",
        metavar="DATA",
        help="prepared dataset: fit the export's own calibration and threshold on its dev split",
    )
    plain = sub.add_parser(
        "export-transformers",
        help="write a model as a plain transformers folder (full fp32 safetensors, tokenizer)",
    )
    plain.add_argument("--model", help=f"{MODEL_HELP} (default: the default model)")
    plain.add_argument("--output", required=True, help="folder to write")
    cal = sub.add_parser("calibrate", help="refit a model folder's calibration and threshold")
    cal.add_argument("--model", required=True, help="model folder (then rerun export-onnx)")
    cal.add_argument(
        "--config", required=True, help="YAML config whose calibration rule and version to use"
    )
    cal.add_argument("--data", help="prepared dataset (default: the config's data.output_dir)")
    heads = sub.add_parser(
        "heads", help="fit a model folder's span and type heads on its frozen hidden states"
    )
    heads.add_argument("--model", required=True, help="model folder to add the heads to")
    heads.add_argument("--config", required=True, help="YAML config: its heads block and data")
    return parser


def _add_baselines_parser(sub) -> None:
    """Add `baselines`: fit, calibrate on dev and save the TF-IDF and LM-perplexity baselines."""
    cmd = sub.add_parser(
        "baselines", help="fit the baselines, calibrate on dev, save their folders"
    )
    cmd.add_argument("--config", required=True, help="YAML config, e.g. configs/default.yaml")
    cmd.add_argument(
        "--only", nargs="+", choices=["tfidf", "perplexity"], help="fit only these baselines"
    )
    cmd.add_argument("--output", help="folder for the baseline folders (default models/baselines)")
    cmd.add_argument(
        "--max-dev", type=int, default=2000, help="dev rows to calibrate perplexity on (2000)"
    )
    cmd.add_argument("--max-test", type=int, help="test rows to evaluate perplexity on (all)")


def _add_evaluate_parser(sub) -> None:
    """Add `evaluate`: metrics of a model and the baselines on a labelled JSONL."""
    ev = sub.add_parser("evaluate", help="metrics of the model and baselines on a labelled JSONL")
    ev.add_argument("data", help="JSONL with a text field and a 0/1 label field (1 = garbled)")
    ev.add_argument("--text-field", default="text")
    ev.add_argument("--label-field", default="label")
    ev.add_argument("--group-by", action="append", default=[], metavar="FIELD", help="repeatable")
    add_model_option(ev)
    ev.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="NAME",
        help="tfidf, perplexity or a folder",
    )
    ev.add_argument("--out", required=True, help="folder for metrics.json, plots and report.md")


def _run_evaluate(args: argparse.Namespace) -> None:
    """Score the labelled JSONL with the model and baselines; write the report, print the table."""
    from pathlib import Path

    from detector.api import GarbleDetector
    from training.evaluate import evaluate, read_labelled
    from training.report import table, write_plots, write_report

    if not Path(args.data).is_file():
        raise FileNotFoundError(f"{args.data}: no such file")
    data = read_labelled(args.data, args.text_field, args.label_field, args.group_by)
    scorers = {"garble-detector": GarbleDetector.from_pretrained(args.model)}
    if args.baseline:
        from training.baselines import load_scorer

        scorers.update({name: load_scorer(name) for name in args.baseline})
    results, scores = evaluate(data, scorers)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = write_report(out, args.data, results, write_plots(out, data.labels, scores))
    logger.info("wrote %s", report)
    print(table(results))


def _run_baselines(args: argparse.Namespace) -> None:
    """Fit the chosen baselines and print the folder of each."""
    from pathlib import Path

    from training.baselines import BASELINES_DIR, KINDS
    from training.baselines.fit import fit_baselines

    config = load_config(args.config)
    out = Path(args.output) if args.output else BASELINES_DIR
    for path in fit_baselines(config, args.only or list(KINDS), out, args.max_dev, args.max_test):
        print(path)


def _run_export(args: argparse.Namespace) -> None:
    """Write the ONNX export of a model folder and print its path."""
    from detector.registry import model_folder
    from training.recalibrate import write_export

    print(write_export(model_folder(args.model), args.calibrate_on))


def _run_export_transformers(args: argparse.Namespace) -> None:
    """Write a model folder as a plain transformers folder and print its path.

    ``AutoModelForSequenceClassification.from_pretrained`` loads it: the weights are whole and
    fp32 (int8 matrices restored, trained layers merged with their base encoder), with the
    tokenizer and ``meta.json`` beside them.
    """
    import shutil
    from pathlib import Path

    from transformers import AutoTokenizer

    from detector.meta import META_FILE
    from detector.registry import model_folder
    from detector.weights import load_classifier

    folder, out = model_folder(args.model), Path(args.output)
    load_classifier(folder).save_pretrained(out)
    AutoTokenizer.from_pretrained(folder).save_pretrained(out)
    shutil.copy(folder / META_FILE, out / META_FILE)
    print(out)


def _run_calibrate(args: argparse.Namespace) -> None:
    from training.recalibrate import recalibrate

    config = load_config(args.config)
    print(recalibrate(args.model, config, args.data or config.data.output_dir))


def _run_heads(args: argparse.Namespace) -> None:
    from training.heads import fit_heads

    command = shlex.join(["garble-train", *sys.argv[1:]])
    fit_heads(args.model, load_config(args.config), command)
    print(args.model)


def _run_pipeline(args: argparse.Namespace) -> None:
    """Run `prepare`, `train` or `all` from the config."""
    from training.prepare import prepare
    from training.train import train

    config = load_config(args.config)
    if args.output and args.command != "prepare":
        config.output_dir = args.output
    elif args.output:
        config.data.output_dir = args.output
    if args.command in ("prepare", "all"):
        prepare(config)
    if args.command in ("train", "all"):
        command = shlex.join(["garble-train", *sys.argv[1:]])
        folder = train(config, command=command)
        if args.command == "all":
            from training.recalibrate import finish

            finish(folder, config, command)
        print(folder)


_COMMANDS = {
    "export-onnx": _run_export,
    "export-transformers": _run_export_transformers,
    "calibrate": _run_calibrate,
    "heads": _run_heads,
    "baselines": _run_baselines,
    "evaluate": _run_evaluate,
}


def _run(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    _COMMANDS.get(args.command, _run_pipeline)(args)
    logger.info("%s done in %.1f s", args.command, time.perf_counter() - start)


def _quiet_progress_bars() -> None:
    """Keep per-batch progress bars of datasets out of the logs (the Trainer logs loss)."""
    import datasets

    datasets.disable_progress_bars()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr
    )
    _quiet_progress_bars()
    try:
        _run(args)
    except (OSError, ValueError, ValidationError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"garble-train: error: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
