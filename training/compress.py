"""`garble-train store-int8`: rewrite a trained folder's weights as int8 (about half of fp16)."""

from __future__ import annotations

import logging
from pathlib import Path

from detector.meta import ModelMeta
from detector.weights import WEIGHTS_FILE, is_int8, load_classifier, save_int8
from training.card import record_config_change

logger = logging.getLogger(__name__)


def store_int8(folder: str | Path) -> Path:
    """Store the folder's weights int8, as ``int8_weights: true`` in its config would have.

    The training config recorded in ``meta.json`` and ``train_config.yaml`` says so afterwards,
    and the model card is rewritten; the metrics and threshold stay those measured at training
    (compare the two folders on dev to check them). Rerun ``export-onnx`` after it: ``meta.json``
    changed.
    """
    folder = Path(folder)
    weights = folder / WEIGHTS_FILE
    if is_int8(weights):
        raise ValueError(f"{weights} is int8 already")
    before = weights.stat().st_size
    save_int8(load_classifier(folder).state_dict(), weights)
    record_config_change(folder, ModelMeta.load(folder), "int8_weights", True)
    logger.info("%s: %.1f MB -> %.1f MB", weights, before / 1e6, weights.stat().st_size / 1e6)
    return weights
