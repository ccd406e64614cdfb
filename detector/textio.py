"""Reading the text to score: a file or stdin, plain text or HTML, checked for bad input."""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

_HTML_HINT = re.compile(r"<\s*(!doctype\s+html|html|body|p|div|article|head)\b", re.IGNORECASE)


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


def decode(data: bytes, name: str) -> str:
    """Return ``data`` as text; reject binary and non-UTF-8 input."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"{name}: UTF-16 text; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)")
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, expected UTF-8 text or HTML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
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


def extract_main_text(html: str, name: str) -> str:
    """Return the main text of an HTML page (boilerplate removed) via trafilatura."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    if not text.strip():
        raise InputError(f"{name}: no main text found in the HTML")
    # trafilatura puts one block (heading, paragraph) per line: keep blocks apart as paragraphs.
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def load_text(path: str) -> tuple[str, bool]:
    """Return the text to score from ``path`` and whether it was extracted from HTML."""
    name = "stdin" if path == "-" else path
    text = decode(read_bytes(path), name)
    if is_html(text):
        return extract_main_text(text, name), True
    return text, False
