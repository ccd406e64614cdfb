"""Context input: (previous sentence, sentence) pairs, the single sentence where none."""

import pytest

from tests.conftest import tiny_config
from training.context import drop_contexts, encode_with_context
from training.encoder import load_encoder
from training.train import _tokenize, train


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return load_encoder(tiny_config(tmp_path_factory.mktemp("tok")).model, 1)[1]


def test_empty_context_reads_the_sentence_alone(tokenizer):
    texts = ["The ant colony grew.", "It ate honeydew."]
    enc = encode_with_context(tokenizer, ["", "The ant colony grew."], texts, 64)
    alone = tokenizer(texts, truncation=True, max_length=64)
    assert enc["input_ids"][0] == alone["input_ids"][0]
    pair = enc["input_ids"][1]
    assert pair.count(tokenizer.sep_token_id) == 2 and len(pair) > len(alone["input_ids"][1])
    assert 1 in enc["token_type_ids"][1] and set(enc["token_type_ids"][0]) == {0}
    long = encode_with_context(tokenizer, ["word " * 200], ["A sentence."], 32)
    assert len(long["input_ids"][0]) == 32  # the context is cut, the sentence kept
    assert tokenizer.decode(long["input_ids"][0]).endswith("a sentence. [SEP]")


def test_context_dropout_is_seeded_and_blanks_its_share():
    contexts = [f"sentence {i}" for i in range(2000)]
    dropped = drop_contexts(contexts, 0.3, seed=5, offset=0)
    assert dropped == drop_contexts(contexts, 0.3, seed=5, offset=0)
    assert 0.27 < dropped.count("") / 2000 < 0.33
    assert drop_contexts(contexts, 0.0, seed=5, offset=0) == contexts


def test_tokenize_reads_pairs_only_when_the_model_takes_context(tokenizer, tiny_model):
    from datasets import load_from_disk

    dsd = load_from_disk(str(tiny_model.parent / "data"))
    config = tiny_config(tiny_model.parent)
    config.model.context = True
    with pytest.raises(ValueError, match=r"data\.context"):
        train(config, str(tiny_model.parent / "data"))  # this data has no context column
    for name, split in dsd.items():
        dsd[name] = split.add_column("context", split["text"])
    config.model.context_dropout = 0.0
    paired = _tokenize(dsd["train"], tokenizer, 64, config.model)
    single = _tokenize(dsd["train"], tokenizer, 64)
    assert all(p > s for p, s in zip(paired["length"], single["length"], strict=True))


def test_inference_encodes_pairs_as_training_does(tiny_model):
    from transformers import AutoTokenizer

    from detector.encoding import BatchEncoder

    contexts = ["", "The ant colony grew quickly in the warm months. " * 4]
    texts = ["It ate honeydew.", "Then it ate honeydew and other sweet things it found."]
    got = BatchEncoder.from_folder(tiny_model, 32).encode(texts, contexts)
    want = encode_with_context(AutoTokenizer.from_pretrained(tiny_model), contexts, texts, 32)
    assert [e.ids for e in got] == want["input_ids"]
    assert [e.type_ids for e in got] == want["token_type_ids"]
