"""Token-level auxiliary loss: the encoder also learns *where* a sentence was garbled.

Every garbled training row carries the character spans its recipe changed. With
``train.token_loss_weight`` > 0 a linear head on the last hidden layer predicts, for each token,
whether it lies in such a span, and its binary cross-entropy is added to the sentence loss.
The head exists only during training: the saved model is the plain sentence classifier. The
aim is to make the sentence decision rest on the errors themselves rather than on
sentence-wide cues (register, vocabulary) that real garbled text does not share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from transformers import DataCollatorWithPadding, PreTrainedModel, Trainer

TOKEN_LABELS = "token_labels"
IGNORE = -100
HEAD = "token_head"


def token_labels(offsets: Sequence[Sequence[int]], spans: Sequence[Sequence[int]]) -> list[int]:
    """Return per token: 1 inside a changed span, 0 outside, ``IGNORE`` for special tokens.

    ``offsets`` are the tokenizer's character offsets (special tokens are (0, 0)). A
    zero-width span (words deleted there) marks the first token that starts at or after it.
    """
    labels = []
    for start, end in offsets:
        if start == end:
            labels.append(IGNORE)
            continue
        labels.append(int(any(a < end and start < b for a, b in spans if a < b)))
    for a, b in spans:
        if a != b:
            continue
        after = [k for k, (s, e) in enumerate(offsets) if s != e and s >= a]
        if after:
            labels[after[0]] = 1
    return labels


def add_token_head(model: PreTrainedModel, seed: int) -> None:
    """Attach the training-only token head to ``model`` (so the optimizer updates it)."""
    torch.manual_seed(seed)
    setattr(model, HEAD, torch.nn.Linear(model.config.hidden_size, 1))


def remove_token_head(model: PreTrainedModel) -> None:
    """Drop the token head before the model is saved or used."""
    delattr(model, HEAD)


SentenceLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (logits, labels)


def joint_loss(
    logits: torch.Tensor,
    token_logits: torch.Tensor,
    labels: torch.Tensor,
    tags: torch.Tensor,
    weight: float,
    sentence_loss: SentenceLoss = torch.nn.functional.cross_entropy,
) -> torch.Tensor:
    """The sentence loss (cross-entropy unless given) plus ``weight`` times the token BCE over
    the non-ignored tokens."""
    sentence = sentence_loss(logits, labels)
    mask = tags != IGNORE
    token = torch.nn.functional.binary_cross_entropy_with_logits(
        token_logits[mask], tags[mask].to(token_logits.dtype)
    )
    return sentence + weight * token


class TokenLabelCollator:
    """Pad like DataCollatorWithPadding, and pad the token labels with ``IGNORE``."""

    def __init__(self, tokenizer) -> None:
        self.pad = DataCollatorWithPadding(tokenizer)

    def __call__(self, features: list[dict]) -> dict:
        tags = [f[TOKEN_LABELS] for f in features]
        batch = self.pad([{k: v for k, v in f.items() if k != TOKEN_LABELS} for f in features])
        width = batch["input_ids"].shape[1]
        batch[TOKEN_LABELS] = torch.tensor([t + [IGNORE] * (width - len(t)) for t in tags])
        return batch


class TokenLossTrainer(Trainer):
    """A Trainer whose loss is :func:`joint_loss` (needs the token label column and head);
    the sentence loss alone where ``token_weight`` is 0."""

    def __init__(self, *args, token_weight: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.token_weight = token_weight

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        return self.loss_with(model, inputs, return_outputs, torch.nn.functional.cross_entropy)

    def loss_with(self, model, inputs, return_outputs: bool, sentence_loss: SentenceLoss):
        """``sentence_loss``, plus the token term if weighted (subclasses bring their own)."""
        labels = inputs.pop("labels")
        inputs.pop("length", None)
        if self.token_weight == 0:
            outputs = model(**inputs)
            loss = sentence_loss(outputs.logits, labels)
            return (loss, outputs) if return_outputs else loss
        tags = inputs.pop(TOKEN_LABELS)
        outputs = model(**inputs, output_hidden_states=True)
        token_logits = getattr(model, HEAD)(outputs.hidden_states[-1]).squeeze(-1)
        loss = joint_loss(
            outputs.logits, token_logits, labels, tags, self.token_weight, sentence_loss
        )
        return (loss, outputs) if return_outputs else loss
