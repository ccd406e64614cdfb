"""`garble-train train`: fine-tune the encoder, calibrate on dev, write a model folder."""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import torch
from datasets import Dataset, DatasetDict
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

from detector.api import GarbleDetector
from detector.base_weights import BASES, write_base_spec
from detector.meta import ModelMeta
from detector.versions import package_versions
from detector.weights import WEIGHTS_FILE, save_delta, save_int8
from training.calibrate import calibrate_on_split
from training.card import write_card
from training.config import CalibrationConfig, Config, save_config
from training.distill import DistillTrainer, add_teacher_margins
from training.encoder import LABELS, load_encoder, route
from training.metrics import per_recipe_metrics
from training.prepare import load_prepared
from training.token_loss import (
    TOKEN_LABELS,
    TokenLabelCollator,
    TokenLossTrainer,
    add_token_head,
    remove_token_head,
    token_labels,
)
from training.train_top import train_top

logger = logging.getLogger(__name__)

_PACKAGES = ("torch", "transformers", "datasets", "scikit-learn", "garble-detector")


def _tokenize(ds: Dataset, tokenizer, max_length: int, tag_tokens: bool = False) -> Dataset:
    """Encode the rows; with ``tag_tokens`` also each token's label (changed by the recipe or
    not)."""

    def encode(batch: dict) -> dict:
        enc = tokenizer(
            batch["text"], truncation=True, max_length=max_length, return_offsets_mapping=tag_tokens
        )
        if tag_tokens:  # clean rows (hard negatives have spans too) have no garbled token
            spans = [s if y else [] for s, y in zip(batch["spans"], batch["label"], strict=True)]
            offsets = enc.pop("offset_mapping")
            enc[TOKEN_LABELS] = [token_labels(o, s) for o, s in zip(offsets, spans, strict=True)]
        enc["length"] = [len(ids) for ids in enc["input_ids"]]
        return enc

    keep = {"input_ids", "attention_mask", "token_type_ids", "label", "length"}
    keep.add(TOKEN_LABELS)
    ds = ds.map(encode, batched=True)
    return ds.remove_columns([c for c in ds.column_names if c not in keep])


def _fit(config: Config, model, tokenizer, train_ds, workdir: str) -> float:
    """Fine-tune ``model`` in place on ``train_ds``; return the final training loss."""
    t = config.train
    args = TrainingArguments(
        output_dir=workdir,
        per_device_train_batch_size=t.batch_size,
        num_train_epochs=t.epochs,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,
        train_sampling_strategy="group_by_length",
        save_strategy="no",
        report_to="none",
        logging_steps=50,
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=t.bf16,
        seed=config.seed,
        data_seed=config.seed,
        # the student and token losses need their extra columns
        remove_unused_columns=not (config.distill or t.token_loss_weight),
    )
    parts = {"model": model, "args": args, "train_dataset": train_ds}
    parts["data_collator"] = DataCollatorWithPadding(tokenizer)
    weight = t.token_loss_weight
    if weight > 0:
        parts["data_collator"] = TokenLabelCollator(tokenizer)
        add_token_head(model, config.seed)
    if config.distill is not None:
        trainer: Trainer = DistillTrainer(**parts, token_weight=weight, distill=config.distill)
    elif weight > 0:
        trainer = TokenLossTrainer(**parts, token_weight=weight)
    else:
        trainer = Trainer(**parts)
    loss = float(trainer.train().training_loss)
    if t.token_loss_weight > 0:
        remove_token_head(model)
    return loss


def _evaluate(detector: GarbleDetector, split) -> tuple[list[float], list[int], list[str]]:
    margins = detector.margins(list(split["text"]))
    return margins, list(split["label"]), list(split["recipe"])


def calibrate_and_measure(
    detector: GarbleDetector, dsd: DatasetDict, rule: CalibrationConfig
) -> dict[str, dict]:
    """Set ``detector.meta``'s calibration and threshold on dev; return dev and test metrics."""
    dev_m, dev_y, dev_r = _evaluate(detector, dsd["dev"])
    meta = detector.meta
    meta.calibration, meta.threshold = calibrate_on_split(dev_m, dsd["dev"], rule)
    test_m, test_y, test_r = _evaluate(detector, dsd["test"])
    dev_p = [meta.calibration.probability(m) for m in dev_m]
    test_p = [meta.calibration.probability(m) for m in test_m]
    return {
        "dev": per_recipe_metrics(dev_r, dev_y, dev_p, meta.threshold),
        "test": per_recipe_metrics(test_r, test_y, test_p, meta.threshold),
    }


def train(config: Config, data_dir: str | None = None, command: str = "") -> Path:
    """Fine-tune, calibrate and threshold on dev, write and return the model folder."""
    if config.train.threads:
        torch.set_num_threads(config.train.threads)
    dsd = load_prepared(data_dir or config.data.output_dir)
    trained = None
    if config.model.train_top_layers:
        if config.model.base not in BASES:  # before training: only its top layers are saved
            base = config.model.base
            raise ValueError(f"model.train_top_layers needs a pinned base, not {base!r}")
        model, tokenizer = load_encoder(config.model, config.seed)
        meta, split = train_top(config, dsd, model, tokenizer)
        trained = split.trained_prefixes()
    else:
        model, tokenizer, meta = _train_full(config, dsd)
    meta.training_config = config.model_dump()
    meta.versions = package_versions(_PACKAGES)
    meta.command = command
    return save_model(config, model, tokenizer, meta, trained)


def _train_full(config: Config, dsd: DatasetDict) -> tuple:
    """Fine-tune the whole encoder; return the model, its tokenizer and its measured meta."""
    if config.train.max_train_examples:
        n = min(config.train.max_train_examples, len(dsd["train"]))
        dsd["train"] = dsd["train"].select(range(n))
    model, tokenizer = load_encoder(config.model, config.seed)
    start = time.perf_counter()
    tag = config.train.token_loss_weight > 0
    train_ds = _tokenize(dsd["train"], tokenizer, config.model.max_length, tag)
    if config.distill is not None:
        train_ds = add_teacher_margins(train_ds, list(dsd["train"]["text"]), config.distill)
    with tempfile.TemporaryDirectory() as workdir:
        loss = _fit(config, model, tokenizer, train_ds, workdir)
    train_seconds = time.perf_counter() - start
    meta = ModelMeta(
        name=config.name, version=config.version, labels=LABELS, max_length=config.model.max_length
    )
    detector = GarbleDetector.from_model(model, tokenizer, meta)
    meta.metrics = {
        **calibrate_and_measure(detector, dsd, config.calibration),
        "training": {
            "final_loss": round(loss, 4),
            "seconds": round(train_seconds, 1),
            "examples": len(dsd["train"]),
            "route": route(),
        },
    }
    return model, tokenizer, meta


def save_model(
    config: Config, model, tokenizer, meta: ModelMeta, trained: list[str] | None = None
) -> Path:
    """Write weights (fp16 or int8 if configured), tokenizer, meta.json, config and card.

    With ``trained`` (state-dict key prefixes) only those weights are written, over the base
    encoder that ``base.json`` names (a pinned base of detector.base_weights).
    """
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if trained is not None:
        model.config.save_pretrained(out)
        save_delta(model, trained, out, config.int8_weights)
        write_base_spec(out, config.model.base)
    elif config.int8_weights:
        model.save_pretrained(out)
        save_int8(model.state_dict(), out / WEIGHTS_FILE)
    else:
        (model.half() if config.fp16_weights else model).save_pretrained(out)
    tokenizer.save_pretrained(out)
    meta.save(out)
    save_config(config, out / "train_config.yaml")
    write_card(out, meta)
    logger.info("wrote model to %s (threshold %.4f)", out, meta.threshold)
    return out
