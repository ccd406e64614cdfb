"""`garble-train prepare`: clean sentences -> corrupted, labelled, document-split DatasetDict."""

from __future__ import annotations

import json
import logging
import random
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from datasets import Dataset, DatasetDict, load_from_disk

from training.config import Config, DataConfig, MTConfig, save_config
from training.recipes.base import Corruption, Recipe, Span
from training.recipes.mt import clause_span, partial_round_trip_batch, round_trip_batch
from training.recipes.registry import GARBLING_RECIPES, RECIPES
from training.sources import CleanSentence, load_source

logger = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
_MT_CHUNK = 2000


def assign_splits(
    sentences: Sequence[CleanSentence], data: DataConfig, seed: int
) -> dict[str, list[CleanSentence]]:
    """Return the sentences split train/dev/test by document id (no document straddles).

    Documents of an ``only: eval`` source go to dev and test only, half each; those of an
    ``only: train`` source to train. The other documents are split as if such sources were
    absent, so adding one moves none of them.
    """
    only = {src.name: src.only for src in data.sources}
    docs = sorted({s.doc_id for s in sentences if only.get(s.source) is None})
    random.Random(seed).shuffle(docs)
    n_dev, n_test = round(len(docs) * data.dev_fraction), round(len(docs) * data.test_fraction)
    split_of = {d: "dev" for d in docs[:n_dev]}
    split_of.update({d: "test" for d in docs[n_dev : n_dev + n_test]})
    held = sorted({s.doc_id for s in sentences if only.get(s.source) == "eval"})
    random.Random(f"{seed}:holdout").shuffle(held)
    split_of.update({d: "dev" if i < len(held) // 2 else "test" for i, d in enumerate(held)})
    out: dict[str, list[CleanSentence]] = {name: [] for name in SPLITS}
    for sent in sentences:
        out[split_of.get(sent.doc_id, "train")].append(sent)
    return out


def _record(sent: CleanSentence, recipe: str, result: Corruption | None, detail: str = "") -> dict:
    label = int(recipe in GARBLING_RECIPES)
    text, spans = (result.text, result.spans) if result else (sent.text, [])
    return {
        "text": text,
        "label": label,
        "recipe": recipe,
        "detail": detail,
        "source": sent.source,
        "domain": sent.domain,
        "doc_id": sent.doc_id,
        "spans": [list(s) for s in spans],
        "original": sent.text,
    }


def _sentence_recipes(data: DataConfig, donors: list[str]) -> dict[str, Recipe]:
    """Return the per-sentence recipe functions ``(sentence, rng) -> Corruption | None``."""
    from training.recipes.thesaurus import Thesaurus

    thesaurus = cache(Thesaurus.load)  # loaded once, and only if a recipe needs it
    return {
        name: spec.build(data, donors, thesaurus)
        for name, spec in RECIPES.items()
        if spec.build is not None and data.recipes.get(name, 0) > 0
    }


def _mt_plan(sentence: str, rng: random.Random, mt: MTConfig) -> tuple[str, Span | None]:
    """Return the pivot path of one round trip and the clause to translate (None: all of it)."""
    spec = rng.choice(mt.pivots)
    if mt.chains and rng.random() < mt.chain_fraction:
        spec = rng.choice(mt.chains)
    clause = clause_span(sentence, rng) if rng.random() < mt.partial_fraction else None
    return spec, clause


def _round_trips(
    sentences: list[CleanSentence], plan: dict[int, tuple[str, Span | None]], data: DataConfig
) -> dict[int, Corruption | None]:
    """Return the Apertium round trip of each planned sentence, batched by pivot path."""
    results: dict[int, Corruption | None] = {}
    for key in sorted({(spec, clause is not None) for spec, clause in plan.values()}):
        idx = [i for i, (spec, clause) in plan.items() if (spec, clause is not None) == key]
        for k in range(0, len(idx), _MT_CHUNK):
            chunk = idx[k : k + _MT_CHUNK]
            texts = [sentences[i].text for i in chunk]
            if key[1]:
                spans = [plan[i][1] for i in chunk]
                outs = partial_round_trip_batch(texts, spans, key[0])
            else:
                outs = round_trip_batch(texts, key[0], data.mt.min_changed_words)
            results.update(zip(chunk, outs, strict=True))
        logger.info("round trips via %s (partial=%s): %d sentences", *key, len(idx))
    return results


def _mt_detail(plan: tuple[str, Span | None]) -> str:
    spec, clause = plan
    return f"partial:{spec}" if clause else spec


RARE_ZIPF = 3.0
LONG_WORDS = 30


def is_unusual(sentence: str) -> bool:
    """Return True for a sentence with a rare lower-case word (wordfreq) or many words."""
    from wordfreq import zipf_frequency

    words = sentence.split()
    lower = {w.strip(".,;:!?\"'()") for w in words if w[:1].islower()}
    return len(words) >= LONG_WORDS or any(
        w.isalpha() and zipf_frequency(w, "en") < RARE_ZIPF for w in lower
    )


def _choose_recipes(
    sentences: list[CleanSentence], rngs: list[random.Random], data: DataConfig
) -> list[str]:
    """Return each sentence's recipe, drawn by weight.

    Unusual sentences lean to clean (``unusual_clean_boost``). One draw per sentence either
    way, so the boost changes only the recipes of the sentences it applies to.
    """
    names = sorted(data.recipes)

    def factor(name: str, text: str) -> float:
        if name == "clean" and data.unusual_clean_boost != 1.0 and is_unusual(text):
            return data.unusual_clean_boost
        return 1.0

    return [
        rng.choices(names, [data.recipes[n] * factor(n, s.text) for n in names])[0]
        for s, rng in zip(sentences, rngs, strict=True)
    ]


def corrupt_split(sentences: list[CleanSentence], data: DataConfig, seed: int) -> list[dict]:
    """Return labelled records for one split: each sentence becomes one recipe's output.

    A garbling recipe that cannot apply (e.g. a trivial round trip) leaves the sentence clean.
    With ``keep_original`` a garbled record also brings its clean original, so the model
    learns the garbling rather than the topic.
    """
    rngs = [random.Random(f"{seed}:{s.doc_id}:{s.text}") for s in sentences]
    chosen = _choose_recipes(sentences, rngs, data)
    funcs = _sentence_recipes(data, [s.text for s in sentences])
    plan = {
        i: _mt_plan(sentences[i].text, rngs[i], data.mt)
        for i, c in enumerate(chosen)
        if c == "mt_round_trip"
    }
    batched = _round_trips(sentences, plan, data)
    records: list[dict] = []
    for i, (sent, recipe) in enumerate(zip(sentences, chosen, strict=True)):
        result = funcs[recipe](sent.text, rngs[i]) if recipe in funcs else batched.get(i)
        if result is None:
            recipe = "clean"
        detail = _mt_detail(plan[i]) if result and i in plan else ""
        records.append(_record(sent, recipe, result, detail))
        if data.keep_original and recipe in GARBLING_RECIPES:
            records.append(_record(sent, "clean", None))
    return records


def _draws(sentences: list[CleanSentence], data: DataConfig, seed: int, n: int) -> list[dict]:
    """Return ``n`` corruption draws of one split; later draws add only rows with new text."""
    records = corrupt_split(sentences, data, seed)
    seen = {r["text"] for r in records}
    for draw in range(1, n):
        for record in corrupt_split(sentences, data, seed + 1000 * draw):
            if record["text"] not in seen:
                seen.add(record["text"])
                records.append(record)
    return records


def _split_records(
    sentences: list[CleanSentence], data: DataConfig, seed: int, draws: int
) -> list[dict]:
    """Return one split's records: the corruption draws, then the held-out sentences, clean."""
    holdout = {src.name for src in data.sources if src.only == "eval"}
    records = _draws([s for s in sentences if s.source not in holdout], data, seed, draws)
    for sent in sentences:
        if sent.source in holdout:
            records.append(_record(sent, "clean", None))
    return records


def data_card(dsd: DatasetDict) -> dict:
    """Return counts per split x (recipe, source, domain, label)."""
    card: dict = {}
    for split, ds in dsd.items():
        card[split] = {
            "rows": len(ds),
            **{
                f"by_{k}": dict(sorted(Counter(ds[k]).items()))
                for k in ("label", "recipe", "source", "domain")
            },
            "documents": len(set(ds["doc_id"])),
        }
    return card


def _card_markdown(card: dict) -> str:
    lines = ["# Data card", "", "Counts per split (generated by `garble-train prepare`).", ""]
    for split, info in card.items():
        lines += [f"## {split}: {info['rows']} rows, {info['documents']} documents", ""]
        for key in ("by_label", "by_recipe", "by_source", "by_domain"):
            lines.append(f"- {key[3:]}: " + ", ".join(f"{k}={v}" for k, v in info[key].items()))
        lines.append("")
    return "\n".join(lines)


def load_prepared(path: str | Path) -> DatasetDict:
    """Return the dataset that `garble-train prepare` wrote to ``path``; a clear error if none."""
    if not (Path(path) / "dataset_dict.json").is_file():
        raise FileNotFoundError(
            f"no prepared data in {path}: run `garble-train prepare --config CONFIG` first"
        )
    return load_from_disk(str(path))


def prepare(config: Config) -> DatasetDict:
    """Build the labelled DatasetDict, save it with its data card and resolved config."""
    data = config.data
    sentences = [s for src in data.sources for s in load_source(src, config.seed)]
    splits = assign_splits(sentences, data, config.seed)
    empty = [name for name, rows in splits.items() if not rows]
    if empty:
        docs = len({s.doc_id for s in sentences})
        raise ValueError(
            f"the {' and '.join(empty)} split{'s' * (len(empty) > 1)} would be empty: the sources "
            f"gave {len(sentences)} clean sentences in {docs} document{'s' * (docs != 1)}, and "
            "the splits are drawn by document: add text from more documents"
        )
    dsd = DatasetDict(
        {
            name: Dataset.from_list(
                _split_records(
                    rows, data, config.seed + k, data.train_draws if name == "train" else 1
                )
            )
            for k, (name, rows) in enumerate(splits.items())
        }
    )
    dsd = DatasetDict({k: v.shuffle(seed=config.seed) for k, v in dsd.items()})
    out = Path(data.output_dir)
    dsd.save_to_disk(str(out))
    card = data_card(dsd)
    (out / "data_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
    (out / "data_card.md").write_text(_card_markdown(card), encoding="utf-8")
    save_config(config, out / "config.yaml")
    logger.info("wrote %s (%s)", out, {k: len(v) for k, v in dsd.items()})
    return dsd
