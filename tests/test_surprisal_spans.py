"""The SmolLM2 token-surprisal span baseline, on the tiny random LM (no GGUF needed)."""

from __future__ import annotations

import json
import math

import pytest

from training.baselines import surprisal_spans as ss
from training.metrics import span_metrics

TEXTS = [
    "The council approved the plan.",
    "Unbelievably, the antidisestablishmentarianism debate re-opened today!",
    "Plan the the approved council of of.",
    "Hi",
]


def _in_word(char: str) -> bool:
    return char.isalnum() or char in "'-\u2019"


def test_offsets_cover_the_tokens_and_surprisals_are_finite(tiny_lm):
    model, tokenizer = tiny_lm
    out = ss.token_surprisals(model, tokenizer, [*TEXTS, ""], batch_size=3)
    assert len(out) == len(TEXTS) + 1 and out[-1] == ([], [])
    for text, (offsets, values) in zip(TEXTS, out, strict=False):
        assert len(offsets) == len(values) == len(tokenizer.tokenize(text))
        assert all(math.isfinite(v) and v >= 0.0 for v in values)
        covered = set()
        for start, end in offsets:
            assert 0 <= start < end <= len(text)
            assert text[start:end] == text[start:end].strip()
            covered.update(range(start, end))
        assert covered == {k for k, c in enumerate(text) if not c.isspace()}


def test_surprisals_are_deterministic_and_batch_independent(tiny_lm):
    model, tokenizer = tiny_lm
    out = ss.token_surprisals(model, tokenizer, TEXTS, batch_size=3)
    assert out == ss.token_surprisals(model, tokenizer, TEXTS, batch_size=3)
    for one, (offsets, values) in zip(TEXTS, out, strict=True):
        alone = ss.token_surprisals(model, tokenizer, [one])[0]
        assert alone[0] == offsets and alone[1] == pytest.approx(values, abs=1e-4)


def test_cuts_mark_whole_words_nothing_or_everything(tiny_lm):
    model, tokenizer = tiny_lm
    out = ss.token_surprisals(model, tokenizer, TEXTS)
    values = [v for _, vs in out for v in vs]
    assert ss.surprisal_spans(out, TEXTS, max(values) + 1.0) == [[] for _ in TEXTS]
    everything = ss.surprisal_spans(out, TEXTS, min(values) - 1.0)
    assert everything == [[[0, len(t)]] for t in TEXTS]
    assert span_metrics(TEXTS, everything, everything)["marked_share"] == 1.0
    for cut in ss.cut_grid(out, 10):
        for text, spans in zip(TEXTS, ss.surprisal_spans(out, TEXTS, cut), strict=True):
            for start, end in spans:
                assert start == 0 or not (_in_word(text[start - 1]) and _in_word(text[start]))
                assert end == len(text) or not (_in_word(text[end]) and _in_word(text[end - 1]))
                assert text[start:end] == text[start:end].strip()


def test_choose_cut_finds_the_cut_that_made_the_gold(tiny_lm):
    model, tokenizer = tiny_lm
    out = ss.token_surprisals(model, tokenizer, TEXTS)
    grid = ss.cut_grid(out, 12)
    assert grid == sorted(grid) and len(grid) > 3
    gold = ss.surprisal_spans(out, TEXTS, grid[len(grid) // 2])
    cut, metrics = ss.choose_cut(TEXTS, gold, out, 12)
    assert metrics["mcc"] == 1.0 and metrics["f1"] == 1.0
    assert metrics == span_metrics(TEXTS, gold, ss.surprisal_spans(out, TEXTS, cut))
    assert ss.char_roc_auc(TEXTS, gold, out) > 0.5


def test_fit_cut_uses_the_rated_mt_rows_of_train_documents(tiny_lm, tmp_path):
    model, tokenizer = tiny_lm
    rows = [
        {"text": TEXTS[0], "label": 0, "is_human": False, "raters": 1, "errors": []},
        {
            "text": TEXTS[2],
            "label": 1,
            "is_human": False,
            "raters": 1,
            "errors": [
                {"start": 5, "end": 12, "visible": True},
                {"start": 0, "end": 4, "visible": False},
            ],
        },
        {"text": TEXTS[1], "label": 0, "is_human": True, "raters": 1, "errors": []},
        {"text": TEXTS[3], "label": None, "is_human": False, "raters": 0, "errors": []},
    ]
    path = tmp_path / "mqm.jsonl"
    lines = [json.dumps({**r, "doc_id": f"d{k}"}) + "\n" for k, r in enumerate(rows)]
    path.write_text("".join(lines))
    cut, metrics = ss.fit_cut(path, model, tokenizer, dev_fraction=1e-9)
    assert metrics["rows"] == 2 and metrics["label1"]["rows"] == 1
    assert math.isfinite(cut) and -1.0 <= metrics["mcc"] <= 1.0
    assert (cut, metrics) == ss.fit_cut(path, model, tokenizer, dev_fraction=1e-9)
