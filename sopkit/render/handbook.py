"""The core of `sopkit render`: check, then write the handbook into a staging folder
and swap it in whole (or compare it with what is there, for `--check`).

Work per SOP (checking, its flowchart, its page and files) runs where its
model was built (`shards`), and an image whose graph is unchanged is taken
from the previous handbook (`charts`). Here the parts meet: the check's
verdict, the pages about all SOPs and the manifest, in an order that never
depends on which process finished first.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment

from sopkit import __version__, checker
from sopkit.checker import CheckOptions, CheckResult, FileReport
from sopkit.config import Config
from sopkit.discovery import SourceFile
from sopkit.render import context, graphviz_run, output, shards
from sopkit.render.charts import Graphviz, previous_layouts
from sopkit.render.flowchart import ChartStyle
from sopkit.render.graphviz_run import Images, LayoutFailure
from sopkit.render.templates import environment, render_template

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
    with _collector_paused():
        return _render(work, config, options, progress, check_options, key, previous)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A render keeps tens of thousands of objects to the end and makes few cycles; the
    cyclic collector would scan the growing pile again and again (a tenth of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _render(
    work: checker.Plan,
    config: Config,
    options: RenderOptions,
    progress: Progress,
    check_options: CheckOptions,
    key: str | None,
    previous: dict[str, object],
) -> RenderResult:
    graphviz = _graphviz(options, {} if options.check_only else previous)
    settings = shards.Settings(
        options.chart, options.flowchart, options.html, options.templates, graphviz
    )
    with closing(shards.open_shards(settings, work.jobs)) as pool:
        reports: list[FileReport | None] = [None] * len(work.jobs)
        built: list[tuple[str, int, context.Digest]] = []
        graphs: dict[int, str] = {}  # job -> layout key, of the flowcharts to lay out
        for done, item in enumerate(pool.analysed(), start=1):
            reports[item.job] = item.report
            if item.digest is not None:
                built.append((item.digest.id, item.job, item.digest))
            if item.graph is not None:
                graphs[item.job] = item.graph[0]
            progress("checked", done, len(reports))
        complete = [report for report in reports if report is not None]
        assert len(complete) == len(reports), "every job reports once"
        result = RenderResult(checker.conclude(work, complete, config, check_options))
        result.missing_dot = options.flowchart == "graphviz" and graphviz is None
        if result.check.errors:
            result.refused = True
            return result
        output.check_target(options.out, [Path(t.real) for t in work.targets])
        _publish(pool, graphs, sorted(built), options, result, progress,
                 key or inputs_key(work.targets, options))  # fmt: skip
    return result


def _write_images(
    results: dict[str, Images | LayoutFailure],
    graphs: dict[int, str],
    built: Sequence[tuple[str, int, context.Digest]],
    skip: frozenset[int],
    sink: output.Sink,
) -> tuple[dict[str, str], list[str]]:
    """Write the images the workers laid out: which layout each image file is (for the
    manifest), and the SOPs whose flowchart `dot` could not lay out."""
    layouts: dict[str, str] = {}
    failed: list[str] = []
    for sop_id, job, _ in built:
        key = graphs.get(job)
        if key is None or job in skip:
            continue
        images = results[key]
        if isinstance(images, LayoutFailure):
            failed.append(sop_id)
            continue
        for fmt, data in images.items():
            sink.write(f"{sop_id}.{fmt}", data)
            layouts[f"{sop_id}.{fmt}"] = key
    return layouts, failed


def _graphviz(options: RenderOptions, previous: dict[str, object]) -> Graphviz | None:
    """The `dot` to lay out with, if flowcharts are Graphviz's and it is installed, and the
    images of the previous handbook (whose manifest is `previous`) it need not redo."""
    executable, version = graphviz_run.dot_executable(), graphviz_run.dot_version()
    if options.flowchart != "graphviz" or executable is None or version is None:
        return None
    formats = ("svg", "png") if options.png else ("svg",)
    return Graphviz(executable, version, formats, previous_layouts(previous, options.out))


def _publish(
    pool: shards.Shards,
    graphs: dict[int, str],
    built: list[tuple[str, int, context.Digest]],
    options: RenderOptions,
    result: RenderResult,
    progress: Progress,
    key: str,
) -> None:
    """Once the flowcharts are laid out, have the workers write their SOPs' files while
    this process writes the images and the pages about all SOPs; then swap the handbook
    in (or, for --check, compare it with the one there)."""
    # By id, then by place in the plan: a later file wins a duplicated id (only possible
    # with the duplicate-sop-id rule off), whichever worker finished first.
    winners = {sop_id: job for sop_id, job, _ in built}
    skip = frozenset(job for sop_id, job, _ in built if winners[sop_id] != job)
    digests = [digest for _, job, digest in built if job not in skip]
    repo = context.Repository(
        titles={d.id: d.title for d in digests},
        today=options.today,
        language=options.language,
        role_pages=context.role_files(digests),
    )
    staging = None if options.check_only else output.Staging(options.out)
    try:
        folder = options.out if staging is None else staging.folder
        sink: output.Sink = (
            output.Comparison(folder) if staging is None else output.FolderSink(folder)
        )
        total, done = len(set(graphs.values())), 0

        def laid_out(count: int) -> None:
            nonlocal done
            done += count
            progress("flowcharts", done, total)

        results = pool.laid_out(laid_out)
        images = {k: r for k, r in results.items() if not isinstance(r, LayoutFailure)}
        failed = frozenset(results.keys() - images.keys())
        svgs = {k: r["svg"] for k, r in images.items()} if options.html else {}
        pool.request_write(shards.WriteRequest(repo, skip, folder, staging is None, failed, svgs))
        layouts, result.failed_layouts = _write_images(results, graphs, built, skip, sink)
        pages = _index_pages(digests, repo, environment(options.templates))
        if options.html:
            from sopkit.render.site import handbook_html  # markdown and nh3 only when asked

            site = handbook_html(digests, pages.files, pages.roles, repo, options.templates)
            pages.files.update({f"{output.SITE}/{name}": data for name, data in site.items()})
        for name, data in pages.files.items():
            sink.write(name, data)
        written = pool.written()
        everything = dict(sink.digests)
        for part in written:
            everything.update(part.digests)
            layouts.update(part.layouts)
        result.failed_layouts.sort()
        result.files = sorted(everything)
        if staging is None:
            assert isinstance(sink, output.Comparison)
            changed = sink.changed.union(*(part.changed for part in written))
            result.stale = output.stale(options.out, everything, changed)
        else:
            staging.publish(key, everything, layouts)
    finally:
        if staging is not None:
            staging.close()


class _Pages(NamedTuple):
    files: dict[str, bytes]
    roles: list[context.RolePage]


def _index_pages(
    sops: Sequence[context.Digest], repo: context.Repository, env: Environment
) -> _Pages:
    """The pages about all SOPs: the index, the glossary and a page per role."""
    files: dict[str, bytes] = {}
    labels = context.markdown_labels(repo.language)
    roles = context.role_pages(sops, repo)
    groups = context.index_groups(sops, repo)
    files["index.md"] = render_template(env, "index.md.j2", L=labels, groups=groups, roles=roles)
    rows = context.glossary_rows(sops, repo)
    files["glossary.md"] = render_template(env, "glossary.md.j2", L=labels, rows=rows)
    for role in roles:
        files[role.file] = render_template(env, "role.md.j2", L=labels, role=role)
    return _Pages(files, roles)


def inputs_key(sources: Sequence[SourceFile], options: RenderOptions) -> str:
    """A hash of everything a handbook is made from: sources, templates, options, tools."""
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
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                material.update(path.name.encode() + b"\0" + path.read_bytes())
    for source in sources:
        material.update(source.display.encode() + b"\0")
        material.update(Path(source.real).read_bytes())
    return material.hexdigest()
