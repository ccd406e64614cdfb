"""`garble-train calibrate`: refit a model folder's calibration and threshold on dev."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict
from pathlib import Path

from detector.api import GarbleDetector
from detector.backends import ONNX_DIR, ONNX_SETTINGS, build_export, export_paths
from detector.base_weights import has_base
from detector.onnx_export import export_onnx
from training.calibrate import calibrate_on_split
from training.card import record_config_change
from training.config import CalibrationConfig, Config
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


def finish(folder: str | Path, config: Config, command: str = "") -> Path:
    """Make a trained folder the shipped one (the steps of `garble-train all` after training).

    A fully fine-tuned folder stores its weights in fp16 or int8, which shift the margins a
    little: its calibration and threshold are refitted on the stored weights (as `garble-train
    calibrate` does). A folder stored over a base encoder keeps the calibration fitted during
    training, on its trained layers before they were stored int8 (not refitted). Then the span
    and type heads are fitted (where the config has a ``heads`` block) and the ONNX export is
    written, an int8 one with its own calibration on the same dev split.
    """
    data_dir = config.data.output_dir
    if not config.model.train_top_layers:
        recalibrate(folder, config, data_dir)
    if config.heads is not None:
        from training.heads import fit_heads

        fit_heads(folder, config, command)
    write_export(folder, data_dir)
    return Path(folder)


def write_export(folder: str | Path, calibrate_on: str | None = None) -> Path:
    """Write a folder's ONNX export and return its path.

    A folder stored over a base encoder gets its fp32 export in the cache (as on first use),
    which gives the model's own margins. Otherwise, with ``calibrate_on`` (a prepared dataset)
    the int8 export also gets its own Platt calibration and threshold, fitted on that dev split
    by the model's own rule (int8 weights shift the margins a little), written into the
    folder's ``onnx/export.json``.
    """
    folder = Path(folder)
    dev = load_prepared(calibrate_on)["dev"] if calibrate_on else None  # missing data fails first
    path, _ = export_paths(folder)
    if has_base(folder):  # an fp32 export: the model's own margins, no refit
        shutil.rmtree(path.parent, ignore_errors=True)
        build_export(folder, path.parent)
        return path
    export_onnx(folder)
    if dev is None:
        return path
    detector = GarbleDetector.from_pretrained(folder, backend="onnx")
    rule = CalibrationConfig.model_validate(detector.meta.training_config.get("calibration", {}))
    cal, threshold = calibrate_on_split(detector.margins(list(dev["text"])), dev, rule)
    settings = dict(detector.backend.settings)
    settings["dev_calibration"] = {
        "calibration": asdict(cal),
        "threshold": threshold,
        "data": calibrate_on,
        "rows": len(dev),
    }
    (folder / ONNX_DIR).mkdir(exist_ok=True)
    text = json.dumps(settings, indent=2) + "\n"
    (folder / ONNX_DIR / ONNX_SETTINGS).write_text(text, encoding="utf-8")
    logger.info("%s: ONNX threshold %.4f", folder, threshold)
    return path
