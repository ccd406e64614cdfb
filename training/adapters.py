"""LoRA adapters (peft) instead of full fine-tuning, merged into plain weights after training.

Only the low-rank adapters of the attention and dense layers and the classification head are
trained; the encoder's pretrained weights stay frozen. After training the adapters are merged
into the weights, so the saved folder is an ordinary model folder (no peft needed to load it).
"""

from __future__ import annotations

from training.config import AdapterConfig


def add_adapters(model, cfg: AdapterConfig):
    """Return ``model`` wrapped with trainable LoRA adapters (the classifier fully trained)."""
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=cfg.r,
        lora_alpha=cfg.alpha,
        lora_dropout=cfg.dropout,
        target_modules=list(cfg.target_modules),
    )
    return get_peft_model(model, lora)


def merge_adapters(model):
    """Return the plain transformers model with the trained adapters merged into its weights."""
    return model.merge_and_unload()
