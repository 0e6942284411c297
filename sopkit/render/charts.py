"""A worker's flowchart images: the previous handbook's when a graph is unchanged, else
laid out by the real `dot`, a batch at a time."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from sopkit import __version__
from sopkit.render import graphviz_run
from sopkit.render.graphviz_run import Images, LayoutFailure


def layout_key(source: str, dot_version: str) -> str:
    """What an image is made from: the DOT source, Graphviz's version and sopkit's."""
    material = "\0".join([__version__, dot_version, source])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


class Graphviz(NamedTuple):
    """The `dot` a render uses, and the images it may take from the previous handbook."""

    executable: str
    version: str
    formats: tuple[str, ...]
    previous: Mapping[str, tuple[str, str]] = {}  # "<key>.<format>" -> (file, its digest)


class Flowcharts:
    """Images by layout key: `add` graphs, then `lay_out` those the previous handbook lacks."""

    def __init__(self, graphviz: Graphviz) -> None:
        self.graphviz = graphviz
        self.images: dict[str, Images] = {}
        self.failed: set[str] = set()  # layout keys `dot` could not lay out
        self._waiting: dict[str, str] = {}

    def add(self, source: str) -> str:
        """Take a graph; returns its layout key."""
        key = layout_key(source, self.graphviz.version)
        if key not in self.images and key not in self._waiting:
            kept = {fmt: _previous(self.graphviz.previous, f"{key}.{fmt}")
                    for fmt in self.graphviz.formats}  # fmt: skip
            if all(kept.values()):
                self.images[key] = {fmt: data for fmt, data in kept.items() if data}
            else:
                self._waiting[key] = source
        return key

    def lay_out(self, progress: Callable[[int], None] | None = None) -> None:
        """Lay out every waiting graph, telling `progress` how many after each batch."""
        keys, sources = list(self._waiting), list(self._waiting.values())
        self._waiting.clear()
        results = graphviz_run.lay_out(
            self.graphviz.executable, self.graphviz.formats, sources, progress
        )
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, LayoutFailure):
                self.failed.add(key)
            else:
                self.images[key] = result


def _previous(previous: Mapping[str, tuple[str, str]], name: str) -> bytes | None:
    """An image of the previous handbook, if it is there as sopkit wrote it."""
    entry = previous.get(name)
    if entry is None:
        return None
    try:
        data = Path(entry[0]).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == entry[1] else None


def previous_layouts(manifest: Mapping[str, object], out: Path) -> dict[str, tuple[str, str]]:
    """From a handbook's manifest: each image's file and digest by `<layout key>.<format>`."""
    layouts, files = manifest.get("layouts"), manifest.get("files")
    if not isinstance(layouts, dict) or not isinstance(files, dict):
        return {}
    return {
        f"{key}.{str(name).rsplit('.', 1)[-1]}": (str(out / str(name)), str(files[name]))
        for name, key in layouts.items()
        if name in files
    }
