"""TF-IDF baseline: word (1-2)-grams and char_wb (2-5)-grams into a logistic regression."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from detector.meta import Calibration
from training.baselines import read_meta, write_meta
from training.calibrate import calibrate

logger = logging.getLogger(__name__)

KIND = "tfidf"
WEIGHTS_FILE = "weights.safetensors"
C_VALUES = (0.25, 1.0, 4.0, 16.0)
# The caps keep the saved folder (vocabularies as JSON, float64 arrays) around 10 MB.
VECTORIZERS: dict[str, dict] = {
    "word": {"analyzer": "word", "ngram_range": [1, 2], "max_features": 100_000},
    "char": {"analyzer": "char_wb", "ngram_range": [2, 5], "max_features": 200_000},
}
_COMMON = {"sublinear_tf": True, "min_df": 2, "lowercase": True, "norm": "l2", "smooth_idf": True}
# Fit-only settings: with a fixed vocabulary they no longer matter.
_FIT_ONLY = ("min_df", "max_features")


def vectorizer_params(overrides: dict[str, dict] | None = None) -> dict[str, dict]:
    """Return the full JSON-safe settings of each vectorizer, with per-name overrides applied."""
    overrides = overrides or {}
    return {k: {**_COMMON, **v, **overrides.get(k, {})} for k, v in VECTORIZERS.items()}


def _vectorizer(params: dict, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    kwargs = {k: v for k, v in params.items() if vocabulary is None or k not in _FIT_ONLY}
    kwargs["ngram_range"] = tuple(params["ngram_range"])
    return TfidfVectorizer(vocabulary=vocabulary, **kwargs)


@dataclass
class TfidfScorer:
    """A fitted TF-IDF + logistic regression scorer; the linear part is plain numpy."""

    vectorizers: dict[str, TfidfVectorizer]
    coefs: dict[str, np.ndarray]
    intercept: float
    calibration: Calibration
    threshold: float = 0.5
    name: str = KIND
    params: dict[str, dict] = field(default_factory=vectorizer_params)
    info: dict = field(default_factory=dict)

    def margins(self, texts: list[str]) -> np.ndarray:
        """Return the logistic-regression decision function (log-odds before calibration)."""
        out = np.full(len(texts), self.intercept, dtype=np.float64)
        for key, vec in self.vectorizers.items():
            out += np.asarray(vec.transform(texts) @ self.coefs[key]).ravel()
        return out

    def score(self, texts: list[str]) -> list[float]:
        """Return one calibrated probability of being garbled per text."""
        return [self.calibration.probability(float(m)) for m in self.margins(list(texts))]

    def save(self, folder: str | Path) -> Path:
        """Write meta.json, vocabularies (JSON) and idf/coef arrays (safetensors); return folder."""
        out = write_meta(folder, self._meta())
        tensors = {"intercept": np.array([self.intercept], dtype=np.float64)}
        for key, vec in self.vectorizers.items():
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
            text = json.dumps(terms, ensure_ascii=False)
            (out / f"vocab_{key}.json").write_text(text, encoding="utf-8")
            tensors[f"{key}.idf"] = np.ascontiguousarray(vec.idf_, dtype=np.float64)
            tensors[f"{key}.coef"] = np.ascontiguousarray(self.coefs[key], dtype=np.float64)
        save_file(tensors, str(out / WEIGHTS_FILE))
        logger.info("wrote tfidf baseline to %s (threshold %.4f)", out, self.threshold)
        return out

    def _meta(self) -> dict:
        return {
            "kind": KIND,
            "name": self.name,
            "threshold": self.threshold,
            "calibration": vars(self.calibration),
            "vectorizers": self.params,
            "n_features": {k: len(v.vocabulary_) for k, v in self.vectorizers.items()},
            "files": {
                "weights": WEIGHTS_FILE,
                "vocabularies": [f"vocab_{k}.json" for k in self.vectorizers],
            },
            **self.info,
        }

    @classmethod
    def load(cls, folder: str | Path) -> TfidfScorer:
        """Return the scorer saved in ``folder`` by :meth:`save`."""
        folder = Path(folder)
        meta = read_meta(folder)
        if meta.get("kind") != KIND:
            raise ValueError(f"{folder}: kind {meta.get('kind')!r} is not {KIND!r}")
        tensors = load_file(str(folder / WEIGHTS_FILE))
        vectorizers, coefs = {}, {}
        for key, params in meta["vectorizers"].items():
            terms = json.loads((folder / f"vocab_{key}.json").read_text(encoding="utf-8"))
            vec = _vectorizer(params, {t: i for i, t in enumerate(terms)})
            vec.idf_ = tensors[f"{key}.idf"]
            vectorizers[key], coefs[key] = vec, tensors[f"{key}.coef"]
        known = {"kind", "name", "threshold", "calibration", "vectorizers", "n_features", "files"}
        return cls(
            vectorizers=vectorizers,
            coefs=coefs,
            intercept=float(tensors["intercept"][0]),
            calibration=Calibration(**meta["calibration"]),
            threshold=float(meta["threshold"]),
            name=meta.get("name", KIND),
            params=meta["vectorizers"],
            info={k: v for k, v in meta.items() if k not in known},
        )


def _fit_vectorizers(texts: list[str], params: dict[str, dict]) -> dict[str, TfidfVectorizer]:
    return {key: _vectorizer(p).fit(texts) for key, p in params.items()}


def _features(vectorizers: dict[str, TfidfVectorizer], texts: list[str]):
    from scipy.sparse import hstack

    return hstack([v.transform(texts) for v in vectorizers.values()], format="csr")


def _search_c(x_train, y_train, x_dev, y_dev, c_values, seed) -> tuple[LogisticRegression, list]:
    """Return the regression with the best dev ROC-AUC and the search as ``[{C, dev_roc_auc}]``."""
    best, best_auc, search = None, -1.0, []
    for c in c_values:
        lr = LogisticRegression(C=c, solver="liblinear", random_state=seed, max_iter=1000)
        lr.fit(x_train, y_train)
        auc = float(roc_auc_score(y_dev, lr.decision_function(x_dev)))
        search.append({"C": c, "dev_roc_auc": round(auc, 4)})
        logger.info("tfidf C=%g dev ROC-AUC %.4f", c, auc)
        if auc > best_auc:
            best, best_auc = lr, auc
    return best, search


def fit_tfidf(
    train: tuple[Sequence[str], Sequence[int]],
    dev: tuple[Sequence[str], Sequence[int]],
    max_fpr: float,
    c_values: Sequence[float] = C_VALUES,
    overrides: dict[str, dict] | None = None,
    seed: int = 0,
) -> TfidfScorer:
    """Return a scorer fitted on ``train`` (texts, labels); C, calibration, threshold on dev."""
    params = vectorizer_params(overrides)
    train_x, train_y = list(train[0]), np.asarray(train[1], dtype=int)
    dev_x, dev_y = list(dev[0]), np.asarray(dev[1], dtype=int)
    vectorizers = _fit_vectorizers(train_x, params)
    lr, search = _search_c(
        _features(vectorizers, train_x),
        train_y,
        _features(vectorizers, dev_x),
        dev_y,
        c_values,
        seed,
    )
    sizes = np.cumsum([0] + [len(v.vocabulary_) for v in vectorizers.values()])
    coefs = {k: lr.coef_[0, sizes[i] : sizes[i + 1]].copy() for i, k in enumerate(vectorizers)}
    scorer = TfidfScorer(vectorizers, coefs, float(lr.intercept_[0]), Calibration(), params=params)
    scorer.calibration, scorer.threshold = calibrate(scorer.margins(dev_x), dev_y, max_fpr)
    best_c = float(lr.C)
    scorer.info = {"classifier": {"type": "LogisticRegression", "solver": "liblinear", "C": best_c}}
    scorer.info["c_search"] = search
    return scorer
