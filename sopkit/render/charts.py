"""Flowchart images a render need not lay out again: the previous handbook's, where a
graph is unchanged (the others wait in `layouts`' queue)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from sopkit import __version__
from sopkit.render.graphviz_run import Images
from sopkit.render.output import Sink, files_of


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
    """A worker's images from the previous handbook, by layout key: `add` a graph to learn
    whether it must be laid out (through the render's `LayoutQueue`) or is in `images`
    already."""

    def __init__(self, graphviz: Graphviz) -> None:
        self.graphviz = graphviz
        self.images: dict[str, Images] = {}

    def add(self, source: str) -> tuple[str, bool]:
        """The graph's layout key, and whether it must be laid out."""
        key = layout_key(source, self.graphviz.version)
        if key in self.images:
            return key, False
        kept = {fmt: _previous(self.graphviz.previous, f"{key}.{fmt}")
                for fmt in self.graphviz.formats}  # fmt: skip
        if not all(kept.values()):
            return key, True
        self.images[key] = {fmt: data for fmt, data in kept.items() if data}
        return key, False


def write_images(
    sink: Sink, sop_id: str, key: str, images: Images, layouts: dict[str, str]
) -> None:
    """Write a SOP's flowchart images, noting in `layouts` the key each was laid out from
    (for the manifest)."""
    for fmt, data in images.items():
        sink.write(f"{sop_id}.{fmt}", data)
        layouts[f"{sop_id}.{fmt}"] = key


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
    layouts, files = manifest.get("layouts"), files_of(manifest)
    if not isinstance(layouts, dict) or files is None:
        return {}
    return {
        f"{key}.{str(name).rsplit('.', 1)[-1]}": (str(out / str(name)), str(files[name]))
        for name, key in layouts.items()
        if name in files
    }
