"""Sources of clean English sentences, each with a document id and a register."""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import logging
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from detector.segment import split_sentences
from training.config import SourceConfig

logger = logging.getLogger(__name__)

_BAD_CHARS = re.compile(r"[<>{}\[\]|=@#\\~^*_$+]|https?:|www\.|\.com\b|>>>|\.\.\.")
_STARTS_OK = re.compile(r"^[\"'(\u201c]?[A-Z0-9]")
_ENDS_OK = re.compile(r"[.!?][\"')\u201d]?$")


@dataclass(frozen=True)
class CleanSentence:
    """A clean human-written sentence and where it came from."""

    text: str
    doc_id: str
    source: str
    domain: str


def is_clean_prose(sentence: str, min_words: int = 4, max_words: int = 60) -> bool:
    """Return True if an extracted sentence looks like complete, markup-free prose."""
    words = sentence.split()
    return (
        min_words <= len(words) <= max_words
        and bool(_STARTS_OK.match(sentence))
        and bool(_ENDS_OK.search(sentence))
        and not _BAD_CHARS.search(sentence)
        and "\n" not in sentence
        and sentence.count("(") == sentence.count(")")
        and sum(c.isdigit() for c in sentence) <= 0.25 * len(sentence)
    )


def _from_jsonl(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    with open(cfg.path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            yield row[cfg.text_field], str(row.get(cfg.doc_field, ""))


def _from_csv(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    """Rows of a CSV file (e.g. one line of dialogue a row), a document per ``doc_field`` value.

    ftfy repairs mojibake ("â€”" for "—") left by a wrong encoding somewhere upstream.
    """
    import ftfy

    with open(cfg.path, encoding="utf-8", errors="replace", newline="") as f:
        reader = csv.DictReader(f)
        wanted = {cfg.text_field, cfg.doc_field, *cfg.where}
        missing = sorted(wanted - set(reader.fieldnames or ()))
        if missing:
            raise ValueError(f"source {cfg.name!r}: {cfg.path} has no column {missing}")
        for row in reader:
            if any(row[col] not in values for col, values in cfg.where.items()):
                continue
            for sent in _prose_sentences(ftfy.fix_text(row[cfg.text_field])):
                yield sent, row[cfg.doc_field]


def _prose_sentences(text: str) -> Iterator[str]:
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        for sent in split_sentences(paragraph):
            if is_clean_prose(sent.text):
                yield sent.text


def _from_html_dir(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    import trafilatura

    root = Path(cfg.path)
    for page in sorted(root.rglob("*.html")):
        text = trafilatura.extract(page.read_text(encoding="utf-8", errors="replace")) or ""
        for sent in _prose_sentences(text):
            yield sent, str(page.relative_to(root))


def _from_lines(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    """One document per line (e.g. gensim's lee_background.cor news corpus)."""
    with open(cfg.path, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f):
            for sent in _prose_sentences(line):
                yield sent, f"{Path(cfg.path).name}:{i}"


_AUSTEN_R = (
    "library(janeaustenr); b <- austen_books(); "
    "writeLines(paste(as.character(b$book), b$text, sep='\\t'))"
)


def _from_janeausten(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    """Novels from Debian's r-cran-janeaustenr (read through Rscript), 40 paragraphs a doc."""
    proc = subprocess.run(["Rscript", "-e", _AUSTEN_R], capture_output=True, text=True, check=True)
    books: dict[str, list[str]] = {}
    for line in proc.stdout.splitlines():
        book, _, text = line.partition("\t")
        books.setdefault(book, []).append(text)
    for book, lines in books.items():
        paragraphs = "\n".join(lines).split("\n\n")
        for i in range(0, len(paragraphs), 40):
            for sent in _prose_sentences("\n\n".join(paragraphs[i : i + 40])):
                yield sent, f"{book}:{i // 40}"


_REUTERS_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)


def _from_reuters(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    """Reuters-21578 news stories (Debian's r-cran-tm), one document per XML file."""
    root = Path(cfg.path)
    for page in sorted(root.rglob("reut-*.xml")):
        for body in _REUTERS_BODY.findall(page.read_text(encoding="utf-8", errors="replace")):
            body = re.sub(r"\s*Reuter\s*(&#3;)?\s*$", "", html.unescape(body))
            for sent in _prose_sentences(re.sub(r"\n {3,}", "\n\n", body)):
                yield sent, str(page.relative_to(root))


def as_sentence(text: str) -> str:
    """Return a short usage example as a sentence: capitalised, end-punctuated."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if _ENDS_OK.search(text) else text + "."


def _from_wordnet_examples(cfg: SourceConfig) -> Iterator[tuple[str, str]]:
    """WordNet's usage examples ("he bought the painting as an investment"), one doc a synset.

    Short everyday sentences, many in the first and second person, with contractions: a
    register that Wikipedia and the manuals lack.
    """
    from training.recipes.thesaurus import load_wordnet

    wordnet = load_wordnet(Path(cfg.path))
    for synset in wordnet.all_synsets():
        for example in synset.examples():
            sent = as_sentence(example)
            if is_clean_prose(sent):
                yield sent, synset.name()


_READERS = {
    "jsonl": _from_jsonl,
    "csv": _from_csv,
    "html_dir": _from_html_dir,
    "lines": _from_lines,
    "janeausten": _from_janeausten,
    "reuters": _from_reuters,
    "wordnet_examples": _from_wordnet_examples,
}


def resolve_path(path: str) -> Path:
    """Return ``path``, where a ``pkg:NAME/rest`` path points inside installed package NAME."""
    if not path.startswith("pkg:"):
        return Path(path)
    package, _, rest = path[4:].partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed (needed for {path})")
    return Path(next(iter(spec.submodule_search_locations))) / rest


def load_source(cfg: SourceConfig, seed: int) -> list[CleanSentence]:
    """Return the source's sentences, deduplicated, sampled down to ``max_sentences``."""
    cfg = cfg.model_copy(update={"path": str(resolve_path(cfg.path))})
    if not Path(cfg.path).exists():
        raise FileNotFoundError(f"source {cfg.name!r}: {cfg.path} not found")
    seen: set[str] = set()
    rows: list[CleanSentence] = []
    for text, doc_id in _READERS[cfg.kind](cfg):
        key, doc = " ".join(text.lower().split()), f"{cfg.name}:{doc_id}"
        if key not in seen:
            seen.add(key)
            rows.append(CleanSentence(text, doc, cfg.name, cfg.domain))
    if cfg.max_sentences is not None and len(rows) > cfg.max_sentences:
        rows = random.Random(seed).sample(rows, cfg.max_sentences)
    logger.info("source %s: %d sentences", cfg.name, len(rows))
    return rows
