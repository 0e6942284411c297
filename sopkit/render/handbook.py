"""The core of `sopkit render`: check, then build every file of the handbook in memory,
then publish it whole (or compare it with what is there, for `--check`).

Flowchart layout is the only slow part, so SVGs are cached by the hash of
their DOT source and the Graphviz version: an unchanged SOP is never laid
out again.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from jinja2 import Environment, TemplateError

from sopkit import __version__
from sopkit.checker import CheckOptions, CheckResult, check
from sopkit.config import Config
from sopkit.discovery import discover
from sopkit.errors import RenderError
from sopkit.model import Sop
from sopkit.render import context, graphviz_run, output
from sopkit.render.flowchart import ChartStyle, to_dot, to_mermaid
from sopkit.render.labels import labels_for
from sopkit.render.templates import environment

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
    key = inputs_key(paths, options)
    current = not options.check_only and output.is_current(options.out, key)
    checked = check(
        paths,
        config,
        CheckOptions(today=options.today, select=options.select, ignore=options.ignore),
        keep_models=not current,  # models are only needed to build something new
    )
    result = RenderResult(checked)
    if checked.errors:
        result.refused = True
        return result
    if current:
        result.unchanged = True
        result.files = sorted(output.read_manifest(options.out) or {})
        return result
    sops = sorted(checked.sops, key=lambda s: s.id)
    output.check_target(options.out, [Path(s.path) for s in sops])
    repo = context.Repository(
        titles={s.id: s.title for s in sops},
        today=options.today,
        language=options.language,
        role_pages=context.role_files(sops),
    )
    files: dict[str, bytes] = {}
    images: dict[str, str] = {}
    cache: dict[str, bytes] = {}
    if options.flowchart == "graphviz":
        images = _flowcharts(sops, options, files, cache, result, progress)
    _pages(sops, repo, options, images, files, progress)
    if options.html:
        from sopkit.render.site import build_site  # markdown and nh3 only when asked for

        files.update(build_site(sops, files, repo, options.templates))
    result.files = sorted(files)
    if options.check_only:
        result.stale = output.stale(options.out, files)
    else:
        output.publish(options.out, files, cache, key)
    return result


def _pages(
    sops: Sequence[Sop],
    repo: context.Repository,
    options: RenderOptions,
    images: dict[str, str],
    files: dict[str, bytes],
    progress: Progress,
) -> None:
    pages = environment(options.templates)
    for number, sop in enumerate(sops, start=1):
        mermaid = to_mermaid(sop, options.chart) if options.flowchart == "mermaid" else None
        page = context.sop_page(sop, repo, images.get(sop.id), mermaid)
        files[f"{sop.id}.md"] = _render(pages, "sop.md.j2", page=page)
        progress("pages", number, len(sops))
    _index_pages(sops, repo, pages, files)


def _index_pages(
    sops: Sequence[Sop], repo: context.Repository, env: Environment, files: dict[str, bytes]
) -> None:
    labels = labels_for(repo.language)
    roles = context.role_pages(sops, repo)
    groups = context.index_groups(sops, repo)
    files["index.md"] = _render(env, "index.md.j2", L=labels, groups=groups, roles=roles)
    rows = context.glossary_rows(sops, repo)
    files["glossary.md"] = _render(env, "glossary.md.j2", L=labels, rows=rows)
    for role in roles:
        files[role.file] = _render(env, "role.md.j2", L=labels, role=role)


def _render(env: Environment, name: str, **values: object) -> bytes:
    """One template to bytes; a broken (user) template is a clear error, not a traceback."""
    try:
        template = env.get_template(name)
        return template.render(**values).encode()
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = getattr(exc, "filename", None) or name
        raise RenderError(
            f"{where}{f':{line}' if line else ''}: {exc.message or exc}; nothing was written"
        ) from None


def _flowcharts(
    sops: Sequence[Sop],
    options: RenderOptions,
    files: dict[str, bytes],
    cache: dict[str, bytes],
    result: RenderResult,
    progress: Progress,
) -> dict[str, str]:
    """Write `.dot` files, lay out what the cache lacks, and return SOP id -> image file."""
    version = graphviz_run.dot_version()
    formats = ("svg", "png") if options.png else ("svg",)
    previous = output.read_cache(options.out)
    sources = {}
    for sop in sops:
        roles = {r.id: r.description for r in sop.roles}
        source = to_dot(sop, options.chart, roles)
        sources[sop.id] = source
        files[f"{sop.id}.dot"] = source.encode()
    if version is None:
        result.missing_dot = True
        return {}
    keys = {sop_id: _cache_key(source, version) for sop_id, source in sources.items()}
    todo = [i for i in sources if any(f"{keys[i]}.{fmt}" not in previous for fmt in formats)]
    laid_out: dict[str, bytes] = {}
    if todo:
        laid_out = _layout(todo, sources, keys, formats, result, progress)
    images = {}
    for sop_id, key in keys.items():
        if sop_id in result.failed_layouts:
            continue
        for fmt in formats:
            name = f"{key}.{fmt}"
            data = laid_out.get(name, previous.get(name))
            if data is None:
                continue
            cache[name] = data
            files[f"{sop_id}.{fmt}"] = data
        images[sop_id] = f"{sop_id}.svg"
    return images


def _layout(
    todo: Sequence[str],
    sources: dict[str, str],
    keys: dict[str, str],
    formats: Sequence[str],
    result: RenderResult,
    progress: Progress,
) -> dict[str, bytes]:
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        progress("flowcharts", done, len(todo))

    laid_out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="sopkit-dot-") as work:
        dot_files = []
        for sop_id in todo:
            dot_file = Path(work) / f"{keys[sop_id]}.dot"
            dot_file.write_text(sources[sop_id], encoding="utf-8")
            dot_files.append(dot_file)
        failures = graphviz_run.layout(dot_files, formats, advance)
        by_key = {key: sop_id for sop_id, key in keys.items()}
        result.failed_layouts = sorted(by_key[f.dot_file.stem] for f in failures)
        for dot_file in dot_files:
            for fmt in formats:
                image = graphviz_run.output_of(dot_file, fmt)
                if image.exists():
                    laid_out[f"{dot_file.stem}.{fmt}"] = image.read_bytes()
    return laid_out


def inputs_key(paths: Sequence[str], options: RenderOptions) -> str:
    """A hash of everything a handbook is made from: sources, templates, options, tools."""
    material = hashlib.sha256()
    for part in (
        __version__,
        repr(options.chart),
        options.flowchart,
        str(options.png),
        options.language,
        options.today.isoformat(),
        graphviz_run.dot_version() or "",
    ):
        material.update(part.encode() + b"\0")  # fmt: skip
    for folder in (options.templates, Path(str(resources.files("sopkit.templates"))),
                   Path(str(resources.files("sopkit").joinpath("data")))):  # fmt: skip
        if folder is not None and folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                material.update(path.name.encode() + b"\0" + path.read_bytes())
    for source in discover(paths):
        material.update(source.display.encode() + b"\0")
        material.update(Path(source.real).read_bytes())
    return material.hexdigest()


def _cache_key(source: str, dot_version: str) -> str:
    material = "\0".join([__version__, dot_version, source])
    return hashlib.sha256(material.encode()).hexdigest()[:32]
