"""The handbook's own words ("Purpose", "Step", "If"), per language, from data files."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources


@functools.cache
def _catalogue(language: str) -> dict[str, str]:
    source = resources.files("sopkit").joinpath("data", "labels", f"{language}.toml")
    if not source.is_file():
        return {}
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


@functools.cache
def labels_for(language: str | None) -> Mapping[str, str]:
    """Words for `language` (`sl-SI` uses `sl`), each missing one in English."""
    primary = (language or "en").split("-")[0].lower()
    return {**_catalogue("en"), **_catalogue(primary)}
