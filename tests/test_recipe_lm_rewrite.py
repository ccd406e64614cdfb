"""The lm_rewrite recipe: span planning, cutting a continuation, golden rewrites, generation."""

import random

import pytest

from tests.conftest import tiny_config
from training.config import LMRewriteConfig, load_config
from training.prepare import prepare
from training.recipes import lm_rewrite
from training.recipes.lm_rewrite import (
    RewritePlan,
    apply_rewrite,
    cut_words,
    generate_continuations,
    left_context,
    plan_rewrite,
)

SENTENCE = "The scholarly consensus is that Paul authored the Epistle to the Romans."


def test_plans_keep_the_first_two_words_and_the_last_one():
    n = len(SENTENCE.split())
    for seed in range(200):
        plan = plan_rewrite(SENTENCE, random.Random(seed))
        assert plan.length in (2, 3)
        assert plan.start >= 2 and plan.start + plan.length <= n - 1
    assert plan_rewrite("Too short to rewrite here.", random.Random(0)) is None
    # a span too long for the sentence
    assert plan_rewrite(SENTENCE, random.Random(0), min_words=10, max_words=10) is None


@pytest.mark.parametrize(
    ("generated", "k", "cut"),
    [
        (" who is to the", 2, " who is"),
        (", who is to the", 2, ", who"),  # punctuation counts as a word
        ("; and then", 1, ";"),
        ("er Times said", 2, None),  # glued onto the prompt's last word
        (" use. Until ships", 2, None),  # ends the sentence inside the span
        (" the\nnext", 2, None),
        (' "quoted words', 2, None),  # an unclosed quote
        (" one", 2, None),  # too short
    ],
)
def test_cut_words(generated, k, cut):
    assert cut_words(generated, k) == cut


def test_golden_rewrite_keeps_both_sides_and_marks_the_new_words():
    plan = RewritePlan(start=6, length=3)
    assert left_context(SENTENCE, plan) == "The scholarly consensus is that Paul"
    out = apply_rewrite(SENTENCE, plan, ", who is a man")
    assert out.text == "The scholarly consensus is that Paul, who is to the Romans."
    assert [out.text[a:b] for a, b in out.spans] == [", who is"]
    out = apply_rewrite(SENTENCE, RewritePlan(2, 2), " view was that")
    assert out.text == "The scholarly view was that Paul authored the Epistle to the Romans."
    assert [out.text[a:b] for a, b in out.spans] == ["view was"]


def test_a_continuation_that_repeats_the_span_is_no_garbling():
    assert apply_rewrite(SENTENCE, RewritePlan(2, 2), " Consensus IS that") is None
    assert apply_rewrite(SENTENCE, RewritePlan(2, 2), "ly consensus") is None


def test_generation_is_seeded_and_one_continuation_per_prompt(tiny_lm):
    prompts = ["The council approved", "A small team of", "It"] * 3
    config = LMRewriteConfig(max_new_tokens=4, batch_size=4)
    first = generate_continuations(*tiny_lm, prompts, config, seed=5)
    assert len(first) == len(prompts) and all(isinstance(g, str) and g for g in first)
    assert generate_continuations(*tiny_lm, prompts, config, seed=5) == first


def test_prepare_makes_labelled_lm_rewrite_rows(tmp_path, monkeypatch):
    def fake(model, tokenizer, prompts, config, seed):
        return [" strange words keep" for _ in prompts]

    monkeypatch.setattr(lm_rewrite, "generate_continuations", fake)
    monkeypatch.setattr("training.prepare._rewrite_lm", lambda: (None, None))
    config = tiny_config(tmp_path)
    data = config.data.model_copy(update={"recipes": {"clean": 0.5, "lm_rewrite": 0.5}})
    rows = [r for ds in prepare(config.model_copy(update={"data": data})).values() for r in ds]
    rewritten = [r for r in rows if r["recipe"] == "lm_rewrite"]
    assert rewritten and all(r["label"] == 1 for r in rewritten)
    for r in rewritten:
        new = [r["text"][a:b] for a, b in r["spans"]]
        assert new in (["strange words"], ["strange words keep"])
        assert r["text"] != r["original"] and r["original"] in {x["text"] for x in rows}


def test_lm_rewrite_cannot_take_a_context_column(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "data:\n  sources: [{name: a, path: a.jsonl}]\n"
        "  recipes: {clean: 1, lm_rewrite: 1}\n  context: {garbled_fraction: 0.5}\n"
    )
    with pytest.raises(ValueError, match="lm_rewrite"):
        load_config(path)
