"""scripts/soup.py: the uniform weight average of model folders of one shape."""

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file

from detector import GarbleDetector
from detector.weights import WEIGHTS_FILE, load_classifier
from tests.conftest import load_script


@pytest.fixture(scope="module")
def soup():
    return load_script("soup")


def _shifted_copy(folder, out, shift: float):
    """Copy ``folder`` with every floating-point weight moved by ``shift`` (stored fp32)."""
    shutil.copytree(folder, out)
    state = load_classifier(folder).state_dict()
    moved = {k: (v + shift if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    save_file(moved, str(out / WEIGHTS_FILE), metadata={"format": "pt"})
    return out


def test_soup_is_the_mean_of_the_weights_and_scores(soup, tiny_model, tmp_path):
    other = _shifted_copy(tiny_model, tmp_path / "other", 2.0)
    out = tmp_path / "soup"
    assert soup.main([str(tiny_model), str(other), "--out", str(out)]) == 0
    base = load_classifier(tiny_model).state_dict()
    mixed = load_classifier(out).state_dict()
    assert mixed.keys() == base.keys()
    for name, w in base.items():
        if w.is_floating_point():
            torch.testing.assert_close(mixed[name], w + 1.0, atol=0.05, rtol=0.0)
    assert not (out / "onnx").exists()
    scores = GarbleDetector.from_pretrained(out).score(["A short sentence.", "Another one here."])
    assert len(scores) == 2


def test_soup_refuses_one_folder_an_existing_output_and_other_shapes(soup, tiny_model, tmp_path):
    assert soup.main([str(tiny_model), "--out", str(tmp_path / "a")]) == 2
    assert soup.main([str(tiny_model), str(tiny_model), "--out", str(tmp_path)]) == 2
    odd = tmp_path / "odd"
    shutil.copytree(tiny_model, odd)
    config = json.loads((odd / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**config, "num_hidden_layers": 1}))
    with pytest.raises(ValueError, match="different weight names"):
        soup.average_state([tiny_model, odd])
    assert soup.main([str(tiny_model), str(odd), "--out", str(tmp_path / "b")]) == 2
    missing = tmp_path / "missing"
    assert soup.main([str(tiny_model), str(missing), "--out", str(tmp_path / "c")]) == 2
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()
