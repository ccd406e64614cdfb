"""A pairwise loss: each garbled row is ranked above its own clean original in the same batch.

Every garbled training row keeps its original, which is also a clean row of the split. With
``train.pair_batches`` the rows are ordered so that an original and its garbled versions share
a batch (:class:`PairGroupSampler`); ``train.pair_loss_weight`` adds that weight times the mean
pairwise logistic loss ``softplus(m_original - m_garbled)`` (m: the logit margin) to the
cross-entropy. The term sees only what differs between two sentences of one topic and length.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import torch

from training.token_loss import TokenLossTrainer

PAIR_GROUP = "pair_group"


def pair_groups(texts: Sequence[str], labels: Sequence[int], originals: Sequence[str]) -> list[int]:
    """Return each row's group: the index of its original's clean row, else its own index."""
    clean = {t: i for i, (t, y) in enumerate(zip(texts, labels, strict=True)) if y == 0}
    rows = zip(labels, originals, strict=True)
    return [clean.get(o, i) if y == 1 else i for i, (y, o) in enumerate(rows)]


class PairGroupSampler(torch.utils.data.Sampler[int]):
    """Yield row indices group by group: groups shuffled anew each epoch, then sorted by length
    within mega-batches of ``50 * batch_size`` rows, so that batches pad little."""

    def __init__(
        self, groups: Sequence[int], lengths: Sequence[int], batch_size: int, seed: int
    ) -> None:
        members: dict[int, list[int]] = {}
        for i, g in enumerate(groups):
            members.setdefault(g, []).append(i)
        self.groups = list(members.values())
        self.lengths = list(lengths)  # a datasets Column reads arrow at every index
        self.mega = 50 * batch_size
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return sum(len(g) for g in self.groups)

    def __iter__(self) -> Iterator[int]:
        order = list(self.groups)
        random.Random(self.seed + self.epoch).shuffle(order)
        self.epoch += 1
        chunk: list[list[int]] = []
        rows = 0
        for group in order:
            chunk.append(group)
            rows += len(group)
            if rows >= self.mega:
                yield from self._sorted(chunk)
                chunk, rows = [], 0
        yield from self._sorted(chunk)

    def _sorted(self, chunk: list[list[int]]) -> Iterator[int]:
        for group in sorted(chunk, key=lambda g: -max(self.lengths[i] for i in g)):
            yield from group


def pair_loss(margins: torch.Tensor, labels: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """Mean ``softplus(m_clean - m_garbled)`` over the (garbled, clean) pairs of one group;
    zero when the batch holds no such pair."""
    same = groups[:, None] == groups[None, :]
    pairs = same & (labels[:, None] == 1) & (labels[None, :] == 0)
    if not pairs.any():
        return margins.sum() * 0.0
    diff = margins[None, :] - margins[:, None]  # [i, j] = m_j - m_i
    return torch.nn.functional.softplus(diff[pairs]).mean()


class PairLossTrainer(TokenLossTrainer):
    """A Trainer over pair batches whose loss is the token-loss trainer's (cross-entropy, plus
    the token term if weighted) plus ``pair_weight`` times :func:`pair_loss` (needs the
    ``pair_group`` and ``length`` columns)."""

    def __init__(self, *args, pair_weight: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pair_weight = pair_weight

    def _get_train_sampler(self, train_dataset=None) -> PairGroupSampler:
        ds = train_dataset if train_dataset is not None else self.train_dataset
        batch = self.args.per_device_train_batch_size
        return PairGroupSampler(ds[PAIR_GROUP], ds["length"], batch, self.args.seed)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        groups = inputs.pop(PAIR_GROUP)
        labels = inputs["labels"]
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True)
        if self.pair_weight > 0:
            margins = outputs.logits[:, 1] - outputs.logits[:, 0]
            loss = loss + self.pair_weight * pair_loss(margins, labels, groups)
        return (loss, outputs) if return_outputs else loss
