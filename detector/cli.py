"""`garble`: score an article for machine-translation or article-spinner garbling."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from detector.backends import add_backend_option
from detector.batch.cli import add_parser as add_batch_parser
from detector.batch.cli import one_line_error
from detector.batch.cli import run as _batch
from detector.registry import add_model_option
from detector.textio import InputError, load_text

logger = logging.getLogger("garble")

FORMATS = ("table", "json", "jsonl", "html")


def _threshold(value: str) -> float:
    """Return ``--threshold`` as a float in [0, 1]; argparse reports anything else."""
    try:
        t = float(value)
    except ValueError:
        t = float("nan")
    if not 0.0 <= t <= 1.0:  # also NaN
        raise argparse.ArgumentTypeError(f"'{value}' is not a number in [0, 1]")
    return t


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="garble", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    score = sub.add_parser("score", help="score each sentence of one article")
    score.error = one_line_error
    score.add_argument("path", help="text or HTML file, or - for stdin")
    score.add_argument("--format", choices=FORMATS, default="table")
    score.add_argument(
        "-o", "--output", metavar="PATH", help="write the result to PATH, not stdout (- : stdout)"
    )
    score.add_argument("--threshold", type=_threshold, help="override the model's threshold")
    add_model_option(score)
    add_backend_option(score)
    score.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    add_batch_parser(sub, threshold=_threshold)
    return parser


def _score(args: argparse.Namespace) -> str | None:
    """Score the article; return what goes to stdout (None: written to ``--output``)."""
    out = _scored(args)
    if args.output in (None, "-"):
        return out
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(out + "\n")
    return None


def _scored(args: argparse.Namespace) -> str:
    from detector.api import GarbleDetector
    from detector.language import non_english
    from detector.render import to_json, to_jsonl, to_table

    text, from_html = load_text(args.path)
    if from_html:
        logger.info("extracted %d characters of main text from HTML", len(text))
    lang = non_english(text)
    if lang:
        print(
            f"garble: warning: input looks like language '{lang}', not English; "
            "scores are only meaningful for English",
            file=sys.stderr,
        )
    try:
        detector = GarbleDetector.from_pretrained(args.model, backend=args.backend)
    except OSError as exc:
        raise InputError(f"cannot load model: {str(exc).splitlines()[0]}") from exc
    result = detector.score_text(text, threshold=args.threshold)
    if not result.sentences:
        raise InputError(f"{args.path}: no sentences found")
    if args.format == "json":
        return to_json(result, detector.meta)
    if args.format == "jsonl":
        return to_jsonl(result)
    if args.format == "html":
        from detector.report_html import to_html

        title = "stdin" if args.path == "-" else os.path.basename(args.path)
        return to_html(result, detector.meta, text, title=title)
    to_terminal = args.output in (None, "-") and sys.stdout.isatty()
    colour = to_terminal and not os.environ.get("NO_COLOR")
    return to_table(result, detector.meta, colour=colour)


def _quiet_transformers(verbose: bool) -> None:
    """Keep transformers' load-time progress bars and notices off stderr unless verbose.

    Through the environment, so that transformers is not imported where the ONNX backend
    makes it unnecessary (it would cost a second of start-up).
    """
    if verbose:
        return
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    if "transformers" in sys.modules:  # already imported (e.g. main() called in-process)
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def _one_line(exc: Exception) -> str:
    """Return the user's one-line message for an error (an OS error: where and why; one
    without a file name is stdout's)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename or 'cannot write the output'}: {exc.strerror}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = _parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(name)s: %(message)s", stream=sys.stderr)
    _quiet_transformers(args.verbose)
    try:
        commands = {"score": _score, "batch": _batch}
        out = commands[args.command](args)
        if out is not None:
            print(out)
        sys.stdout.flush()  # a full disk under stdout is reported here, not at exit
    except BrokenPipeError:
        return 0
    except (InputError, OSError, ValueError) as exc:
        print(f"garble: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
