"""Teacher margins from scripts/teacher_gpu.py: packing, the script's run, reading them back."""

import gzip
import json
import sys

import pytest
import torch
from datasets import Dataset, load_from_disk
from safetensors.torch import load_file

from tests.conftest import load_script
from training.config import DistillConfig
from training.distill import TEACHER_COLUMN, add_teacher_margins
from training.teacher_margins import read_margins, text_key

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def script():
    return load_script("teacher_gpu")


def test_pack_splits_and_unpack_restores_the_weights(script, tiny_model, tmp_path):
    script.pack(tiny_model, tmp_path / "packed", part_mb=0.5)
    parts = sorted((tmp_path / "packed").glob("w*/part-*.safetensors"))
    assert len(parts) >= 2
    stage = tmp_path / "stage"
    stage.mkdir()
    for part in parts:
        (stage / part.name).write_bytes(part.read_bytes())
    script.unpack(stage, tmp_path / "packed" / "meta", tmp_path / "unpacked")
    original = load_file(str(tiny_model / "model.safetensors"))
    restored = load_file(str(tmp_path / "unpacked" / "model.safetensors"))
    assert restored.keys() == original.keys()
    for name, w in original.items():
        got = restored[name]
        if not w.is_floating_point():
            assert torch.equal(got, w)
            continue
        assert got.dtype == torch.float32
        error = (got - w.float()).norm() / w.float().norm().clamp(min=1e-9)
        assert error < 0.01, name  # int8 per row group, or fp16


@pytest.mark.parametrize("folds", [1, 2])
def test_script_trains_a_teacher_whose_margins_a_student_can_read(
    script, tiny_model, tmp_path, folds, monkeypatch
):
    data = tiny_model.parent / "data"
    script.pack(tiny_model, tmp_path / "packed", part_mb=100)
    script.export_rows(data, tmp_path / "rows")
    argv = ["teacher_gpu", "train", "--parts", str(tmp_path / "packed" / "w0"), "--epochs", "1"]
    argv += ["--meta", str(tmp_path / "packed" / "meta"), "--rows", str(tmp_path / "rows")]
    argv += ["--out", str(tmp_path / "out"), "--batch-size", "8", "--folds", str(folds)]
    dev_text = load_from_disk(str(data))["dev"]["text"][0]
    extra = ["An extra sentence to score.", dev_text]
    _write(tmp_path / "extra.jsonl.gz", [{"text": t} for t in extra])
    argv += ["--extra", str(tmp_path / "extra.jsonl.gz")]
    monkeypatch.setattr(sys, "argv", argv)
    script.main()
    log = json.loads((tmp_path / "out" / "teacher-log.json").read_text())
    texts = list(load_from_disk(str(data))["train"]["text"])
    if folds == 1:
        assert log["best_epoch"] == 1 and 0.0 <= log["epochs"][0]["dev"]["all"] <= 1.0
    else:  # each train row scored once, by the teacher that did not train on its fold
        assert len(log["folds"]) == 2 and all(f["scored_rows"] > 0 for f in log["folds"])
        assert sum(f["scored_rows"] for f in log["folds"]) == len(texts)
        assert 0.0 <= log["train_out_of_fold"]["all"] <= 1.0
    margins = read_margins(tmp_path / "out" / "teacher-margins.jsonl.gz", "train", texts)
    assert len(margins) == len(texts) and len(set(margins)) > 1
    with gzip.open(tmp_path / "out" / "extra-margins.jsonl.gz", "rt") as f:
        scored = [json.loads(line) for line in f]
    with gzip.open(tmp_path / "out" / "teacher-margins.jsonl.gz", "rt") as f:
        dev = next(r for r in map(json.loads, f) if r["split"] == "dev" and r["i"] == 0)
    assert [r["i"] for r in scored] == [0, 1]  # scored like the dev row by the same teacher(s)
    assert scored[1]["margin"] == pytest.approx(dev["margin"], abs=2e-4)


def _write(path, rows):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


def test_margins_of_other_rows_are_refused(tmp_path):
    path = tmp_path / "m.jsonl.gz"
    texts = ["First.", "Second."]
    rows = [
        {"split": "train", "i": i, "key": text_key(t), "margin": 1.0} for i, t in enumerate(texts)
    ]
    _write(path, [*rows, {"split": "dev", "i": 0, "key": text_key("x"), "margin": 0.0}])
    assert read_margins(path, "train", texts) == [1.0, 1.0]
    with pytest.raises(ValueError, match="2 train margins for 3 rows"):
        read_margins(path, "train", [*texts, "Third."])
    with pytest.raises(ValueError, match="row 1 was scored on another text"):
        read_margins(path, "train", ["First.", "Changed."])


def test_distillation_takes_its_teacher_margins_from_a_file(tmp_path):
    path = tmp_path / "teacher-margins.jsonl.gz"
    texts = ["First.", "Second."]
    keys = [text_key(t) for t in texts]
    rows = [{"split": "train", "i": i, "key": keys[i], "margin": i - 0.5} for i in (0, 1)]
    _write(path, rows)
    train_ds = Dataset.from_dict({"label": [0, 1]})
    got = add_teacher_margins(train_ds, texts, DistillConfig(teacher=str(path)))
    assert got[TEACHER_COLUMN] == [-0.5, 0.5]
