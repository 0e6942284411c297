"""The handbook's own words ("Purpose", "Step", "If"), per language, from data files."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources

from sopkit.errors import SopkitError

FALLBACK = "en"
"""Every word has an English version; the other catalogues may lack some."""


@functools.cache
def _catalogue(language: str) -> dict[str, str]:
    source = resources.files("sopkit").joinpath("data", "labels", f"{language}.toml")
    if not source.is_file():
        if language == FALLBACK:  # never pages with holes in them: the install is broken
            raise SopkitError(
                f"sopkit's English word list is missing ({source}): this installation of "
                "sopkit is incomplete",
                hint="reinstall it: pip install --force-reinstall sopkit",
            )
        return {}
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@functools.cache
def labels_for(language: str | None) -> Mapping[str, str]:
    """Words for `language` (`sl-SI` uses `sl`), each missing one in English."""
    primary = (language or "en").split("-")[0].lower()
    return {**_catalogue(FALLBACK), **_catalogue(primary)}
