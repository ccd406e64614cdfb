"""Models by name: resolution, the installed package of model folders, shared defaults."""

import inspect
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

from detector import GarbleDetector, registry
from detector.cli import _parser
from detector.cli import main as garble
from detector.registry import DEFAULT_MODEL, MODEL_ENV, MODELS, model_folder
from tests.conftest import REPO
from training.cli import main as garble_train


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A models folder holding only `fast` (the other names are not installed)."""
    (tmp_path / MODELS["fast"]).mkdir()
    (tmp_path / MODELS["fast"] / "meta.json").write_text("{}")
    monkeypatch.setattr(registry, "models_dir", lambda: tmp_path)
    monkeypatch.delenv(MODEL_ENV, raising=False)
    return tmp_path


def test_names_resolve_to_shipped_folders(shipped):
    assert model_folder("fast") == shipped / "garble-minilm"
    assert MODELS == {
        "fast": "garble-minilm",
        "lite": "garble-minilm-lite",
        "accurate": "garble-mpnet",
    }


def test_a_name_not_installed_is_a_one_line_error(shipped):
    with pytest.raises(
        FileNotFoundError, match=r"model 'accurate' \(garble-mpnet\) is not installed"
    ):
        model_folder("accurate")


def test_a_stale_editable_install_falls_back_to_this_checkout(monkeypatch):
    import garble_models

    monkeypatch.setattr(garble_models, "__path__", ["/nonexistent/checkout/models"])
    assert registry.models_dir() == REPO / "models"


def test_a_path_resolves_and_a_folder_without_meta_is_an_error(shipped, tmp_path):
    assert model_folder(shipped / "garble-minilm") == shipped / "garble-minilm"
    assert model_folder(str(shipped / "garble-minilm")) == shipped / "garble-minilm"
    with pytest.raises(FileNotFoundError, match=r"no meta\.json") as error:
        model_folder(tmp_path / "elsewhere")
    assert "\n" not in str(error.value)


def test_default_is_the_environment_then_default_model(shipped, monkeypatch):
    assert DEFAULT_MODEL in MODELS
    (shipped / MODELS[DEFAULT_MODEL]).mkdir(exist_ok=True)
    (shipped / MODELS[DEFAULT_MODEL] / "meta.json").write_text("{}")
    assert model_folder() == shipped / MODELS[DEFAULT_MODEL]
    monkeypatch.setenv(MODEL_ENV, "fast")
    assert model_folder() == shipped / "garble-minilm"
    monkeypatch.setenv(MODEL_ENV, str(shipped / "garble-minilm"))
    assert model_folder() == shipped / "garble-minilm"
    monkeypatch.setenv(MODEL_ENV, "lite")
    with pytest.raises(FileNotFoundError, match="'lite'"):
        model_folder()


def test_shipped_names_resolve_here():
    for name in ("accurate", "fast", "lite"):
        assert (model_folder(name) / "meta.json").is_file()


def test_pyproject_lists_every_package_and_installs_models():
    """Packages are listed, not found (see pyproject.toml): a new one must be added there."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = find_namespace_packages(str(REPO), include=["detector*", "training*"])
    assert sorted(config["packages"]) == sorted([*found, "garble_models"])
    assert config["package-dir"] == {"garble_models": "models"}
    assert "**/*.safetensors" in config["package-data"]["garble_models"]


def test_api_and_cli_share_the_default_backend():
    api = inspect.signature(GarbleDetector.from_pretrained).parameters["backend"].default
    subcommands = _parser()._subparsers._group_actions[0].choices
    for command in ("score", "batch"):
        assert subcommands[command].get_default("backend") == api == "auto"


@pytest.mark.parametrize(
    ("cli", "command"), [(garble, "score"), (garble, "batch"), (garble_train, "evaluate")]
)
def test_help_names_the_models(cli, command, capsys):
    with pytest.raises(SystemExit):
        cli([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "--model fast|lite|accurate|PATH" in out and "a shipped model by name" in out


def test_cli_scores_with_a_model_name(tiny_model, monkeypatch, capsys):
    monkeypatch.setattr(registry, "MODELS", {**MODELS, "fast": tiny_model.name})
    monkeypatch.setattr(registry, "models_dir", lambda: tiny_model.parent)
    code = garble(["score", str(REPO / "examples" / "article.txt"), "--model", "fast"])
    out, err = capsys.readouterr()
    assert code == 0 and err == "" and "sentences" in out


def test_loading_prints_no_progress_bar_unless_asked(tiny_model, capfd):
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.enable_progress_bar()  # as in a fresh process, whatever ran before
    try:
        capfd.readouterr()
        GarbleDetector.from_pretrained(tiny_model, backend="torch")
        quiet = capfd.readouterr().err
        assert hf_logging.is_progress_bar_enabled()  # turned off for the load only
        GarbleDetector.from_pretrained(tiny_model, backend="torch", progress=True)
        asked = capfd.readouterr().err
    finally:
        if not was_on:
            hf_logging.disable_progress_bar()
    assert "Loading weights" not in quiet and "%|" not in quiet
    assert "Loading weights" in asked  # the bar this test guards against does exist


RESOLVE = """
import json, sysconfig
import garble_models  # installed, so not the fallback for a checkout never installed
from detector import GarbleDetector
from detector.registry import model_folder
folders = {name: str(model_folder(name)) for name in ("accurate", "fast", "lite")}
score = GarbleDetector.from_pretrained("fast", backend="onnx").score(["A short sentence."])
print(json.dumps({"folders": folders, "package": list(garble_models.__path__),
                  "purelib": sysconfig.get_paths()["purelib"], "scores": len(score)}))
"""


@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_names_resolve_after_pip_install(editable, tmp_path):
    """pip install a copy of the project into a fresh venv; resolve names from outside it."""
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("detector", "training", "models"):
        shutil.copytree(REPO / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    venv = tmp_path / "venv"
    # System packages give the dependencies and setuptools, so nothing is downloaded.
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv],
        check=True,
    )
    python = str(venv / "bin" / "python")
    install = ["-e", str(src)] if editable else [str(src)]
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([*pip, *install], check=True, cwd=tmp_path, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k not in (MODEL_ENV, "PYTHONPATH")}
    run = subprocess.run(
        [python, "-c", RESOLVE], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    home = src / "models" if editable else Path(result["purelib"]) / "garble_models"
    assert editable or home.is_relative_to(venv)
    assert result["package"][0] == str(home)
    for name, folder in result["folders"].items():
        assert folder == str(home / MODELS[name]), result
        assert (home / MODELS[name] / "meta.json").is_file()
    assert (home / MODELS["accurate"] / "base.json").is_file()  # with its weights over the base
    assert (home / MODELS["accurate"] / "model.safetensors").stat().st_size > 10 * 2**20
    assert result["scores"] == 1
