"""`garble-train prepare` on a tiny corpus: document splits, record fields, data card."""

import json
from pathlib import Path

import pytest
from datasets import load_from_disk

from tests.conftest import tiny_config
from training.config import MTConfig, SourceConfig
from training.prepare import (
    GARBLING_RECIPES,
    LONG_WORDS,
    is_unusual,
    load_prepared,
    prepare,
)
from training.recipes.thesaurus import WORDNET_SRC
from training.sources import as_sentence, is_clean_prose, load_source

FIELDS = {"text", "label", "recipe", "detail", "source", "domain", "doc_id", "spans", "original"}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    config = tiny_config(tmp_path_factory.mktemp("prep"))
    dsd = prepare(config)
    return config, dsd


def test_splits_are_by_document(prepared):
    _, dsd = prepared
    docs = {split: set(ds["doc_id"]) for split, ds in dsd.items()}
    assert set(docs) == {"train", "dev", "test"}
    assert all(docs.values())
    assert not docs["train"] & docs["dev"]
    assert not docs["train"] & docs["test"]
    assert not docs["dev"] & docs["test"]


def test_records_are_labelled_by_recipe(prepared):
    _, dsd = prepared
    for row in dsd["train"]:
        assert set(row) == FIELDS
        assert row["label"] == int(row["recipe"] in GARBLING_RECIPES)
        if row["label"] == 1:
            assert row["text"] != row["original"] and row["spans"]
        for start, end in row["spans"]:
            assert 0 <= start <= end <= len(row["text"])
    recipes = {r for ds in dsd.values() for r in ds["recipe"]}
    assert {"clean", "mt_round_trip"} <= recipes


def test_each_garbled_row_keeps_its_clean_original(prepared):
    _, dsd = prepared
    for ds in dsd.values():
        clean = {t for t, y in zip(ds["text"], ds["label"], strict=True) if y == 0}
        garbled = [o for o, y in zip(ds["original"], ds["label"], strict=True) if y == 1]
        assert all(o in clean for o in garbled)


def test_saved_with_data_card_and_config(prepared):
    config, dsd = prepared
    out = Path(config.data.output_dir)
    reloaded = load_from_disk(str(out))
    assert reloaded["train"]["text"] == dsd["train"]["text"]
    card = json.loads((out / "data_card.json").read_text())
    assert card["train"]["rows"] == len(dsd["train"])
    assert sum(card["dev"]["by_recipe"].values()) == len(dsd["dev"])
    assert "## test" in (out / "data_card.md").read_text()
    assert "tiny_corpus.jsonl" in (out / "config.yaml").read_text()


def test_prepare_is_deterministic(prepared, tmp_path):
    _, first = prepared
    again = prepare(tiny_config(tmp_path))
    assert again["train"]["text"] == first["train"]["text"]
    assert again["test"]["recipe"] == first["test"]["recipe"]


def test_too_little_text_and_missing_data_are_clear_errors(tmp_path):
    config = tiny_config(tmp_path)
    two = tmp_path / "two.jsonl"
    two.write_text(
        "".join(
            json.dumps({"text": t, "doc_id": "d"}) + "\n"
            for t in ("The council approved the plan on Monday.", "It will open next year.")
        )
    )
    source = SourceConfig(name="two", path=str(two), domain="news")
    data = config.data.model_copy(update={"sources": [source]})
    with pytest.raises(ValueError, match="the dev and test splits would be empty"):
        prepare(config.model_copy(update={"data": data}))
    with pytest.raises(FileNotFoundError, match="run `garble-train prepare"):
        load_prepared(tmp_path / "nothing")


def test_unusual_sentences_are_rare_worded_or_long():
    assert not is_unusual("The council approved the new park on Tuesday.")
    assert is_unusual("The council approved the perspicacious plan on Tuesday.")
    assert not is_unusual("Mr Okonkwo approved the plan.")  # capitalised names do not count
    assert is_unusual(" ".join(["word"] * LONG_WORDS))


def test_chained_and_partial_round_trips_are_recorded(tmp_path):
    config = tiny_config(tmp_path)
    mt = MTConfig(pivots=["spa"], chains=["spa>cat"], chain_fraction=0.5, partial_fraction=0.5)
    data = config.data.model_copy(update={"mt": mt, "unusual_clean_boost": 2.0})
    dsd = prepare(config.model_copy(update={"data": data}))
    details = {
        d
        for ds in dsd.values()
        for d, r in zip(ds["detail"], ds["recipe"], strict=True)
        if r == "mt_round_trip"
    }
    assert {"spa", "spa>cat"} <= details
    assert any(d.startswith("partial:") for d in details)


def test_extra_train_draws_add_new_garblings_of_train_sentences_only(prepared, tmp_path):
    config, one = prepared
    data = config.data.model_copy(update={"train_draws": 3, "output_dir": str(tmp_path / "d")})
    three = prepare(config.model_copy(update={"data": data}))
    for split in ("dev", "test"):
        assert three[split]["text"] == one[split]["text"]
    texts, first = three["train"]["text"], set(one["train"]["text"])
    assert len(texts) == len(set(texts))
    assert first < set(texts)
    assert set(three["train"]["original"]) == set(one["train"]["original"])
    added = [r for r in three["train"] if r["text"] not in first]
    assert any(r["recipe"] in GARBLING_RECIPES for r in added)


@pytest.mark.parametrize(
    ("example", "sentence"),
    [
        ("he bought the painting as an investment", "He bought the painting as an investment."),
        ("can you go in my  stead?", "Can you go in my stead?"),
        ("the sleeves come to your knuckles!", "The sleeves come to your knuckles!"),
        ("", ""),
    ],
)
def test_usage_examples_become_sentences(example, sentence):
    assert as_sentence(example) == sentence


@pytest.mark.skipif(
    not (WORDNET_SRC / "data.noun").is_file(), reason="WordNet not installed (wordnet-base)"
)
def test_wordnet_examples_are_clean_sentences_one_document_a_synset():
    source = SourceConfig(
        name="wordnet-examples", kind="wordnet_examples", path=str(WORDNET_SRC), domain="everyday"
    )
    rows = load_source(source, seed=1)
    by_text = {r.text: r for r in rows}
    # The example of painting.n.01: "he bought the painting as an investment"
    painting = by_text["He bought the painting as an investment."]
    assert painting.doc_id == "wordnet-examples:painting.n.01"
    assert len(rows) > 20_000
    assert all(is_clean_prose(r.text) and r.domain == "everyday" for r in rows)
    assert len({r.text.lower() for r in rows}) == len(rows)  # deduplicated


def _dialogue_csv(path: Path) -> Path:
    """Write a small transcript: four episodes of season 2, one of season 1."""
    rows = ["season,episode_name,text"]
    for ep, place in enumerate(("home", "the office", "the warehouse", "the party")):
        rows += [
            f'02,Episode {ep},"Well, I think we should go to {place} now. Are you coming, {n}?"'
            for n in ("Pam", "Jim", "Dwight")
        ]
    rows += ['02,Episode 0,"Wait, sales\u00e2\u20ac\u201dwhat sales meeting is this?"']
    rows += ["01,Pilot,Nobody should read this line at all."]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _dialogue(path: Path, **update) -> SourceConfig:
    fields = dict(name="talk", kind="csv", path=str(path), domain="conversational")
    fields.update(doc_field="episode_name", where={"season": ["02"]}, **update)
    return SourceConfig(**fields)


def test_csv_source_keeps_the_chosen_rows_and_repairs_mojibake(tmp_path):
    rows = load_source(_dialogue(_dialogue_csv(tmp_path / "t.csv")), seed=1)
    texts = {r.text for r in rows}
    assert "Wait, sales\u2014what sales meeting is this?" in texts
    assert "Are you coming, Pam?" in texts
    assert not any("Nobody" in t for t in texts)
    assert {r.doc_id for r in rows} == {f"talk:Episode {ep}" for ep in range(4)}
    with pytest.raises(ValueError, match="no column"):
        load_source(_dialogue(tmp_path / "t.csv", text_field="line"), seed=1)
    with pytest.raises(ValueError, match="kind csv only"):
        SourceConfig(name="x", path="x.jsonl", where={"season": ["1"]})


def _with_source(config, source: SourceConfig, out: Path):
    data = config.data.model_copy(
        update={"sources": [*config.data.sources, source], "output_dir": str(out)}
    )
    return prepare(config.model_copy(update={"data": data}))


def test_an_eval_only_source_is_clean_dev_and_test_text_and_moves_nothing(prepared, tmp_path):
    config, before = prepared
    talk = _dialogue(_dialogue_csv(tmp_path / "t.csv"), only="eval")
    after = _with_source(config, talk, tmp_path / "d")
    held = {s: [r for r in after[s] if r["source"] == "talk"] for s in after}
    assert not held["train"]
    assert held["dev"] and held["test"]
    docs = [{r["doc_id"] for r in held[s]} for s in ("dev", "test")]
    assert len(docs[0]) == len(docs[1]) == 2
    assert all(r["label"] == 0 and r["recipe"] == "clean" for s in held for r in held[s])
    for split in before:
        rest = [r for r in after[split] if r["source"] != "talk"]
        assert sorted(r["text"] for r in rest) == sorted(before[split]["text"])


def test_a_train_only_source_goes_to_train_and_moves_no_other_document(prepared, tmp_path):
    config, before = prepared
    talk = _dialogue(_dialogue_csv(tmp_path / "t.csv"), only="train")
    after = _with_source(config, talk, tmp_path / "d")
    for split in before:
        talk_docs = {d for d in after[split]["doc_id"] if d.startswith("talk:")}
        assert bool(talk_docs) == (split == "train")
        other = set(after[split]["doc_id"]) - talk_docs
        assert other == set(before[split]["doc_id"])
    assert any(r["label"] == 1 for r in after["train"] if r["source"] == "talk")
