"""`garble-train calibrate`: refit a model folder's calibration and threshold on dev."""

from __future__ import annotations

import logging
from pathlib import Path

from detector.api import GarbleDetector
from training.card import record_config_change
from training.config import Config
from training.prepare import load_prepared
from training.train import calibrate_and_measure

logger = logging.getLogger(__name__)


def recalibrate(folder: str | Path, config: Config, data_dir: str) -> Path:
    """Refit the folder's calibration and threshold on ``data_dir``'s dev split by ``config``.

    The dev and test metrics in ``meta.json`` are measured again, the folder takes the
    config's version, the ``calibration`` section of the recorded training config becomes the
    config's rule and the model card is rewritten; the weights are untouched. Rerun
    ``export-onnx --calibrate-on`` after it: ``meta.json`` changed.
    """
    folder = Path(folder)
    detector = GarbleDetector.from_pretrained(folder, backend="torch")
    meta = detector.meta
    old = meta.threshold
    rule = config.calibration
    meta.metrics.update(calibrate_and_measure(detector, load_prepared(data_dir), rule))
    meta.version = config.version
    record_config_change(folder, meta, "calibration", rule.model_dump())
    logger.info("%s: threshold %.4f -> %.4f", folder, old, meta.threshold)
    return folder
