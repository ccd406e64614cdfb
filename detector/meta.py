"""The metadata stored beside a model's weights (`meta.json`)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

META_FILE = "meta.json"
# Files that load through pickle (which can run code): a model folder holding one is refused.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib", ".npy", ".h5")
MAX_LENGTH_LIMIT = 8192


class ModelFolderError(OSError):
    """A model folder whose files cannot be read: a one-line reason, not a traceback."""


def error_reason(exc: ValueError, most: int = 3) -> str:
    """Return what is wrong in a JSON or validation error, on one line (``most`` errors)."""
    if not isinstance(exc, ValidationError):
        return str(exc).splitlines()[0]
    errors = exc.errors()
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}" for e in errors[:most]
    ]
    more = f"; and {len(errors) - most} more" if len(errors) > most else ""
    return "; ".join(parts) + more


@dataclass
class Calibration:
    """Platt scaling of the logit margin: ``p = sigmoid(a * margin + b)``.

    ``prior``: the share of garbled sentences the probabilities are calibrated for (None: the
    share in the rows they were fitted on).
    """

    method: str = "platt"
    a: float = 1.0
    b: float = 0.0
    prior: float | None = None

    def probability(self, margin: float) -> float:
        """Return the calibrated probability that a sentence with this margin is garbled."""
        z = self.a * margin + self.b
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass
class ModelMeta:
    """Everything needed to use and judge a model folder besides weights and tokenizer."""

    name: str
    version: str
    labels: list[str] = field(default_factory=lambda: ["clean", "garbled"])
    threshold: float = 0.5
    calibration: Calibration = field(default_factory=Calibration)
    max_length: int = 128
    metrics: dict = field(default_factory=dict)
    training_config: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    command: str = ""  # the command that made the folder

    def save(self, folder: str | Path) -> None:
        """Write ``meta.json`` into ``folder``."""
        text = json.dumps(asdict(self), indent=2, sort_keys=False)
        (Path(folder) / META_FILE).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> ModelMeta:
        """Return the metadata in ``folder/meta.json``, checked field by field."""
        path = Path(folder) / META_FILE
        try:
            meta = TypeAdapter(cls).validate_json(path.read_bytes())
            meta.check()
        except ValueError as exc:  # pydantic's ValidationError is one
            raise ModelFolderError(f"{path}: not a valid meta.json ({error_reason(exc)})") from exc
        return meta

    def check(self) -> None:
        """Raise ValueError for a value this version cannot use (e.g. from a later version)."""
        c = self.calibration
        if c.method != "platt":
            raise ValueError(
                f"calibration method {c.method!r} is not supported by this version "
                "of garble-detector (only 'platt')"
            )
        if not (math.isfinite(c.a) and math.isfinite(c.b)):
            raise ValueError("calibration a and b must be finite numbers")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold {self.threshold} is not in [0, 1]")
        if not 1 < self.max_length <= MAX_LENGTH_LIMIT:
            raise ValueError(f"max_length {self.max_length} is not in [2, {MAX_LENGTH_LIMIT}]")


def check_model_files(folder: str | Path) -> None:
    """Refuse a model folder that holds pickle-based weights or asks for remote code.

    Models load from safetensors, ONNX and JSON only; a ``.bin`` or ``.pkl`` beside them would
    be one ``from_pretrained`` fallback away from running code from the folder.
    """
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() in PICKLE_SUFFIXES and path.is_file():
            raise ModelFolderError(
                f"{folder}: refusing to load a model folder with {path.relative_to(folder)}: "
                "models load from safetensors and JSON only (pickle files can run code)"
            )
    config = folder / "config.json"
    if config.is_file():
        try:
            values = json.loads(config.read_bytes())
        except ValueError as exc:
            raise ModelFolderError(f"{config}: not valid JSON ({error_reason(exc)})") from exc
        if not isinstance(values, dict):
            raise ModelFolderError(f"{config}: not a JSON object")
        if "auto_map" in values:
            raise ModelFolderError(
                f"{config}: asks for the model's own code (auto_map); remote code is never run"
            )
