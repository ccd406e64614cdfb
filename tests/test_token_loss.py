"""Token-level auxiliary loss: labels from spans, the loss by hand, a whole tiny run."""

import math

import pytest
import torch
from datasets import Dataset
from safetensors.torch import load_file

from detector import GarbleDetector
from tests.conftest import tiny_config
from training.encoder import load_encoder
from training.token_loss import IGNORE, TokenLabelCollator, joint_loss, token_labels
from training.train import _tokenize, train


def test_tokens_in_a_changed_span_are_labelled_and_special_tokens_ignored():
    # "[CLS] the cat sat [SEP]": offsets of a BERT-style encoding.
    offsets = [(0, 0), (0, 3), (4, 7), (8, 11), (0, 0)]
    assert token_labels(offsets, [[4, 7]]) == [IGNORE, 0, 1, 0, IGNORE]
    assert token_labels(offsets, [[2, 5]]) == [IGNORE, 1, 1, 0, IGNORE]  # partial overlap
    assert token_labels(offsets, []) == [IGNORE, 0, 0, 0, IGNORE]


def test_a_deletion_marks_the_next_token():
    offsets = [(0, 0), (0, 3), (4, 7), (8, 11), (0, 0)]
    assert token_labels(offsets, [[4, 4]]) == [IGNORE, 0, 1, 0, IGNORE]
    assert token_labels(offsets, [[11, 11]]) == [IGNORE, 0, 0, 0, IGNORE]  # at the very end


def test_clean_rows_get_no_garbled_token_even_with_spans(tmp_path):
    _, tokenizer = load_encoder(tiny_config(tmp_path).model, seed=0)
    text = "the cat sat"
    rows = {"text": [text, text], "label": [1, 0], "spans": [[[4, 7]], [[4, 7]]]}
    encoded = _tokenize(Dataset.from_dict(rows), tokenizer, 16, tag_tokens=True)
    garbled, hard_negative = encoded["token_labels"]
    assert sum(t == 1 for t in garbled) >= 1
    assert hard_negative.count(1) == 0 and hard_negative.count(0) >= 3


def test_joint_loss_is_sentence_ce_plus_weighted_token_bce_over_real_tokens():
    logits = torch.tensor([[0.0, 0.0]])
    labels = torch.tensor([1])
    token_logits = torch.tensor([[5.0, 0.0, -7.0]])
    tags = torch.tensor([[IGNORE, 1, 0]])
    got = joint_loss(logits, token_logits, labels, tags, weight=0.5)
    token_bce = (math.log(2) + math.log(1 + math.exp(-7))) / 2  # the ignored 5.0 plays no part
    assert got.item() == pytest.approx(math.log(2) + 0.5 * token_bce, rel=1e-5)


def test_collator_pads_token_labels_to_the_batch_width(tmp_path):
    _, tokenizer = load_encoder(tiny_config(tmp_path).model, seed=0)
    rows = [
        {"input_ids": [101, 7, 102], "attention_mask": [1, 1, 1], "label": 1},
        {"input_ids": [101, 102], "attention_mask": [1, 1], "label": 0},
    ]
    rows[0]["token_labels"], rows[1]["token_labels"] = [IGNORE, 1, IGNORE], [IGNORE, IGNORE]
    batch = TokenLabelCollator(tokenizer)(rows)
    assert batch["token_labels"].tolist() == [[IGNORE, 1, IGNORE], [IGNORE, IGNORE, IGNORE]]
    assert batch["input_ids"].shape == (2, 3) and batch["labels"].tolist() == [1, 0]


def test_token_loss_run_saves_a_plain_classifier(tiny_model, tmp_path):
    config = tiny_config(tmp_path, token_loss_weight=1.0)
    data = config.data.model_copy(update={"output_dir": str(tiny_model.parent / "data")})
    folder = train(config.model_copy(update={"data": data}))
    assert not any(k.startswith("token_head") for k in load_file(folder / "model.safetensors"))
    detector = GarbleDetector.from_pretrained(folder)
    assert detector.meta.training_config["train"]["token_loss_weight"] == 1.0
    assert len(detector.score(["One clean sentence.", "Sentence clean one."])) == 2
