"""Training on a tiny randomly initialised 2-layer BERT: it learns, and writes a model folder."""

import json
import random
import shutil
import sys

import pytest
from datasets import Dataset
from transformers import TrainingArguments

from detector import GarbleDetector
from detector.meta import ModelMeta
from tests.conftest import TINY_BERT, tiny_config
from training import train as train_module
from training.calibrate import allowed_flags, calibrate_on_split
from training.cli import main
from training.config import CalibrationConfig, save_config
from training.encoder import load_encoder
from training.train import _fit, _tokenize


@pytest.mark.parametrize("bf16", [False, True])
def test_tiny_bert_overfits_30_examples(tmp_path, bf16, monkeypatch):
    config = tiny_config(tmp_path, epochs=30, learning_rate=3e-3)
    config.train.bf16 = bf16  # mixed precision (HF Trainer's CPU autocast) learns as well
    made = []

    def record(**kwargs) -> TrainingArguments:
        made.append(TrainingArguments(**kwargs))
        return made[-1]

    monkeypatch.setattr(train_module, "TrainingArguments", record)
    clean = [f"The committee met on day {i} and approved the new budget." for i in range(15)]
    garbled = [
        f"Committee the met day on {i} and the approved and approved budget new." for i in range(15)
    ]
    ds = Dataset.from_dict({"text": clean + garbled, "label": [0] * 15 + [1] * 15})
    model, tokenizer = load_encoder(config.model, config.seed)
    assert model.config.num_hidden_layers == TINY_BERT["num_hidden_layers"]
    train_ds = _tokenize(ds, tokenizer, 64)
    loss = _fit(config, model, tokenizer, train_ds, str(tmp_path / "work"))
    detector = GarbleDetector.from_model(model, tokenizer, ModelMeta("t", "0"))
    margins = detector.margins(ds["text"])
    accuracy = sum((m > 0) == bool(y) for m, y in zip(margins, ds["label"], strict=True)) / 30
    assert loss < 0.3
    assert accuracy >= 0.95
    assert [args.bf16 for args in made] == [bf16]


def test_model_folder_is_self_describing(tiny_model):
    names = {p.name for p in tiny_model.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "meta.json", "README.md"} <= names
    assert not any(n.endswith((".bin", ".pkl", ".pt")) for n in names)
    meta = json.loads((tiny_model / "meta.json").read_text())
    assert meta["labels"] == ["clean", "garbled"]
    assert 0.0 <= meta["threshold"] <= 1.0
    assert meta["calibration"]["method"] == "platt"
    assert {"dev", "test", "training"} <= set(meta["metrics"])
    assert "roc_auc" in meta["metrics"]["test"]["all"]
    route = meta["metrics"]["training"]["route"]
    assert route in ("cpu", "gpu")
    assert meta["training_config"]["model"]["random_init"] == TINY_BERT
    assert "torch" in meta["versions"]
    card = (tiny_model / "README.md").read_text()
    assert "## test metrics" in card and f"threshold: {meta['threshold']}" in card
    assert f"s on the {route.upper()}" in card


def test_trained_folder_loads_and_scores(tiny_model):
    detector = GarbleDetector.from_pretrained(tiny_model)
    scores = detector.score(["A short clean sentence.", "Sentence short a clean."])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)


def test_confidence_bound_holds_on_pooled_clean_rows_without_hard_negatives():
    rng = random.Random(3)
    margins = [rng.gauss(-2, 1.5) for _ in range(400)] + [rng.gauss(-3, 1) for _ in range(100)]
    margins += [rng.gauss(2, 1) for _ in range(200)]
    split = {
        "label": [0] * 500 + [1] * 200,
        "recipe": ["clean"] * 400 + ["hard_negative"] * 100 + ["spinner"] * 200,
        "domain": ["news", "fiction"] * 200 + ["news"] * 300,
    }
    point = CalibrationConfig(max_fpr=0.02, per_register=True, rule="max_recall")
    sure = point.model_copy(update={"confidence": 0.95, "prior": 0.25})
    cal_point, t_point = calibrate_on_split(margins, split, point)
    cal_sure, t_sure = calibrate_on_split(margins, split, sure)
    assert cal_sure.prior == 0.25 and cal_point.prior is None

    def flagged(cal, t, rows):
        return sum(cal.probability(margins[i]) >= t for i in rows)

    assert flagged(cal_point, t_point, range(400)) > allowed_flags(400, 0.02, 0.95)
    assert flagged(cal_sure, t_sure, range(400)) == allowed_flags(400, 0.02, 0.95)
    # Pooled with the (low-scoring) hard negatives, more natural rows could be flagged.
    assert allowed_flags(500, 0.02, 0.95) > allowed_flags(400, 0.02, 0.95)


def test_calibrate_command_refits_a_folder_and_records_the_rule(tiny_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns("onnx"))
    config = tiny_config(tmp_path)
    config.calibration = CalibrationConfig(max_fpr=0.1, confidence=0.9, prior=0.3)
    config.version = "9.9.1"
    save_config(config, tmp_path / "cal.yaml")
    data = str(tiny_model.parent / "data")
    before = ModelMeta.load(folder)
    args = ["calibrate", "--model", str(folder), "--config", str(tmp_path / "cal.yaml")]
    assert main([*args, "--data", data]) == 0
    meta = ModelMeta.load(folder)
    assert meta.calibration.prior == 0.3 and meta.calibration.b != before.calibration.b
    assert meta.training_config["calibration"]["confidence"] == 0.9
    assert meta.metrics["training"] == before.metrics["training"]
    assert meta.metrics["test"]["all"]["roc_auc"] == before.metrics["test"]["all"]["roc_auc"]
    assert "prior: 0.3" in (folder / "train_config.yaml").read_text()
    card = (folder / "README.md").read_text()
    assert "30% of the sentences are garbled" in card and f"threshold: {meta.threshold}" in card
    assert before.version != "9.9.1" and meta.version == "9.9.1" and "tiny 9.9.1" in card
    assert main([*args, "--data", str(tmp_path / "missing")]) == 1


def test_all_makes_a_shipped_folder_in_one_command(tmp_path, monkeypatch):
    """`garble-train all`: data, training, calibration of the stored weights, the calibrated
    ONNX export and the card; ``meta.json`` names the config and the command."""
    config = tiny_config(tmp_path, epochs=1)
    config.int8_weights = True
    save_config(config, tmp_path / "tiny.yaml")
    folder = tmp_path / "shipped"
    argv = ["all", "--config", str(tmp_path / "tiny.yaml"), "--output", str(folder)]
    monkeypatch.setattr(sys, "argv", ["garble-train", *argv])
    assert main(argv) == 0
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["command"] == f"garble-train {' '.join(argv)}"
    assert meta["training_config"]["int8_weights"] is True
    export = json.loads((folder / "onnx" / "export.json").read_text())
    assert export["dev_calibration"]["rows"] > 0
    assert "- made by: `garble-train all" in (folder / "README.md").read_text()
    # The threshold was fitted on the stored int8 weights: refitting the folder changes nothing.
    args = ["calibrate", "--model", str(folder), "--config", str(tmp_path / "tiny.yaml")]
    assert main(args) == 0
    again = json.loads((folder / "meta.json").read_text())
    assert (again["threshold"], again["calibration"]) == (meta["threshold"], meta["calibration"])
