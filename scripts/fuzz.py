"""Fuzz `garble score`, `garble batch`, the readers and the segmenter with Hypothesis.

    python scripts/fuzz.py --minutes 10 [--model DIR]

Each round runs every target for a batch of generated inputs (random bytes, text with
control characters, broken HTML, JSONL, CSV and their compressed forms): the readers must
yield rows or raise InputError; the segmenter must keep its offsets; the CLI (in-process
``main``) must exit 0, or 1 with a one-line ``garble: error:``, and never raise. Without
``--model`` a tiny random model is trained first (tests/conftest.py). Any failure is printed
with its input and the script exits 1; otherwise it prints how many inputs each target saw.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import sys
import tempfile
import time
import traceback
from pathlib import Path

import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from detector.batch.readers import read_rows
from detector.cli import main
from detector.segment import split_sentences
from detector.textio import InputError

PIECES = [
    "The council met. ",
    '"Quoted. Twice." ',
    "Dr. Smith ",
    "\u202eRTL ",
    "مرحبا. ",
    "你好。",
    "😀 ",
    "\x00",
    "\x1b[31m",
    "\ud800",
    "<p>",
    "</p>",
    "<script>x</script>",
    "<nav>Home</nav>",
    "<html><body>",
    '{"text": ',
    "null",
    "}",
    "\n",
    "\n\n",
    ",",
    '"',
    "\t",
    "\r\n",
]
TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=30), max_size=40).map("".join)
DATA = st.one_of(
    st.binary(max_size=2000),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    TEXT.map(lambda t: t.encode("utf-16", "surrogatepass")),
)
SUFFIXES = [".jsonl", ".csv", ".tsv", ".txt", ".jsonl.gz", ".csv.zst", ".parquet"]
SEEN: dict[str, int] = {}  # inputs each target has run
SETTINGS = settings(
    max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def _write(path: Path, data: bytes, mode: str) -> None:
    """Write ``data`` to ``path``, compressed as its name says unless ``mode`` is raw."""
    if mode == "whole" and path.name.endswith(".gz"):
        data = gzip.compress(data)
    elif mode == "whole" and path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    elif mode == "cut" and path.name.endswith((".gz", ".zst")):
        packed = gzip.compress(data) if path.name.endswith(".gz") else b""
        data = (packed or zstandard.ZstdCompressor().compress(data))[: max(1, len(data) // 2)]
    path.write_bytes(data)


def _cli(argv: list[str]) -> tuple[int, str]:
    """Run ``garble`` in-process; return its exit status and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    return code, err.getvalue()


def _check_cli(code: int, err: str) -> None:
    assert code in (0, 1), code
    assert "Traceback" not in err, err
    if code == 1:
        last = err.rstrip("\n").splitlines()[-1]
        assert last.startswith("garble: error:"), err


def targets(model: Path, tmp: Path) -> dict:
    """Return the fuzz targets, each a Hypothesis test."""

    @SETTINGS
    @given(TEXT)
    def segmenter(text: str) -> None:
        SEEN["segmenter"] = SEEN.get("segmenter", 0) + 1
        sentences = split_sentences(text)
        ends = [0] + [s.end for s in sentences]
        for s, prev_end in zip(sentences, ends, strict=False):
            assert text[s.start : s.end] == s.text and s.text.strip() == s.text
            assert s.start >= prev_end and not text[prev_end : s.start].strip()
        assert not text[ends[-1] :].strip()

    @SETTINGS
    @given(DATA, st.sampled_from(SUFFIXES), st.sampled_from(["whole", "raw", "cut"]))
    def readers(data: bytes, suffix: str, mode: str) -> None:
        SEEN["readers"] = SEEN.get("readers", 0) + 1
        path = tmp / f"in{suffix}"
        _write(path, data, mode)
        try:
            for row in read_rows(path):
                assert isinstance(row.fields, dict)
        except InputError:
            pass

    @SETTINGS
    @given(DATA, st.sampled_from([".txt", ".html"]))
    def score(data: bytes, suffix: str) -> None:
        SEEN["score"] = SEEN.get("score", 0) + 1
        path = tmp / f"article{suffix}"
        path.write_bytes(data)
        _check_cli(*_cli(["score", str(path), "--model", str(model), "--format", "jsonl"]))

    @SETTINGS
    @given(DATA, st.sampled_from(SUFFIXES), st.sampled_from(["row", "sentence", "document"]))
    def batch(data: bytes, suffix: str, unit: str) -> None:
        SEEN["batch"] = SEEN.get("batch", 0) + 1
        path = tmp / f"rows{suffix}"
        _write(path, data, "whole")
        out = tmp / "out.jsonl"
        argv = ["batch", str(path), "-o", str(out), "--model", str(model), "--unit", unit]
        _check_cli(*_cli([*argv, "--overwrite"]))

    return {"segmenter": segmenter, "readers": readers, "score": score, "batch": batch}


def _tiny_model(tmp: Path) -> Path:
    from tests.conftest import tiny_config
    from training.prepare import prepare
    from training.train import train

    config = tiny_config(tmp / "tiny")
    prepare(config)
    return Path(train(config))


def main_fuzz() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", help="model folder (default: train a tiny random one)")
    parser.add_argument("--only", nargs="+", metavar="TARGET", help="run only these targets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model = Path(args.model) if args.model else _tiny_model(tmp)
        runs = targets(model, tmp)
        runs = {name: run for name, run in runs.items() if name in (args.only or runs)}
        start = time.monotonic()
        while time.monotonic() - start < args.minutes * 60:
            for name, target in runs.items():
                try:
                    target()
                except Exception as exc:  # report the failing input and stop
                    notes = "\n".join(getattr(exc, "__notes__", []))  # Hypothesis: the input
                    print(f"FAIL {name}: {type(exc).__name__}: {exc}\n{notes}", file=sys.stderr)
                    traceback.print_exception(exc, file=sys.stderr)
                    return 1
        minutes = (time.monotonic() - start) / 60
        print(f"fuzzed {minutes:.1f} min, no failure; inputs per target: {SEEN}")
    return 0


if __name__ == "__main__":
    sys.exit(main_fuzz())
