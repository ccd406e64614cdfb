"""int8 weight storage: quantisation error, folders that load and score like fp16 ones."""

import shutil

import pytest
import torch
from safetensors.torch import load_file

from detector import GarbleDetector
from detector.weights import (
    SCALE,
    WEIGHTS_FILE,
    dequantize,
    is_int8,
    load_classifier,
    quantize_tensor,
    save_int8,
)
from tests.conftest import tiny_config
from training.train import train


def test_big_matrices_become_int8_groups_and_come_back_close():
    torch.manual_seed(0)
    w = torch.randn(300, 512)
    w[0, 0] = 40.0  # an outlier only spoils the scale of its own group of 64
    packed = quantize_tensor("w", w)
    assert packed["w"].dtype == torch.int8 and packed["w"].shape == (300, 8, 64)
    assert packed["w" + SCALE].shape == (300, 8, 1)
    back = dequantize(packed)["w"]
    assert back.shape == w.shape and back.dtype == torch.float32
    assert ((back - w).norm() / w.norm()).item() < 0.01
    assert (back[1:] - w[1:]).abs().max().item() <= w[1:].abs().max().item() / 127


def test_small_tensors_and_integer_buffers_are_kept():
    assert quantize_tensor("b", torch.ones(10))["b"].dtype == torch.float16
    ids = torch.arange(5)
    assert torch.equal(dequantize(quantize_tensor("ids", ids))["ids"], ids)


def test_an_int8_folder_scores_like_its_fp16_original(tiny_model, tmp_path):
    folder = tmp_path / "int8"
    shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns("onnx"))
    state = load_classifier(tiny_model).state_dict()
    save_int8(state, folder / WEIGHTS_FILE)
    assert is_int8(folder / WEIGHTS_FILE) and not is_int8(tiny_model / WEIGHTS_FILE)
    assert (folder / WEIGHTS_FILE).stat().st_size < (tiny_model / WEIGHTS_FILE).stat().st_size
    texts = ["One clean sentence.", "Sentence clean one the of."]
    want = GarbleDetector.from_pretrained(tiny_model, backend="torch").margins(texts)
    got = GarbleDetector.from_pretrained(folder, backend="torch").margins(texts)
    assert got == pytest.approx(want, abs=0.05)


def test_training_can_write_int8_weights(tiny_model, tmp_path):
    config = tiny_config(tmp_path).model_copy(update={"int8_weights": True})
    data = config.data.model_copy(update={"output_dir": str(tiny_model.parent / "data")})
    folder = train(config.model_copy(update={"data": data}))
    assert is_int8(folder / WEIGHTS_FILE)
    assert any(v.dtype == torch.int8 for v in load_file(folder / WEIGHTS_FILE).values())
    assert len(GarbleDetector.from_pretrained(folder, backend="torch").score(["A sentence."])) == 1
