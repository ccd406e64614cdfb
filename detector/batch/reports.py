"""``garble batch --unit document --html-dir DIR``: one HTML report per scored document.

A report is named ``NNNNNN_ID.html``: ``NNNNNN`` is the document's input row number in the run
(1-based, over all inputs in order, zero-padded to six digits), which makes every name unique
and the same on a resumed run; ``ID`` is the document's id (``--id-field``, else the file name
and line or record number) with every character but letters, digits, ``.``, ``_`` and ``-``
replaced by ``_``, at most 80 characters. The report is the page of ``garble score --format
html`` (spans, types and boilerplate included), built from the same analysis as the
document's output row: the document is scored once. A row that cannot be scored gets its
error row and no report. Reports of a chunk are written (each through a temporary file)
before the chunk is committed, so every committed document has its report; a resumed run
rewrites those of the chunk it repeats.
"""

from __future__ import annotations

import re
from pathlib import Path

from detector.api import GarbleDetector
from detector.batch.readers import Row
from detector.batch.units import DocumentHook, ScoreOptions
from detector.report_html import to_html, write_atomic
from detector.results import ArticleResult, SentenceScore

MAX_ID_CHARS = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(doc_id: str) -> str:
    """Return ``doc_id`` as a portable piece of a file name (may be empty)."""
    return _UNSAFE.sub("_", doc_id).strip("._-")[:MAX_ID_CHARS].rstrip("._-")


def report_name(number: int, doc_id: str) -> str:
    """Return the file name of the report of input row ``number`` (1-based) with ``doc_id``."""
    safe = safe_name(doc_id)
    return f"{number:06d}_{safe}.html" if safe else f"{number:06d}.html"


class HtmlReports:
    """Writes the HTML report of each scored document of a run into ``folder``."""

    def __init__(self, folder: Path, detector: GarbleDetector, opts: ScoreOptions):
        self.folder = Path(folder)
        self.detector = detector
        self.opts = opts  # resolved: with the threshold

    def doc_id(self, row: Row) -> str:
        """Return the document's id: its ``--id-field``, else ``FILE:N`` without the folders."""
        if self.opts.id_field:
            return str(row.fields.get(self.opts.id_field))
        return re.split(r"[\\/]", row.id)[-1]

    def for_block(self, first: int) -> DocumentHook:
        """Return the hook of ``score_rows`` for a block whose first row is input row ``first``."""

        def write(k: int, row: Row, sentences: list[SentenceScore]) -> None:
            doc_id = self.doc_id(row)
            text = row.fields[self.opts.text_field]
            result = ArticleResult(sentences, self.opts.threshold)
            html = to_html(result, self.detector.meta, text, title=doc_id)
            write_atomic(self.folder / report_name(first + k, doc_id), html)

        return write
