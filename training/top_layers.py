"""Train the top layers of an encoder over cached outputs of its frozen lower layers.

A 110M encoder is too slow to fine-tune in full on a 2-core CPU. With ``model.train_top_layers``
= N the embeddings and all but the top N layers stay frozen: their output for every row is
computed once (fp16, one tensor a row) and each epoch runs only the top N layers and the head,
forward and backward. A training-only linear token head learns which tokens are garbled, as
``train.token_loss_weight`` does for a full fine-tune (training/token_loss.py).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, get_linear_schedule_with_warmup

from training.config import TrainConfig
from training.token_loss import IGNORE, joint_loss

logger = logging.getLogger(__name__)


class SplitEncoder:
    """A BERT or MPNet sequence classifier cut into frozen lower and trainable upper layers."""

    def __init__(self, model: PreTrainedModel, top: int, bf16: bool = False) -> None:
        self.model = model
        self.bf16 = bf16
        self.base = model.base_model
        layers = self.base.encoder.layer
        if not 0 < top <= len(layers):
            raise ValueError(f"train_top_layers={top}: the encoder has {len(layers)} layers")
        self.cut = len(layers) - top
        self.lower_layers = list(layers[: self.cut])
        self.upper_layers = list(layers[self.cut :])

    def trainable(self) -> list[torch.nn.Parameter]:
        """The parameters that training updates: the top layers and the classifier head."""
        params = [p for layer in self.upper_layers for p in layer.parameters()]
        params += list(self.model.classifier.parameters())
        if self.model.config.model_type == "bert":
            params += list(self.base.pooler.parameters())
        return params

    def trained_prefixes(self) -> list[str]:
        """State-dict key prefixes of the trainable parameters."""
        prefix = self.model.base_model_prefix
        out = [
            f"{prefix}.encoder.layer.{i}."
            for i in range(self.cut, self.cut + len(self.upper_layers))
        ]
        out.append("classifier.")
        if self.model.config.model_type == "bert":
            out.append(f"{prefix}.pooler.")
        return out

    def _autocast(self) -> torch.autocast:
        """Mixed precision (bf16 matrices, fp32 weights) when ``bf16``, else a no-op."""
        device = next(self.model.parameters()).device.type
        return torch.autocast(device, dtype=torch.bfloat16, enabled=self.bf16)

    def _run(self, layers, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        extra = {}
        if hasattr(self.base.encoder, "compute_position_bias"):  # MPNet's relative positions
            extra["position_bias"] = self.base.encoder.compute_position_bias(hidden)
        for layer in layers:
            out = layer(hidden, attention_mask=additive, **extra)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    @torch.inference_mode()
    def lower(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Return the output of the frozen layers for a padded batch."""
        with self._autocast():
            hidden = self.base.embeddings(input_ids=input_ids)
            return self._run(self.lower_layers, hidden, mask)

    def upper(self, hidden: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (sentence logits, last hidden states) of the top layers and the head (fp32)."""
        with self._autocast():
            seq = self._run(self.upper_layers, hidden, mask)
            if self.model.config.model_type == "bert":
                logits = self.model.classifier(self.model.dropout(self.base.pooler(seq)))
            else:
                logits = self.model.classifier(seq)
        return logits.float(), seq.float()


@dataclass
class Cached:
    """The frozen layers' output of each row (fp16, one (tokens, hidden) tensor a row)."""

    states: list[torch.Tensor]

    @property
    def lengths(self) -> list[int]:
        return [s.shape[0] for s in self.states]


def _pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(s.shape[0] for s in states)
    hidden = torch.zeros(len(states), width, states[0].shape[1])
    mask = torch.zeros(len(states), width, dtype=torch.long)
    for i, s in enumerate(states):
        hidden[i, : s.shape[0]] = s.float()
        mask[i, : s.shape[0]] = 1
    return hidden, mask


def _length_batches(lengths: Sequence[int], size: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[k : k + size] for k in range(0, len(order), size)]


def cache_lower(
    split: SplitEncoder, ids: list[list[int]], pad_id: int, batch_size: int = 64
) -> Cached:
    """Run the frozen layers once over every row (sorted by length, in batches)."""
    states: list[torch.Tensor | None] = [None] * len(ids)
    start, done = time.perf_counter(), 0
    for batch in _length_batches([len(x) for x in ids], batch_size):
        width = max(len(ids[i]) for i in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros(len(batch), width, dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        out = split.lower(input_ids, mask).half()
        for row, i in enumerate(batch):
            states[i] = out[row, : len(ids[i])].clone()
        done += len(batch)
        if done // batch_size % 50 == 0:
            logger.info(
                "cached %d/%d rows (%.0f rows/s)",
                done,
                len(ids),
                done / (time.perf_counter() - start),
            )
    return Cached(states)  # type: ignore[arg-type]


@torch.inference_mode()
def upper_margins(split: SplitEncoder, cached: Cached, batch_size: int = 64) -> list[float]:
    """Return each cached row's logit margin (garbled minus clean) through the top layers."""
    split.model.eval()
    out = [0.0] * len(cached.states)
    for batch in _length_batches(cached.lengths, batch_size):
        hidden, mask = _pad([cached.states[i] for i in batch])
        logits, _ = split.upper(hidden, mask)
        for i, m in zip(batch, (logits[:, 1] - logits[:, 0]).tolist(), strict=True):
            out[i] = m
    return out


def fit_top_layers(
    split: SplitEncoder,
    cached: Cached,
    labels: Sequence[int],
    tags: Sequence[Sequence[int]],
    cfg: TrainConfig,
    seed: int,
    after_epoch: Callable[[int], None] | None = None,
) -> float:
    """Train the top layers and head on the cached rows; return the last epoch's mean loss.

    ``tags`` are each row's token labels (1 garbled, 0 clean, ``IGNORE``); ``after_epoch(k)``
    is called after each epoch k (1-based), e.g. to score and keep a checkpoint.
    """
    torch.manual_seed(seed)
    hidden_size = split.model.config.hidden_size
    token_head = torch.nn.Linear(hidden_size, 1)
    params = split.trainable() + list(token_head.parameters())
    optimizer = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    batches = _length_batches(cached.lengths, cfg.batch_size)
    epochs = math.ceil(cfg.epochs)
    total = len(batches) * epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup_ratio * total), total)
    rng = random.Random(seed)
    loss_mean = 0.0
    for epoch in range(1, epochs + 1):
        split.model.train()
        rng.shuffle(batches)
        start, losses = time.perf_counter(), []
        for step, batch in enumerate(batches, 1):
            hidden, mask = _pad([cached.states[i] for i in batch])
            width = hidden.shape[1]
            tag = torch.tensor([list(tags[i]) + [IGNORE] * (width - len(tags[i])) for i in batch])
            logits, seq = split.upper(hidden, mask)
            y = torch.tensor([labels[i] for i in batch])
            weight = cfg.token_loss_weight
            if weight > 0 and (tag != IGNORE).any():
                loss = joint_loss(logits, token_head(seq).squeeze(-1), y, tag, weight)
            else:
                loss = torch.nn.functional.cross_entropy(logits, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            if step % 100 == 0:
                rate = sum(len(b) for b in batches[:step]) / (time.perf_counter() - start)
                logger.info(
                    "epoch %d step %d/%d loss %.4f (%.0f rows/s)",
                    epoch,
                    step,
                    len(batches),
                    sum(losses[-100:]) / len(losses[-100:]),
                    rate,
                )
        loss_mean = sum(losses) / max(len(losses), 1)
        logger.info(
            "epoch %d done: mean loss %.4f in %.0f s", epoch, loss_mean, time.perf_counter() - start
        )
        if after_epoch is not None:
            after_epoch(epoch)
    split.model.eval()
    return loss_mean
