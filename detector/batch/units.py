"""``score_rows()``: the pure map from a block of input rows to output rows, per unit.

- ``row``: each row's text is scored as one sentence; the row gets a score and a flag.
- ``sentence``: the text is split into sentences; one output row per sentence, with the
  row's other fields (not the text), the sentence index (1-based), offsets, text and whether
  it is boilerplate (``detector.boilerplate``).
- ``document``: the row gets the list of sentence scores and of boilerplate marks, then the
  figures of ``ArticleResult`` (over the content sentences only): the document score (their
  mean score), its flag, the fraction of them flagged and the verdict. A document that is
  all boilerplate gets a null score and fraction, flag false and the verdict ``no content``.

With ``spans`` (``garble batch --spans``; a model with span and type heads) every output row
also gets ``spans``: the garbled stretches the span head marks, ``{start, end, text, score}``
with offsets into the row's text (a document's over all its sentences), and, for ``row`` and
``sentence``, ``type``: the likeliest of ``mt``, ``spinner`` and ``clean``.

Added fields all start with ``prefix`` (default ``garble_``) and are present in every output
row (null where they do not apply), so every block has the same columns. A row that cannot be
scored gets an error row: ``<prefix>error`` says why and the score and flag are null.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Protocol

from detector.batch.readers import Row
from detector.boilerplate import boilerplate_flags
from detector.results import ArticleResult, SentenceScore, Span
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
    "spans": "list<struct<start:int64,end:int64,text:string,score:double>>",
    "type": "string",
    "error": "string",
}
# Fields whose type depends on the unit: a document lists the boilerplate mark of each sentence.
_UNIT_TYPES = {"document": {"boilerplate": "list<bool>"}}
DEFAULT_PREFIX = "garble_"
# Lone UTF-16 surrogates (JSON escapes such as "\\ud800") cannot be encoded, nor tokenised.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Scorer(Protocol):
    """Anything that streams calibrated scores in input order (``GarbleDetector``); spans
    (``ScoreOptions.spans``) and document hooks (the HTML reports) also need its
    ``analyse_stream`` and ``sentence_score``."""

    threshold: float

    def score_stream(self, texts: Iterable[str]) -> Iterator[float]: ...
    def analyse_stream(self, texts: Iterable[str]) -> Iterator: ...
    def sentence_score(
        self, no: int, sentence: Sentence, analysis, text: str, threshold: float
    ) -> SentenceScore: ...


@dataclass(frozen=True)
class ScoreOptions:
    """How input rows become output rows; ``threshold`` None means the scorer's."""

    unit: str = "row"
    text_field: str = "text"
    id_field: str | None = None
    threshold: float | None = None
    prefix: str = DEFAULT_PREFIX
    spans: bool = False

    def resolved(self, scorer: Scorer) -> ScoreOptions:
        """Return these options with the scorer's threshold if none is set."""
        return self if self.threshold is not None else replace(self, threshold=scorer.threshold)

    def added_names(self) -> list[str]:
        """Return the unprefixed names of the fields added to every output row, in order."""
        ids = [] if self.id_field else ["id"]
        details = []
        if self.spans:
            details = ["spans"] if self.unit == "document" else ["spans", "type"]
        return [*ids, *_UNIT_FIELDS[self.unit], *details, "error"]

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


def _details(opts: ScoreOptions, spans: list[Span], type_: str | None = None) -> dict:
    """Return the ``spans`` (and ``type``) values of an output row, where they are asked for."""
    if not opts.spans:
        return {}
    return {"spans": [asdict(span) for span in spans], "type": type_}


def _row_rows(row: Row, scored: list[SentenceScore], opts: ScoreOptions) -> list[dict]:
    s = scored[0]
    return [_out(row, opts, score=s.score, flag=s.garbled, **_details(opts, s.spans, s.type))]


def _sentence_rows(row: Row, scored: list[SentenceScore], opts: ScoreOptions) -> list[dict]:
    return [
        _out(
            row,
            opts,
            sentence=s.id,
            start=s.start,
            end=s.end,
            text=s.text,
            score=s.score,
            flag=s.garbled,
            boilerplate=s.boilerplate,
            **_details(opts, s.spans, s.type),
        )
        for s in scored
    ]


def _document_rows(row: Row, scored: list[SentenceScore], opts: ScoreOptions) -> list[dict]:
    article = ArticleResult(scored, opts.threshold)
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
            scores=[s.score for s in scored],
            boilerplate=[s.boilerplate for s in scored],
            flagged_fraction=flagged,
            verdict=article.verdict,
            **_details(opts, [span for s in scored for span in s.spans]),
        )
    ]


_EXPAND = {"row": _row_rows, "sentence": _sentence_rows, "document": _document_rows}


def _scored(
    detector: Scorer,
    rows: Sequence[Row],
    pieces: list[list[Sentence] | str],
    opts: ScoreOptions,
    analyse: bool,
) -> Iterator[list[SentenceScore]]:
    """Yield the scored sentences of each row that has no error, in order, with boilerplate
    marks (``sentence`` and ``document``) and, with ``analyse``, spans and types."""
    texts = (s.text for p in pieces if not isinstance(p, str) for s in p)
    analyses = detector.analyse_stream(texts) if analyse else None
    scores = None if analyse else detector.score_stream(texts)
    for row, piece in zip(rows, pieces, strict=True):
        if isinstance(piece, str):
            continue
        text = row.fields[opts.text_field]
        if analyses is not None:
            scored = [
                detector.sentence_score(i, s, next(analyses), text, opts.threshold)
                for i, s in enumerate(piece, 1)
            ]
        else:
            probabilities = [round(next(scores), 4) for _ in piece]
            scored = [
                SentenceScore(i, s.start, s.end, s.text, p, p >= opts.threshold)
                for i, (s, p) in enumerate(zip(piece, probabilities, strict=True), 1)
            ]
        if opts.unit != "row":
            for s, boilerplate in zip(scored, boilerplate_flags(text, piece), strict=True):
                s.boilerplate = boilerplate
        yield scored


DocumentHook = Callable[[int, Row, list[SentenceScore]], None]


def score_rows(
    detector: Scorer,
    rows: Sequence[Row],
    opts: ScoreOptions,
    on_document: DocumentHook | None = None,
) -> list[dict]:
    """Return the output rows of ``rows``: every input row gives its rows or one error row.

    Scores are calibrated probabilities rounded to 4 decimals; a flag is ``score >=
    threshold``. Raises ``InputError`` when an input field has the name of an added field.
    ``on_document(k, row, sentences)`` is called for each scored row ``rows[k]`` of
    ``--unit document`` with its scored sentences, spans and types included (the HTML
    reports of ``--html-dir``; the output rows carry spans only with ``opts.spans``).
    """
    opts = opts.resolved(detector)
    for row in rows:
        _check_collisions(row, opts)
    pieces = [_pieces(row, opts) for row in rows]
    hook = on_document if opts.unit == "document" else None
    scored = _scored(detector, rows, pieces, opts, analyse=opts.spans or hook is not None)
    out: list[dict] = []
    for k, (row, piece) in enumerate(zip(rows, pieces, strict=True)):
        if isinstance(piece, str):
            out.append(_out(row, opts, error=piece))
            continue
        sentences = next(scored)
        out.extend(_EXPAND[opts.unit](row, sentences, opts))
        if hook is not None:
            hook(k, row, sentences)
    return out
