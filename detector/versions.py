"""Installed package versions, recorded with every model and baseline."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version


def package_version(package: str) -> str:
    """Return the installed version of ``package``, or "not installed"."""
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def package_versions(packages: Iterable[str]) -> dict[str, str]:
    """Return ``{package: installed version}`` for each package."""
    return {name: package_version(name) for name in packages}
