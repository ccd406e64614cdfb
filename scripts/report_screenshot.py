"""Write a screenshot of the HTML report of a text (the README's ``docs/img/report.png``).

    python scripts/report_screenshot.py examples/article.txt docs/img/report.png [--model NAME|PATH]

Scores the text with a model (default: the shipped default model, as ``garble score``), renders
the report of ``garble score --format html``, opens it from a file in headless Chromium
(Playwright's Python package driving the system browser: ``pip install playwright``, Debian's
``chromium``) and saves a PNG at a desktop width, the whole page or, with ``--height``, its top.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

BROWSER_ENV = "GARBLE_CHROMIUM"  # the browser binary, if not chromium on the PATH
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """Return the Chromium binary: ``$GARBLE_CHROMIUM``, else the first one on the PATH."""
    if os.environ.get(BROWSER_ENV):
        return os.environ[BROWSER_ENV]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(html_file: Path, png: Path, width: int, height: int | None, scale: float) -> None:
    """Save a PNG of ``html_file`` as Chromium shows it ``width`` CSS pixels wide."""
    from playwright.sync_api import sync_playwright

    browser_path = find_browser()
    if browser_path is None:
        raise SystemExit(f"no Chromium found: install chromium or set {BROWSER_ENV}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path)
        try:
            page = browser.new_page(
                viewport={"width": width, "height": height or 900}, device_scale_factor=scale
            )
            page.goto(html_file.resolve().as_uri())
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png), full_page=height is None)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="text or HTML file to score")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--model", help="fast|lite|accurate|PATH (default: the default model)")
    parser.add_argument("--backend", default="auto", help="auto, torch or onnx (default: auto)")
    parser.add_argument("--threshold", type=float, help="override the model's threshold")
    parser.add_argument("--width", type=int, default=1200, help="viewport width in CSS px")
    parser.add_argument("--height", type=int, help="only the top HEIGHT px (default: full page)")
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio")
    parser.add_argument("--html", type=Path, help="also keep the HTML report here")
    args = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from detector.api import GarbleDetector
    from detector.report_html import to_html
    from detector.textio import load_text

    text, _ = load_text(args.input)
    detector = GarbleDetector.from_pretrained(args.model, backend=args.backend)
    result = detector.score_text(text, threshold=args.threshold)
    html = to_html(result, detector.meta, text, title=Path(args.input).name)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(args.html) if args.html else Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        screenshot(page, args.png, args.width, args.height, args.scale)
    summary = result.summary()
    print(
        f"{args.png}: {summary.get('sentences')} sentences, {summary.get('flagged')} flagged "
        f"(model {detector.meta.name} {detector.meta.version})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
