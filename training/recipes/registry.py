"""The one list of recipes: each name, whether its rows are garbled, and how it is built.

Adding a recipe is a module with its function and one entry in ``RECIPES``; configs then give
it a weight under ``data.recipes``. ``clean`` keeps the sentence; ``mt_round_trip`` is batched
through Apertium by ``training.prepare`` and so has no per-sentence builder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from training.recipes.base import Recipe

if TYPE_CHECKING:
    from training.config import DataConfig
    from training.recipes.thesaurus import Thesaurus

Builder = Callable[["DataConfig", list[str], Callable[[], "Thesaurus"]], Recipe]


def _hard_negative(data: DataConfig, donors: list[str], thesaurus) -> Recipe:
    from training.recipes.negatives import hard_negative

    return hard_negative


def _spinner(data: DataConfig, donors: list[str], thesaurus) -> Recipe:
    from training.recipes.spinner import spin

    return partial(
        spin, thesaurus=thesaurus(), rate=data.spinner.rate, min_subs=data.spinner.min_subs
    )


def _mt_noise(data: DataConfig, donors: list[str], thesaurus) -> Recipe:
    from training.recipes.mt_noise import mt_noise

    synonyms = thesaurus().synonyms
    return partial(mt_noise, donors=donors, synonyms=synonyms, max_ops=data.mt_noise.max_ops)


@dataclass(frozen=True)
class RecipeSpec:
    """A recipe: whether its output is labelled garbled, and its per-sentence builder."""

    garbles: bool
    build: Builder | None = None


RECIPES: dict[str, RecipeSpec] = {
    "clean": RecipeSpec(garbles=False),
    "hard_negative": RecipeSpec(garbles=False, build=_hard_negative),
    "mt_round_trip": RecipeSpec(garbles=True),
    "spinner": RecipeSpec(garbles=True, build=_spinner),
    "mt_noise": RecipeSpec(garbles=True, build=_mt_noise),
}
GARBLING_RECIPES = tuple(name for name, spec in RECIPES.items() if spec.garbles)
