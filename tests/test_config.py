"""YAML configs: the shipped ones validate, `extends:` merges, unknown keys fail."""

import pytest

from tests.conftest import REPO
from training.config import load_config


def test_shipped_configs_validate():
    default = load_config(REPO / "configs" / "default.yaml")
    lite = load_config(REPO / "configs" / "lite.yaml")
    assert lite.data == default.data  # same prepared data, inherited
    assert lite.model.num_layers == 3 and lite.distill.teacher == default.output_dir
    assert lite.output_dir != default.output_dir


def test_extends_merges_nested_keys(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: a\ndata: {sources: [{name: s, path: x.jsonl}], dev_fraction: 0.2}\n"
        "train: {epochs: 3, batch_size: 8}\n"
    )
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nname: b\ntrain: {epochs: 1}\n")
    config = load_config(tmp_path / "child.yaml")
    assert config.name == "b" and config.data.dev_fraction == 0.2
    assert config.train.epochs == 1 and config.train.batch_size == 8


def test_unknown_key_is_rejected(tmp_path):
    (tmp_path / "bad.yaml").write_text("data: {sources: []}\nepochz: 3\n")
    with pytest.raises(ValueError, match="invalid config: epochz: Extra inputs"):
        load_config(tmp_path / "bad.yaml")


def test_malformed_yaml_is_a_one_line_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\ndata: [1, 2\n")
    with pytest.raises(ValueError, match=r"bad.yaml: not valid YAML \(.*line 3\)$"):
        load_config(tmp_path / "bad.yaml")
