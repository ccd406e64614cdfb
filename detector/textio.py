"""Reading the text to score: a file or stdin, plain text or HTML, checked for bad input."""

from __future__ import annotations

import codecs
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Bytes looked at to tell UTF-16 and binary files from UTF-8 text.
SNIFF_BYTES = 8192
_HTML_HINT = re.compile(
    r"<\s*(!doctype\s+html|html|body|p|div|article|head|nav|header|footer|main|section)\b",
    re.IGNORECASE,
)

# Page parts that are never the main text (a header inside the article holds its title).
_BOILERPLATE = (
    "//nav | //footer | //aside | //menu | //header[not(ancestor::article or ancestor::main)]"
    " | //*[@role='navigation' or @role='banner' or @role='contentinfo' or @role='complementary']"
)
_PROSE_TEXT = (
    "//text()[not(ancestor::a or ancestor::head or ancestor::script or ancestor::style"
    " or ancestor::noscript or ancestor::template)]"
)


class InputError(ValueError):
    """The input cannot be scored; the message is one line meant for the user."""


def read_bytes(path: str) -> bytes:
    """Return the raw bytes of ``path`` (``-`` for stdin)."""
    if path == "-":
        return sys.stdin.buffer.read()
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory, expected a text or HTML file")
    if not p.exists():
        raise InputError(f"{path}: no such file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def utf16_codec(head: bytes) -> str | None:
    """Return the codec of UTF-16 text that starts with ``head``, or None if it is not UTF-16.

    A byte-order mark says so; without one, text that is mostly ASCII has a NUL byte in every
    other position (odd ones little-endian, even ones big-endian), which UTF-8 text never has.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # reads the mark and drops it
    pairs = len(head) // 2
    if not pairs:
        return None
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if odd >= pairs / 2 and even <= pairs / 20:
        return "utf-16-le"
    if even >= pairs / 2 and odd <= pairs / 20:
        return "utf-16-be"
    return None


def decode(data: bytes, name: str) -> str:
    """Return ``data`` as text: UTF-8, or UTF-16 with or without a byte-order mark; reject
    binary and other encodings."""
    codec = utf16_codec(data[:SNIFF_BYTES])
    if codec is None and b"\x00" in data[:SNIFF_BYTES]:
        raise InputError(f"{name}: looks like a binary file, expected UTF-8 text or HTML")
    try:
        text = data.decode(codec or "utf-8-sig")
    except UnicodeDecodeError as exc:
        if codec:
            raise InputError(f"{name}: not valid UTF-16 (byte {exc.start})") from exc
        raise InputError(
            f"{name}: not valid UTF-8 (byte {exc.start}); convert it to UTF-8, "
            "e.g. from Latin-1: iconv -f LATIN1 -t UTF-8"
        ) from exc
    if not text.strip():
        raise InputError(f"{name}: input is empty")
    return text


def is_html(text: str) -> bool:
    """Return True if ``text`` looks like an HTML document rather than plain text."""
    return bool(_HTML_HINT.search(text[:4096]))


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Keep a library's warnings off stderr while it runs (the CLI reports in one line)."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _has_text_outside_links(tree) -> bool:
    """Return True if the page has any visible text that is not the label of a link."""
    return any(piece.strip() for piece in tree.xpath(_PROSE_TEXT))


def extract_main_text(html: str, name: str) -> str:
    """Return the main text of an HTML page (boilerplate removed) via trafilatura.

    Navigation, header, footer and sidebars are dropped first: where nothing else is left,
    trafilatura's fallbacks would return the menu ("Home About") as the main text.
    """
    import trafilatura
    from trafilatura.utils import load_html

    no_main_text = InputError(f"{name}: no main text found in the HTML")
    with _quiet("trafilatura"):
        tree = load_html(html)
        if tree is None:
            raise no_main_text
        for element in tree.xpath(_BOILERPLATE):
            if element.getparent() is not None:
                element.drop_tree()
        if not _has_text_outside_links(tree):
            raise no_main_text
        text = trafilatura.extract(tree, include_comments=False, include_tables=False) or ""
    if not text.strip():
        raise no_main_text
    # trafilatura puts one block (heading, paragraph) per line: keep blocks apart as paragraphs.
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def load_text(path: str) -> tuple[str, bool]:
    """Return the text to score from ``path`` and whether it was extracted from HTML."""
    name = "stdin" if path == "-" else path
    text = decode(read_bytes(path), name)
    if is_html(text):
        return extract_main_text(text, name), True
    return text, False
