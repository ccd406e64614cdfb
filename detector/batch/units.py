"""``score_rows()``: the pure map from a block of input rows to output rows, per unit.

- ``row``: each row's text is scored as one sentence; the row gets a score and a flag.
- ``sentence``: the text is split into sentences; one output row per sentence, with the
  row's other fields (not the text), the sentence index (1-based), offsets, text and whether
  it is boilerplate (``detector.boilerplate``).
- ``document``: the row gets the list of sentence scores and of boilerplate marks, then the
  figures of ``ArticleResult`` (over the content sentences only): the document score (their
  mean score), its flag, the fraction of them flagged and the verdict. A document that is
  all boilerplate gets a null score and fraction, flag false and the verdict ``no content``.

Added fields all start with ``prefix`` (default ``garble_``) and are present in every output
row (null where they do not apply), so every block has the same columns. A row that cannot be
scored gets an error row: ``<prefix>error`` says why and the score and flag are null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from detector.batch.readers import Row
from detector.boilerplate import boilerplate_flags
from detector.results import ArticleResult, SentenceScore
from detector.segment import Sentence, split_sentences
from detector.textio import InputError

UNITS = ("row", "sentence", "document")
_UNIT_FIELDS = {
    "row": ("score", "flag"),
    "sentence": ("sentence", "start", "end", "text", "score", "flag", "boilerplate"),
    "document": ("score", "flag", "scores", "boilerplate", "flagged_fraction", "verdict"),
}
_FIELD_TYPES = {
    "id": "string",
    "sentence": "int64",
    "start": "int64",
    "end": "int64",
    "text": "string",
    "score": "double",
    "flag": "bool",
    "scores": "list<double>",
    "flagged_fraction": "double",
    "boilerplate": "bool",
    "verdict": "string",
    "error": "string",
}
# Fields whose type depends on the unit: a document lists the boilerplate mark of each sentence.
_UNIT_TYPES = {"document": {"boilerplate": "list<bool>"}}
DEFAULT_PREFIX = "garble_"
# Lone UTF-16 surrogates (JSON escapes such as "\\ud800") cannot be encoded, nor tokenised.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Scorer(Protocol):
    """Anything that streams calibrated scores in input order (``GarbleDetector``)."""

    threshold: float

    def score_stream(self, texts: Iterable[str]) -> Iterator[float]: ...


@dataclass(frozen=True)
class ScoreOptions:
    """How input rows become output rows; ``threshold`` None means the scorer's."""

    unit: str = "row"
    text_field: str = "text"
    id_field: str | None = None
    threshold: float | None = None
    prefix: str = DEFAULT_PREFIX

    def resolved(self, scorer: Scorer) -> ScoreOptions:
        """Return these options with the scorer's threshold if none is set."""
        return self if self.threshold is not None else replace(self, threshold=scorer.threshold)

    def added_names(self) -> list[str]:
        """Return the unprefixed names of the fields added to every output row, in order."""
        ids = [] if self.id_field else ["id"]
        return [*ids, *_UNIT_FIELDS[self.unit], "error"]

    def added_fields(self) -> list[str]:
        """Return the names of the fields added to every output row, in order."""
        return [self.prefix + name for name in self.added_names()]

    def added_types(self) -> dict[str, str]:
        """Return the Arrow type name of each added field (for a fixed Parquet schema)."""
        types = {**_FIELD_TYPES, **_UNIT_TYPES.get(self.unit, {})}
        return {self.prefix + name: types[name] for name in self.added_names()}


def _kept_fields(row: Row, opts: ScoreOptions) -> dict:
    """Return the input fields an output row keeps (a sentence row drops the long text)."""
    if opts.unit == "sentence":
        return {k: v for k, v in row.fields.items() if k != opts.text_field}
    return row.fields


def _check_collisions(row: Row, opts: ScoreOptions) -> None:
    clash = set(_kept_fields(row, opts)).intersection(opts.added_fields())
    if clash:
        raise InputError(
            f"{row.id}: input field '{sorted(clash)[0]}' would be overwritten by an added field; "
            f"pass --prefix to name the added fields differently (now '{opts.prefix}')"
        )


def _out(row: Row, opts: ScoreOptions, **values) -> dict:
    """Return one output row: the kept input fields, then every added field."""
    if not opts.id_field:
        values["id"] = row.id
    return {
        **_kept_fields(row, opts),
        **{opts.prefix + n: values.get(n) for n in opts.added_names()},
    }


def _pieces(row: Row, opts: ScoreOptions) -> list[Sentence] | str:
    """Return the pieces of text of ``row`` to score, or why it cannot be scored."""
    if row.error:
        return row.error
    field = opts.text_field
    if opts.id_field and opts.id_field not in row.fields:
        return f"no id field '{opts.id_field}'"
    if field not in row.fields:
        return f"no text field '{field}'"
    text = row.fields[field]
    if text is None:
        return f"text field '{field}' is null, not a string"
    if not isinstance(text, str):
        return f"text field '{field}' is {type(text).__name__}, not a string"
    if not text.strip():
        return "empty text"
    if bad := _SURROGATE.search(text):
        return f"text is not valid Unicode (a lone surrogate at character {bad.start()})"
    if opts.unit == "row":
        return [Sentence(text, 0, len(text))]
    return split_sentences(text) or "no sentences found"


def _row_rows(
    row: Row, sentences: list[Sentence], scores: list[float], opts: ScoreOptions
) -> list[dict]:
    return [_out(row, opts, score=scores[0], flag=scores[0] >= opts.threshold)]


def _boilerplate(row: Row, sentences: list[Sentence], opts: ScoreOptions) -> list[bool]:
    return boilerplate_flags(row.fields[opts.text_field], sentences)


def _sentence_rows(
    row: Row, sentences: list[Sentence], scores: list[float], opts: ScoreOptions
) -> list[dict]:
    boiler = _boilerplate(row, sentences, opts)
    return [
        _out(
            row,
            opts,
            sentence=i,
            start=s.start,
            end=s.end,
            text=s.text,
            score=p,
            flag=p >= opts.threshold,
            boilerplate=b,
        )
        for i, (s, p, b) in enumerate(zip(sentences, scores, boiler, strict=True), 1)
    ]


def _document_rows(
    row: Row, sentences: list[Sentence], scores: list[float], opts: ScoreOptions
) -> list[dict]:
    boiler = _boilerplate(row, sentences, opts)
    article = ArticleResult(
        [
            SentenceScore(i, s.start, s.end, s.text, p, p >= opts.threshold, boilerplate=b)
            for i, (s, p, b) in enumerate(zip(sentences, scores, boiler, strict=True), 1)
        ],
        opts.threshold,
    )
    score = flagged = None
    if article.n_content:
        score = round(article.article_score, 4)
        flagged = round(article.flagged_fraction, 4)
    return [
        _out(
            row,
            opts,
            score=score,
            flag=score is not None and score >= opts.threshold,
            scores=scores,
            boilerplate=boiler,
            flagged_fraction=flagged,
            verdict=article.verdict,
        )
    ]


_EXPAND = {"row": _row_rows, "sentence": _sentence_rows, "document": _document_rows}


def score_rows(
    detector: Scorer,
    rows: Sequence[Row],
    opts: ScoreOptions,
    on_document: Callable[[int, Row], None] | None = None,
) -> list[dict]:
    """Return the output rows of ``rows``: every input row gives its rows or one error row.

    Scores are calibrated probabilities rounded to 4 decimals; a flag is ``score >=
    threshold``. Raises ``InputError`` when an input field has the name of an added field.
    ``on_document(k, row)`` is called for each scored row ``rows[k]`` of
    ``--unit document`` (the HTML reports of ``--html-dir``).
    """
    opts = opts.resolved(detector)
    for row in rows:
        _check_collisions(row, opts)
    pieces = [_pieces(row, opts) for row in rows]
    texts = (s.text for p in pieces if not isinstance(p, str) for s in p)
    scores = detector.score_stream(texts)
    out: list[dict] = []
    for k, (row, piece) in enumerate(zip(rows, pieces, strict=True)):
        if isinstance(piece, str):
            out.append(_out(row, opts, error=piece))
            continue
        row_scores = [round(next(scores), 4) for _ in piece]
        out.extend(_EXPAND[opts.unit](row, piece, row_scores, opts))
        if on_document is not None and opts.unit == "document":
            on_document(k, row)
    return out
