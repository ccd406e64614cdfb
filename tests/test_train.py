"""Training on a tiny randomly initialised 2-layer BERT: it learns, and writes a model folder."""

import json

from datasets import Dataset, DatasetDict

from detector import GarbleDetector
from detector.meta import ModelMeta
from tests.conftest import TINY_BERT, tiny_config
from training.encoder import load_encoder
from training.train import _fit, _tokenize


def test_tiny_bert_overfits_30_examples(tmp_path):
    config = tiny_config(tmp_path, epochs=30, learning_rate=3e-3)
    clean = [f"The committee met on day {i} and approved the new budget." for i in range(15)]
    garbled = [
        f"Committee the met day on {i} and the approved and approved budget new." for i in range(15)
    ]
    ds = Dataset.from_dict({"text": clean + garbled, "label": [0] * 15 + [1] * 15})
    model, tokenizer = load_encoder(config.model, config.seed)
    assert model.config.num_hidden_layers == TINY_BERT["num_hidden_layers"]
    train_ds = _tokenize(DatasetDict({"train": ds}), tokenizer, 64)["train"]
    loss = _fit(config, model, tokenizer, train_ds, str(tmp_path / "work"))
    detector = GarbleDetector.from_model(model, tokenizer, ModelMeta("t", "0"))
    margins = detector.margins(ds["text"])
    accuracy = sum((m > 0) == bool(y) for m, y in zip(margins, ds["label"], strict=True)) / 30
    assert loss < 0.3
    assert accuracy >= 0.95


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
    assert meta["training_config"]["model"]["random_init"] == TINY_BERT
    assert "torch" in meta["versions"]
    card = (tiny_model / "README.md").read_text()
    assert "## test metrics" in card and f"threshold: {meta['threshold']}" in card


def test_trained_folder_loads_and_scores(tiny_model):
    detector = GarbleDetector.from_pretrained(tiny_model)
    scores = detector.score(["A short clean sentence.", "Sentence short a clean."])
    assert len(scores) == 2 and all(0.0 <= s <= 1.0 for s in scores)
