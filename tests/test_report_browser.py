"""The HTML report in a real browser: headless Chromium (the system's, e.g. Debian's
``chromium``) driven by Playwright's Python package.

Skipped when Chromium or playwright is missing, unless ``GARBLE_REQUIRE_BROWSER=1`` (CI), where
that fails. ``GARBLE_CHROMIUM`` names the browser binary if it is not ``chromium`` on the PATH.
"""

from __future__ import annotations

import os
import shutil

import pytest

from detector.report_html import to_html
from tests.report_fixtures import (
    BOILERPLATE,
    FLAGGED,
    INJECTED,
    Meta,
    article_with_injection,
    known_result,
)

REQUIRE_ENV = "GARBLE_REQUIRE_BROWSER"
BROWSER_ENV = "GARBLE_CHROMIUM"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str):
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, and {REQUIRE_ENV}=1", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium launched by Playwright from the system's binary."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    path = os.environ.get(BROWSER_ENV) or next(filter(None, map(shutil.which, BROWSERS)), None)
    if not path:
        _unavailable(f"no Chromium found (apt-get install chromium, or set {BROWSER_ENV})")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of examples/article.txt, a script injected into its text, as a file."""
    text = article_with_injection()
    result = known_result(text)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(to_html(result, Meta(), text, title="article.txt"), encoding="utf-8")
    return path, result


def open_page(browser, path, viewport):
    page = browser.new_page(viewport=viewport)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, requests


def test_marks_in_the_dom_and_no_script_ran(browser, report, tmp_path):
    path, result = report
    page, requests = open_page(browser, path, {"width": 1280, "height": 900})
    try:
        assert requests == [path.as_uri()]  # nothing else is fetched
        assert page.title() == "garble report: article.txt"
        assert page.evaluate("window.pwned") is None
        assert page.evaluate("document.scripts.length") == 0
        flagged = page.eval_on_selector_all("#article .s.flagged", "els => els.map(e => e.id)")
        assert flagged == [f"s-{s.id}" for s in result.sentences if s.garbled]
        assert len(flagged) == len(FLAGGED)
        spans = page.eval_on_selector_all(
            "#article mark.span", "els => els.map(e => e.textContent)"
        )
        assert sorted(spans) == sorted(FLAGGED.values())
        boiler = page.eval_on_selector_all(
            "#article .s.boilerplate", "els => els.map(e => e.textContent)"
        )
        assert len(boiler) == 1 and BOILERPLATE in boiler[0]
        # the injected script shows as text, inside its sentence
        texts = page.eval_on_selector_all("#article .s", "els => els.map(e => e.textContent)")
        assert texts == [s.text for s in result.sentences]
        assert any(INJECTED in t for t in texts)
        # what the eye sees: spans underlined, flagged shaded deeper than clean, boilerplate grey
        style = "(el, p) => getComputedStyle(el)[p]"
        mark = page.query_selector("#article mark.span")
        assert "underline" in mark.evaluate(style, "textDecorationLine")
        hot = page.query_selector(f"#{flagged[0]}").evaluate(style, "backgroundColor")
        cold = page.query_selector("#s-1").evaluate(style, "backgroundColor")
        assert _alpha(hot) > 3 * _alpha(cold)
        grey = page.query_selector("#article .s.boilerplate").evaluate(style, "color")
        assert grey != page.query_selector("#s-1").evaluate(style, "color")
        tip = page.get_attribute(f"#{flagged[0]}", "title")
        assert "score 0.900" in tip and "mt 0.70" in tip
        assert page.eval_on_selector_all("#top a", "els => els.map(e => e.hash)") == [
            f"#{i}" for i in flagged
        ]
        page.screenshot(path=str(tmp_path / "report-desktop.png"), full_page=True)
    finally:
        page.close()
    assert (tmp_path / "report-desktop.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fits_a_phone_width(browser, report, tmp_path):
    path, _ = report
    page, _ = open_page(browser, path, PHONE)
    try:
        page.click("#sentences summary")  # the sentence table too, opened
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
        )
        assert widths[0] <= PHONE["width"] and widths[1] <= PHONE["width"], widths
        # the side panel stacks above the text rather than beside it
        panel = page.query_selector("#panel").bounding_box()
        article = page.query_selector("#article").bounding_box()
        assert panel["y"] + panel["height"] <= article["y"] and panel["width"] > 300
        page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=True)
    finally:
        page.close()
    assert (tmp_path / "report-phone.png").stat().st_size > 1000


def _alpha(color: str) -> float:
    """Return the alpha of a computed ``rgba(...)`` colour (1 for ``rgb(...)``)."""
    parts = color[color.index("(") + 1 : -1].split(",")
    return float(parts[3]) if len(parts) == 4 else 1.0
