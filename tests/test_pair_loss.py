"""The pairwise loss: groups, batches that keep a group together, the loss, a tiny run."""

from __future__ import annotations

import math

import pytest
import torch
from safetensors.torch import load_file

from detector.api import GarbleDetector
from tests.conftest import tiny_config
from training.config import Config
from training.pair_loss import PairGroupSampler, pair_groups, pair_loss
from training.train import train


def test_pair_groups_point_garbled_rows_at_their_original():
    texts = ["A b c.", "A c b.", "D e.", "A b b c.", "F g."]
    labels = [0, 1, 0, 1, 1]
    originals = ["", "A b c.", "", "A b c.", "not in the split"]
    assert pair_groups(texts, labels, originals) == [0, 0, 2, 0, 4]


def test_sampler_keeps_each_group_in_one_run_and_yields_every_row_once():
    groups = [0, 0, 2, 0, 4, 4, 6, 7, 7, 9]
    lengths = [5, 6, 9, 5, 3, 3, 12, 4, 4, 8]
    sampler = PairGroupSampler(groups, lengths, batch_size=2, seed=3)
    for _ in range(2):  # two epochs, shuffled differently
        order = list(sampler)
        assert sorted(order) == list(range(10)) and len(sampler) == 10
        position = {i: k for k, i in enumerate(order)}
        for g in set(groups):
            where = sorted(position[i] for i, h in enumerate(groups) if h == g)
            assert where == list(range(where[0], where[0] + len(where)))


def test_sampler_orders_by_length_within_a_mega_batch():
    groups, lengths = list(range(6)), [3, 9, 1, 7, 5, 2]
    order = list(PairGroupSampler(groups, lengths, batch_size=32, seed=0))
    assert [lengths[i] for i in order] == [9, 7, 5, 3, 2, 1]


def test_pair_loss_by_hand():
    margins = torch.tensor([1.0, 3.0, -2.0, 0.5, 2.0])
    labels = torch.tensor([0, 1, 1, 0, 1])
    groups = torch.tensor([0, 0, 0, 3, 4])  # pairs: (1, 0) and (2, 0); row 4 has no original
    expected = (math.log1p(math.exp(1.0 - 3.0)) + math.log1p(math.exp(1.0 + 2.0))) / 2
    assert pair_loss(margins, labels, groups).item() == pytest.approx(expected)
    assert pair_loss(margins, labels, torch.arange(5)).item() == 0.0


@pytest.mark.parametrize("token_weight", [0.0, 1.0])
def test_pair_loss_run_trains_and_records_the_weight(tiny_model, tmp_path, token_weight):
    config = tiny_config(
        tmp_path, pair_batches=True, pair_loss_weight=1.0, token_loss_weight=token_weight
    )
    data = config.data.model_copy(update={"output_dir": str(tiny_model.parent / "data")})
    folder = train(config.model_copy(update={"data": data}))
    detector = GarbleDetector.from_pretrained(folder)
    assert detector.meta.training_config["train"]["pair_loss_weight"] == 1.0
    assert not any(k.startswith("token_head") for k in load_file(folder / "model.safetensors"))
    assert len(detector.score(["One clean sentence.", "Sentence clean one."])) == 2


@pytest.mark.parametrize(
    ("train", "extra", "message"),
    [
        ({"pair_loss_weight": 1.0}, {}, "needs train.pair_batches"),
        ({"pair_batches": True}, {"distill": {"teacher": "some/folder"}}, "pair_batches cannot"),
    ],
)
def test_pair_settings_that_cannot_work_are_config_errors(tmp_path, train, extra, message):
    raw = {**tiny_config(tmp_path).model_dump(), **extra}
    raw["train"].update(train)
    with pytest.raises(ValueError, match=message):
        Config.model_validate(raw)
