"""Boilerplate marking and the article verdict: rules, pages in text and HTML, every output."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.api import ArticleResult, GarbleDetector, SentenceAnalysis, SentenceScore
from detector.boilerplate import boilerplate_flags, classify, rule_of
from detector.cli import main
from detector.meta import Calibration
from detector.segment import split_sentences
from detector.textio import load_text
from detector.verdict import VERDICTS, verdict
from tests.conftest import DATA
from tests.test_batch import batch, read_output, write_jsonl

PAGE_TXT = DATA / "boilerplate_article.txt"
PAGE_HTML = DATA / "boilerplate_article.html"

# The boilerplate of each page, by rule, in order; every other sentence is content.
TXT_BOILERPLATE = [
    ("navigation", "Skip to content"),
    ("navigation", "Home | News | Sport | Business | Weather | Contact"),
    ("navigation", "Local News"),
    ("byline", "By Maria Lopez"),
    ("dateline", "Published: 2 May 2024, 10:32 BST"),
    ("dateline", "Updated 3 May 2024"),
    ("caption", "The landing stage is seen from the harbour wall on Tuesday."),
    ("caption", "(AP Photo/John Reed)"),
    ("advertisement", "Advertisement"),
    ("share", "Share this:"),
    ("labels", "Twitter"),
    ("labels", "Facebook"),
    ("share", "Click to share on WhatsApp (Opens in new window)"),
    ("tags", "Tags: ferry, harbour, transport"),
    ("tags", "Filed under: Local News"),
    ("related", "Related posts"),
    ("related", "Read more: Island school gets a new roof"),
    ("comments", "Leave a Reply"),
    ("comments", "Your email address will not be published."),
    ("comments", "Required fields are marked *"),
    ("notification", "Enable Notifications OK No thanks"),
    ("newsletter", "Sign up for our newsletter"),
    ("cookies", "We use cookies to improve your experience on our site."),
    ("labels", "Accept"),
    ("copyright", "© 2024 Coastline Herald."),
    ("copyright", "All rights reserved."),
]
TXT_CONTENT = [
    "Harbour Ferry Service to Resume in June",
    "The ferry between the harbour and the island will run again from the first week of June, "
    "the port authority said on Thursday.",
    "The service was suspended last autumn after a storm damaged the landing stage.",
    "Repairs cost the port about two million euros.",
    '"We know how much the islanders have missed it," a spokesman said.',
    "He left.",
    "The vessel of the ferry has been mended with the mends of the motor and the motor of the "
    "vessel.",
    "Tickets will go on sale online at the end of May.",
    "The port will utilize counterfeit consciousness to screen the timetables.",
    "Travellers may purchase the passes at the counter of the harbour with the money of cash.",
]
# What trafilatura leaves of the HTML page: the byline, menus, comments and footer are gone.
HTML_BOILERPLATE = [
    ("dateline", "Posted on April 9, 2025 by admin"),
    ("caption", "The landing path is seen from the reading room window on Friday."),
    ("caption", "(AP Photo/Lena Park)"),
    ("advertisement", "Advertisement"),
    ("notification", "Enable Notifications OK No thanks"),
    ("share", "Share this: Twitter Facebook"),
    ("tags", "Tags: library, garden, volunteers"),
    ("cookies", "We use cookies to improve your experience."),
    ("labels", "Accept"),
]
HTML_CONTENT = [
    "Library opens a reading garden",
    "The town library opened a reading garden behind its main building on Saturday, with "
    "benches, shade trees and a small stage for story hours.",
    "Volunteers planted more than two hundred shrubs over the winter.",
    '"Children can read outside all summer now," the head librarian said.',
    "The garden of the library was made with the plants and the plants of the garden by the "
    "hands of the volunteers.",
    "The garden is open every day from nine in the morning until sunset.",
]
SPUN = {  # the garbled content sentences of the text page, with the scores a fake model gives
    TXT_CONTENT[6]: 0.97,
    TXT_CONTENT[8]: 0.95,
    TXT_CONTENT[9]: 0.95,
}


def _classified(path) -> list[tuple[str | None, str]]:
    text, _ = load_text(str(path))
    sentences = split_sentences(text)
    return list(zip(classify(text, sentences), (s.text for s in sentences), strict=True))


@pytest.mark.parametrize(
    ("path", "boilerplate", "content"),
    [(PAGE_TXT, TXT_BOILERPLATE, TXT_CONTENT), (PAGE_HTML, HTML_BOILERPLATE, HTML_CONTENT)],
    ids=["text", "html"],
)
def test_pages_mark_their_boilerplate_and_only_it(path, boilerplate, content):
    found = _classified(path)
    assert [(k, t) for k, t in found if k] == boilerplate
    assert [t for k, t in found if not k] == content


# Short or unusual content that no rule may mark, alone on a line or inside a paragraph.
CONTENT = [
    "He left.",
    "OK.",
    '"Yes," she said.',
    "City Council Approves New Riverside Park",
    "Harbour Ferry Service to Resume in June",
    "Home Prices Rise Again",
    "Live Updates: Storm Hits Coast",
    "Share prices fell 3% on Monday.",
    "The photo was taken in 2019.",
    "Photo finish decided the race.",
    "Updated figures show 3 million visitors.",
    "By Tuesday, the water had receded.",
    "By the river",
    "By The Vietcong.",
    "Written by Phil Klemmer, the episode premiered on May 22, 2007.",
    "Posted guards stood at the gate.",
    "Read more books, the teacher said.",
    "Tags were attached to each bird.",
    "Home is where the heart is.",
    "Follow the money.",
    "We use a lot of cookies in this recipe.",
    "We use cookies, he admitted, but only for login.",
    "Enable notifications in the settings to get alerts about floods.",
    "Comments from residents were mixed.",
    "Advertisement revenue doubled.",
    "Copyright law is complex.",
    "It notes that the red spots look like blood pools (see picture).",
    "The bridge (pictured) opened in 1901.",
    "Twitter users reacted angrily.",
    "Facebook and Twitter were blocked.",
    "Next, the council voted.",
    "March 3 was the hottest day.",
    "Sign up sheets were posted in the hall.",
    "Jane Doe",
    "Background",
]


@pytest.mark.parametrize("sentence", CONTENT)
@pytest.mark.parametrize("own_line", [True, False])
def test_content_is_never_marked(sentence, own_line):
    assert rule_of(sentence, own_line) is None


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("Share on Facebook", "share"),
        ("Follow us on Twitter and Instagram", "share"),
        ("Leave a Comment", "comments"),
        ("12 Comments", "comments"),
        ("Would you like to receive breaking news notifications?", "notification"),
        ("This website uses cookies.", "cookies"),
        ("Accept all cookies", "cookies"),
        ("Get the latest headlines delivered to your inbox", "newsletter"),
        ("BY JANE DOE", "byline"),
        ("By Jane Doe and John Smith, Staff Reporters", "byline"),
        ("Reporting by Jane Doe in London; Editing by John Smith", "byline"),
        ("March 3, 2021", "dateline"),
        ("Last updated: 10:32 GMT, 3 March 2021", "dateline"),
        ("5 min read", "dateline"),
        ("Photograph: John Smith/Getty Images", "caption"),
        ("Image credit: City of Riverside", "caption"),
        ("John Smith/Reuters", "caption"),
        ("Categories: Politics, Economy", "tags"),
        ("You may also like", "related"),
        ("Continue reading »", "related"),
        ("Copyright 2021 The Associated Press. All rights reserved.", "copyright"),
        ("Story continues below advertisement", "advertisement"),
        ("Back to top", "navigation"),
        ("News \u203a World \u203a Europe", "navigation"),
        ("OK No thanks", "labels"),
    ],
)
def test_boilerplate_lines_are_marked(sentence, rule):
    assert rule_of(sentence, own_line=True) == rule


def test_short_rules_need_a_line_of_their_own():
    text = "The talks ended. By Jane Doe\nMarch 3, 2021 was cold. Home\n"
    sentences = split_sentences(text)
    assert not any(boilerplate_flags(text, sentences))
    text = "By Jane Doe\nThe talks ended."
    assert boilerplate_flags(text, split_sentences(text)) == [True, False]


def test_a_lone_label_needs_boilerplate_beside_it():
    alone = "He paused.\nOK\nThen he left."
    assert not any(boilerplate_flags(alone, split_sentences(alone)))
    prompt = "He paused.\nEnable notifications\nOK\nNot now\nThen he left."
    assert boilerplate_flags(prompt, split_sentences(prompt)) == [False, True, True, True, False]


def test_a_photo_credit_makes_its_line_a_caption():
    text = "Rain fell all day.\nThe mayor speaks on Monday. (AP Photo/Evan Vucci)\nHe left."
    assert boilerplate_flags(text, split_sentences(text)) == [False, True, True, False]


# ---- the verdict --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], "no content"),
        ([0.1] * 40, "clean"),
        ([0.9] + [0.1] * 39, "partly garbled"),  # one flagged sentence of 40
        ([0.9] * 9 + [0.1] * 31, "partly garbled"),  # 22 %
        ([0.9] * 10 + [0.1] * 30, "garbled"),  # 25 %
        ([0.9, 0.1, 0.1, 0.1], "partly garbled"),  # one flagged of four: not two
        ([0.9, 0.9, 0.1, 0.1], "garbled"),
        ([0.9], "garbled"),  # a one-sentence text, flagged
        ([0.9, 0.1], "partly garbled"),
        ([0.9, 0.9] + [0.6] * 10, "garbled"),  # 2 of 12 flagged, but a mean score of 0.65
        ([0.6] * 12, "clean"),  # nothing flagged
    ],
)
def test_verdict_rule(scores, expected):
    assert verdict(scores, threshold=0.8) == expected


score = st.floats(0.0, 1.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(score, max_size=60), score, st.randoms(use_true_random=False))
def test_verdict_depends_only_on_the_multiset_of_scores(scores, threshold, rnd):
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert verdict(shuffled, threshold) == verdict(scores, threshold)


@settings(max_examples=300, deadline=None)
@given(st.lists(score, min_size=1, max_size=60), score, st.data())
def test_raising_a_score_never_makes_the_verdict_milder(scores, threshold, data):
    i = data.draw(st.integers(0, len(scores) - 1))
    raised = [*scores[:i], data.draw(st.floats(scores[i], 1.0)), *scores[i + 1 :]]
    before, after = verdict(scores, threshold), verdict(raised, threshold)
    assert VERDICTS.index(after) >= VERDICTS.index(before)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(score, st.booleans()), max_size=40),
    score,
    st.randoms(use_true_random=False),
)
def test_summary_is_stable_under_reordering_and_ignores_boilerplate(rows, threshold, rnd):
    sentences = [
        SentenceScore(i, 0, 1, f"s{i}", p, p >= threshold, boilerplate=b)
        for i, (p, b) in enumerate(rows, 1)
    ]
    result = ArticleResult(sentences, threshold)
    shuffled = list(sentences)
    rnd.shuffle(shuffled)
    assert ArticleResult(shuffled, threshold).summary() == result.summary()
    content = [s for s in sentences if not s.boilerplate]
    summary = result.summary()
    assert summary["verdict"] == verdict([s.score for s in content], threshold)
    assert summary["content_sentences"] + summary["boilerplate_sentences"] == len(sentences)
    assert summary["flagged"] == sum(s.garbled for s in content)
    if content:
        mean = math.fsum(s.score for s in content) / len(content)
        assert summary["article_score"] == round(mean, 4)
    ids = [t["id"] for t in summary["top_flagged"]]
    expected = sorted((s for s in content if s.garbled), key=lambda s: (-s.score, s.id))[:3]
    assert ids == [s.id for s in expected]


# ---- through the API, the CLI and batch ---------------------------------------------------


@pytest.fixture
def fake_scores(monkeypatch):
    """Score the spun sentences as in SPUN, every boilerplate sentence 0.99, the rest 0.02."""
    boilerplate = {t for _, t in TXT_BOILERPLATE + HTML_BOILERPLATE}
    table = dict(SPUN)

    def analyse(self, texts):
        out = []
        for t in texts:
            a = SentenceAnalysis()
            a._margins, a._tokens = table.get(t, 0.99 if t in boilerplate else 0.02), 1
            out.append(a)
        return out

    def score_stream(self, texts, chunk_size=2048):
        for t in texts:
            yield table.get(t, 0.99 if t in boilerplate else 0.02)

    # score_text analyses, batch streams scores; the margin is the score itself (an identity
    # calibration).
    monkeypatch.setattr(GarbleDetector, "analyse", analyse)
    monkeypatch.setattr(GarbleDetector, "score_stream", score_stream)
    monkeypatch.setattr(Calibration, "probability", lambda self, margin: margin)
    return table


def test_article_figures_use_content_sentences_only(tiny_model, fake_scores):
    detector = GarbleDetector.from_pretrained(tiny_model)
    result = detector.score_text(PAGE_TXT.read_text(), threshold=0.5)
    marked = [(s.text, s.boilerplate) for s in result.sentences]
    assert [t for t, b in marked if b] == [t for _, t in TXT_BOILERPLATE]
    summary = result.summary()
    ids = {s.text: s.id for s in result.sentences}
    assert summary == {
        "verdict": "garbled",  # 3 of 10 content sentences; boilerplate scored 0.99 not counted
        "sentences": 36,
        "content_sentences": 10,
        "boilerplate_sentences": 26,
        "flagged": 3,
        "flagged_fraction": 0.3,
        "article_score": round((0.97 + 0.95 + 0.95 + 7 * 0.02) / 10, 4),
        "threshold": 0.5,
        "top_flagged": [
            {"id": ids[t], "score": p, "text": t}
            for t, p in sorted(SPUN.items(), key=lambda kv: (-kv[1], ids[kv[0]]))
        ],
    }
    # Boilerplate is still scored and flagged in its own row.
    assert all(s.garbled for s in result.sentences if s.boilerplate)
    fake_scores.pop(TXT_CONTENT[8]), fake_scores.pop(TXT_CONTENT[9])
    assert detector.score_text(PAGE_TXT.read_text(), 0.5).verdict == "partly garbled"
    fake_scores.clear()
    assert detector.score_text(PAGE_TXT.read_text(), 0.5).verdict == "clean"
    only_boilerplate = "Share this:\nTwitter\nFacebook\n\nLeave a Reply\n"
    empty = detector.score_text(only_boilerplate, 0.5).summary()
    assert empty["verdict"] == "no content" and empty["content_sentences"] == 0
    assert empty["flagged"] == empty["article_score"] == empty["flagged_fraction"] == 0


def run_cli(capsys, path, model, *argv):
    code = main(["score", str(path), "--model", str(model), "--threshold", "0.5", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_json_marks_boilerplate_of_an_html_page(tiny_model, fake_scores, capsys):
    out = run_cli(capsys, PAGE_HTML, tiny_model, "--format", "json")
    payload = json.loads(out)
    rows = payload["sentences"]
    assert [r["text"] for r in rows if r["boilerplate"]] == [t for _, t in HTML_BOILERPLATE]
    assert [r["text"] for r in rows if not r["boilerplate"]] == HTML_CONTENT
    article = payload["article"]
    assert article["verdict"] == "clean"  # boilerplate scored 0.99, content 0.02
    assert (article["content_sentences"], article["boilerplate_sentences"]) == (6, 9)
    assert article["flagged"] == 0 and article["top_flagged"] == []
    assert sum(r["garbled"] for r in rows) == 9


def test_jsonl_and_table_mark_boilerplate(tiny_model, fake_scores, capsys):
    out = run_cli(capsys, PAGE_TXT, tiny_model, "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in rows if r["boilerplate"]] == [t for _, t in TXT_BOILERPLATE]
    table = run_cli(capsys, PAGE_TXT, tiny_model)
    lines = table.splitlines()
    assert lines[0].split() == ["no.", "score", "flag", "part", "text"]
    assert "boiler" in lines[2] and "Skip to content" in lines[2]  # row 1
    head = next(line for line in lines if "Harbour Ferry Service" in line)
    assert "boiler" not in head
    assert lines[-2].startswith("verdict: garbled: 3 of 10 content sentences flagged (30%)")
    assert "36 sentences, 26 boilerplate" in lines[-1]


def test_batch_units_mark_boilerplate(tiny_model, fake_scores, tmp_path, capsys):
    text = PAGE_TXT.read_text()
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"doc": "page", "text": text}, {"doc": "menu", "text": "Home | News | Sport\nMenu\n"}],
    )
    common = ["--model", tiny_model, "--threshold", "0.5", "--id-field", "doc"]
    out = tmp_path / "sentences.jsonl"
    code, _, err = batch(capsys, src, "-o", out, *common, "--unit", "sentence")
    assert code == 0, err
    rows = [r for r in read_output(out) if r["doc"] == "page"]
    assert [r["garble_text"] for r in rows if r["garble_boilerplate"]] == [
        t for _, t in TXT_BOILERPLATE
    ]
    out = tmp_path / "documents.parquet"
    code, _, err = batch(capsys, src, "-o", out, *common, "--unit", "document")
    assert code == 0, err
    page, menu = read_output(out)
    assert sum(page["garble_boilerplate"]) == len(TXT_BOILERPLATE)
    assert len(page["garble_boilerplate"]) == len(page["garble_scores"]) == 36
    assert page["garble_verdict"] == "garbled" and page["garble_flagged_fraction"] == 0.3
    assert page["garble_score"] == round((0.97 + 0.95 + 0.95 + 7 * 0.02) / 10, 4)
    assert menu["garble_verdict"] == "no content" and menu["garble_score"] is None
    assert menu["garble_flag"] is False and menu["garble_boilerplate"] == [True, True]


NEAR_MISSES = [  # each almost matches a rule: the regex must fail fast (each took minutes once)
    "Share " + "Twitter " * 30 + "zzz",
    "OK, " * 30 + "zzz",
    "Enable notifications " + "OK " * 30 + "zzz",
    "Posted on " + "10:32, " * 40 + "zzz",
    "By " + "Ab " * 40 + "zzz",
    "Reporting by " + "Ab, " * 40 + "zzz",
    "x" * 290 + " (AP Photo " + "a " * 50 + "zz",
]


@pytest.mark.parametrize("sentence", NEAR_MISSES)
def test_near_misses_fail_fast(sentence):
    start = time.perf_counter()
    assert rule_of(sentence, own_line=True) is None and rule_of(sentence, own_line=False) is None
    assert time.perf_counter() - start < 0.5
