"""What a render is asked (`RenderOptions`), what it answers (`RenderResult`), and the key
of everything a handbook is made from (`inputs_key`): shared by `handbook`, which decides
whether there is work, and `assemble`, which does it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sopkit import __version__
from sopkit.checker import CheckOptions, CheckResult, FileReport, Plan
from sopkit.discovery import SourceFile
from sopkit.render import graphviz_run
from sopkit.render.chartstyle import ChartStyle

if TYPE_CHECKING:  # the machinery that renders, imported only when there is work
    from sopkit.render.context import Digest
    from sopkit.render.worker import Settings

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RenderOptions:
    out: Path
    today: date
    language: str = "en"
    flowchart: str = "graphviz"
    chart: ChartStyle = field(default_factory=ChartStyle)
    png: bool = False
    html: bool = False
    check_only: bool = False
    templates: Path | None = None
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    team: Path | None = None  # the team file, when there is one: pages name who read what
    acknowledgements: Path | None = None
    keep: bool = False
    """Render even when the handbook is current, and keep what the next edit needs
    (`RenderResult.kept`): `sopkit serve`."""


@dataclass
class RenderResult:
    check: CheckResult
    refused: bool = False
    files: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    missing_dot: bool = False
    failed_layouts: list[str] = field(default_factory=list)
    unchanged: bool = False
    kept: Rendered | None = None  # with `RenderOptions.keep`, after writing a handbook

    @property
    def complete(self) -> bool:
        return not (self.refused or self.missing_dot or self.failed_layouts)


@dataclass
class Rendered:
    """A written handbook, as the render that wrote it knew it: what `incremental` needs
    to bring it up to date after an edit without rendering every SOP again."""

    work: Plan
    reports: list[FileReport]  # one per job, in the plan's order, without models
    digests: dict[int, Digest]  # by job, of the SOPs the handbook shows
    settings: Settings
    check_options: CheckOptions
    options: RenderOptions
    files: dict[str, str]  # every file written, with its digest
    layouts: dict[str, str]  # image file -> the layout key it was made from


def inputs_key(
    sources: Sequence[SourceFile], options: RenderOptions, digests: Mapping[str, str]
) -> str:
    """A hash of everything a handbook is made from: sources, templates, options, tools.

    `digests`: each source's digest by path (`sources.digest`), from whoever read it:
    the render reads each source once.
    """
    material = hashlib.sha256()
    for part in (
        __version__,
        repr(options.chart),
        options.flowchart,
        str(options.png),
        str(options.html),
        options.language,
        options.today.isoformat(),
        graphviz_run.dot_version() or "",
    ):
        material.update(part.encode() + b"\0")  # fmt: skip
    for folder in (options.templates, Path(str(resources.files("sopkit.templates"))),
                   Path(str(resources.files("sopkit").joinpath("data")))):  # fmt: skip
        if folder is not None and folder.is_dir():
            # What the render reads, not what Python caches beside it (__pycache__).
            for path in sorted(p for p in folder.rglob("*") if p.is_file()
                               and "__pycache__" not in p.parts and p.suffix != ".py"):  # fmt: skip
                material.update(path.name.encode() + b"\0" + path.read_bytes())
    for extra in (options.team, options.acknowledgements):
        if extra is not None and extra.is_file():
            material.update(extra.name.encode() + b"\0" + extra.read_bytes())
    for source in sources:
        material.update(source.display.encode() + b"\0" + digests[source.display].encode())
    return material.hexdigest()
