"""`garble batch --engine ray`: blocks, the same output as the local engine, resume."""

from __future__ import annotations

import json
import logging
import shutil
import sys
from pathlib import Path

import pytest

from detector.batch import ray_engine
from detector.batch.blocks import read_blocks
from detector.batch.ray_engine import RAY_MISSING
from detector.onnx_export import export_onnx
from tests import test_batch
from tests.test_batch import (
    assert_one_line_error,
    batch,
    read_output,
    records,
    write_input,
    write_jsonl,
)

model = test_batch.model  # the fixture: the tiny model with scores spread over [0, 1]


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with 2 CPUs for the module; the engine uses it as it is.

    Workers' output is not sent here, where it could land in a later test's captured stderr.
    """
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=False
    )
    yield ray
    ray.shutdown()


def corpus(folder: Path) -> list[Path]:
    """Files of several kinds (compressed, Parquet, text, empty) and an error row."""
    rows = records(12)
    return [
        write_input(folder / "a.jsonl.gz", [*rows[:5], {"doc": "x", "n": 99}, *rows[5:7]]),
        write_input(folder / "b.csv", [{"doc": r["doc"], "text": r["text"]} for r in rows[7:]]),
        write_jsonl(folder / "empty.jsonl", []),
        write_input(folder / "c.parquet", rows[:6]),
        write_input(folder / "d.txt.zst", rows[6:9]),
    ]


def outputs(folder: Path, name: str) -> dict[str, Path]:
    return {
        "-o": folder / f"{name}.jsonl.gz",
        "--keep-clean": folder / f"{name}-clean.parquet",
        "--drop": folder / f"{name}-drop.jsonl",
    }


def run_both(capsys, tmp_path: Path, model: Path, *argv) -> tuple[str, str]:
    """Run the local and the Ray engine on ``corpus()``; return both summaries.

    Batches of one sentence have no padding, so the engines' scores are equal to the last bit
    (otherwise the padding of other batches may change the 4th decimal).
    """
    files = corpus(tmp_path)
    summaries = []
    common = ["--model", model, "--batch-size", "1"]
    for name, engine in (("local", []), ("ray", ["--engine", "ray", *argv])):
        targets = [str(x) for pair in outputs(tmp_path, name).items() for x in pair]
        code, summary, err = batch(capsys, *files, *targets, *common, *engine)
        assert code == 0, err
        summaries.append(summary.replace(f"/{name}", "/NAME"))
    return summaries[0], summaries[1]


def assert_same_outputs(tmp_path: Path) -> None:
    local, ray = outputs(tmp_path, "local"), outputs(tmp_path, "ray")
    for option, path in local.items():
        assert read_output(ray[option]) == read_output(path), option
        assert not Path(f"{ray[option]}.partial").exists()


def test_blocks_cut_a_file_in_order_and_skip_done_ones(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records(7))
    blocks = list(read_blocks(src.resolve(), "in.jsonl", 4, 3, "text"))
    assert [(b.file, b.index, len(b.rows), b.last) for b in blocks] == [
        (4, 0, 3, False),
        (4, 1, 3, False),
        (4, 2, 1, True),
    ]
    assert [r.id for r in blocks[1].rows] == ["in.jsonl:4", "in.jsonl:5", "in.jsonl:6"]
    assert [b.index for b in read_blocks(src, str(src), 0, 3, "text", {0, 2})] == [1]
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    assert [(b.index, b.rows, b.last) for b in read_blocks(empty, "e", 0, 3, "text")] == [
        (0, [], True)
    ]


def test_ray_engine_without_ray_is_one_line_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    src = write_jsonl(tmp_path / "in.jsonl", records(2))
    code, out, err = batch(capsys, src, "-o", tmp_path / "o.jsonl", "--engine", "ray")
    assert_one_line_error(code, out, err, RAY_MISSING)


def test_ray_address_needs_the_ray_engine(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", records(2))
    code, out, err = batch(capsys, src, "-o", tmp_path / "o.jsonl", "--ray-address", "auto")
    assert_one_line_error(code, out, err, "needs --engine ray")


def test_ray_engine_writes_what_the_local_engine_writes(local_ray, model, tmp_path, capsys):
    """Same rows, fields, scores and order in all three outputs, blocks done by 2 actors."""
    local, ray = run_both(capsys, tmp_path, model, "--workers", "2", "--chunk-size", "2")
    assert ray == local and "22 input rows" in local and "1 errors" in local
    assert_same_outputs(tmp_path)


def test_ray_engine_document_unit_and_parquet_output(local_ray, model, tmp_path, capsys):
    files = corpus(tmp_path)
    common = ["--model", model, "--unit", "document", "--chunk-size", "4", "--batch-size", "1"]
    assert batch(capsys, *files, "-o", tmp_path / "local.parquet", *common)[0] == 0
    code, _, err = batch(capsys, *files, "-o", tmp_path / "ray.parquet", *common, "--engine", "ray")
    assert code == 0, err
    rows = read_output(tmp_path / "ray.parquet")
    assert rows == read_output(tmp_path / "local.parquet") and len(rows) == 22


def assert_error(code: int, out: str, err: str, message: str) -> None:
    """Like ``assert_one_line_error``, but Ray may have logged other lines on stderr."""
    assert code == 1 and out == ""
    assert any(line.startswith("garble: error:") and message in line for line in err.splitlines())


def test_an_onnx_model_runs_on_ray(local_ray, model, tmp_path, capsys):
    """The loader sent to the actors carries no loaded model (an ONNX session cannot be
    pickled): the ONNX backend, as the shipped models' default, gives the local outputs."""
    folder = shutil.copytree(model, tmp_path / "model")
    export_onnx(folder)
    src = write_jsonl(tmp_path / "in.jsonl", records(4))
    argv = ["--model", folder, "--backend", "onnx", "--batch-size", "1", "--unit", "sentence"]
    for name, engine in (("local", []), ("ray", ["--engine", "ray", "--workers", "1"])):
        code, _, err = batch(capsys, src, "-o", tmp_path / f"{name}.jsonl", *argv, *engine)
        assert code == 0, err
    assert read_output(tmp_path / "ray.jsonl") == read_output(tmp_path / "local.jsonl")


def test_errors_the_cluster_reports_to_the_driver_go_to_stderr(local_ray, capsys):
    from ray._private.worker import print_to_stdstream  # what Ray's error listener calls

    report = {"lines": ["an actor of an earlier run was killed"], "pid": "raylet", "is_err": False}
    with ray_engine.connected(None, workers=1):
        print_to_stdstream(report, ignore_prefix=False)
    out, err = capsys.readouterr()
    assert out == "" and "an actor of an earlier run was killed" in err


def interrupt_after_first_block(monkeypatch) -> None:
    """Make the run die (KeyboardInterrupt) once the first block is reported done."""
    real = ray_engine.progress_bar

    def interrupt(n: int) -> None:
        raise KeyboardInterrupt

    def progress_bar(*args):
        bar = real(*args)
        bar.update = interrupt
        return bar

    monkeypatch.setattr(ray_engine, "progress_bar", progress_bar)


def test_ray_engine_resumes_the_blocks_not_done(local_ray, model, tmp_path, capsys, monkeypatch):
    """A run interrupted after its first block, and with that block's marker lost, resumes
    with --resume only, scores the blocks not done and writes what the local engine writes."""
    files = corpus(tmp_path)
    argv = ["--model", model, "--batch-size", "1", "--chunk-size", "2", "--engine", "ray"]
    targets = [str(x) for pair in outputs(tmp_path, "ray").items() for x in pair]
    interrupt_after_first_block(monkeypatch)
    assert batch(capsys, *files, *targets, *argv)[0] == 130
    monkeypatch.undo()
    assert not (tmp_path / "ray.jsonl.gz").exists()
    markers = {
        p: json.loads(p.read_text()) for p in (tmp_path / "ray.jsonl.gz.partial").glob("*/*.done")
    }
    assert markers  # blocks of 2 rows, at least the first one done
    lost = next(path for path, marker in markers.items() if not marker["last"])
    assert markers[lost]["rows_in"] == markers[lost]["rows"]["output"] == 2
    lost.unlink()
    code, out, err = batch(capsys, *files, *targets, *argv)
    assert_error(code, out, err, "pass --resume")
    code, out, err = batch(capsys, *files, *targets, *argv[:-2], "--resume")
    assert_error(code, out, err, "other block_rows, engine")
    code, ray_summary, err = batch(capsys, *files, *targets, *argv, "--resume")
    assert code == 0, err
    local_targets = [str(x) for pair in outputs(tmp_path, "local").items() for x in pair]
    code, local_summary, err = batch(capsys, *files, *local_targets, *argv[:4])
    assert code == 0, err
    assert ray_summary.replace("/ray", "/local") == local_summary
    assert_same_outputs(tmp_path)
