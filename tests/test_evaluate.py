"""`garble-train evaluate` on a tiny fixture whose metrics are computed by hand."""

import json
import warnings

import pytest
from conftest import REPO

from detector.cli import main as garble
from training.cli import main as garble_train
from training.evaluate import LabelledData, evaluate, read_labelled
from training.report import write_plots, write_report

ROWS = [
    {"text": "a", "label": 0, "g": "x"},
    {"text": "b", "label": 0, "g": "x"},
    {"text": "c", "label": 1, "g": "x"},
    {"text": "d", "label": 0, "g": "y"},
    {"text": "e", "label": 1, "g": "y"},
    {"text": "f", "label": 1, "g": "y"},
]
SCORES = {"a": 0.1, "b": 0.7, "c": 0.8, "d": 0.3, "e": 0.2, "f": 0.9}


class FixedScorer:
    threshold = 0.5

    def score(self, texts):
        return [SCORES[t] for t in texts]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "fix.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return read_labelled(path, group_by=["g"])


def test_metrics_match_hand_computation(data):
    results, _ = evaluate(data, {"fixed": FixedScorer()})
    overall = results["fixed"]["groups"]["all"]
    # at 0.5: predicted garbled b, c, f -> tp=2 (c, f), fp=1 (b), fn=1 (e), tn=2 (a, d)
    assert overall["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["fpr"] == pytest.approx(1 / 3, abs=1e-4)
    # MCC = (tp*tn - fp*fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn)) = (4 - 1) / 9
    assert overall["mcc"] == pytest.approx(1 / 3, abs=1e-4)
    # positives 0.8, 0.2, 0.9 vs negatives 0.1, 0.7, 0.3: 7 of 9 pairs ordered
    assert overall["roc_auc"] == pytest.approx(7 / 9, abs=1e-4)
    # ECE, 10 bins, one row each: |0.1-0|+|0.7-0|+|0.8-1|+|0.3-0|+|0.2-1|+|0.9-1| over 6
    assert overall["ece"] == pytest.approx(2.2 / 6, abs=1e-4)
    group_x = results["fixed"]["groups"]["g=x"]
    assert group_x["n"] == 3 and group_x["roc_auc"] == 1.0 and group_x["fpr"] == 0.5


def test_plots_and_report_are_written(data, tmp_path):
    results, scores = evaluate(data, {"fixed": FixedScorer()})
    plots = write_plots(tmp_path, data.labels, scores)
    report = write_report(tmp_path, "fix.jsonl", results, plots)
    for p in plots:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = report.read_text()
    assert "![roc](roc.png)" in text and "| g=y | fixed |" in text
    assert json.loads((tmp_path / "metrics.json").read_text())["fixed"]["threshold"] == 0.5


def test_bad_rows_name_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": 0}\n{"text": "b"}\n')
    with pytest.raises(ValueError, match=r"bad\.jsonl:2"):
        read_labelled(path)
    for label in ("3", "0.5", '"yes"', "[1]"):
        path.write_text(f'{{"text": "a", "label": {label}}}\n')
        with pytest.raises(ValueError, match=":1: label must be 0 or 1"):
            read_labelled(path)
    path.write_text('{"text": "a", "label": "1"}\n{"text": "b", "label": false}\n')
    assert read_labelled(path).labels == [1, 0]
    path.write_text('{"text": "a", "label": null}\n{"text": "b", "label": 1}\n')
    data = read_labelled(path)
    assert (data.texts, data.unlabelled) == (["b"], 1)
    with pytest.raises(ValueError, match="no row has the group-by field 'g'"):
        read_labelled(path, group_by=["g"])


def test_rows_of_one_label_get_blank_ranking_metrics_and_plots(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn and matplotlib would warn on one class
        plots = write_plots(tmp_path, [0, 0, 0], {"m": [0.1, 0.5, 0.9]})
    assert [p.name for p in plots] == ["roc.png", "pr.png", "reliability.png"]
    assert all(p.stat().st_size > 0 for p in plots)


def test_overall_only_without_group_by():
    data = LabelledData(["a", "c"], [0, 1], ["all", "all"])
    results, _ = evaluate(data, {"fixed": FixedScorer()})
    assert list(results["fixed"]["groups"]) == ["all"]


def test_length_held_roc_auc_ranks_within_length_bins():
    from training.metrics import length_held_roc_auc

    short, long_ = "a b c", " ".join(["w"] * 35)
    texts = [short, short, long_, long_]
    labels = [0, 1, 0, 1]
    # longer rows score higher, and within each length the garbled row is ranked first
    assert length_held_roc_auc(texts, labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    # within each length the clean row is ranked first: 0, whatever the overall ROC-AUC (0.75)
    assert length_held_roc_auc(texts, labels, [0.2, 0.1, 0.9, 0.8]) == 0.0
    assert length_held_roc_auc([short, long_], [0, 1], [0.1, 0.9]) is None


def test_evaluate_command_lives_on_the_training_side(tiny_model, tmp_path, capsys):
    path = tmp_path / "fix.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "eval"
    argv = ["evaluate", str(path), "--model", str(tiny_model), "--group-by", "g", "--out", str(out)]
    assert garble_train(argv) == 0
    table = capsys.readouterr().out
    assert "garble-detector" in table
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["garble-detector"]["groups"]["all"]["n"] == len(ROWS)
    assert (out / "report.md").is_file()
    assert garble_train([*argv[:1], str(tmp_path / "missing.jsonl"), *argv[2:]]) == 1
    with pytest.raises(SystemExit):  # `garble` scores; it no longer evaluates
        garble(argv)


def test_cached_scores_are_reused_only_while_the_scoring_code_is_the_same(tmp_path, monkeypatch):
    """make_evaluation's score cache: a change to the scoring code invalidates it."""
    monkeypatch.syspath_prepend(str(REPO / "scripts"))
    import make_evaluation

    class Counting:
        threshold = 0.5

        def __init__(self) -> None:
            self.scored: list[str] = []

        def score(self, texts: list[str]) -> list[float]:
            self.scored += texts
            return [0.25] * len(texts)

    path = tmp_path / "scores.json"
    first = Counting()
    assert make_evaluation.CachedScorer(first, path).score(["a", "b"]) == [0.25, 0.25]
    again = Counting()
    assert make_evaluation.CachedScorer(again, path).score(["b", "a"]) == [0.25, 0.25]
    assert first.scored == ["a", "b"] and again.scored == []
    monkeypatch.setattr(make_evaluation, "code_digest", lambda: "changed")
    changed = Counting()
    make_evaluation.CachedScorer(changed, path).score(["a", "b"])
    assert changed.scored == ["a", "b"]
