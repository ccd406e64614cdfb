"""Integration tests with the shipped models on sentences written for these tests: `fast` on
both backends, `accurate` (the default) on its default backend (the fp32 ONNX export built into
the cache on first use) and on torch (bf16 where the CPU has it)."""

import json
from pathlib import Path

import pytest

from detector import GarbleDetector
from detector.backends import runs_in_bf16
from detector.registry import model_folder

FAST = model_folder("fast")

GARBLED = [
    # spun
    "Counterfeit consciousness and profound neural organizations are utilized in enormous "
    "information investigation.",
    "The patient was given a release rundown after the feline output ikon of his chest.",
    # MT-like
    "The government has developed a plan and a plan for the roads of the country and the roads.",
    "Yesterday the minister it said that the prices they will go up in the next year of the month.",
    "He was sold quickly at a lot of clients the company of the products new.",
]
CLEAN = [
    "The city council approved the budget for next year on Tuesday evening.",
    "Researchers at the university published their findings in a peer-reviewed journal.",
    "Heavy rain is expected across the north of the country over the weekend.",
    "She said the decision had been difficult but necessary.",
    "The museum will reopen to visitors in March after a two-year renovation.",
]


@pytest.fixture(
    scope="module",
    params=[("fast", "torch"), ("fast", "onnx"), ("accurate", "auto"), ("accurate", "torch")],
)
def detector(request):
    name, backend = request.param
    return GarbleDetector.from_pretrained(name, backend=backend)


def test_shipped_folder_is_complete_and_small():
    names = {p.name for p in FAST.iterdir()}
    assert {"model.safetensors", "tokenizer.json", "config.json", "meta.json", "README.md"} <= names
    size = sum(p.stat().st_size for p in FAST.rglob("*") if p.is_file())
    assert size <= 50 * 2**20  # the whole folder, ONNX export included
    meta = json.loads((FAST / "meta.json").read_text())
    for recipe in ("mt_round_trip", "spinner", "mt_noise"):
        assert meta["metrics"]["test"][recipe]["roc_auc"] > 0.8


def test_garbled_sentences_rank_above_clean_ones(detector):
    assert min(detector.score(GARBLED)) > max(detector.score(CLEAN))


def test_most_garbled_sentences_are_flagged(detector):
    # The threshold flags at most 2 % of clean dev sentences per register; recall at it is
    # about one half on the dev split, so not every garbled sentence is expected to be flagged.
    scores = detector.score(GARBLED)
    flagged = sum(s >= detector.threshold for s in scores)
    assert flagged >= 3, list(zip(GARBLED, scores, strict=True))


def test_clean_sentences_are_not_flagged(detector):
    scores = detector.score(CLEAN)
    assert all(s < detector.threshold for s in scores), list(zip(CLEAN, scores, strict=True))


ARTICLE_GARBLED = ("votes and the votes", "too much high", "counterfeit consciousness", "profound")


def test_example_article_ranks_its_garbled_sentences_first(detector):
    text = (Path(__file__).parent.parent / "examples" / "article.txt").read_text()
    result = detector.score_text(text)
    garbled = [s for s in result.sentences if any(g in s.text for g in ARTICLE_GARBLED)]
    clean = [s for s in result.sentences if s not in garbled]
    assert len(garbled) == len(ARTICLE_GARBLED)
    assert min(s.score for s in garbled) > max(s.score for s in clean)
    flagged = [s for s in result.sentences if s.garbled]
    # At a threshold that flags at most 2 % of clean dev sentences, not every garbled one is
    # flagged (accurate 1.1.0 scores the spun sentence 0.742 against its 0.7676).
    assert flagged, [(s.text, s.score) for s in garbled]
    assert all(s in garbled for s in flagged)  # no clean sentence is flagged


def test_accurate_backends_agree():
    """The fp32 export gives the PyTorch scores (bf16 where the CPU has it: close to them)."""
    onnx = GarbleDetector.from_pretrained("accurate", backend="onnx")
    torch_ = GarbleDetector.from_pretrained("accurate", backend="torch")
    assert onnx.threshold == torch_.threshold
    tolerance = 0.05 if runs_in_bf16(model_folder("accurate")) else 1e-3
    assert onnx.score(GARBLED + CLEAN) == pytest.approx(
        torch_.score(GARBLED + CLEAN), abs=tolerance
    )
