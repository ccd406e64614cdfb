"""The inference side stands alone: no module under detector/ imports training."""

import ast

from tests.conftest import REPO


def _imported(path) -> set[str]:
    """Return the top-level package of every module that ``path`` imports (any depth)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_detector_imports_nothing_from_training():
    modules = sorted((REPO / "detector").rglob("*.py"))
    assert len(modules) > 20  # the whole package is read, lazy imports inside functions too
    offenders = [str(p.relative_to(REPO)) for p in modules if "training" in _imported(p)]
    assert offenders == []


def test_the_check_sees_a_lazy_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from training.evaluate import evaluate\n")
    assert "training" in _imported(module)
