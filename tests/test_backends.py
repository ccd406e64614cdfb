"""Backends: the ONNX export of the tiny model agrees with PyTorch; batching; errors; the CLI."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoTokenizer, BertForSequenceClassification

from detector.api import MAX_BATCH_TOKENS, GarbleDetector, token_batches
from detector.backends import ONNX_DIR, ONNX_MODEL, OnnxBackend, TorchBackend, physical_cores
from detector.cli import main
from detector.encoding import BatchEncoder
from detector.meta import ModelFolderError, ModelMeta
from detector.onnx_export import CHECK_SENTENCES, export_onnx, write_onnx
from detector.segment import split_sentences
from detector.workers import WorkerPool
from tests.conftest import REPO, TINY_BERT
from training.recalibrate import write_export

ARTICLE = REPO / "examples" / "article.txt"
SENTENCES = [
    "The council approved the plan.",
    "Approved council the plan the.",
    "The park will use counterfeit consciousness to screen the stream level.",
    "Short.",
    " ".join(["A very long sentence that goes on"] * 30) + ".",
]
ALL = SENTENCES + CHECK_SENTENCES + [s.text for s in split_sentences(ARTICLE.read_text())]


@pytest.fixture(scope="module")
def onnx_model(tiny_model, tmp_path_factory):
    """A copy of the tiny model folder with seeded random weights and its int8 ONNX export.

    The trained tiny model scores every sentence alike; random weights with a wide
    initialisation give margins that differ between sentences, so agreement means something.
    """
    folder = tmp_path_factory.mktemp("onnx") / "model"
    shutil.copytree(tiny_model, folder)
    config = AutoConfig.from_pretrained(folder)
    config.initializer_range = 0.2
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    export_onnx(folder)
    return folder


def _margins(folder, backend: str) -> np.ndarray:
    return np.array(GarbleDetector.from_pretrained(folder, backend=backend).margins(ALL))


def test_encoder_matches_the_transformers_tokenizer(tiny_model):
    encoder = BatchEncoder.from_folder(tiny_model, max_length=24)
    want = AutoTokenizer.from_pretrained(tiny_model)(
        SENTENCES, padding=True, truncation=True, max_length=24, return_tensors="np"
    )
    got = encoder.pad(encoder.encode(SENTENCES))
    assert set(got) == {"input_ids", "attention_mask", "token_type_ids"}
    for name, array in got.items():
        np.testing.assert_array_equal(array, want[name])


class RecordingBackend:
    """Returns logits whose margin is the row's token count; records each batch's width."""

    def __init__(self) -> None:
        self.widths: list[tuple[int, int]] = []

    def logits(self, batch):
        lengths = batch["attention_mask"].sum(axis=1)
        self.widths.append((batch["input_ids"].shape[1], int(lengths.max())))
        return np.stack([np.zeros(len(lengths)), lengths], axis=1)


def test_batches_are_sorted_and_padded_to_their_longest(tiny_model):
    backend = RecordingBackend()
    encoder = BatchEncoder.from_folder(tiny_model, max_length=64)
    detector = GarbleDetector(backend, encoder, GarbleDetector.from_pretrained(tiny_model).meta, 2)
    margins = detector.margins(SENTENCES)
    # A row's margin is its token count; the long sentence's is the token-weighted mean over
    # its windows of 64 tokens.
    windows = [[e, *e.overflowing] for e in encoder.encode(SENTENCES)]
    assert len(windows[-1]) > 1
    expected = [sum(len(w.ids) ** 2 for w in ws) / sum(len(w.ids) for w in ws) for ws in windows]
    assert margins == pytest.approx(expected)
    assert all(width == longest for width, longest in backend.widths)
    assert [w for w, _ in backend.widths] == sorted(w for w, _ in backend.widths)
    assert detector.margins([]) == []


def test_fp32_export_matches_torch(onnx_model, tmp_path):
    torch_backend = TorchBackend.load(onnx_model)
    encoder = BatchEncoder.from_folder(onnx_model, max_length=64)
    write_onnx(torch_backend.model, encoder, tmp_path / "model.onnx", quantize=False)
    batch = encoder.pad(encoder.encode(ALL))
    want = torch_backend.logits(batch)
    assert np.diff(want, axis=1).std() > 0.3  # sentences are told apart
    got = OnnxBackend.from_file(tmp_path / "model.onnx").logits(batch)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_fp32_export_of_an_mpnet_matches_torch(onnx_model, tmp_path):
    """MPNet takes no token_type_ids (its third argument is position_ids): the export must not
    feed them to it."""
    from transformers import MPNetConfig, MPNetForSequenceClassification

    torch.manual_seed(0)
    config = MPNetConfig(vocab_size=30527, initializer_range=0.5, **TINY_BERT)
    model = MPNetForSequenceClassification(config).eval()
    encoder = BatchEncoder.from_folder(onnx_model, max_length=64)
    write_onnx(model, encoder, tmp_path / "mpnet.onnx", quantize=False)
    batch = encoder.pad(encoder.encode(ALL))
    want = TorchBackend(model).logits(batch)
    assert np.diff(want, axis=1).std() > 0.1
    got = OnnxBackend.from_file(tmp_path / "mpnet.onnx").logits(batch)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_int8_export_margins_close_to_torch(onnx_model):
    want, got = _margins(onnx_model, "torch"), _margins(onnx_model, "onnx")
    assert np.abs(want - got).max() < 0.25 * want.std()
    assert np.corrcoef(want, got)[0, 1] > 0.95
    settings = json.loads((onnx_model / ONNX_DIR / "export.json").read_text())
    assert settings["quantization"]["weight_type"] == "int8"
    layers = AutoConfig.from_pretrained(onnx_model).num_hidden_layers
    assert settings["fusion"]["Attention"] == layers  # one fused attention kernel per layer
    assert settings["fusion"]["SkipLayerNormalization"] == 2 * layers
    assert settings["model"]["name"] == "tiny"
    assert "onnxruntime" in settings["versions"]


def test_missing_export_names_the_command(tiny_model):
    with pytest.raises(FileNotFoundError, match=f"garble-train export-onnx --model {tiny_model}"):
        GarbleDetector.from_pretrained(tiny_model, backend="onnx")


def test_export_from_another_training_run_is_refused(onnx_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(onnx_model, folder)
    meta = json.loads((folder / "meta.json").read_text())
    meta["metrics"]["retrained"] = True
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="another training run"):
        GarbleDetector.from_pretrained(folder, backend="onnx")


def test_damaged_export_is_a_model_folder_error(onnx_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(onnx_model, folder)
    for path in (folder / "onnx").glob("*.onnx"):
        path.write_bytes(b"garbage")
    with pytest.raises(ModelFolderError, match="cannot read the model files"):
        GarbleDetector.from_pretrained(folder, backend="onnx")
    assert issubclass(ModelFolderError, OSError)


def test_misused_inputs_are_clear_type_errors(tiny_model):
    detector = GarbleDetector.from_pretrained(tiny_model, backend="torch")
    with pytest.raises(TypeError, match="not one string"):
        detector.score("One sentence, not a list.")  # would score each character
    with pytest.raises(TypeError, match="not one string"):
        list(detector.score_stream("One sentence."))
    with pytest.raises(TypeError, match=r"sentences\[1\] is NoneType, not str"):
        detector.score(["A sentence.", None])
    with pytest.raises(TypeError, match="text must be a str, not bytes"):
        detector.score_text(b"An article.")
    assert len(detector.score(("A sentence.", "Another one."))) == 2  # any iterable of str


def test_unknown_backend_is_an_error(tiny_model):
    with pytest.raises(ValueError, match="unknown backend"):
        GarbleDetector.from_pretrained(tiny_model, backend="tensorflow")


def test_cli_backend_onnx_matches_torch(onnx_model, capsys):
    payloads = {}
    for backend in ("torch", "onnx"):
        args = ["score", str(ARTICLE), "--model", str(onnx_model), "--format", "json"]
        assert main([*args, "--backend", backend]) == 0
        payloads[backend] = json.loads(capsys.readouterr().out)
    scores = {b: np.array([s["score"] for s in p["sentences"]]) for b, p in payloads.items()}
    assert len(scores["onnx"]) == 15
    assert np.abs(scores["torch"] - scores["onnx"]).max() < 0.05


def test_cli_without_export_prints_one_line(tiny_model, capsys):
    assert main(["score", str(ARTICLE), "--model", str(tiny_model), "--backend", "onnx"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("garble: error: cannot load model:")
    assert "garble-train export-onnx" in err[0]


def test_onnx_backend_never_imports_torch(onnx_model):
    code = (
        "import sys; from detector.cli import main; "
        f"code = main(['score', {str(ARTICLE)!r}, '--model', {str(onnx_model)!r}, "
        "'--backend', 'onnx', '--format', 'jsonl']); "
        "sys.exit(code or 3 * ('torch' in sys.modules or 'transformers' in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 15


def test_physical_cores_is_positive():
    assert physical_cores() >= 1


def test_throughput_benchmark_quick_run(onnx_model, tmp_path, capsys):
    from benchmarks.throughput import main as benchmark

    out = tmp_path / "throughput.json"
    corpus = str(REPO / "tests" / "data" / "tiny_corpus.jsonl")
    argv = ["--quick", "--n", "24", "--cold-start-runs", "0", "--sentences", corpus]
    argv += ["--workers", "2"]
    assert benchmark([*argv, "--default-model", str(onnx_model), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| transformers pipeline fp32 (batch 32) |" in table and "onnx int8" in table
    assert "onnx int8 (batch 64, 2 processes)" in table
    result = json.loads(out.read_text())
    assert [row["vs_naive"] is not None for row in result["throughput"]] == [True] * 4
    assert result["environment"]["physical_cores_available"] >= 1


def test_shipped_export_is_small_and_current():
    from detector.registry import model_folder

    fast = model_folder("fast")
    assert (fast / ONNX_DIR / ONNX_MODEL).stat().st_size < 30 * 2**20
    assert OnnxBackend.load(fast).inputs >= {"input_ids", "attention_mask"}


def test_export_calibrated_on_dev_carries_its_own_threshold(onnx_model, tiny_model, tmp_path):
    from datasets import load_from_disk

    from training.calibrate import fit_platt

    folder = tmp_path / "model"
    shutil.copytree(onnx_model, folder)
    data = tiny_model.parent / "data"
    write_export(folder, calibrate_on=str(data))
    own = json.loads((folder / ONNX_DIR / "export.json").read_text())["dev_calibration"]
    dev = load_from_disk(str(data))["dev"]
    assert own["rows"] == len(dev)
    onnx = GarbleDetector.from_pretrained(folder, backend="onnx")
    torch_ = GarbleDetector.from_pretrained(folder, backend="torch")
    assert onnx.threshold == own["threshold"] and onnx.meta.calibration.a == own["calibration"]["a"]
    assert torch_.meta == ModelMeta.load(folder)  # the torch backend keeps meta.json's
    refit = fit_platt(onnx.margins(list(dev["text"])), list(dev["label"]))
    assert refit.a == pytest.approx(own["calibration"]["a"], rel=1e-3)


def test_export_calibrated_on_missing_data_fails_before_writing(tiny_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(tiny_model, folder, ignore=shutil.ignore_patterns(ONNX_DIR))
    with pytest.raises(FileNotFoundError, match="run `garble-train prepare"):
        write_export(folder, calibrate_on=str(tmp_path / "no-data"))
    assert not (folder / ONNX_DIR).exists()


def test_auto_backend_takes_a_current_export_else_torch(onnx_model, tiny_model):
    assert isinstance(GarbleDetector.from_pretrained(onnx_model, "auto").backend, OnnxBackend)
    assert isinstance(GarbleDetector.from_pretrained(tiny_model, "auto").backend, TorchBackend)


def test_worker_processes_give_the_same_scores_in_order(onnx_model):
    one = GarbleDetector.from_pretrained(onnx_model, backend="onnx", batch_size=4)
    two = GarbleDetector.from_pretrained(onnx_model, backend="onnx", workers=2, batch_size=4)
    try:
        assert isinstance(two.backend, WorkerPool) and two.backend.kind == "OnnxBackend"
        assert two.backend.settings == one.backend.settings
        np.testing.assert_allclose(two.margins(ALL), one.margins(ALL), atol=1e-5)
        batch = one.encoder.pad(one.encoder.encode(SENTENCES))
        np.testing.assert_allclose(two.backend.logits(batch), one.backend.logits(batch), atol=1e-5)
        processes = two.backend._pool._pool
        assert len(processes) == 2 and all(p.is_alive() for p in processes)
    finally:
        two.close()
    assert not any(p.is_alive() for p in processes)


def test_worker_load_error_reaches_the_caller(tiny_model):
    with pytest.raises(FileNotFoundError, match="garble-train export-onnx"):
        GarbleDetector.from_pretrained(tiny_model, backend="onnx", workers=2)


def test_long_sentences_are_counted_and_warned_once(tiny_model, caplog):
    detector = GarbleDetector.from_pretrained(tiny_model)
    long = " ".join(["word"] * (3 * detector.meta.max_length))
    with caplog.at_level("WARNING", logger="detector.api"):
        detector.score(["Short.", long])
        detector.score([long, long, "Short."])
    assert detector.windowed == 3
    n = detector.meta.max_length
    warnings = [r.getMessage() for r in caplog.records if r.name == "detector.api"]
    assert warnings == [
        f"1 of the 2 sentences scored so far are longer than {n} tokens; each is scored in "
        f"windows of {n} tokens that cover all of it (warned once per model load)"
    ]
    assert detector.scored == 5


def test_a_long_sentence_is_scored_in_windows_that_cover_it(tiny_model):
    """Its margin is the token-weighted mean of its windows' margins: the tail counts."""
    detector = GarbleDetector.from_pretrained(tiny_model)
    words = [f"w{i % 97} cat sat on mats" for i in range(300)]
    sentence = " ".join(words)
    encoding = detector.encoder.encode([sentence])[0]
    windows = [encoding, *encoding.overflowing]
    assert len(windows) > 3 and all(len(w.ids) <= detector.meta.max_length for w in windows)
    covered = [i for w in windows for i in w.ids if i not in (w.ids[0], w.ids[-1])]
    whole = Tokenizer.from_str(detector.encoder.tokenizer.to_str())
    whole.no_truncation()
    plain = whole.encode(sentence, add_special_tokens=False).ids
    assert covered == plain  # every token of the sentence is in exactly one window
    logits = [detector.backend.logits(detector.encoder.pad([w]))[0] for w in windows]
    weights = [len(w.ids) for w in windows]
    expected = sum((lg[1] - lg[0]) * n for lg, n in zip(logits, weights, strict=True))
    assert detector.margins([sentence])[0] == pytest.approx(expected / sum(weights), abs=1e-5)


@given(st.lists(st.integers(1, 600), max_size=300).map(sorted), st.integers(1, 80))
def test_token_batches_cover_every_row_once_within_the_budget(lengths, batch_size):
    batches = token_batches(lengths, batch_size)
    assert [k for batch in batches for k in batch] == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= batch_size
        # sorted rows: the last is the longest, so the batch pads to it
        assert len(batch) == 1 or len(batch) * lengths[batch[-1]] <= MAX_BATCH_TOKENS
