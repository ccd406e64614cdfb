"""`garble batch` and `score_stream`: formats, units, splits, error rows, bad input, resume."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from detector.api import GarbleDetector
from detector.batch import run as batch_run
from detector.batch.checkpoint import CHECKPOINT_FILE
from detector.cli import main
from detector.meta import Calibration, ModelMeta
from detector.segment import split_sentences
from detector.verdict import verdict
from tests.conftest import DATA, REPO

SENTENCES = [json.loads(line)["text"] for line in (DATA / "tiny_corpus.jsonl").open()]
ADDED = ["garble_id", "garble_score", "garble_flag", "garble_error"]


def records(n: int = 12) -> list[dict]:
    """``n`` rows with an id, a text of one or two sentences and an extra field."""
    return [
        {"doc": f"d{i}", "text": " ".join(SENTENCES[i % 60 : i % 60 + 1 + i % 2]), "n": i}
        for i in range(n)
    ]


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, compressed if its name ends in .gz or .zst."""
    if path.suffix == ".gz":
        data = gzip.compress(data)
    elif path.suffix == ".zst":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    return write_bytes(path, "".join(json.dumps(r) + "\n" for r in rows).encode())


def read_output(path: Path) -> list[dict]:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def batch(capsys, *argv) -> tuple[int, str, str]:
    code = main(["batch", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, message: str) -> None:
    assert code == 1 and out == ""
    assert err.startswith("garble: error:") and err.count("\n") == 1 and message in err, err


@pytest.fixture(scope="module")
def model(tiny_model, tmp_path_factory) -> Path:
    """The tiny model with its calibration stretched so that its scores spread over [0, 1].

    The tiny model's margins differ by ~1e-4 between sentences, so its own calibration gives
    every sentence the same rounded score; order and splits could not be checked with it.
    """
    folder = tmp_path_factory.mktemp("sharp") / "model"
    shutil.copytree(tiny_model, folder)
    margins = GarbleDetector.from_pretrained(folder).margins(SENTENCES)
    meta = ModelMeta.load(folder)
    a = 1 / statistics.pstdev(margins)
    meta.calibration = Calibration(a=a, b=-a * statistics.median(margins))
    meta.threshold = 0.5
    meta.save(folder)
    return folder


@pytest.fixture(scope="module")
def detector(model) -> GarbleDetector:
    return GarbleDetector.from_pretrained(model)


@pytest.fixture(scope="module")
def reference(detector) -> dict[str, float]:
    """The score of each text of ``records()``, rounded like batch output."""
    texts = [r["text"] for r in records()]
    return {t: round(p, 4) for t, p in zip(texts, detector.score(texts), strict=True)}


def test_score_stream_is_lazy_and_in_input_order(detector):
    texts = [s for s in SENTENCES for _ in range(2)][:100]
    pulled = []

    def source():
        for t in texts:
            pulled.append(t)
            yield t

    stream = detector.score_stream(source(), chunk_size=16)
    first = next(stream)
    assert len(pulled) == 16
    streamed = [first, *stream]
    assert len(set(streamed)) > 40  # scores differ, so the order is checked
    assert streamed == pytest.approx(detector.score(texts), abs=1e-3)  # other batches


def test_jsonl_rows_keep_fields_and_get_score_and_flag(model, tmp_path, capsys, reference):
    src = write_jsonl(tmp_path / "in.jsonl", records())
    code, out, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert code == 0 and err == "" and "12 input rows" in out
    rows = read_output(tmp_path / "out.jsonl")
    assert [r["doc"] for r in rows] == [r["doc"] for r in records()]
    threshold = GarbleDetector.from_pretrained(model).threshold
    for i, row in enumerate(rows):
        assert list(row) == ["doc", "text", "n", *ADDED]
        assert row["garble_id"] == f"{src}:{i + 1}"
        assert row["garble_score"] == reference[row["text"]]
        assert row["garble_flag"] == (row["garble_score"] >= threshold)
        assert row["garble_error"] is None


def test_worker_processes_write_the_same_rows_and_resume_across_counts(
    model, tmp_path, capsys, monkeypatch
):
    src = write_jsonl(tmp_path / "in.jsonl", records(40))
    base = ["--model", model, "--chunk-size", "8"]
    assert batch(capsys, src, "-o", tmp_path / "one.jsonl", *base)[0] == 0
    interrupt_after(monkeypatch, 2)
    assert batch(capsys, src, "-o", tmp_path / "two.jsonl", *base, "--workers", "2")[0] == 130
    monkeypatch.undo()
    code, out, err = batch(capsys, src, "-o", tmp_path / "two.jsonl", *base, "--resume")
    assert code == 0 and "40 input rows" in out, err
    assert read_output(tmp_path / "two.jsonl") == read_output(tmp_path / "one.jsonl")


def write_input(path: Path, rows: list[dict]) -> Path:
    """Write ``rows`` in the format (and compression) ``path``'s name asks for."""
    fmt = path.name.split(".")[1]
    if fmt == "jsonl":
        return write_jsonl(path, rows)
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), path)
        return path
    if fmt == "txt":  # a blank line after each row: blank lines are not rows
        return write_bytes(path, "".join(r["text"] + "\n\n" for r in rows).encode())
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), delimiter="\t" if fmt == "tsv" else ",")
    writer.writeheader()
    writer.writerows(rows)
    return write_bytes(path, text.getvalue().encode())


@pytest.mark.parametrize(
    "name",
    ["in.jsonl.gz", "in.jsonl.zst", "in.csv", "in.csv.gz", "in.tsv", "in.parquet", "in.txt.zst"],
)
def test_each_input_format(model, tmp_path, capsys, reference, name):
    src = write_input(tmp_path / name, records())
    code, _, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert code == 0, err
    rows = read_output(tmp_path / "out.jsonl")
    assert [r["text"] for r in rows] == [r["text"] for r in records()]
    assert [r["garble_score"] for r in rows] == [reference[r["text"]] for r in rows]
    if name.startswith("in.txt"):  # a row per non-empty line, ids are line numbers
        assert [r["garble_id"] for r in rows][:2] == [f"{src}:1", f"{src}:3"]
    else:  # N is the record number
        assert rows[1]["garble_id"] == f"{src}:2"


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("in.txt", "utf-16"),
        ("in.txt", "utf-16-le"),
        ("in.jsonl", "utf-16-be"),
        ("in.csv.gz", "utf-16"),
    ],
)
def test_utf16_input_is_decoded(model, tmp_path, capsys, reference, name, encoding):
    plain = write_input(tmp_path / name.replace("in.", "plain.").removesuffix(".gz"), records())
    src = write_bytes(tmp_path / name, plain.read_text("utf-8").encode(encoding))
    code, _, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert code == 0, err
    rows = read_output(tmp_path / "out.jsonl")
    assert [r["text"] for r in rows] == [r["text"] for r in records()]
    assert [r["garble_score"] for r in rows] == [reference[r["text"]] for r in rows]
    assert all(r["garble_error"] is None for r in rows)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x7fELF\x02\x01\x00\x00binary\nmore\n", "looks like a binary file"),
        ("Rain fell.\n".encode("utf-16") + b"\x00", "cannot read"),  # half a character at the end
    ],
)
def test_binary_or_broken_utf16_text_is_refused_whole(model, tmp_path, capsys, content, message):
    src = tmp_path / "in.txt"
    src.write_bytes(content)
    code, out, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert_one_line_error(code, out, err, message)
    assert not (tmp_path / "out.jsonl").exists()


def test_folder_and_glob_inputs(model, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    write_jsonl(corpus / "a.jsonl", records(3))
    write_jsonl(corpus / "sub" / "b.jsonl.gz", records(4))
    write_jsonl(corpus / ".hidden.jsonl", records(5))
    (corpus / "notes.md").write_text("not an input")
    code, _, err = batch(capsys, corpus, "-o", tmp_path / "dir.jsonl", "--model", model)
    assert code == 0, err
    ids = [r["garble_id"] for r in read_output(tmp_path / "dir.jsonl")]
    assert len(ids) == 7 and ids[0] == f"{corpus / 'a.jsonl'}:1" and "b.jsonl.gz:4" in ids[-1]
    pattern = str(corpus / "**" / "*.jsonl*")
    code, _, err = batch(capsys, pattern, "-o", tmp_path / "glob.jsonl", "--model", model)
    assert code == 0, err
    assert [r["garble_id"] for r in read_output(tmp_path / "glob.jsonl")] == ids


def test_parquet_output_has_typed_columns(model, tmp_path, capsys):
    rows = [*records(5), {"doc": "bad", "n": 5}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.parquet"
    code, _, err = batch(capsys, src, "-o", out, "--model", model, "--chunk-size", "2")
    assert code == 0, err
    table = pq.read_table(out)
    assert table.num_rows == 6 and table.column_names == ["doc", "text", "n", *ADDED]
    assert str(table.schema.field("garble_score").type) == "double"
    assert str(table.schema.field("garble_error").type) == "string"
    assert table.column("garble_error").to_pylist()[-1] == "no text field 'text'"
    assert not (tmp_path / "out.parquet.partial").exists()


def test_sentence_unit_rows_have_offsets(model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", records(6))
    out = tmp_path / "out.jsonl"
    argv = [src, "-o", out, "--model", model, "--unit", "sentence", "--id-field", "doc"]
    code, _, err = batch(capsys, *argv)
    assert code == 0, err
    rows = read_output(out)
    texts = {r["doc"]: r["text"] for r in records(6)}
    assert len(rows) == sum(len(split_sentences(t)) for t in texts.values())
    for row in rows:
        assert "text" not in row and "garble_id" not in row and row["n"] >= 0
        assert texts[row["doc"]][row["garble_start"] : row["garble_end"]] == row["garble_text"]
    n_d1 = len(split_sentences(texts["d1"]))
    assert [r["garble_sentence"] for r in rows if r["doc"] == "d1"] == list(range(1, n_d1 + 1))


def test_document_unit_has_sentence_scores_and_mean(model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", records(6))
    out = tmp_path / "out.jsonl"
    code, _, err = batch(capsys, src, "-o", out, "--model", model, "--unit", "document")
    assert code == 0, err
    threshold = GarbleDetector.from_pretrained(model).threshold
    for row in read_output(out):
        scores = row["garble_scores"]
        assert len(scores) == len(split_sentences(row["text"])) == len(row["garble_boilerplate"])
        assert not any(row["garble_boilerplate"])  # news sentences: all content
        assert row["garble_score"] == pytest.approx(sum(scores) / len(scores), abs=1e-4)
        flagged = sum(p >= threshold for p in scores) / len(scores)
        assert row["garble_flagged_fraction"] == pytest.approx(flagged)
        assert row["garble_verdict"] == verdict(scores, threshold)


def test_keep_clean_and_drop_split_the_scored_rows(model, tmp_path, capsys, reference):
    rows = [*records(), {"doc": "empty", "text": " ", "n": 12}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    threshold = sorted(reference.values())[len(reference) // 2]
    out, clean, drop = (
        tmp_path / "all.jsonl",
        tmp_path / "clean.parquet",
        tmp_path / "drop.jsonl.gz",
    )
    argv = [src, "-o", out, "--keep-clean", clean, "--drop", drop, "--threshold", threshold]
    code, summary, err = batch(capsys, *argv, "--model", model)
    assert code == 0, err
    kept, dropped = read_output(clean), read_output(drop)
    assert kept and dropped and len(kept) + len(dropped) + 1 == len(read_output(out)) == 13
    assert all(r["garble_score"] < threshold for r in kept)
    assert all(r["garble_score"] >= threshold for r in dropped)
    assert f"({len(dropped)} flagged, 1 errors)" in summary


def test_unscorable_rows_become_error_rows(model, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    lines = ['{"text": "Fine."}', '{"text": ""}', '{"text": null}', '{"body": "x"}', "[1]", "{bad"]
    lines.append('{"text": 7}')
    src.write_text("\n".join(lines) + "\n\n")
    code, _, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert code == 0, err
    errors = [r["garble_error"] for r in read_output(tmp_path / "out.jsonl")]
    assert errors[:5] == [
        None,
        "empty text",
        "text field 'text' is null, not a string",
        "no text field 'text'",
        "not a JSON object but list",
    ]
    assert len(errors) == 7 and errors[5].startswith("invalid JSON")
    assert errors[6] == "text field 'text' is int, not a string"


def test_long_sentence_warnings_count_the_whole_run(model, tmp_path, capsys, caplog):
    long = " ".join(["word"] * 200)  # longer than the tiny model's 64 tokens
    texts = ["Short.", "Short too.", long, "Short again.", long, long]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in texts])
    argv = [src, "-o", tmp_path / "out.jsonl", "--model", model, "--chunk-size", "2"]
    with caplog.at_level("WARNING"):
        code, _, err = batch(capsys, *argv)
    assert code == 0, err
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("1 of the 4 sentences scored so far are longer than 64 tokens")
    assert warnings[1] == (
        "3 of the 6 sentences scored in this run were longer than 64 tokens; "
        "each was scored in windows of 64 tokens that cover all of it"
    )


def test_ragged_csv_row_is_an_error_row(model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,Fine.\n2,Too,many\n")
    code, _, err = batch(capsys, src, "-o", tmp_path / "out.jsonl", "--model", model)
    assert code == 0, err
    rows = read_output(tmp_path / "out.jsonl")
    assert rows[1]["garble_error"] == "3 fields, the header has 2"


def test_field_collision_fails_unless_prefixed(model, tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": "Rain.", "garble_score": 1}])
    out = tmp_path / "out.jsonl"
    code, stdout, err = batch(capsys, src, "-o", out, "--model", model)
    assert_one_line_error(code, stdout, err, "'garble_score' would be overwritten")
    assert "--prefix" in err and not (tmp_path / "out.jsonl.partial").exists()
    code, _, err = batch(capsys, src, "-o", out, "--model", model, "--prefix", "g2_")
    assert code == 0, err
    assert list(read_output(out)[0]) == [
        "text",
        "garble_score",
        "g2_id",
        "g2_score",
        "g2_flag",
        "g2_error",
    ]


@pytest.mark.parametrize(
    ("setup", "argv", "message"),
    [
        (None, ["missing.jsonl"], "no such file"),
        ("in.xml", ["in.xml"], "unsupported input format"),
        ("in.parquet.gz", ["in.parquet.gz"], "compressed Parquet"),
        (None, ["nothing*.jsonl"], "no files match"),
        ("in.jsonl.gz", ["in.jsonl.gz"], "cannot read"),
        ("in.parquet", ["in.parquet"], "in.parquet: cannot read Parquet"),
        ("in.jsonl", ["in.jsonl", "-o", "out.csv"], "unsupported output format"),
        ("in.jsonl", ["in.jsonl", "-o", "in.jsonl"], "is also an input"),
        ("in.jsonl", ["in.jsonl", "--drop", "out.jsonl"], "must be different files"),
        ("in.jsonl", ["in.jsonl", "--model", "."], "no meta.json"),
    ],
)
def test_bad_input_is_one_line_error(model, tmp_path, capsys, monkeypatch, setup, argv, message):
    monkeypatch.chdir(tmp_path)
    if setup:
        (tmp_path / setup).write_bytes(b"not gzip, not anything")
    if "-o" not in argv:
        argv = [*argv, "-o", "out.jsonl"]
    if "--model" not in argv:
        argv = [*argv, "--model", model]
    code, out, err = batch(capsys, *argv)
    assert_one_line_error(code, out, err, message)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["in.jsonl"], "the following arguments are required: -o/--output"),
        (["in.jsonl", "-o", "o.jsonl", "--chunk-size", "0"], "must be a positive integer"),
        (["in.jsonl", "-o", "o.jsonl", "--unit", "page"], "invalid choice: 'page'"),
        (["in.jsonl", "-o", "o.jsonl", "--threshold", "abc"], "--threshold: 'abc' is not a number"),
        (["in.jsonl", "-o", "o.jsonl", "--resume", "--overwrite"], "not allowed with"),
    ],
)
def test_bad_arguments_are_one_line_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(["batch", *argv])
    out, err = capsys.readouterr()
    assert_one_line_error(exit_.value.code, out, err, message)


def test_empty_folder_is_an_error(tmp_path, capsys):
    code, out, err = batch(capsys, tmp_path, "-o", tmp_path / "out.jsonl")
    assert_one_line_error(code, out, err, "no input files")


def interrupt_after(monkeypatch, chunks: int) -> None:
    """Make the run die (KeyboardInterrupt) while scoring chunk number ``chunks + 1``."""
    real = batch_run.score_rows
    calls = []

    def score_rows(*args):
        calls.append(1)
        if len(calls) > chunks:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(batch_run, "score_rows", score_rows)


@pytest.mark.parametrize("name", ["out.jsonl.gz", "out.parquet"])
def test_resume_after_a_crash_discards_uncommitted_output(
    model, tmp_path, capsys, monkeypatch, name
):
    src = write_jsonl(tmp_path / "in.jsonl", records(50))
    common = ["--model", model, "--chunk-size", "8", "--keep-clean", tmp_path / "k.jsonl"]
    code, _, _ = batch(capsys, src, "-o", tmp_path / f"ref-{name}", *common[:4])
    assert code == 0
    out = tmp_path / name
    interrupt_after(monkeypatch, 3)
    assert batch(capsys, src, "-o", out, *common)[0] == 130
    monkeypatch.undo()
    partial = tmp_path / f"{name}.partial"
    assert not out.exists()
    assert json.loads((partial / CHECKPOINT_FILE).read_text())["rows_in"] == 24
    if name.endswith(".parquet"):  # a part written but not committed
        (partial / "part-000003.parquet").write_bytes(b"half a part")
    else:  # a chunk half written but not committed
        with open(partial / "data.jsonl.gz", "ab") as f:
            f.write(gzip.compress(b'{"garble_id": "duplicate"}\n')[:20])
    code, out_, err = batch(capsys, src, "-o", out, *common)
    assert_one_line_error(code, out_, err, "pass --resume")
    code, summary, err = batch(capsys, src, "-o", out, *common, "--resume")
    assert code == 0, err
    assert read_output(out) == read_output(tmp_path / f"ref-{name}")
    assert "50 input rows" in summary and not partial.exists()


def test_resume_refuses_other_options(model, tmp_path, capsys, monkeypatch):
    src = write_jsonl(tmp_path / "in.jsonl", records(30))
    out = tmp_path / "out.jsonl"
    interrupt_after(monkeypatch, 1)
    assert batch(capsys, src, "-o", out, "--model", model, "--chunk-size", "8")[0] == 130
    monkeypatch.undo()
    code, stdout, err = batch(
        capsys, src, "-o", out, "--model", model, "--resume", "--unit", "document"
    )
    assert_one_line_error(code, stdout, err, "other options")
    code, _, err = batch(capsys, src, "-o", out, "--model", model, "--overwrite")
    assert code == 0 and len(read_output(out)) == 30
    code, stdout, err = batch(capsys, src, "-o", out, "--model", model)
    assert_one_line_error(code, stdout, err, "exists; pass --overwrite")


def test_progress_on_request(model, tmp_path, capsys):
    src = write_input(tmp_path / "in.parquet", records(4))
    code, _, err = batch(capsys, src, "-o", tmp_path / "o.jsonl", "--model", model, "--progress")
    assert code == 0 and "4/4" in err and "rows" in err


def test_sigkill_and_resume_is_exactly_once(model, tmp_path, capsys):
    """A run killed with SIGKILL mid-way and resumed writes each input row exactly once."""
    rows = [{"id": i, "text": f"{SENTENCES[i % 60][:40]} {i}."} for i in range(2000)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out, ref = tmp_path / "out.jsonl", tmp_path / "ref.jsonl"
    common = [
        "--model",
        str(model),
        "--chunk-size",
        "100",
        "--batch-size",
        "100",
        "--id-field",
        "id",
    ]
    env = {**os.environ, "GARBLE_BATCH_CHUNK_DELAY": "0.05"}
    command = [sys.executable, "-m", "detector.cli", "batch", str(src), "-o", str(out), *common]
    proc = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE)
    checkpoint = tmp_path / "out.jsonl.partial" / CHECKPOINT_FILE
    deadline = time.monotonic() + 120
    while not (checkpoint.exists() and json.loads(checkpoint.read_text())["rows_in"] >= 300):
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.stderr.read() == b""  # quiet: stderr is not a terminal
    assert not out.exists()
    assert 300 <= json.loads(checkpoint.read_text())["rows_in"] < 2000
    code, _, err = batch(capsys, src, "-o", out, *common, "--resume")
    assert code == 0, err
    assert batch(capsys, src, "-o", ref, *common)[0] == 0
    resumed = read_output(out)
    assert sorted(r["id"] for r in resumed) == list(range(2000))
    assert resumed == read_output(ref)
