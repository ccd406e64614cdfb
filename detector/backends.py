"""Inference backends: the logits of a padded batch, from PyTorch or from ONNX Runtime.

``torch`` runs the fp32 weights with PyTorch; ``onnx`` runs the int8 ONNX export in the model
folder (``onnx/model.int8.onnx``, written by ``garble-train export-onnx``) with ONNX Runtime and
never imports PyTorch or transformers, so it starts in a fraction of the time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np

from detector.base_weights import cache_root, has_base
from detector.heads import Heads

logger = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx")
DEFAULT_BACKEND = "auto"  # of the API and the CLI alike, so one folder gives one threshold
ONNX_DIR = "onnx"
ONNX_MODEL = "model.int8.onnx"
ONNX_FP32 = "model.fp32.onnx"  # the export of a folder stored over a base encoder
ONNX_SETTINGS = "export.json"
META_FILE = "meta.json"


ONNX_HIDDEN = "hidden"  # the last hidden states, a second output of the export


class Backend(Protocol):
    """Anything that maps a padded batch to logits of shape (batch, 2), and to them with the
    heads' outputs (see :class:`Analysis`)."""

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray: ...

    def analyse(self, batch: dict[str, np.ndarray]) -> Analysis: ...


class Analysis(NamedTuple):
    """A batch's logits (batch, 2) and, where the model has heads, the span head's token
    scores (batch, tokens) and each row's P(spinner | garbled) (batch,)."""

    logits: np.ndarray
    token_scores: np.ndarray | None = None
    spinner: np.ndarray | None = None


class _WithHeads:
    """``analyse()`` for a backend with ``forward(batch, hidden)`` and ``heads``."""

    heads: Heads | None = None

    def forward(
        self, batch: dict[str, np.ndarray], hidden: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def logits(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.forward(batch, hidden=False)[0]

    def analyse(self, batch: dict[str, np.ndarray]) -> Analysis:
        if self.heads is None:
            return Analysis(self.logits(batch))
        logits, hidden = self.forward(batch, hidden=True)
        return Analysis(
            logits,
            self.heads.token_scores(hidden),
            self.heads.spinner_share(hidden, batch["attention_mask"]),
        )


def physical_cores() -> int:
    """Return the number of physical cores this process may run on (hyper-threads not counted)."""
    if hasattr(os, "sched_getaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
    else:
        cpus = list(range(os.cpu_count() or 1))
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            package = (topology / "physical_package_id").read_text().strip()
            cores.add((package, (topology / "core_id").read_text().strip()))
        except OSError:
            return len(cpus)
    return len(cores) or len(cpus)


def export_command(folder: str | Path) -> str:
    """Return the command that writes the ONNX export of ``folder``."""
    return f"garble-train export-onnx --model {folder}"


def meta_digest(folder: str | Path) -> str:
    """Return the SHA-256 of ``meta.json``: it changes with every training run of a folder."""
    return hashlib.sha256((Path(folder) / META_FILE).read_bytes()).hexdigest()


def native_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (AMX or AVX512-BF16)."""
    import torch

    checks = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def runs_in_bf16(folder: str | Path) -> bool:
    """Whether the torch backend runs a folder in bf16: a folder stored over a base encoder
    (a 110M encoder) on a CPU with native bf16. On the accurate model's dev sets this gave the
    fp32 ROC-AUC to 1e-4 at four times the speed (docs/EXPERIMENTS.md section 30)."""
    return has_base(folder) and native_bf16()


class TorchBackend(_WithHeads):
    """A transformers sequence-classification model run under ``inference_mode``, in fp32 (in
    bf16 where :func:`runs_in_bf16`)."""

    def __init__(self, model, heads: Heads | None = None) -> None:
        self.model = model.eval()
        self.heads = heads

    @classmethod
    def load(cls, folder: str | Path, threads: int | None = None) -> TorchBackend:
        """Return the backend of a model folder's weights, upcast to fp32 (or bf16)."""
        import torch

        from detector.weights import load_classifier

        torch.set_num_threads(threads or physical_cores())
        model = load_classifier(folder)
        model = model.to(torch.bfloat16) if runs_in_bf16(folder) else model
        return cls(model, Heads.load(folder))

    def forward(
        self, batch: dict[str, np.ndarray], hidden: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the logits and, if ``hidden``, the last hidden states (fp32 numpy)."""
        import torch

        device = next(self.model.parameters()).device
        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v).to(device) for k, v in batch.items()}
            out = self.model(**inputs, output_hidden_states=hidden)
            states = out.hidden_states[-1].float().cpu().numpy() if hidden else None
            return out.logits.float().cpu().numpy(), states


class OnnxBackend(_WithHeads):
    """An ONNX Runtime session on the CPU, tuned for few cores."""

    def __init__(
        self, session, settings: dict | None = None, heads: Heads | None = None, hidden: str = ""
    ) -> None:
        self.session = session
        self.inputs = {i.name for i in session.get_inputs()}
        self.settings = settings or {}
        self.heads = heads
        self.hidden = hidden or ONNX_HIDDEN

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        threads: int | None = None,
        settings: dict | None = None,
        heads: Heads | None = None,
    ) -> OnnxBackend:
        """Return the backend of one ONNX file (all graph optimisations, one inter-op thread).

        With ``heads``, an export without the ``hidden`` output (one written before the heads
        existed) gets it added in memory: the output of its last layer norm.
        """
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or physical_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Batches vary in shape; a growing arena, or a memory pattern kept per shape, would make
        # memory grow with corpus size.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        if Path(path).name == ONNX_FP32:
            # fp32 weights of a large encoder (420 MiB): prepacked copies would nearly double
            # them; without them peak RSS stays near 1 GB, at about 5 % of the speed.
            options.add_session_config_entry("session.disable_prepacking", "1")
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        outputs = {o.name for o in session.get_outputs()}
        if heads is None or ONNX_HIDDEN in outputs:
            return cls(session, settings, heads)
        graph, hidden = _with_hidden_output(path)
        session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        return cls(session, settings, heads, hidden)

    @classmethod
    def load(cls, folder: str | Path, threads: int | None = None) -> OnnxBackend:
        """Return the backend of a folder's ONNX export; a missing or stale export is an error.

        A folder stored over a base encoder (``base.json``) keeps its export in the cache, built
        there on first use.
        """
        folder = Path(folder)
        path, settings = export_paths(folder)
        if not path.is_file() and has_base(folder):
            build_export(folder, path.parent)
        if not (path.is_file() and settings.is_file()):
            raise FileNotFoundError(
                f"{folder} has no ONNX export ({ONNX_DIR}/{ONNX_MODEL}); "
                f"write it with: {export_command(folder)}"
            )
        recorded = json.loads(settings.read_text("utf-8"))
        if recorded.get("meta_sha256") != meta_digest(folder):
            raise ValueError(
                f"the ONNX export in {folder} is from another training run of the model; "
                f"rewrite it with: {export_command(folder)}"
            )
        return cls.from_file(path, threads, recorded, Heads.load(folder))

    def forward(
        self, batch: dict[str, np.ndarray], hidden: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the logits and, if ``hidden``, the last hidden states."""
        feed = {k: v for k, v in batch.items() if k in self.inputs}
        if not hidden:
            return self.session.run(["logits"], feed)[0], None
        logits, states = self.session.run(["logits", self.hidden], feed)
        return logits, states


_LAYER_NORMS = ("LayerNormalization", "SkipLayerNormalization", "SkipSimplifiedLayerNormalization")


def _with_hidden_output(path: str | Path) -> tuple[bytes, str]:
    """Return an ONNX file's graph with its last layer norm's output (the encoder's last hidden
    states, as the pooler or classification head reads them) added as an output, and its name.

    Only for the small int8 exports in a model folder: the graph is loaded into memory.
    """
    import onnx

    model = onnx.load(str(path))
    norms = [node for node in model.graph.node if node.op_type in _LAYER_NORMS]
    if not norms:
        raise ValueError(f"{path}: no layer norm found to read the hidden states from")
    name = norms[-1].output[0]
    output = onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
    model.graph.output.append(output)
    return model.SerializeToString(), name


def export_paths(folder: Path) -> tuple[Path, Path]:
    """Return (ONNX file, settings file) of a folder's export.

    Both live in ``folder/onnx``, except for a folder stored over a base encoder: its export is
    derived from the base, so it is built into the cache (one entry per training run). That
    export is fp32: int8 dynamic quantisation cost the accurate model 0.02-0.06 of its dev
    ROC-AUC (docs/EXPERIMENTS.md section 30), while fp32 gives the PyTorch margins and so
    meta.json's calibration.
    """
    if not has_base(folder):
        return folder / ONNX_DIR / ONNX_MODEL, folder / ONNX_DIR / ONNX_SETTINGS
    # "-h": exports with the hidden-state output (older cache entries lack it).
    cached = cache_root() / "onnx" / f"{folder.name}-{meta_digest(folder)[:16]}-h"
    return cached / ONNX_FP32, cached / ONNX_SETTINGS


def build_export(folder: Path, target: Path) -> None:
    """Build the ONNX export of ``folder`` into ``target`` (written whole, then moved there)."""
    from detector.onnx_export import export_onnx  # needs torch and onnx

    logger.warning("building the ONNX export of %s once, into %s ...", folder, target)
    start = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        export_onnx(folder, tmp)
        if not target.exists():
            tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.warning("built the ONNX export in %.0f s", time.perf_counter() - start)


def load_backend(
    name: str, folder: str | Path, threads: int | None = None, progress: bool = False
) -> Backend:
    """Return backend ``name`` (``auto``, ``torch`` or ``onnx``) for a model folder.

    ``progress``: let transformers print its progress bars ("Loading weights") to stderr.
    """
    if name == "torch":
        return _torch_backend(folder, threads, progress)
    if name == "onnx":
        return OnnxBackend.load(folder, threads)
    if name == "auto":
        return _auto_backend(folder, threads, progress)
    raise ValueError(f"unknown backend {name!r}; choose one of auto, {', '.join(BACKENDS)}")


def _auto_backend(folder: str | Path, threads: int | None, progress: bool) -> Backend:
    """Return the int8 ONNX backend where the folder has a current export, else torch."""
    try:
        return OnnxBackend.load(folder, threads)
    except (FileNotFoundError, ValueError, ImportError) as exc:
        logger.info("backend auto: torch (%s)", str(exc).splitlines()[0])
        return _torch_backend(folder, threads, progress)


def _torch_backend(folder: str | Path, threads: int | None, progress: bool) -> Backend:
    """Return the torch backend, with transformers' progress bars only if ``progress``."""
    if progress:
        return TorchBackend.load(folder, threads)
    with _no_progress_bars():
        return TorchBackend.load(folder, threads)


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Turn transformers' progress bars off for the block, then back on if they were on.

    Only on the torch path: importing transformers would cost the ONNX backend its fast start.
    """
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--backend auto|torch|onnx`` to a scoring command's parser."""
    parser.add_argument(
        "--backend",
        choices=("auto", *BACKENDS),
        default=DEFAULT_BACKEND,
        help="inference backend: auto (default: the int8 ONNX export where the model folder "
        "has a current one, else torch), torch (fp32) or onnx",
    )
