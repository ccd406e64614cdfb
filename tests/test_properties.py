"""Property-based tests: segmentation offsets, reader and writer round trips, scoring invariants."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detector.api import GarbleDetector
from detector.batch.readers import read_rows
from detector.batch.writers import open_sink
from detector.segment import split_sentences
from tests.test_batch import model  # noqa: F401 - a fixture

PIECES = [
    "The council met.",
    "Dr. Smith left at 3 p.m. on Monday.",
    '"They are here. They stay," he said.',
    "“Why? Because.”",
    "It cost $3.5 million!",
    "e.g.",
    "U.S.",
    "'Stop. Go back.'",
    "«Oui. Non.»",
    "مرحبا بالعالم.",
    "你好世界。",
    "😀",
    "\u202e",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    '"',
    ")",
    "...",
]
ARTICLES = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=30).map(" ".join)
# Field text: any characters a UTF-8 file can hold (no lone surrogates), no NUL (a file with NUL
# bytes is refused as binary).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
FIELD = st.text(CHARS, max_size=40)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(ARTICLES)
def test_segmentation_offsets_cover_the_text(text):
    sentences = split_sentences(text)
    end = 0
    for s in sentences:
        assert s.start >= end  # in order, not overlapping
        assert not text[end : s.start].strip()  # only whitespace between sentences
        assert text[s.start : s.end] == s.text and s.text == s.text.strip() and s.text
        end = s.end
    assert not text[end:].strip()
    assert bool(sentences) == bool(text.strip())


ROWS = st.lists(
    st.fixed_dictionaries({"text": FIELD, "n": st.integers(-(2**40), 2**40)}), max_size=20
)


def _compress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz"):
        return gzip.compress(data)
    if name.endswith(".zst"):
        return zstandard.ZstdCompressor().compress(data)
    return data


@SETTINGS
@given(ROWS, st.sampled_from(["in.jsonl", "in.jsonl.gz", "in.ndjson.zst", "in.parquet"]))
def test_jsonl_and_parquet_readers_round_trip(tmp_path, rows, name):
    path = tmp_path / name
    if name.endswith(".parquet"):
        pq.write_table(pa.Table.from_pylist(rows, schema=_SCHEMA), path)
    else:
        lines = "".join(json.dumps(r, ensure_ascii=bool(len(rows) % 2)) + "\n" for r in rows)
        path.write_bytes(_compress(lines.encode(), name))
    assert [r.fields for r in read_rows(path)] == rows


_SCHEMA = pa.schema([("text", pa.string()), ("n", pa.int64())])


@SETTINGS
@given(ROWS, st.sampled_from(["in.csv", "in.tsv.gz", "in.csv.zst"]), st.booleans())
def test_csv_and_tsv_readers_round_trip(tmp_path, rows, name, utf16):
    text = io.StringIO()
    delimiter = "\t" if ".tsv" in name else ","
    writer = csv.DictWriter(text, fieldnames=["text", "n"], delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    data = text.getvalue().encode("utf-16" if utf16 else "utf-8")
    path = tmp_path / name
    path.write_bytes(_compress(data, name))
    got = [r for r in read_rows(path)]
    assert all(r.error is None for r in got)
    assert [r.fields for r in got] == [{"text": r["text"], "n": str(r["n"])} for r in rows]


@SETTINGS
@given(st.lists(FIELD.filter(lambda t: t.strip() and not set(t) & set("\r\n")), max_size=20))
def test_text_reader_round_trips_lines(tmp_path, lines):
    path = tmp_path / "in.txt"
    path.write_bytes("".join(line + "\n\n" for line in lines).encode())
    assert [r.fields["text"] for r in read_rows(path)] == lines


@SETTINGS
@given(
    st.lists(
        st.fixed_dictionaries(
            {"text": FIELD, "n": st.integers(-(2**40), 2**40), "garble_score": st.floats(0, 1)},
            optional={"extra": st.none() | FIELD},
        ),
        max_size=20,
    ),
    st.sampled_from(["out.jsonl", "out.jsonl.gz", "out.jsonl.zst", "out.parquet"]),
    st.integers(1, 7),
)
def test_writers_round_trip_through_the_readers(tmp_path, rows, name, chunk):
    target = tmp_path / name
    for stale in (target, tmp_path / f"{name}.partial"):  # hypothesis reuses tmp_path
        if stale.is_file():
            stale.unlink()
    sink = open_sink(target, {"garble_score": "double"})
    sink.open(None)
    for i in range(0, len(rows), chunk):
        sink.write(rows[i : i + chunk])
        sink.commit()
    sink.finalize()
    got = [r.fields for r in read_rows(target)]
    if name.endswith(".parquet"):  # one schema for all rows: a field absent from a row is null
        fields = dict.fromkeys(k for r in rows for k in r)
        rows = [{k: r.get(k) for k in fields} for r in rows]
    assert got == rows


@pytest.fixture(scope="module")
def detector(model) -> GarbleDetector:  # noqa: F811
    return GarbleDetector.from_pretrained(model)


TEXTS = st.lists(
    st.sampled_from(PIECES[:12]) | st.text(CHARS, max_size=60), min_size=1, max_size=24
)


@settings(max_examples=25, deadline=None)
@given(TEXTS, st.integers(1, 9), st.randoms(use_true_random=False))
def test_scores_are_probabilities_independent_of_batching_and_order(
    detector, texts, batch_size, rng
):
    """Margins are compared to 1e-6: the tiny model's margins differ by ~1e-4 between texts,
    so a shuffled order would show, while padding in other batches moves them by ~1e-9."""
    scores = detector.score(texts)
    assert all(0.0 <= p <= 1.0 for p in scores)
    assert detector.score(texts) == scores  # deterministic
    margins = detector.margins(texts)
    small = GarbleDetector(detector.backend, detector.encoder, detector.meta, batch_size)
    assert small.margins(texts) == pytest.approx(margins, abs=1e-6)
    order = list(range(len(texts)))
    rng.shuffle(order)
    shuffled = detector.margins([texts[i] for i in order])
    assert shuffled == pytest.approx([margins[i] for i in order], abs=1e-6)


def test_scores_do_not_depend_on_the_worker_count(model):  # noqa: F811
    rng = random.Random(3)
    texts = [" ".join(rng.choice(PIECES[:12]) for _ in range(rng.randint(1, 6))) for _ in range(60)]
    one = GarbleDetector.from_pretrained(model).margins(texts)
    assert len({round(m, 6) for m in one}) > 10  # texts differ, so an order mix-up would show
    two = GarbleDetector.from_pretrained(model, workers=2)
    try:
        assert two.margins(texts) == pytest.approx(one, abs=1e-6)
    finally:
        two.close()
