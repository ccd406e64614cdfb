"""Shipped models by name: where their folders live and how a name or a path picks a folder.

The repository's ``models/`` folder is installed as the package ``garble_models``
(``pyproject.toml``), so a name resolves the same after ``pip install .`` as in an editable
checkout.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

MODELS = {"fast": "garble-minilm", "lite": "garble-minilm-lite", "accurate": "garble-mpnet"}
DEFAULT_MODEL = "accurate"
MODEL_ENV = "GARBLE_MODEL"  # a name or a folder that replaces DEFAULT_MODEL
META_FILE = "meta.json"
MODEL_HELP = f"a shipped model by name ({', '.join(MODELS)}) or a model folder"
# The models of the source checkout this module sits in (used where no install points elsewhere).
_CHECKOUT_MODELS = Path(__file__).resolve().parent.parent / "models"


def models_dir() -> Path:
    """Return the folder that holds the shipped model folders."""
    try:
        import garble_models
    except ImportError:  # a source checkout used without installing it
        return _CHECKOUT_MODELS
    # A namespace package: its first portion is the installed folder (an editable install
    # may add a placeholder entry that is not a folder). An editable install of a checkout
    # since moved or deleted leaves no folder: then this checkout's models.
    folders = (Path(p) for p in garble_models.__path__ if Path(p).is_dir())
    return next(folders, _CHECKOUT_MODELS)


def model_folder(name_or_path: str | Path | None = None) -> Path:
    """Return the model folder of a name (``fast``, ``lite``, ``accurate``) or a path.

    None means ``$GARBLE_MODEL`` if set, else ``DEFAULT_MODEL``. A registered name wins over
    a folder of the same name in the working directory (write ``./fast`` for that). A folder
    without ``meta.json`` is a FileNotFoundError with a one-line message.
    """
    value = name_or_path or os.environ.get(MODEL_ENV) or DEFAULT_MODEL
    if isinstance(value, str) and value in MODELS:
        folder = models_dir() / MODELS[value]
        if not (folder / META_FILE).is_file():
            raise FileNotFoundError(
                f"model {value!r} ({MODELS[value]}) is not installed: no {folder / META_FILE}"
            )
        return folder
    folder = Path(value)
    if not (folder / META_FILE).is_file():
        raise FileNotFoundError(
            f"{folder} is not a model folder (no {META_FILE}) "
            f"nor a shipped model's name ({', '.join(MODELS)})"
        )
    return folder


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--model fast|lite|accurate|PATH`` to a scoring command's parser."""
    parser.add_argument(
        "--model",
        metavar="|".join([*MODELS, "PATH"]),
        help=f"{MODEL_HELP} (default: ${MODEL_ENV} if set, else {DEFAULT_MODEL})",
    )
