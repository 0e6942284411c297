"""The core of `sopkit render`: check, then write the handbook into a staging folder
and swap it in whole (or compare it with what is there, for `--check`).

When every input is as the handbook there was made from, rendering is only
checking; this module decides that, and imports the machinery that renders
(`assemble`: Jinja, Graphviz, the worker processes) only when there is work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path

from sopkit import __version__, checker
from sopkit.checker import CheckOptions, CheckResult
from sopkit.config import Config
from sopkit.discovery import SourceFile
from sopkit.render import graphviz_run, output
from sopkit.render.chartstyle import ChartStyle
from sopkit.sources import read_source

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


@dataclass
class RenderResult:
    check: CheckResult
    refused: bool = False
    files: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    missing_dot: bool = False
    failed_layouts: list[str] = field(default_factory=list)
    unchanged: bool = False

    @property
    def complete(self) -> bool:
        return not (self.refused or self.missing_dot or self.failed_layouts)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def render(
    paths: Sequence[str], config: Config, options: RenderOptions, progress: Progress = _quiet
) -> RenderResult:
    check_options = CheckOptions(today=options.today, select=options.select, ignore=options.ignore)
    work = checker.plan(paths, config, check_options, keep_models=True)
    previous = output.manifest(options.out)
    if options.check_only:
        # `render --check` checks what is there: a handbook rendered with --html has a
        # site, and --png images, even when this run does not repeat the flags.
        options = replace(
            options,
            html=options.html or output.previous_option(previous, "html") is True,
            png=options.png or output.previous_option(previous, "png") is True,
        )
    # Without a previous handbook nothing can be current: the key can wait for the workers.
    key = inputs_key(work.targets, options) if previous else None
    if key is not None and not options.check_only and output.is_current(options.out, key, previous):
        # Nothing to build: the check alone decides, and models need not be kept.
        work = work._replace(jobs=[job._replace(keep_model=False) for job in work.jobs])
        result = RenderResult(checker.run(work, config, check_options))
        result.refused = bool(result.check.errors)
        result.unchanged = not result.refused
        result.files = [] if result.refused else sorted(output.files_of(previous) or {})
        return result
    from sopkit.render import assemble

    return assemble.render_handbook(work, config, options, progress, check_options, key, previous)


def inputs_key(
    sources: Sequence[SourceFile], options: RenderOptions, digests: Mapping[str, str] = {}
) -> str:
    """A hash of everything a handbook is made from: sources, templates, options, tools.

    `digests`: the sources' digests by path, where the check has read them already.
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
    for source in sources:
        material.update(source.display.encode() + b"\0")
        digest = digests.get(source.display)
        if digest is None:
            data = read_source(source.display)
            raw = data if isinstance(data, bytes) else data.message.encode()
            digest = hashlib.sha256(raw).hexdigest()
        material.update(digest.encode())
    return material.hexdigest()
