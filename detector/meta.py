"""The metadata stored beside a model's weights (`meta.json`)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

META_FILE = "meta.json"


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
            return TypeAdapter(cls).validate_json(path.read_bytes())
        except ValueError as exc:  # pydantic's ValidationError is one
            raise ModelFolderError(f"{path}: not a valid meta.json ({error_reason(exc)})") from exc
