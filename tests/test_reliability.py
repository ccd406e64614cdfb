"""The catalogue of bad and extreme inputs in docs/RELIABILITY.md, one case per row.

Each case writes an input (and, for model cases, a model folder) and states what `garble
score`, `garble batch --unit sentence` and the API (``load_text`` then ``score_text``) do with
it: ``ok`` (exit 0, every sentence's offsets point into the text, every input row has output
rows), ``rows: MESSAGE`` (batch exits 0 and some row is an error row saying MESSAGE), ``exit 1:
MESSAGE`` (one line on stderr, nothing on stdout) or, for the API, ``raises Type: MESSAGE``.
No case may print a traceback. The table in the doc is ``catalogue_markdown()``; a test checks
that they match.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from detector.api import GarbleDetector
from detector.cli import main
from detector.textio import load_text
from tests.conftest import REPO

DOC = REPO / "docs" / "RELIABILITY.md"
PROSE = "The council met on Monday. It approved the new budget for the library. Work starts soon.\n"
NA = "n/a"


@dataclass(frozen=True)
class Case:
    """One row: how to make the input, and the outcome of score, batch and the API."""

    name: str
    input: str  # what the input is, for the doc
    make: Callable[[Path], Path]  # writes the input under the folder, returns its path
    score: str
    batch: str
    api: str
    model: Callable[[Path, Path], Path] | None = None  # (tiny model, folder) -> model folder
    slow: bool = False


def _bytes(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path

    return make


def _text(name: str, text: str) -> Callable[[Path], Path]:
    return _bytes(name, text.encode("utf-8"))


def _parquet(tmp: Path) -> Path:
    path = tmp / "wrong.parquet"
    pq.write_table(pa.table({"body": ["Rain fell."], "n": [1]}), path)
    return path


def _broken_model(file: str, content: str) -> Callable[[Path, Path], Path]:
    def make(tiny: Path, tmp: Path) -> Path:
        folder = tmp / "model"
        shutil.copytree(tiny, folder)
        if content == "<delete>":
            (folder / file).unlink()
        else:
            (folder / file).write_text(content)
        return folder

    return make


def _edited(file: str, **changes) -> Callable[[Path, Path], Path]:
    """Return a model maker that sets JSON values in ``file`` (``a__b`` sets ``a.b``)."""

    def make(tiny: Path, tmp: Path) -> Path:
        folder = tmp / "model"
        shutil.copytree(tiny, folder)
        values = json.loads((folder / file).read_text())
        for key, value in changes.items():
            *parents, name = key.split("__")
            target = values
            for parent in parents:
                target = target[parent]
            target[name] = value
        (folder / file).write_text(json.dumps(values))
        return folder

    return make


LONG_SENTENCE = " ".join(f"word{i % 50} and" for i in range(2500))  # 5,000 words, no full stop
TEN_MB_LINE = ("The council met again and the vote was put off once more. " * 172_000)[:10_000_000]
PAGE = "<html><head><style>p {{color: red}}</style><script>var x = '{0}';</script></head>"
HTML_SCRIPTS = PAGE.format("Hello there") + f"<body><article><p>{PROSE}</p></article></body></html>"
QUOTE = '"They are our people right now. They do the same thing. We help them," she said.\n'

CASES = [
    Case(
        "empty",
        "0-byte file",
        _bytes("e.txt", b""),
        "exit 1: input is empty",
        "ok: 0 rows",
        "raises InputError: input is empty",
    ),
    Case(
        "whitespace",
        "spaces, tabs, newlines",
        _bytes("w.txt", b" \n\t \n"),
        "exit 1: input is empty",
        "ok: 0 rows",
        "raises InputError: input is empty",
    ),
    Case(
        "binary",
        "ELF header with NUL bytes",
        _bytes("b.txt", b"\x7fELF\x02\x01\x00\x00bin"),
        "exit 1: looks like a binary file",
        "exit 1: looks like a binary file",
        "raises InputError: looks like a binary file",
    ),
    Case(
        "latin-1",
        "café in Latin-1",
        _bytes("l.txt", "Le café est ouvert.\n".encode("latin-1")),
        "exit 1: not valid UTF-8 (byte 6); convert it to UTF-8",
        "rows: not valid UTF-8 (byte 6)",
        "raises InputError: not valid UTF-8 (byte 6)",
    ),
    Case(
        "utf-16 with BOM",
        "UTF-16 text with a byte-order mark",
        _bytes("u.txt", PROSE.encode("utf-16")),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "utf-16-le without BOM",
        "UTF-16-LE, no mark",
        _bytes("u.txt", PROSE.encode("utf-16-le")),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "utf-16-be without BOM",
        "UTF-16-BE, no mark",
        _bytes("u.txt", PROSE.encode("utf-16-be")),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "utf-8 BOM",
        "UTF-8 with a byte-order mark",
        _bytes("b.txt", codecs.BOM_UTF8 + PROSE.encode()),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "invalid bytes mid-file",
        "a \\xff\\xfe line between good lines",
        _bytes("m.txt", b"Good line here.\nBad \xff\xfe line.\nAnother good line.\n"),
        "exit 1: not valid UTF-8 (byte 20)",
        "rows: not valid UTF-8 (byte 4)",
        "raises InputError: not valid UTF-8 (byte 20)",
    ),
    Case(
        "control characters",
        "NUL-free C0 controls, escape codes, vertical tab",
        _text("c.txt", "Hello\x01\x02 world.\x1b[31m Red text.\x0b\x0c The end.\n"),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "emoji, RTL, CJK",
        "emoji, U+202E, Arabic, Chinese",
        _text("x.txt", "Emoji 😀🔥 here. \u202eReversed. مرحبا بالعالم. 你好世界。\n"),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "non-English",
        "German prose (warned, still scored)",
        _text(
            "de.txt", "Der Stadtrat hat am Dienstag den Park genehmigt. Die Arbeiten beginnen.\n"
        ),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "quoted passage",
        "a quote of three sentences (split as a reader would)",
        _text("q.txt", QUOTE),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "5,000-word sentence",
        "one sentence without a full stop, scored in windows",
        _text("s.txt", LONG_SENTENCE),
        "ok",
        "ok",
        "ok",
    ),
    Case(
        "HTML with scripts and styles",
        "article with <script> and <style>",
        _text("p.html", HTML_SCRIPTS),
        "ok",
        "exit 1: unsupported input format",
        "ok",
    ),
    Case(
        "broken HTML",
        "unclosed tags",
        _text("b.html", f"<html><body><p>{PROSE}<div><p><b>Unclosed"),
        "ok",
        "exit 1: unsupported input format",
        "ok",
    ),
    Case(
        "HTML without main text",
        "only <nav> and <footer>",
        _text(
            "n.html",
            "<html><body><nav><a href='/'>Home</a></nav><footer>(c)</footer></body></html>",
        ),
        "exit 1: no main text found in the HTML",
        "exit 1: unsupported input format",
        "raises InputError: no main text found in the HTML",
    ),
    Case(
        "malformed JSONL",
        "a line that is not JSON, one that is a list",
        _text("m.jsonl", '{"text": "Fine here."}\n{bad\n[1, 2]\n'),
        "ok",
        "rows: invalid JSON",
        "ok",
    ),
    Case(
        "null text",
        'a JSONL row {"text": null}',
        _text("n.jsonl", '{"text": null}\n'),
        "ok",
        "rows: text field 'text' is null, not a string",
        "ok",
    ),
    Case(
        "non-string text",
        'rows {"text": 7} and {"text": {"a": 1}}',
        _text("i.jsonl", '{"text": 7}\n{"text": {"a": 1}}\n'),
        "ok",
        "rows: text field 'text' is int, not a string",
        "ok",
    ),
    Case(
        "lone surrogate",
        'a JSON escape "\\ud800" in the text',
        _text("s.jsonl", '{"text": "Bad \\ud800 text."}\n'),
        "ok",
        "rows: text is not valid Unicode (a lone surrogate at character 4)",
        "ok",
    ),
    Case(
        "CSV with broken quoting",
        "a quote closed mid-field, one never closed",
        _text("b.csv", 'id,text\n1,"Fine here."\n2,"bad"x\n3,"never closed\n4,lost\n'),
        "ok",
        "rows: quoted field opened on line 4 is never closed",
        "ok",
    ),
    Case(
        "ragged CSV",
        "a record with more fields than the header",
        _text("r.csv", "id,text\n1,Fine.\n2,Too,many\n"),
        "ok",
        "rows: 3 fields, the header has 2",
        "ok",
    ),
    Case(
        "truncated .gz",
        "half a gzip stream",
        _bytes("t.jsonl.gz", gzip.compress(PROSE.encode() * 50)[:-20]),
        "exit 1: looks like a binary file",
        "exit 1: cannot read (Compressed file ended",
        "raises InputError: looks like a binary file",
    ),
    Case(
        "truncated .zst",
        "half a zstd frame",
        _bytes("t.jsonl.zst", zstandard.ZstdCompressor().compress(b'{"text": "Hi."}\n' * 50)[:-10]),
        "exit 1: looks like a binary file",
        "exit 1: its last zstd frame is incomplete",
        "raises InputError: looks like a binary file",
    ),
    Case(
        "bzip2 input",
        "a .bz2 file",
        _bytes("c.jsonl.bz2", bz2.compress(PROSE.encode())),
        "exit 1: looks like a binary file",
        "exit 1: unsupported input format",
        "raises InputError: looks like a binary file",
    ),
    Case(
        "Parquet with the wrong schema",
        "no text column",
        _parquet,
        "exit 1: looks like a binary file",
        "rows: no text field 'text'",
        "raises InputError: looks like a binary file",
    ),
    Case(
        "unreadable path",
        "a folder given as the file",
        lambda tmp: tmp,
        "exit 1: is a directory",
        "exit 1: no input files",
        "raises InputError: is a directory",
    ),
    Case(
        "missing path",
        "a file that does not exist",
        lambda tmp: tmp / "missing.txt",
        "exit 1: no such file",
        "exit 1: no such file",
        "raises InputError: no such file",
    ),
    Case(
        "no model folder",
        "--model names a folder without meta.json",
        _text("a.txt", PROSE),
        "exit 1: no meta.json",
        "exit 1: no meta.json",
        "raises FileNotFoundError: no meta.json",
        model=lambda tiny, tmp: tmp,
    ),
    Case(
        "partial model folder",
        "model.safetensors missing",
        _text("a.txt", PROSE),
        "exit 1: cannot load model",
        "exit 1: cannot load model",
        "raises OSError: model.safetensors",
        model=_broken_model("model.safetensors", "<delete>"),
    ),
    Case(
        "corrupt weights",
        "model.safetensors is garbage",
        _text("a.txt", PROSE),
        "exit 1: SafetensorError",
        "exit 1: SafetensorError",
        "raises ModelFolderError: SafetensorError",
        model=_broken_model("model.safetensors", "garbage"),
    ),
    Case(
        "corrupt heads",
        "heads.safetensors is garbage",
        _text("a.txt", PROSE),
        "exit 1: cannot read the heads",
        "exit 1: cannot read the heads",
        "raises ModelFolderError: cannot read the heads",
        model=_broken_model("heads.safetensors", "garbage"),
    ),
    Case(
        "corrupt meta.json",
        "meta.json is not JSON",
        _text("a.txt", PROSE),
        "exit 1: Invalid JSON",
        "exit 1: Invalid JSON",
        "raises ModelFolderError: Invalid JSON",
        model=_broken_model("meta.json", "not json"),
    ),
    Case(
        "pickle in the model folder",
        "a pytorch_model.bin beside the safetensors",
        _text("a.txt", PROSE),
        "exit 1: refusing to load",
        "exit 1: refusing to load",
        "raises ModelFolderError: refusing to load",
        model=_broken_model("pytorch_model.bin", "pickle"),
    ),
    Case(
        "remote code asked",
        "config.json with auto_map",
        _text("a.txt", PROSE),
        "exit 1: remote code is never run",
        "exit 1: remote code is never run",
        "raises ModelFolderError: remote code is never run",
        model=_edited("config.json", auto_map={"AutoModel": "evil.Model"}),
    ),
    Case(
        "incompatible meta.json",
        "a later calibration method",
        _text("a.txt", PROSE),
        "exit 1: calibration method 'isotonic' is not supported",
        "exit 1: calibration method 'isotonic' is not supported",
        "raises ModelFolderError: calibration method 'isotonic' is not supported",
        model=_edited("meta.json", calibration__method="isotonic"),
    ),
    Case(
        "incompatible architecture",
        "config.json of a model type this version lacks",
        _text("a.txt", PROSE),
        "exit 1: garblenet",
        "exit 1: garblenet",
        "raises ValueError: garblenet",
        model=_edited("config.json", model_type="garblenet"),
    ),
    Case(
        "10 MB single line",
        "10,000,000 characters, no newline",
        _text("big.txt", TEN_MB_LINE),
        "ok",
        "ok",
        "ok",
        slow=True,
    ),
    Case(
        "a million tiny sentences",
        "1,000,000 x 'Hi.' on one line",
        _text("many.txt", "Hi. " * 1_000_000),
        "ok",
        "ok",
        "ok",
        slow=True,
    ),
]
IDS = [c.name for c in CASES]


def _params():
    return [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.slow else []) for c in CASES]


def _model(case: Case, tiny: Path, tmp: Path) -> Path:
    return case.model(tiny, tmp / "m") if case.model else tiny


def _check_one_line_error(code: int, out: str, err: str, expected: str) -> None:
    message = expected.removeprefix("exit 1: ")
    assert code == 1 and out == "", (code, err)
    lines = [line for line in err.splitlines() if not line.startswith("garble: warning:")]
    assert len(lines) == 1 and lines[0].startswith("garble: error:") and message in lines[0], err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "m").mkdir()
    (tmp_path / "in").mkdir()
    return tmp_path


@pytest.mark.parametrize("case", _params())
def test_score(case: Case, tiny_model: Path, folder: Path, capsys) -> None:
    path = case.make(folder / "in")
    code = main(
        ["score", str(path), "--model", str(_model(case, tiny_model, folder)), "--format", "json"]
    )
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if case.score == "ok":
        assert code == 0, err
        payload = json.loads(out)
        assert payload["sentences"]
        text, end = load_text(str(path))[0], 0
        for s in payload["sentences"]:  # in order; nothing but whitespace left out
            assert 0.0 <= s["score"] <= 1.0 and s["text"] == s["text"].strip() and s["text"]
            assert text[s["start"] : s["end"]] == s["text"] and not text[end : s["start"]].strip()
            end = s["end"]
        assert not text[end:].strip()
    else:
        _check_one_line_error(code, out, err, case.score)


@pytest.mark.parametrize("case", _params())
def test_batch(case: Case, tiny_model: Path, folder: Path, capsys) -> None:
    path = case.make(folder / "in")
    out_path = folder / "out.jsonl"
    argv = ["batch", str(path), "-o", str(out_path), "--unit", "sentence"]
    code = main([*argv, "--model", str(_model(case, tiny_model, folder))])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if case.batch.startswith("exit 1: "):
        _check_one_line_error(code, out, err, case.batch)
        assert not out_path.exists()
        return
    assert code == 0, err
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    if case.batch == "ok: 0 rows":
        assert rows == [] and out.startswith("0 input rows")
        return
    assert rows and all(r["garble_id"] for r in rows)
    errors = [r["garble_error"] for r in rows if r["garble_error"]]
    for r in rows:
        assert (r["garble_score"] is None) == bool(r["garble_error"])
    if case.batch == "ok":
        assert not errors, errors
    else:
        assert any(case.batch.removeprefix("rows: ") in e for e in errors), errors


@pytest.mark.parametrize("case", _params())
def test_api(case: Case, tiny_model: Path, folder: Path) -> None:
    path = case.make(folder / "in")
    model = _model(case, tiny_model, folder)
    if case.api == "ok":
        result = GarbleDetector.from_pretrained(model).score_text(load_text(str(path))[0])
        assert result.sentences and all(0.0 <= s.score <= 1.0 for s in result.sentences)
        return
    kind, _, message = case.api.removeprefix("raises ").partition(": ")
    with pytest.raises(Exception) as raised:
        GarbleDetector.from_pretrained(model).score_text(load_text(str(path))[0])
    assert kind in [t.__name__ for t in type(raised.value).__mro__], raised.value
    assert message in str(raised.value).splitlines()[0]


def test_stdout_on_a_full_disk(tiny_model: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """`garble score ... > /dev/full`: one line, exit 1."""
    path = tmp_path / "a.txt"
    path.write_text(PROSE)
    full = open("/dev/full", "w")  # noqa: SIM115 - closing it flushes again, and fails
    monkeypatch.setattr(sys, "stdout", full)
    code = main(["score", str(path), "--model", str(tiny_model)])
    monkeypatch.undo()
    with contextlib.suppress(OSError):
        full.close()
    err = capsys.readouterr().err
    assert code == 1 and err == "garble: error: cannot write the output: No space left on device\n"


def test_batch_output_under_a_file(tiny_model: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.txt"
    path.write_text(PROSE)
    code = main(["batch", str(path), "-o", str(path / "out.jsonl"), "--model", str(tiny_model)])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err == f"garble: error: {path / 'out.jsonl'}: cannot write there (Not a directory)\n"


def catalogue_markdown() -> str:
    """Return the catalogue table of docs/RELIABILITY.md."""
    lines = [
        "| # | case | input | `garble score` | `garble batch --unit sentence` | API |",
        "|---|---|---|---|---|---|",
    ]
    for n, c in enumerate(CASES, 1):
        name = f"{c.name} (slow)" if c.slow else c.name
        cells = [str(n), name, c.input, c.score, c.batch, c.api]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines)


def test_the_doc_lists_every_case() -> None:
    assert len(CASES) >= 30
    assert catalogue_markdown() in DOC.read_text(encoding="utf-8")


if __name__ == "__main__":
    print(catalogue_markdown(), file=io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8"))
