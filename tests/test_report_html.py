"""The HTML report: escaping, no remote references, the marks, `garble score --format html -o`
and `garble batch --unit document --html-dir`."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from detector.batch.reports import report_name, safe_name
from detector.cli import main
from detector.report_html import to_html
from detector.results import ArticleResult, SentenceScore, Span
from tests.report_fixtures import (
    ARTICLE,
    BOILERPLATE,
    FLAGGED,
    INJECTED,
    Meta,
    article_with_injection,
    known_result,
)


class Page(HTMLParser):
    """The parts of a report the tests look at: tags, paragraph texts, sentence elements."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.paragraphs: list[str] = []
        self.sentences: dict[str, dict] = {}  # id -> attributes and text
        self.marks: list[tuple[str, str]] = []  # (text, score)
        self._para: list[str] | None = None
        self._sentence: dict | None = None
        self._mark: list | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "p" and attrs.get("class") == "para":
            self._para = []
        elif tag == "span" and "s" in (attrs.get("class") or "").split() and self._para is not None:
            self._sentence = {**attrs, "text": ""}
            self.sentences[attrs["data-id"]] = self._sentence
        elif tag == "mark" and self._sentence is not None:
            self._mark = [attrs["data-score"], ""]

    def handle_endtag(self, tag):
        if tag == "p" and self._para is not None:
            self.paragraphs.append("".join(self._para))
            self._para = None
        elif tag == "span" and self._sentence is not None and self._mark is None:
            self._sentence = None
        elif tag == "mark" and self._mark is not None:
            self.marks.append((self._mark[1], self._mark[0]))
            self._mark = None

    def handle_data(self, data):
        if self._para is not None:
            self._para.append(data)
        if self._sentence is not None:
            self._sentence["text"] += data
        if self._mark is not None:
            self._mark[1] += data

    def classes(self, sentence_id: int) -> set[str]:
        return set(self.sentences[str(sentence_id)]["class"].split())


def paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.fixture
def injected():
    text = article_with_injection()
    return text, to_html(known_result(text), Meta(), text, title=f"a {INJECTED} & title")


def test_input_is_escaped_and_shows_literally(injected):
    text, html = injected
    assert "<script" not in html.lower()  # the template has none, and the input's is escaped
    assert (
        "&lt;script&gt;window.pwned = true; document.title = &#34;pwned&#34;&lt;/script&gt;" in html
    )
    assert "&amp; &#39;others&#39;" in html
    page = Page(html)
    assert not any(tag == "script" for tag, _ in page.tags)
    # the text of every paragraph is the input's (its whitespace collapsed, as pre-line does)
    assert [" ".join(p.split()) for p in page.paragraphs] == paragraphs(text)
    assert any(INJECTED in s["text"] for s in page.sentences.values())
    title = next(i for i, (tag, _) in enumerate(page.tags) if tag == "title")
    assert page.tags[title] == ("title", {})


def test_attributes_cannot_be_broken_out_of():
    text = 'He said "hi" onmouseover="alert(1)" and left. Then <b>bold</b> & more.'
    result = known_result(text)
    result.sentences[0].types = {"mt": 0.5, 'x" onclick="alert(1)': 0.1}
    result.sentences[0].type = '"><script>alert(2)</script>'
    html = to_html(result, Meta(name='m"><script>', version="<1>"), text, title='t"><i>')
    assert "<script" not in html.lower() and "<i>" not in html and "<b>bold" not in html
    for _, attrs in Page(html).tags:
        assert not any(name.startswith("on") for name in attrs), attrs


def test_no_remote_references_and_a_strict_policy(injected):
    _, html = injected
    assert "http://" not in html and "https://" not in html
    page = Page(html)
    for tag, attrs in page.tags:
        assert "src" not in attrs and "srcset" not in attrs, tag
        assert attrs.get("href", "#").startswith("#"), attrs  # in-page links only
        assert tag not in {"link", "script", "img", "iframe", "object", "embed", "form", "base"}
    metas = [attrs for tag, attrs in page.tags if tag == "meta"]
    csp = next(m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "style-src 'unsafe-inline'" in csp
    assert any(m.get("name") == "viewport" for m in metas)
    assert "@import" not in html and "url(" not in html


def test_flags_spans_boilerplate_and_types_are_marked(injected):
    text, html = injected
    result = known_result(text)
    page = Page(html)
    flagged = [s.id for s in result.sentences if s.garbled]
    assert len(flagged) == len(FLAGGED)
    for s in result.sentences:
        classes = page.classes(s.id)
        assert ("flagged" in classes) == s.garbled
        assert ("boilerplate" in classes) == (BOILERPLATE in s.text)
        attrs = page.sentences[str(s.id)]
        assert attrs["data-score"] == f"{s.score:.3f}" and f"score {s.score:.3f}" in attrs["title"]
        assert attrs["text"] == s.text
    assert sorted(page.marks) == sorted((span, "0.870") for span in FLAGGED.values())
    tip = page.sentences[str(flagged[0])]["title"]
    assert "flagged as garbled" in tip and "mt 0.70, spinner 0.20, clean 0.10" in tip
    assert "Boilerplate" in next(
        s["title"] for s in page.sentences.values() if BOILERPLATE in s["text"]
    )
    # the panel lists the flagged sentences, linked to them
    hrefs = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert [f"#s-{i}" for i in flagged] == hrefs[: len(flagged)]
    assert "model garble-test 9.9.9, threshold 0.5" in html


def test_summary_keys_are_read_when_present():
    text = ARTICLE.read_text(encoding="utf-8")
    base = known_result(text)
    flagged = sorted((s for s in base.sentences if s.garbled), key=lambda s: s.id, reverse=True)

    class Extended(ArticleResult):
        def summary(self):
            return {
                "verdict": "garbled <in part>",
                "sentences": 15,
                "content_sentences": 14,
                "boilerplate_sentences": 1,
                "flagged": 2,
                "flagged_fraction": 0.1429,
                "article_score": 0.2,
                "threshold": 0.5,
                "top_flagged": [{"id": s.id, "score": s.score, "text": s.text} for s in flagged],
            }

    class Bare(ArticleResult):
        def summary(self):
            return {}

    html = to_html(Extended(base.sentences, 0.5), Meta(), text)
    assert "garbled &lt;in part&gt;" in html and "share flagged: <b>14%</b>" in html
    hrefs = [a["href"] for tag, a in Page(html).tags if tag == "a"]
    assert hrefs[:2] == [f"#s-{s.id}" for s in flagged]  # in the order summary() gives
    bare = to_html(Bare(base.sentences, 0.5), None, text)
    assert "2 of 14 sentences flagged as garbled" in bare and "unknown model" in bare


def test_no_flag_lists_the_highest_scores():
    text = "One plain sentence. Another plain one. A third."
    result = known_result(text)
    html = to_html(result, Meta(), text)
    assert "No sentence flagged" in html and "flagged" not in Page(html).classes(3)


def test_odd_spans_and_text_that_does_not_match_still_render():
    s = SentenceScore(1, 10, 20, "0123456789", 0.8, True)
    s.spans = [Span(12, 15, "234", 0.9), Span(14, 17, "456", 0.8), Span(5, 11, "x", 0.7)]
    s.spans += [Span(19, 30, "9", 0.6), Span(16, 16, "", 0.5)]
    t = SentenceScore(2, 21, 25, "abcd", 0.1, False)
    for text in (None, "does not match the offsets at all, not at all"):
        page = Page(to_html(ArticleResult([s, t], 0.5), Meta(), text))
        assert [p["text"] for p in page.sentences.values()] == ["0123456789", "abcd"]
        assert page.marks == [("0", "0.700"), ("234", "0.900"), ("9", "0.600")]
        assert page.paragraphs == ["0123456789 abcd"]


def test_report_names_are_safe_and_unique():
    assert safe_name("../../etc/passwd") == "etc_passwd"
    assert safe_name("data/in.jsonl:3") == "data_in.jsonl_3"
    assert safe_name("???") == "" and report_name(7, "???") == "000007.html"
    assert report_name(12, "doc a/b") == "000012_doc_a_b.html"
    assert len(safe_name("x" * 500)) == 80


# --- the command line, with the tiny random model ---------------------------------------------


def score(capsys, *argv):
    code = main(["score", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_format_html_writes_the_file(tiny_model, tmp_path, capsys):
    report = tmp_path / "report.html"
    code, out, err = score(
        capsys, ARTICLE, "--model", tiny_model, "--format", "html", "-o", report, "--threshold", "0"
    )
    assert code == 0 and out == "" and err == ""
    html = report.read_text(encoding="utf-8")
    page = Page(html)
    assert len(page.sentences) == 15 and all("flagged" in page.classes(i) for i in range(1, 16))
    assert [" ".join(p.split()) for p in page.paragraphs] == paragraphs(ARTICLE.read_text())
    assert "garble report: article.txt" in html and "threshold 0" in html


def test_html_goes_to_stdout_without_output(tiny_model, capsys):
    code, out, _ = score(capsys, ARTICLE, "--model", tiny_model, "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and len(Page(out).sentences) == 15


def test_output_works_for_every_format(tiny_model, tmp_path, capsys):
    for fmt in ("table", "json", "jsonl"):
        path = tmp_path / f"out.{fmt}"
        code, out, _ = score(capsys, ARTICLE, "--model", tiny_model, "--format", fmt, "-o", path)
        _, expected, _ = score(capsys, ARTICLE, "--model", tiny_model, "--format", fmt)
        assert code == 0 and out == "" and path.read_text(encoding="utf-8") == expected
    assert json.loads((tmp_path / "out.json").read_text())["article"]["sentences"] == 15


def test_unwritable_output_is_a_one_line_error(tiny_model, tmp_path, capsys):
    target = tmp_path / "missing" / "report.html"
    code, out, err = score(capsys, ARTICLE, "--model", tiny_model, "--format", "html", "-o", target)
    assert (
        code == 1 and out == "" and err == f"garble: error: {target}: No such file or directory\n"
    )


def batch(capsys, *argv):
    code = main(["batch", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_batch_writes_one_report_per_document(tiny_model, tmp_path, capsys):
    docs = [
        {"doc": "a/b", "body": "The council met. It voted <b>twice</b> & left."},
        {"doc": "a/b", "body": "A second document with the same id."},
        {"doc": "empty", "body": "  "},
        {"doc": "../up", "body": f"Text with {INJECTED} in it."},
        {"doc": "page", "body": "The council met on Monday.\n\nShare this: Twitter Facebook\n"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in docs))
    out, reports = tmp_path / "out.jsonl", tmp_path / "reports"
    argv = [src, "-o", out, "--model", tiny_model, "--unit", "document", "--text-field", "body"]
    code, _, err = batch(capsys, *argv, "--id-field", "doc", "--html-dir", reports)
    assert code == 0, err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["garble_error"] is None for r in rows] == [True, True, False, True, True]
    names = sorted(p.name for p in reports.iterdir())
    assert names == ["000001_a_b.html", "000002_a_b.html", "000004_up.html", "000005_page.html"]
    # the report is the page of `garble score`: the boilerplate of the document is greyed
    page = Page((reports / names[3]).read_text(encoding="utf-8"))
    classes = [s["class"].split() for s in page.sentences.values()]
    assert ["boilerplate" in c for c in classes] == [False, True]
    first = (reports / names[0]).read_text(encoding="utf-8")
    assert (
        "It voted &lt;b&gt;twice&lt;/b&gt; &amp; left." in first and "garble report: a/b" in first
    )
    last = (reports / names[2]).read_text(encoding="utf-8")
    assert "<script" not in last and len(Page(last).sentences) == 1

    # the folder now holds reports: a new run must be told to overwrite them
    code, _, err = batch(capsys, *argv, "--overwrite", "--html-dir", reports)
    assert code == 0, err  # default ids: the file name and line number
    new = {f"00000{k}_in.jsonl_{k}.html" for k in (1, 2, 4, 5)}
    assert {p.name for p in reports.iterdir()} == {*names, *new}
    code, _, err = batch(
        capsys,
        src,
        "-o",
        tmp_path / "o2.jsonl",
        "--model",
        tiny_model,
        "--unit",
        "document",
        "--text-field",
        "body",
        "--html-dir",
        reports,
    )
    assert code == 1 and "is not empty; pass --overwrite" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--unit", "row"], "--html-dir needs --unit document"),
        (["--unit", "document", "--engine", "ray"], "--html-dir needs the local engine"),
    ],
)
def test_batch_html_dir_needs_document_unit_and_local_engine(
    tiny_model, tmp_path, capsys, extra, message
):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "One sentence."}\n')
    code, out, err = batch(
        capsys,
        src,
        "-o",
        tmp_path / "o.jsonl",
        "--model",
        tiny_model,
        "--html-dir",
        tmp_path / "r",
        *extra,
    )
    assert (
        code == 1
        and out == ""
        and err.startswith(f"garble: error: {message}")
        and err.count("\n") == 1
    )


def test_batch_reports_survive_an_interrupted_run(tiny_model, tmp_path, capsys, monkeypatch):
    import detector.batch.run as batch_run

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"text": f"Document {i}. It ends."}) + "\n" for i in range(5))
    )
    out, reports = tmp_path / "out.jsonl", tmp_path / "reports"
    argv = [src, "-o", out, "--model", tiny_model, "--unit", "document", "--chunk-size", "2"]
    real, calls = batch_run.score_rows, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(batch_run, "score_rows", interrupted)
    assert batch(capsys, *argv, "--html-dir", reports)[0] == 130
    monkeypatch.undo()
    assert sorted(p.name for p in reports.iterdir()) == [
        "000001_in.jsonl_1.html",
        "000002_in.jsonl_2.html",
    ]
    code, _, err = batch(capsys, *argv, "--html-dir", tmp_path / "other", "--resume")
    assert code == 1 and "other outputs" in err
    code, _, err = batch(capsys, *argv, "--html-dir", reports, "--resume")
    assert code == 0, err
    assert sorted(p.name for p in reports.iterdir()) == [
        f"00000{i}_in.jsonl_{i}.html" for i in range(1, 6)
    ]
