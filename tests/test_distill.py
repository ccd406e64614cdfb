"""Distillation: the loss by hand, a student cut from a teacher's layers, a whole tiny run."""

import math

import pytest
import torch
from safetensors.torch import load_file

from detector import GarbleDetector
from tests.conftest import tiny_config
from training.config import DistillConfig, ModelConfig
from training.distill import TEACHER_COLUMN, DistillTrainer, distillation_loss
from training.encoder import load_encoder
from training.token_loss import TOKEN_LABELS, add_token_head, joint_loss
from training.train import train


def test_soft_loss_is_tempered_binary_cross_entropy():
    logits = torch.tensor([[0.0, 0.0], [0.0, 4.0]])
    labels = torch.tensor([0, 1])
    teacher = torch.tensor([0.0, 4.0])
    soft_only = distillation_loss(logits, labels, teacher, DistillConfig(teacher="t", alpha=1.0))

    # T=2: student and teacher probabilities are sigmoid(0)=0.5 and sigmoid(2); the BCE of a
    # distribution with itself is its entropy, scaled by T^2 = 4.
    def entropy(p: float) -> float:
        return -(p * math.log(p) + (1 - p) * math.log(1 - p))

    expected = 4 * (entropy(0.5) + entropy(1 / (1 + math.exp(-2)))) / 2
    assert soft_only.item() == pytest.approx(expected, rel=1e-5)
    hard_only = distillation_loss(logits, labels, teacher, DistillConfig(teacher="t", alpha=0.0))
    expected_ce = (math.log(2) + math.log(1 + math.exp(-4))) / 2
    assert hard_only.item() == pytest.approx(expected_ce, rel=1e-5)


def test_student_keeps_the_first_layers_of_its_base(tiny_model):
    student, _ = load_encoder(ModelConfig(base=str(tiny_model), num_layers=1), seed=0)
    teacher = GarbleDetector.from_pretrained(tiny_model).model
    assert student.config.num_hidden_layers == 1
    got = student.bert.encoder.layer[0].attention.self.query.weight
    want = teacher.bert.encoder.layer[0].attention.self.query.weight
    assert torch.equal(got, want)


def test_distill_trainer_swaps_the_cross_entropy_of_the_token_loss_for_the_distillation_loss(
    tiny_model,
):
    model = GarbleDetector.from_pretrained(tiny_model).model
    add_token_head(model, seed=0)
    torch.manual_seed(0)
    ids = torch.randint(5, 100, (3, 6))
    tags = torch.tensor([[-100, 0, 1, 0, 0, -100], [-100, 0, 0, 0, 0, -100], [-100] + [1] * 5])
    batch = {
        "input_ids": ids,
        "attention_mask": torch.ones_like(ids),
        "labels": torch.tensor([1, 0, 1]),
    }
    cfg = DistillConfig(teacher="t", alpha=0.6, temperature=2.0)
    trainer = DistillTrainer.__new__(DistillTrainer)  # compute_loss needs only these two fields
    trainer.token_weight, trainer.distill = 0.5, cfg
    teacher = torch.tensor([2.0, -1.0, 0.5])
    inputs = {**batch, TOKEN_LABELS: tags, TEACHER_COLUMN: teacher}
    got = trainer.compute_loss(model, inputs)
    out = model(input_ids=ids, attention_mask=batch["attention_mask"], output_hidden_states=True)
    token_logits = model.token_head(out.hidden_states[-1]).squeeze(-1)
    labels = batch["labels"]
    hard = torch.nn.functional.cross_entropy(out.logits, labels)
    want = joint_loss(out.logits, token_logits, labels, tags, 0.5) - hard
    want = want + distillation_loss(out.logits, labels, teacher, cfg)
    assert got.item() == pytest.approx(want.item(), rel=1e-5)


@pytest.mark.parametrize("token_loss_weight", [0.0, 1.0])
def test_distilled_student_trains_and_writes_a_model_folder(
    tiny_model, tmp_path, token_loss_weight
):
    config = tiny_config(tmp_path, token_loss_weight=token_loss_weight)
    data = config.data.model_copy(update={"output_dir": str(tiny_model.parent / "data")})
    config = config.model_copy(
        update={
            "data": data,
            "model": ModelConfig(base=str(tiny_model), num_layers=1, max_length=64),
            "distill": DistillConfig(teacher=str(tiny_model)),
        }
    )
    folder = train(config)
    detector = GarbleDetector.from_pretrained(folder)
    assert detector.model.config.num_hidden_layers == 1
    assert detector.meta.training_config["distill"]["teacher"] == str(tiny_model)
    assert not any(k.startswith("token_head") for k in load_file(folder / "model.safetensors"))
    assert len(detector.score(["One clean sentence.", "Sentence clean one."])) == 2
