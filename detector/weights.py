"""Model weights stored int8 in safetensors (one scale per 64 weights of a row), and read back.

A model folder may store its matrices as int8 to stay small; everything else that reads a
folder goes through :func:`load_classifier`, which restores fp32 weights first.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from detector.base_weights import base_folder, read_base_spec

WEIGHTS_FILE = "model.safetensors"
FORMAT_KEY = "garble_weights"
INT8 = "int8-g64"
SCALE = ".__scale"
GROUP = 64
MIN_QUANTISED = 100_000  # smaller matrices, vectors and integer buffers are stored as they are


def quantize_tensor(name: str, w: torch.Tensor) -> dict[str, torch.Tensor]:
    """Return ``{name: int8 groups, name + SCALE: fp16 scales}`` for a big matrix, else fp16."""
    if not w.is_floating_point():
        return {name: w}
    if w.ndim != 2 or w.numel() <= MIN_QUANTISED:
        return {name: w.half()}
    group = GROUP if w.shape[1] % GROUP == 0 else w.shape[1]
    g = w.float().reshape(w.shape[0], -1, group)
    scale = g.abs().amax(dim=2, keepdim=True).clamp(min=1e-8) / 127.0
    return {name: torch.round(g / scale).to(torch.int8), name + SCALE: scale.half()}


def dequantize(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Return fp32 weights (integer buffers unchanged) from :func:`quantize_tensor` outputs."""
    state = {}
    for name, t in tensors.items():
        if name.endswith(SCALE):
            continue
        scale = tensors.get(name + SCALE)
        if scale is not None:
            t = (t.float() * scale.float()).reshape(t.shape[0], -1)
        state[name] = t.float() if t.is_floating_point() else t
    return state


def save_int8(state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Write ``state`` to ``path`` with its big matrices quantised to int8."""
    tensors: dict[str, torch.Tensor] = {}
    for name, w in state.items():
        tensors.update(quantize_tensor(name, w.detach().cpu().contiguous()))
    save_file(tensors, str(path), metadata={"format": "pt", FORMAT_KEY: INT8})


def is_int8(path: str | Path) -> bool:
    """Whether a safetensors file was written by :func:`save_int8`."""
    with safe_open(str(path), framework="pt") as f:
        return (f.metadata() or {}).get(FORMAT_KEY) == INT8


def load_classifier(folder: str | Path, **config_overrides):
    """Return the folder's sequence classifier in fp32, whether its weights are int8 or not,
    whole or stored over a base encoder (``base.json``, detector/base_weights.py).

    ``config_overrides`` (e.g. ``num_labels``, ``num_hidden_layers``) update its config.
    """
    from transformers import (
        MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING,
        AutoConfig,
        AutoModelForSequenceClassification,
    )

    folder = Path(folder)
    spec = read_base_spec(folder)
    if spec is not None:
        return _load_over_base(folder, spec["name"], config_overrides)
    if not is_int8(folder / WEIGHTS_FILE):
        return AutoModelForSequenceClassification.from_pretrained(
            folder,
            dtype=torch.float32,
            use_safetensors=True,
            trust_remote_code=False,
            **config_overrides,
        )
    config = AutoConfig.from_pretrained(folder, trust_remote_code=False, **config_overrides)
    weights = dequantize(load_file(str(folder / WEIGHTS_FILE)))
    model_class = MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING[type(config)]
    return model_class.from_pretrained(None, config=config, state_dict=weights, dtype=torch.float32)


def _load_over_base(folder: Path, base: str, config_overrides: dict):
    """Return the classifier of a folder whose weights are a delta over base encoder ``base``."""
    from transformers import MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING, AutoConfig

    config = AutoConfig.from_pretrained(folder, trust_remote_code=False, **config_overrides)
    model_class = MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING[type(config)]
    prefix = model_class.base_model_prefix
    state = {
        k if k.startswith(prefix + ".") else f"{prefix}.{k}": v.float()
        for k, v in load_file(str(base_folder(base) / WEIGHTS_FILE)).items()
        if not k.startswith("pooler.")
    }
    delta = load_file(str(folder / WEIGHTS_FILE))
    state.update(
        dequantize(delta)
        if is_int8(folder / WEIGHTS_FILE)
        else {k: v.float() for k, v in delta.items()}
    )
    return model_class.from_pretrained(None, config=config, state_dict=state, dtype=torch.float32)


def save_delta(model, prefixes: list[str], folder: str | Path, int8: bool) -> None:
    """Write only the weights under ``prefixes`` (the trained part) as the folder's weights."""
    state = {k: v for k, v in model.state_dict().items() if k.startswith(tuple(prefixes))}
    if int8:
        save_int8(state, Path(folder) / WEIGHTS_FILE)
    else:
        tensors = {k: v.detach().half().contiguous() for k, v in state.items()}
        save_file(tensors, str(Path(folder) / WEIGHTS_FILE), metadata={"format": "pt"})
