"""The ``garble batch`` subcommand: its arguments and the call into the engine."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from detector.backends import add_backend_option
from detector.batch.run import DEFAULT_CHUNK_SIZE, Engine
from detector.batch.units import DEFAULT_PREFIX, UNITS
from detector.registry import add_model_option, model_folder

logger = logging.getLogger(__name__)

ENGINES = ("local", "ray")

DESCRIPTION = """Score a corpus. Every input row gets one output row (or one per sentence with
--unit sentence) keeping its fields and adding garble_score and garble_flag; a row whose text
is missing, not a string or empty gets garble_error instead. Output is written to
OUTPUT.partial/ and committed chunk by chunk; a killed run continues with --resume. --engine ray
runs the same job on Ray Data, on this machine or a cluster."""


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return n


def one_line_error(message: str) -> NoReturn:
    """Report a bad argument like any other error: one line, exit status 1."""
    print(f"garble: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def add_parser(sub: argparse._SubParsersAction, threshold: Callable[[str], float]) -> None:
    """Add ``batch`` to the ``garble`` subcommands; ``threshold`` parses --threshold."""
    p = sub.add_parser("batch", help="score a corpus of JSONL, CSV/TSV, Parquet or text files")
    p.description = DESCRIPTION
    p.error = one_line_error
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="files, folders or globs: .jsonl .ndjson .csv .tsv .parquet .txt (+ .gz, .zst)",
    )
    p.add_argument("-o", "--output", required=True, help=".jsonl, .jsonl.gz, .jsonl.zst, .parquet")
    p.add_argument("--text-field", default="text", help="field with the text (default: text)")
    p.add_argument("--id-field", help="field with the row id (default: add garble_id FILE:N)")
    p.add_argument("--unit", choices=UNITS, default="row", help="what is scored (default: row)")
    p.add_argument("--keep-clean", metavar="PATH", help="also write the rows under the threshold")
    p.add_argument("--drop", metavar="PATH", help="also write the rows at or above the threshold")
    p.add_argument("--threshold", type=threshold, help="override the model's threshold")
    p.add_argument("--prefix", default=DEFAULT_PREFIX, help="of the added fields (garble_)")
    p.add_argument(
        "--spans",
        action="store_true",
        help="add each row's garbled spans (and, for --unit row and sentence, its type); "
        "needs a model with span heads (every shipped model has them)",
    )
    p.add_argument(
        "--html-dir",
        metavar="DIR",
        help="--unit document: also write one HTML report per document into DIR",
    )
    add_model_option(p)
    add_backend_option(p)
    p.add_argument("--batch-size", type=_positive_int, help="sentences per model batch")
    p.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=DEFAULT_CHUNK_SIZE,
        help="input rows scored and committed together",
    )
    p.add_argument("--engine", choices=ENGINES, default="local", help="local (default) or ray")
    p.add_argument(
        "--workers",
        type=_positive_int,
        help="scoring processes of the local engine (default 1; see docs/PERFORMANCE.md) "
        "or model actors of --engine ray (default 1)",
    )
    p.add_argument("--ray-address", metavar="ADDR", help="--engine ray: cluster (default: local)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue an interrupted run")
    again.add_argument("--overwrite", action="store_true", help="start over, replace outputs")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="progress on stderr (default: when stderr is a terminal)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")


class DetectorLoader:
    """Loads the run's model (a ``ScorerLoader``). Ray sends the loader to each model actor,
    so a copy carries only the settings, never the detectors loaded here (an ONNX session
    cannot be pickled); ``close()`` stops the worker processes of those."""

    def __init__(self, model: Path, backend: str, batch_size: int | None, workers: int) -> None:
        self.model = model
        self.backend = backend
        self.batch_size = batch_size
        self.workers = workers
        self.loaded: list = []

    def __call__(self, threads: int | None = None):
        from detector.api import GarbleDetector
        from detector.textio import InputError

        kwargs = {"batch_size": self.batch_size} if self.batch_size else {}
        try:
            detector = GarbleDetector.from_pretrained(
                self.model, backend=self.backend, threads=threads, workers=self.workers, **kwargs
            )
        except OSError as exc:
            raise InputError(f"cannot load model: {str(exc).splitlines()[0]}") from exc
        self.loaded.append(detector)
        return detector

    def __getstate__(self) -> dict:
        return {**self.__dict__, "loaded": []}

    def close(self) -> None:
        for detector in self.loaded:
            detector.close()


def run(args: argparse.Namespace) -> str:
    """Run ``garble batch``; return the summary line."""
    from detector.batch.run import BatchJob, run_batch
    from detector.batch.units import ScoreOptions
    from detector.textio import InputError

    try:
        model = model_folder(args.model).resolve()  # resolved once: the same for Ray workers
    except OSError as exc:
        raise InputError(f"cannot load model: {str(exc).splitlines()[0]}") from exc
    workers = (args.workers or 1) if args.engine == "local" else 1  # Ray: one per actor
    load = DetectorLoader(model, args.backend, args.batch_size, workers)
    options = ScoreOptions(
        args.unit, args.text_field, args.id_field, args.threshold, args.prefix, args.spans
    )
    job = BatchJob(
        inputs=args.inputs,
        output=Path(args.output),
        options=options,
        keep_clean=Path(args.keep_clean) if args.keep_clean else None,
        drop=Path(args.drop) if args.drop else None,
        chunk_size=args.chunk_size,
        resume=args.resume,
        overwrite=args.overwrite,
        progress=sys.stderr.isatty() if args.progress is None else args.progress,
        html_dir=Path(args.html_dir) if args.html_dir else None,
    )
    try:
        summary = run_batch(job, load, _engine(args)).line()
    finally:
        load.close()
    _report_windowed(load.loaded)
    return summary


def _report_windowed(detectors: list) -> None:
    """Warn how many sentences of the whole run were longer than the model's ``max_length``.

    The model warns the first time, when it has seen only the first chunk; this is the total
    (of the sentences this process scored: Ray's model actors warn for themselves).
    """
    windowed = sum(d.windowed for d in detectors)
    if windowed:
        max_length = detectors[0].meta.max_length
        logger.warning(
            "%d of the %d sentences scored in this run were longer than %d tokens; "
            "each was scored in windows of %d tokens that cover all of it",
            windowed,
            sum(d.scored for d in detectors),
            max_length,
            max_length,
        )


def _engine(args: argparse.Namespace) -> Engine | None:
    """Return the engine that ``--engine`` names (None: the local engine)."""
    from detector.textio import InputError

    if args.engine == "local":
        if args.ray_address:
            raise InputError("--ray-address needs --engine ray")
        return None
    if args.html_dir:
        raise InputError("--html-dir needs the local engine (--engine local)")
    from detector.batch.ray_engine import RayEngine, import_ray

    import_ray()
    return RayEngine(args.workers or 1, args.ray_address)
