"""Knowledge distillation: a small student learns the teacher's soft scores and the labels."""

from __future__ import annotations

import logging
from functools import partial

import torch

from detector.api import GarbleDetector
from training.config import DistillConfig
from training.token_loss import TokenLossTrainer

logger = logging.getLogger(__name__)

TEACHER_COLUMN = "teacher_margin"


def add_teacher_margins(train_ds, texts: list[str], cfg: DistillConfig):
    """Return ``train_ds`` with the logit margin of each row by teacher folder ``cfg.teacher``."""
    logger.info("scoring %d training rows with teacher %s", len(texts), cfg.teacher)
    margins = GarbleDetector.from_pretrained(cfg.teacher).margins(texts)
    return train_ds.add_column(TEACHER_COLUMN, margins)


def distillation_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    teacher_margin: torch.Tensor,
    cfg: DistillConfig,
) -> torch.Tensor:
    """Mix cross-entropy on the labels with the teacher's tempered probability as soft target.

    With two classes, the softmax at temperature T is ``sigmoid(margin / T)``; the soft term is
    the binary cross-entropy between student and teacher at T, scaled by T^2 as usual.
    """
    t = cfg.temperature
    hard = torch.nn.functional.cross_entropy(logits, labels)
    margin = logits[:, 1] - logits[:, 0]
    target = torch.sigmoid(teacher_margin.to(margin.dtype) / t)
    soft = torch.nn.functional.binary_cross_entropy_with_logits(margin / t, target) * t * t
    return cfg.alpha * soft + (1.0 - cfg.alpha) * hard


class DistillTrainer(TokenLossTrainer):
    """The token-loss trainer with :func:`distillation_loss` as its sentence loss (needs the
    teacher margin column)."""

    def __init__(self, *args, distill: DistillConfig, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.distill = distill

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        teacher = inputs.pop(TEACHER_COLUMN)
        sentence = partial(distillation_loss, teacher_margin=teacher, cfg=self.distill)
        return self.loss_with(model, inputs, return_outputs, sentence)
