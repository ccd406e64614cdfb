"""`garble score`: every output format, stdin, HTML, threshold override and bad input."""

import io
import json
import logging
import shutil
import subprocess
import sys

import pytest

from detector.cli import main
from tests.conftest import DATA, REPO

ARTICLE = REPO / "examples" / "article.txt"
KEYS = {"id", "start", "end", "text", "score", "garbled", "spans", "types", "type", "boilerplate"}


def run(capsys, *argv):
    code = main(["score", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_sentences_and_summary(tiny_model, capsys):
    code, out, _ = run(capsys, ARTICLE, "--model", tiny_model)
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["no.", "score", "flag", "part", "text"]
    assert lines[2].split()[0] == "1"
    assert lines[-2].startswith("verdict: ") and "of 15 content sentences flagged" in lines[-2]
    assert "15 sentences, 0 boilerplate" in lines[-1] and "article score" in lines[-1]


def test_json_has_model_article_and_offsets(tiny_model, capsys):
    code, out, _ = run(capsys, ARTICLE, "--model", tiny_model, "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert set(payload["model"]) == {"name", "version", "threshold"}
    assert payload["article"]["sentences"] == len(payload["sentences"]) == 15
    assert payload["article"]["content_sentences"] == 15  # the example has no boilerplate
    assert payload["article"]["verdict"] in {"clean", "partly garbled", "garbled"}
    text = ARTICLE.read_text()
    for s in payload["sentences"]:
        assert set(s) == KEYS
        assert text[s["start"] : s["end"]] == s["text"]
        assert 0.0 <= s["score"] <= 1.0
        assert s["garbled"] == (s["score"] >= payload["model"]["threshold"])


def test_jsonl_one_sentence_per_line(tiny_model, capsys):
    code, out, _ = run(capsys, ARTICLE, "--model", tiny_model, "--format", "jsonl")
    rows = [json.loads(line) for line in out.strip().splitlines()]
    assert code == 0 and len(rows) == 15 and all(set(r) == KEYS for r in rows)


def test_threshold_override(tiny_model, capsys):
    _, out, _ = run(capsys, ARTICLE, "--model", tiny_model, "--format", "json", "--threshold", "0")
    payload = json.loads(out)
    assert payload["model"]["threshold"] == 0.0
    assert all(s["garbled"] for s in payload["sentences"])


@pytest.mark.parametrize("value", ["abc", "1.5", "-0.1", "nan"])
def test_bad_threshold_is_one_line_error(capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["score", str(ARTICLE), "--threshold", value])
    out, err = capsys.readouterr()
    assert exit_.value.code == 1 and out == ""
    assert err == f"garble: error: argument --threshold: '{value}' is not a number in [0, 1]\n"


def test_stdin(tiny_model, capsys, monkeypatch):
    text = "The council met today. It approved the budget and the budget."
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = run(capsys, "-", "--model", tiny_model, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["text"] for r in rows] == text.replace("today. ", "today.\n").split(
        "\n"
    )


def test_html_main_text_is_extracted(tiny_model, capsys):
    code, out, _ = run(capsys, DATA / "article.html", "--model", tiny_model, "--format", "json")
    texts = [s["text"] for s in json.loads(out)["sentences"]]
    assert code == 0
    assert (
        "The central library reopened on Monday after eight months of repairs to its roof." in texts
    )
    assert not any("Copyright" in t or "Home" in t or "var x" in t for t in texts)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "input is empty"),
        (b"  \n\t \n", "input is empty"),
        (b"\x7fELF\x02\x01\x00\x00binary", "binary"),
        (b"caf\xe9 au lait", "not valid UTF-8 (byte 3); convert it to UTF-8"),
        ("Rain fell.".encode("utf-16") + b"\x00", "not valid UTF-16"),
    ],
)
def test_bad_input_is_one_line_error(tmp_path, capsys, content, message):
    path = tmp_path / "input.txt"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capsys, path)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("garble: error:") and message in err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_input_is_decoded(tiny_model, tmp_path, capsys, encoding):
    text = "The café opened today. It sells “good” coffee.\n"
    path = tmp_path / "input.txt"
    path.write_bytes(text.encode(encoding))
    code, out, err = run(capsys, path, "--model", tiny_model, "--format", "jsonl")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows] == ["The café opened today.", "It sells “good” coffee."]


@pytest.mark.parametrize(
    "page",
    [
        "<html><body><nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        "<footer>Copyright 2026 Example News</footer></body></html>",
        "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav><footer>(c) 2026</footer>",
        "<html><body><div class='menu'><ul><li><a href='/'>Home</a></li>"
        "<li><a href='/about'>About</a></li></ul></div></body></html>",
        "<html><head><title>Empty</title></head><body></body></html>",
        "<html><body><script>var x = 'Hello there';</script></body></html>",
    ],
    ids=["nav-and-footer", "no-html-tag", "menu-of-links", "empty-body", "script-only"],
)
def test_html_without_main_text_is_one_line_error(tmp_path, capsys, caplog, page):
    path = tmp_path / "page.html"
    path.write_text(page)
    caplog.set_level(logging.DEBUG, logger="trafilatura")
    code, out, err = run(capsys, path)
    assert code == 1 and out == ""
    assert err == f"garble: error: {path}: no main text found in the HTML\n"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_directory_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path)
    assert code == 1 and "is a directory" in err and err.count("\n") == 1


def test_missing_model_is_an_error(tmp_path, capsys):
    code, _, err = run(capsys, ARTICLE, "--model", tmp_path)
    assert code == 1 and "no meta.json" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("file", "content", "reason"),
    [
        ("meta.json", "{}", "name: Field required"),
        ("meta.json", '{"name": "x", "version": "1", "threshold": "high"}', "threshold:"),
        ("meta.json", "not json", "Invalid JSON"),
        ("model.safetensors", "garbage", "SafetensorError"),
        ("tokenizer.json", "garbage", "cannot read the model files"),
    ],
)
def test_damaged_model_folder_is_a_one_line_error(
    tiny_model, tmp_path, capsys, file, content, reason
):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder)
    (folder / file).write_text(content)
    code, _, err = run(capsys, ARTICLE, "--model", folder, "--backend", "torch")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("garble: error: cannot load model:") and reason in err


def test_non_english_warns_and_still_scores(tiny_model, tmp_path, capsys):
    path = tmp_path / "de.txt"
    path.write_text(
        "Der Stadtrat hat am Dienstag den neuen Park genehmigt. Die Arbeiten beginnen bald."
    )
    code, out, err = run(capsys, path, "--model", tiny_model, "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 2
    assert "warning" in err and "'de'" in err


def test_console_script_end_to_end(tiny_model):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "detector.cli",
            "score",
            "-",
            "--model",
            str(tiny_model),
            "--format",
            "json",
        ],
        input=b"Rain is expected tomorrow. Roads may close.",
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["article"]["sentences"] == 2
    assert proc.stderr == b""
