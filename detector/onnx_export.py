"""The int8 ONNX export of a model folder, for the ``onnx`` backend (`garble-train export-onnx`,
or built on first use into the cache for a folder stored over a base encoder).

The fp32 model is exported with ``torch.onnx.export`` (TorchScript exporter, eager attention,
dynamic batch and sequence axes), ONNX Runtime's transformer optimiser fuses each layer's
attention, GELU and skip-layer-norm into single kernels (``fusion`` in ``export.json`` counts
them), then the weights are quantised to int8 with ONNX Runtime's dynamic quantisation (per
channel, 7-bit range so that CPUs without VNNI do not saturate). ``onnx/export.json``
records the settings, the package versions, the SHA-256 of ``meta.json`` (the backend refuses an
export from another training run) and the largest margin difference to PyTorch on a few
sentences.
"""

from __future__ import annotations

import inspect
import json
import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from detector.backends import (
    ONNX_DIR,
    ONNX_HIDDEN,
    ONNX_MODEL,
    ONNX_SETTINGS,
    OnnxBackend,
    TorchBackend,
    export_paths,
    meta_digest,
)
from detector.encoding import BatchEncoder
from detector.meta import ModelMeta
from detector.versions import package_versions
from detector.weights import load_classifier

logger = logging.getLogger(__name__)

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
QUANTIZATION = {
    "method": "dynamic",
    "weight_type": "int8",
    "per_channel": True,
    "reduce_range": True,
}
OPSET = 17
_PACKAGES = ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
# Sentences of different lengths: the export traces a batch of them, the check compares margins.
CHECK_SENTENCES = [
    "The council approved the plan.",
    "The council has approved the plan of the park with the votes and the votes.",
    "Counterfeit consciousness is utilized in enormous information investigation by the firm.",
    "Heavy rain is expected across the north of the country over the weekend, forecasters said.",
]


class _LogitsAndHidden(torch.nn.Module):
    """The classifier's logits and its last hidden states (what the span and type heads read)."""

    def __init__(self, model) -> None:
        super().__init__()
        self.model = model

    def forward(self, *args):
        out = self.model(*args, output_hidden_states=True)
        return out.logits, out.hidden_states[-1]


def _export_fp32(model, sample: dict[str, np.ndarray], path: Path) -> None:
    """Export ``model`` in fp32 with dynamic batch and sequence axes; the outputs are the
    logits and the last hidden states.

    Eager attention and the TorchScript exporter give the graph pattern that ONNX Runtime's
    optimiser fuses into its ``Attention`` kernel (the dynamo export's is not recognised).
    """
    model.set_attn_implementation("eager")
    # Positional inputs, so only those the model takes: MPNet has no token_type_ids (its third
    # argument is position_ids).
    accepted = inspect.signature(model.forward).parameters
    names = [name for name in INPUT_NAMES if name in accepted and name in sample]
    args = tuple(torch.from_numpy(sample[name]) for name in names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # exporter notices about deprecations and tracing
        torch.onnx.export(
            _LogitsAndHidden(model).eval(),
            args,
            str(path),
            input_names=names,
            output_names=["logits", ONNX_HIDDEN],
            dynamic_axes={
                **{name: {0: "batch", 1: "sequence"} for name in names},
                "logits": {0: "batch"},
                ONNX_HIDDEN: {0: "batch", 1: "sequence"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _fuse(source: Path, target: Path, config) -> dict[str, int]:
    """Write ``source`` with its transformer layers fused into ``target``; return the counts."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    optimized.save_model_to_file(str(target))
    return {op: n for op, n in optimized.get_fused_operator_statistics().items() if n}


def _quantize(source: Path, target: Path) -> None:
    """Quantise the weights of ``source`` to int8 (dynamic quantisation) into ``target``."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        source,
        target,
        weight_type=QuantType.QInt8,
        per_channel=QUANTIZATION["per_channel"],
        reduce_range=QUANTIZATION["reduce_range"],
        # Fused kernels are outside the shape inference's domain; their outputs are fp32.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


@contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Hold back the exporter's and quantiser's per-node INFO logs and torchvision notices."""
    loggers = {logging.getLogger(): logging.WARNING, logging.getLogger("torch.onnx"): logging.ERROR}
    levels = {lg: lg.level for lg in loggers}
    for lg, level in loggers.items():
        lg.setLevel(max(lg.level, level))
    try:
        yield
    finally:
        for lg, level in levels.items():
            lg.setLevel(level)


def write_onnx(model, encoder: BatchEncoder, path: str | Path, quantize: bool = True) -> dict:
    """Write the fused ONNX export of an in-memory model to ``path`` (int8 or fp32).

    Returns the number of each fused kernel in the graph. ``model`` is left in eval mode, fp32,
    with eager attention (same results as the default attention).
    """
    path = Path(path)
    sample = encoder.pad(encoder.encode(CHECK_SENTENCES))
    model = model.float().eval()
    with _quiet_exporters(), tempfile.TemporaryDirectory() as tmp:
        traced, fused = Path(tmp) / "model.traced.onnx", Path(tmp) / "model.fused.onnx"
        _export_fp32(model, sample, traced)
        fusion = _fuse(traced, fused if quantize else path, model.config)
        if quantize:
            _quantize(fused, path)
    return fusion


def max_margin_difference(model, encoder: BatchEncoder, path: str | Path) -> float:
    """Return the largest |margin| difference between PyTorch and the ONNX file on a few inputs."""
    batch = encoder.pad(encoder.encode(CHECK_SENTENCES))
    want = TorchBackend(model).logits(batch)
    got = OnnxBackend.from_file(path).logits(batch)
    return float(np.abs(np.diff(want, axis=1) - np.diff(got, axis=1)).max())


def export_onnx(folder: str | Path, out: str | Path | None = None) -> Path:
    """Write the export of ``folder`` (int8; fp32 for a folder stored over a base encoder) and
    its ``export.json`` into ``out`` (default ``folder/onnx``); return the ONNX file's path."""
    folder = Path(folder)
    meta = ModelMeta.load(folder)
    model = load_classifier(folder)
    encoder = BatchEncoder.from_folder(folder, meta.max_length)
    out = Path(out) if out is not None else folder / ONNX_DIR
    out.mkdir(parents=True, exist_ok=True)
    path = out / export_paths(folder)[0].name  # int8, or fp32 over a base: see export_paths
    quantize = path.name == ONNX_MODEL
    fusion = write_onnx(model, encoder, path, quantize)
    difference = max_margin_difference(model, encoder, path)
    settings = {
        "file": path.name,
        "model": {"name": meta.name, "version": meta.version},
        "meta_sha256": meta_digest(folder),
        "opset": _opset(path),
        "fusion": fusion,
        "quantization": QUANTIZATION if quantize else None,
        "check": {"sentences": len(CHECK_SENTENCES), "max_abs_margin_diff": round(difference, 4)},
        "versions": package_versions(_PACKAGES),
    }
    (out / ONNX_SETTINGS).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    size = path.stat().st_size / 2**20
    logger.info("wrote %s (%.1f MiB; max margin difference %.4f)", path, size, difference)
    return path


def _opset(path: Path) -> int:
    """Return the default-domain opset of an ONNX file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
