"""benchmarks/handwritten.py: the handwritten set is well-formed and its report has every kind."""

from collections import Counter

from benchmarks.handwritten import report, rows


def test_handwritten_set_is_balanced_and_unique():
    data = rows()
    assert len({r["text"] for r in data}) == len(data) == 80
    assert Counter((r["kind"], r["label"]) for r in data) == {
        ("spinner", 1): 20,
        ("mt", 1): 20,
        ("clean", 0): 40,
    }


def test_report_gives_a_row_per_garbled_kind(tiny_model):
    lines = report(tiny_model, "torch", rows()).splitlines()
    assert [line.split(" | ")[1] for line in lines] == ["mt", "spinner"]
    assert all(line.endswith("of 40 |") for line in lines)
