"""The span and type heads: fitting (garble-train heads), applying them, and their outputs."""

from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.api import TYPES, GarbleDetector
from detector.backends import ONNX_HIDDEN, OnnxBackend, TorchBackend
from detector.heads import HEADS_META, Heads, char_spans, type_probabilities
from training.config import HeadsConfig
from training.heads import fit_heads
from training.metrics import span_metrics

ARTICLE = (
    "The council approved the plan on Tuesday. "
    "Counterfeit consciousness is utilized in enormous information investigation. "
    "It created a gun and a gun."
)


def _mqm_file(path) -> str:
    """Write a small MQM-like file: rated MT rows with visible spans, references, spun rows."""
    rows = []
    for doc in range(12):
        text = f"The device of number {doc} have be broken by the the user yesterday."
        rows.append(
            {
                "text": text,
                "label": 1,
                "is_human": False,
                "doc_id": f"doc-{doc}",
                "raters": 1,
                "spun_reference": False,
                "errors": [{"start": 25, "end": 32, "visible": True}],
            }
        )
        rows.append(
            {
                "text": f"Report {doc} was filed by the committee.",
                "label": 0,
                "is_human": True,
                "doc_id": f"doc-{doc}",
                "raters": 1,
                "spun_reference": False,
                "errors": [],
            }
        )
        rows.append(
            {
                "text": f"The colossal information {doc} is utilized by counterfeit consciousness.",
                "label": 1,
                "is_human": True,
                "doc_id": f"doc-{doc}",
                "raters": 1,
                "spun_reference": True,
                "errors": [],
            }
        )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def headed_model(tiny_model, tmp_path_factory):
    """A copy of the tiny model with heads fitted on its prepared data and a tiny MQM file."""
    tmp = tmp_path_factory.mktemp("heads")
    folder = shutil.copytree(tiny_model, tmp / "model")
    config = tiny_config(tiny_model.parent)
    config.heads = HeadsConfig(
        own_garbled=60, own_clean=30, mqm=_mqm_file(tmp / "mqm.jsonl"), dev_rows=30
    )
    fit_heads(folder, config)
    return folder


def test_fit_writes_heads_with_the_dev_choice(headed_model):
    heads = Heads.load(headed_model)
    info = json.loads((headed_model / HEADS_META).read_text())
    assert heads is not None and heads.span_weight.shape == heads.type_weight.shape
    assert 0.05 <= heads.span_threshold <= 0.95
    assert info["dev"]["own_dev"]["rows"] > 0 and "mcc" in info["dev"]["mqm_dev"]
    assert info["train"]["by_source"]["mqm-spun"] > 0  # spun references teach the type head


def test_a_folder_without_heads_gives_no_spans_or_types(tiny_model):
    result = GarbleDetector.from_pretrained(tiny_model, backend="torch").score_text(ARTICLE)
    assert all(s.spans == [] and s.types == {} and s.type is None for s in result.sentences)


def test_score_text_gives_spans_in_text_coordinates_and_types(headed_model):
    detector = GarbleDetector.from_pretrained(headed_model, backend="torch")
    detector.heads.span_threshold = 0.0  # every token marked: spans cover every word
    result = detector.score_text(ARTICLE)
    for s in result.sentences:
        assert s.spans
        for span in s.spans:
            assert ARTICLE[span.start : span.end] == span.text
            assert s.start <= span.start < span.end <= s.end
        assert set(s.types) == set(TYPES)
        assert sum(s.types.values()) == pytest.approx(1.0, abs=2e-4)
        assert s.types["clean"] == pytest.approx(1 - s.score, abs=1e-4)
        assert s.type == max(TYPES, key=lambda t: s.types[t])
        marked = "".join(ARTICLE[sp.start : sp.end] for sp in s.spans)
        assert marked.replace(" ", "") == s.text.replace(" ", "")


def test_workers_give_the_same_spans_and_types(headed_model):
    one = GarbleDetector.from_pretrained(headed_model, backend="torch")
    one.heads.span_threshold = 0.0  # every token marked: spans must still agree
    pool = GarbleDetector.from_pretrained(headed_model, backend="torch", workers=2)
    try:
        pool.heads.span_threshold = 0.0
        want, got = one.score_text(ARTICLE), pool.score_text(ARTICLE)
    finally:
        pool.close()
    assert [s.types for s in got.sentences] == [s.types for s in want.sentences]
    assert [s.spans for s in got.sentences] == [s.spans for s in want.sentences]
    assert any(s.spans for s in got.sentences)


def test_onnx_export_gives_the_torch_heads_outputs(headed_model, tmp_path):
    """New exports carry the hidden states as an output; an export without it (written before
    the heads) gets it added in memory and gives the same token scores."""
    import onnx

    from detector.onnx_export import write_onnx

    torch_backend = TorchBackend.load(headed_model)
    heads = Heads.load(headed_model)
    detector = GarbleDetector.from_pretrained(headed_model, backend="torch")
    batch = detector.encoder.pad(detector.encoder.encode(ARTICLE.split(". ")))
    want = torch_backend.analyse(batch)
    write_onnx(torch_backend.model, detector.encoder, tmp_path / "new.onnx", quantize=False)
    new = OnnxBackend.from_file(tmp_path / "new.onnx", heads=heads)
    assert ONNX_HIDDEN in {o.name for o in new.session.get_outputs()}
    graph = onnx.load(str(tmp_path / "new.onnx"))
    graph.graph.output.pop()  # the hidden output: as in an export written before the heads
    onnx.save(graph, str(tmp_path / "old.onnx"))
    old = OnnxBackend.from_file(tmp_path / "old.onnx", heads=heads)
    assert len(onnx.load(str(tmp_path / "old.onnx")).graph.output) == 1
    assert len(old.session.get_outputs()) == 2  # the hidden states, added in memory
    for backend in (new, old):
        got = backend.analyse(batch)
        np.testing.assert_allclose(got.logits, want.logits, atol=1e-4)
        mask = batch["attention_mask"].astype(bool)
        np.testing.assert_allclose(got.token_scores[mask], want.token_scores[mask], atol=1e-4)
        np.testing.assert_allclose(got.spinner, want.spinner, atol=1e-4)


def test_heads_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    heads = Heads(rng.normal(size=8), 0.1, rng.normal(size=8), -0.2, 0.35, {"x": 1})
    heads.save(tmp_path)
    back = Heads.load(tmp_path)
    np.testing.assert_allclose(back.span_weight, heads.span_weight, rtol=1e-6)
    assert (back.span_bias, back.type_bias, back.span_threshold) == pytest.approx((0.1, -0.2, 0.35))
    assert back.info["x"] == 1


def test_char_spans_extend_to_words_and_merge():
    text = "It was utilized by counterfeit consciousness today."
    # word pieces of "counterfeit" and "consciousness" marked, "utilized" only in part
    offsets = [(0, 2), (3, 6), (7, 11), (11, 15), (16, 18), (19, 25), (25, 30), (31, 44)]
    scores = [0.1, 0.1, 0.9, 0.2, 0.1, 0.8, 0.3, 0.7]
    spans = char_spans(offsets, scores, text, 0.5)
    assert [text[a:b] for a, b, _ in spans] == ["utilized", "counterfeit consciousness"]
    assert [round(s, 2) for _, _, s in spans] == [0.9, 0.8]
    assert char_spans(offsets, scores, text, 0.95) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet="ab '.-", min_size=1, max_size=6), min_size=1, max_size=8),
    st.lists(st.floats(0, 1), min_size=8, max_size=8),
    st.floats(0, 1),
)
def test_char_spans_are_ordered_disjoint_and_cover_marked_tokens(words, scores, threshold):
    text = " ".join(words)
    offsets, start = [], 0
    for w in words:
        offsets.append((start, start + len(w)))
        start += len(w) + 1
    scores = scores[: len(words)]
    spans = char_spans(offsets, scores, text, threshold)
    for (a, b, _), (c, _, _) in itertools.pairwise(spans):
        assert a < b < c and text[b:c].strip()  # apart, with more than whitespace between
    for (a, b), score in zip(offsets, scores, strict=True):
        if b > a and score >= threshold:
            assert any(s <= a and b <= e for s, e, _ in spans)


def test_type_probabilities_split_the_score():
    p = type_probabilities(0.8, 0.25)
    assert p == {"mt": 0.6, "spinner": 0.2, "clean": 0.2}


def test_span_metrics_marking_everything_has_no_correlation():
    texts = ["aa bb cc dd", "ee ff gg"]
    gold = [[[0, 5]], [[3, 5]]]
    everything = span_metrics(texts, gold, [[[0, len(t)]] for t in texts])
    assert everything["recall"] == 1.0 and everything["mcc"] == 0.0
    exact = span_metrics(texts, gold, gold)
    assert exact["f1"] == 1.0 and exact["mcc"] == 1.0
    assert span_metrics(texts, gold, [[], []])["f1"] == 0.0


def _article_with_spans():
    from detector.results import ArticleResult, SentenceScore, Span

    text = "It was utilized by counterfeit consciousness today.\x1b[2J"
    spans = [Span(7, 15, "utilized", 0.9), Span(19, 44, "counterfeit consciousness", 0.8)]
    row = SentenceScore(1, 0, len(text), text, 0.91, True, spans, {}, None, False)
    return ArticleResult([row], 0.5)


def test_table_marks_spans_in_brackets_or_colour():
    from detector.meta import ModelMeta
    from detector.render import SPAN_OFF, SPAN_ON, to_table

    meta = ModelMeta(name="m", version="1")
    result = _article_with_spans()
    plain = to_table(result, meta, width=200)
    assert "It was [utilized] by [counterfeit consciousness] today." in plain
    assert "\x1b" not in plain  # the input's escape sequence is neutralised
    coloured = to_table(result, meta, width=200, colour=True)
    assert f"{SPAN_ON}utilized{SPAN_OFF}" in coloured and "[utilized]" not in coloured
    narrow = to_table(result, meta, width=60).splitlines()[2]
    assert "\u2026" in narrow and len(narrow) <= 60 and "[utilized]" in narrow


@pytest.mark.parametrize("damage", ["heads.json", "heads.safetensors"])
def test_damaged_heads_give_a_one_line_error(headed_model, tmp_path, capsys, damage):
    from detector.cli import main

    folder = shutil.copytree(headed_model, tmp_path / "model")
    (folder / damage).write_text("{not json", encoding="utf-8")
    text = tmp_path / "a.txt"
    text.write_text(ARTICLE, encoding="utf-8")
    assert main(["score", str(text), "--model", str(folder)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("garble: error:") and "cannot read the heads" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_table_colour_only_on_a_terminal_stdout(headed_model, tmp_path, capsys, monkeypatch):
    from detector.cli import main
    from detector.render import SPAN_ON

    folder = shutil.copytree(headed_model, tmp_path / "model")
    info = json.loads((folder / HEADS_META).read_text())
    info["span_threshold"] = 0.0  # every word marked
    (folder / HEADS_META).write_text(json.dumps(info))
    text = tmp_path / "a.txt"
    text.write_text(ARTICLE, encoding="utf-8")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["score", str(text), "--model", str(folder)]) == 0
    assert SPAN_ON in capsys.readouterr().out
    out = tmp_path / "table.txt"
    assert main(["score", str(text), "--model", str(folder), "-o", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert "\x1b" not in written and "[" in written  # a file gets brackets, not colour


@pytest.fixture()
def every_token_marked(headed_model, tmp_path):
    """A copy of the headed model whose span threshold marks every token."""
    folder = shutil.copytree(headed_model, tmp_path / "marked")
    info = json.loads((folder / HEADS_META).read_text())
    (folder / HEADS_META).write_text(json.dumps({**info, "span_threshold": 0.0}))
    return folder


@pytest.mark.parametrize("unit", ["row", "sentence", "document"])
def test_batch_spans_are_offsets_into_each_row_text(every_token_marked, tmp_path, capsys, unit):
    """`garble batch --spans` adds spans (and types) without changing a score or a flag."""
    from detector.cli import main

    texts = [ARTICLE, "A second row. It has two sentences."]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    outputs = {}
    for name, extra in (("plain", []), ("spans", ["--spans"])):
        out = tmp_path / f"{name}.parquet"
        argv = ["batch", str(src), "-o", str(out), "--unit", unit, "--model"]
        code = main([*argv, str(every_token_marked), "--backend", "torch", *extra])
        assert code == 0, capsys.readouterr().err
        outputs[name] = pq.read_table(out).to_pylist()
    plain, spans = outputs["plain"], outputs["spans"]
    assert [r["garble_score"] for r in spans] == [r["garble_score"] for r in plain]
    assert [r["garble_flag"] for r in spans] == [r["garble_flag"] for r in plain]
    assert "garble_spans" not in plain[0]
    for row in spans:
        text = texts[int(row["garble_id"].rsplit(":", 1)[1]) - 1]
        assert row["garble_spans"], row  # every token is marked
        for span in row["garble_spans"]:
            assert text[span["start"] : span["end"]] == span["text"]
        if unit == "sentence":
            assert all(
                row["garble_start"] <= sp["start"] < sp["end"] <= row["garble_end"]
                for sp in row["garble_spans"]
            )
        if unit == "document":
            assert "garble_type" not in row
        else:
            assert row["garble_type"] in TYPES


def test_batch_spans_need_a_model_with_heads(tiny_model, tmp_path, capsys):
    from detector.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": ARTICLE}) + "\n", encoding="utf-8")
    code = main(["batch", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", str(tiny_model)])
    assert code == 0 and "1 rows" in capsys.readouterr().out
    argv = ["batch", str(src), "-o", str(tmp_path / "s.jsonl"), "--spans"]
    code = main([*argv, "--model", str(tiny_model)])
    out, err = capsys.readouterr()
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "--spans needs a model with span and type heads" in err
    assert not (tmp_path / "s.jsonl").exists()


def test_batch_html_reports_reuse_the_scored_document(
    every_token_marked, tmp_path, capsys, monkeypatch
):
    """`--html-dir` reports carry the spans and types of `garble score`, from the analysis that
    scored the document once; the output rows stay as without reports (no spans asked)."""
    from detector.cli import main
    from detector.report_html import to_html
    from detector.segment import split_sentences

    analysed = []
    analyse = GarbleDetector._analyse

    def counting(self, texts, *args, **kwargs):
        analysed.extend(texts)
        return analyse(self, texts, *args, **kwargs)

    monkeypatch.setattr(GarbleDetector, "_analyse", counting)

    texts = [ARTICLE, "A second row. It has two sentences."]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    argv = ["batch", str(src), "--unit", "document", "--backend", "torch", "--model"]
    argv.append(str(every_token_marked))
    rows = {}
    for name, extra in (("plain", []), ("reports", ["--html-dir", str(tmp_path / "r")])):
        out = tmp_path / f"{name}.jsonl"
        assert main([*argv, "-o", str(out), *extra]) == 0, capsys.readouterr().err
        rows[name] = out.read_text(encoding="utf-8")
        assert sorted(analysed) == sorted(s.text for t in texts for s in split_sentences(t))
        analysed.clear()  # each run runs the model once over each sentence
    assert rows["reports"] == rows["plain"] and "garble_spans" not in rows["plain"]
    detector = GarbleDetector.from_pretrained(every_token_marked, backend="torch")
    for k, text in enumerate(texts, 1):
        result = detector.score_text(text)
        assert any(s.spans for s in result.sentences)
        title = f"in.jsonl:{k}"
        page = (tmp_path / "r" / f"00000{k}_in.jsonl_{k}.html").read_text(encoding="utf-8")
        assert page == to_html(result, detector.meta, text, title=title)
