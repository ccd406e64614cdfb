"""Faults in `garble batch` (full disk, unwritable output, corrupt checkpoint, two runs at once)
and safety (no pickles, no remote code, no network, nothing from the input run or rendered)."""

from __future__ import annotations

import errno
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from detector.api import GarbleDetector
from detector.batch import writers
from detector.batch.checkpoint import CHECKPOINT_FILE
from detector.cli import main
from detector.meta import ModelFolderError
from tests.conftest import REPO
from tests.test_batch import (
    assert_one_line_error,
    batch,
    interrupt_after,
    model,  # noqa: F401 - a fixture
    read_output,
    records,
    write_jsonl,
)

COMMON = ["--chunk-size", "8", "--batch-size", "8"]
FAST_JSONL = ["--model", "fast", "--format", "jsonl"]


def _limit_file_size(limit: int):
    """Return a preexec_fn that makes writes past ``limit`` bytes fail (EFBIG), like a full disk."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_stops_the_run_and_resume_completes_it(model, tmp_path, capsys):  # noqa: F811
    src = write_jsonl(tmp_path / "in.jsonl", records(200))
    out, ref = tmp_path / "out.jsonl", tmp_path / "ref.jsonl"
    argv = ["batch", str(src), "-o", str(out), "--model", str(model), *COMMON]
    proc = subprocess.run(
        [sys.executable, "-m", "detector.cli", *argv],
        preexec_fn=_limit_file_size(12_000),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1 and proc.stdout == "" and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("garble: error:")]
    assert len(errors) == 1 and errors[0] == proc.stderr.splitlines()[-1]
    assert re.fullmatch(
        r"garble: error: cannot write \S+: File too large; the first \d+ input rows are "
        r"committed in \S+: fix the cause, then rerun with --resume",
        errors[0],
    ), proc.stderr
    committed = json.loads((tmp_path / "out.jsonl.partial" / CHECKPOINT_FILE).read_text())
    assert 0 < committed["rows_in"] < 200 and not out.exists()
    code, _, err = batch(capsys, *argv[1:], "--resume")
    assert code == 0, err
    assert batch(capsys, src, "-o", ref, "--model", model, *COMMON)[0] == 0
    assert out.read_bytes() == ref.read_bytes()


@pytest.mark.parametrize(
    ("name", "error"),
    [("out.jsonl.gz", errno.ENOSPC), ("out.parquet", errno.ENOSPC), ("out.jsonl", errno.EACCES)],
)
def test_an_output_that_fails_mid_run_resumes_to_the_same_output(
    model,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
    name,
    error,
):
    src = write_jsonl(tmp_path / "in.jsonl", records(60))
    out, ref = tmp_path / name, tmp_path / f"ref-{name}"
    sink = writers.ParquetSink if name.endswith(".parquet") else writers.JsonlSink
    real, calls = sink.write, []

    def failing_write(self, rows):
        calls.append(1)
        if len(calls) == 4:
            raise OSError(error, os.strerror(error))
        return real(self, rows)

    monkeypatch.setattr(sink, "write", failing_write)
    code, stdout, err = batch(capsys, src, "-o", out, "--model", model, *COMMON)
    monkeypatch.undo()
    assert_one_line_error(code, stdout, err, f"{os.strerror(error)}; the first 24 input rows")
    assert "rerun with --resume" in err
    code, _, err = batch(capsys, src, "-o", out, "--model", model, *COMMON, "--resume")
    assert code == 0, err
    assert batch(capsys, src, "-o", ref, "--model", model, *COMMON)[0] == 0
    assert read_output(out) == read_output(ref)


def _corrupt(path: Path, how: str) -> None:
    body = json.loads(path.read_text())
    if how == "truncated":
        path.write_text(path.read_text()[:40])
    elif how == "edited":
        body["rows_in"] += 8  # without updating its digest
        path.write_text(json.dumps(body))
    elif how == "garbage":
        path.write_bytes(b"\x00\xff" * 10)


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("truncated", "Unterminated string"),
        ("edited", "does not match its SHA-256"),
        ("garbage", "Expecting value"),
    ],
)
def test_a_corrupt_checkpoint_is_refused(model, tmp_path, capsys, monkeypatch, how, reason):  # noqa: F811
    src = write_jsonl(tmp_path / "in.jsonl", records(40))
    out = tmp_path / "out.jsonl"
    interrupt_after(monkeypatch, 2)
    assert batch(capsys, src, "-o", out, "--model", model, *COMMON)[0] == 130
    monkeypatch.undo()
    checkpoint = tmp_path / "out.jsonl.partial" / CHECKPOINT_FILE
    _corrupt(checkpoint, how)
    code, stdout, err = batch(capsys, src, "-o", out, "--model", model, *COMMON, "--resume")
    assert_one_line_error(code, stdout, err, "corrupt checkpoint (")
    assert reason in err and "pass --overwrite to start over" in err
    code, _, err = batch(capsys, src, "-o", out, "--model", model, *COMMON, "--overwrite")
    assert code == 0, err
    assert len(read_output(out)) == 40


def test_a_second_run_on_the_same_output_is_refused(model, tmp_path, capsys):  # noqa: F811
    src = write_jsonl(tmp_path / "in.jsonl", records(400))
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "detector.cli", "batch", str(src), "-o", str(out)]
    command += ["--model", str(model), *COMMON]
    env = {**os.environ, "GARBLE_BATCH_CHUNK_DELAY": "0.05"}
    first = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    checkpoint = tmp_path / "out.jsonl.partial" / CHECKPOINT_FILE
    deadline = time.monotonic() + 120
    while not checkpoint.exists():
        assert first.poll() is None, first.stderr.read()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for again in ([], ["--resume"], ["--overwrite"]):
        code, stdout, err = batch(capsys, src, "-o", out, "--model", model, *COMMON, *again)
        assert_one_line_error(code, stdout, err, "another garble batch run is writing it")
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert [r["text"] for r in read_output(out)] == [r["text"] for r in records(400)]
    assert not (tmp_path / "out.jsonl.lock").exists()


@pytest.mark.parametrize("planted", ["pytorch_model.bin", "weights.pkl", "onnx/extra.pt"])
def test_pickle_files_in_a_model_folder_are_refused(tiny_model, tmp_path, planted):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    (folder / planted).parent.mkdir(exist_ok=True)
    (folder / planted).write_bytes(b"\x80\x04K\x01.")  # a pickle of the number 1
    with pytest.raises(ModelFolderError, match=f"with {planted}: models load from safetensors"):
        GarbleDetector.from_pretrained(folder)


def test_remote_code_is_never_trusted():
    """No source file turns trust_remote_code on; the loaders turn it off explicitly."""
    sources = [*REPO.glob("detector/**/*.py"), *REPO.glob("training/**/*.py")]
    assert sources
    on = [p for p in sources if re.search(r"trust_remote_code\s*=\s*True", p.read_text())]
    assert on == []
    assert "trust_remote_code=False" in (REPO / "detector" / "weights.py").read_text()


def test_nothing_from_the_input_reaches_a_shell_or_eval():
    """The inference side starts no shell and evaluates no strings."""
    risky = re.compile(
        r"shell\s*=\s*True|os\.system\(|os\.popen\(|(?<![.\w])(?:eval|exec)\(|pickle\.load"
    )
    found = [
        f"{p.relative_to(REPO)}: {m.group()}"
        for p in REPO.glob("detector/**/*.py")
        for m in risky.finditer(p.read_text())
    ]
    # The Ray engine pickles its own blocks between its own processes, not input or models.
    assert found == ["detector/batch/ray_engine.py: pickle.load"]


def test_score_makes_no_network_connection(tiny_model, tmp_path, capsys, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    path = tmp_path / "a.txt"
    path.write_text("The council met on Monday. It approved the budget.")
    code = main(["score", str(path), "--model", str(tiny_model), "--format", "jsonl"])
    out, err = capsys.readouterr()
    assert code == 0 and len(out.splitlines()) == 2, err
    assert attempts == []


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_score_runs_without_a_network_namespace(tmp_path):
    """The shipped fast model, in a process whose network namespace has no interfaces."""
    if subprocess.run(["unshare", "-n", "true"], check=False).returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    path = tmp_path / "a.txt"
    path.write_text("The council met on Monday. It approved the budget.")
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "detector.cli", "score", str(path), *FAST_JSONL],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2


def test_the_table_does_not_pass_terminal_controls_through(tiny_model, tmp_path, capsys):
    """Escape sequences and bidi overrides of the input are not written to the terminal."""
    path = tmp_path / "a.txt"
    path.write_text("Rain \x1b]0;owned\x07fell. \u202eIt stopped\x9b2J. <script>x</script>")
    code = main(["score", str(path), "--model", str(tiny_model)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "<script>x</script>" in out  # plain text: nothing is rendered as HTML
