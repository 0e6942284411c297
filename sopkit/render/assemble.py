"""Assembling a handbook: the parts of a render meet here.

Work per SOP (checking, its flowchart's DOT, its page and files) runs where
its model was built (`shards`); the flowcharts wait in one queue that hands
batches to the workers' `dot` (`layouts`); an image whose graph is unchanged
is taken from the previous handbook (`charts`). This process takes the
check's verdict, writes the images, the pages about all SOPs and the
manifest, in an order that never depends on which process finished first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment

from sopkit import checker
from sopkit.checker import CheckOptions, FileReport
from sopkit.config import Config
from sopkit.render import context, graphviz_run, output, overviews, pool
from sopkit.render.charts import Graphviz, previous_layouts, write_images
from sopkit.render.graphviz_run import Images, LayoutFailure
from sopkit.render.living import Living, living
from sopkit.render.options import Progress, Rendered, RenderOptions, RenderResult, inputs_key
from sopkit.render.worker import Settings, WriteRequest
from sopkit.templating import environment, render_template


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


@_collector_paused()
def render_handbook(
    work: checker.Plan,
    config: Config,
    options: RenderOptions,
    progress: Progress,
    check_options: CheckOptions,
    key: str | None,
    previous: dict[str, object],
) -> RenderResult:
    """Check in worker processes, lay out the flowcharts, write the handbook, publish it
    (`key`: the inputs' key when already known; `previous`: the manifest there)."""
    graphviz = _graphviz(options, {} if options.check_only else previous)
    settings = Settings(options.chart, options.flowchart, options.html, options.templates, graphviz,
                        content_hashes=options.team is not None)  # fmt: skip
    with closing(pool.open_shards(settings, work.jobs)) as shards:
        reports: list[FileReport | None] = [None] * len(work.jobs)
        built: list[tuple[str, int, context.Digest]] = []
        graphs: dict[int, str] = {}  # job -> layout key, of the flowcharts to lay out
        for done, item in enumerate(shards.analysed(), start=1):
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
        read = {report.path: report.digest for report in complete}  # no file read again
        files, layouts = _publish(shards, graphs, sorted(built), options, result, progress,
                                  key or inputs_key(work.targets, options, read))  # fmt: skip
    if options.keep and not options.check_only:
        shown = {job: digest for _, job, digest in built}
        result.kept = Rendered(work, complete, shown, settings, check_options, options, files,
                               layouts)  # fmt: skip
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
        else:
            write_images(sink, sop_id, key, images, layouts)
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
    shards: pool.Shards,
    graphs: dict[int, str],
    built: list[tuple[str, int, context.Digest]],
    options: RenderOptions,
    result: RenderResult,
    progress: Progress,
    key: str,
) -> tuple[dict[str, str], dict[str, str]]:
    """Once the flowcharts are laid out, have the workers write their SOPs' files while
    this process writes the images and the pages about all SOPs; then swap the handbook
    in (or, for --check, compare it with the one there). Every file's digest by name, and
    each image's layout key."""
    # By id, then by place in the plan: a later file wins a duplicated id (only possible
    # with the duplicate-sop-id rule off), whichever worker finished first.
    winners = {sop_id: job for sop_id, job, _ in built}
    skip = frozenset(job for sop_id, job, _ in built if winners[sop_id] != job)
    digests = [digest for _, job, digest in built if job not in skip]
    repo = overviews.handbook_of(digests, options.today, options.language,
                                 living_of(digests, options))  # fmt: skip
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

        results = shards.laid_out(laid_out)
        images = {k: r for k, r in results.items() if not isinstance(r, LayoutFailure)}
        failed = frozenset(results.keys() - images.keys())
        svgs = {k: r["svg"] for k, r in images.items()} if options.html else {}
        shards.request_write(WriteRequest(repo, skip, folder, staging is None, failed, svgs))
        layouts, result.failed_layouts = _write_images(results, graphs, built, skip, sink)
        pages = index_pages(digests, repo, environment(options.templates))
        if options.html:
            from sopkit.render.site import handbook_html  # markdown and nh3 only when asked

            site = handbook_html(digests, pages.files, pages.roles, repo, options.templates)
            pages.files.update({f"{output.SITE}/{name}": data for name, data in site.items()})
        for name, data in pages.files.items():
            sink.write(name, data)
        written = shards.written()
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
            staging.move_in(sorted(everything))
            staging.vouch(key, everything, layouts, manifest_options(result.complete, options))
    finally:
        # The workers first: none may still be writing when the staging folder goes.
        shards.close()
        if staging is not None:
            staging.close()
    return everything, layouts


def manifest_options(complete: bool, options: RenderOptions) -> dict[str, object]:
    """What the manifest records of how the handbook was rendered."""
    return {"complete": complete, "html": options.html, "png": options.png,
            "flowchart": options.flowchart}  # fmt: skip


def living_of(digests: Sequence[context.Digest], options: RenderOptions) -> Living:
    """Translations and acknowledgements, from the team file and the acknowledgements file
    when there are any."""
    team, acks = None, []
    if options.team is not None:
        from sopkit.acks import read_acks
        from sopkit.team import load_team

        team = load_team(options.team)
        if options.acknowledgements is not None:
            acks = read_acks(options.acknowledgements)

    def source_hash(digest: context.Digest) -> str | None:
        if digest.content is not None:
            return digest.content
        from sopkit.reading import read_sop
        from sopkit.translation import translation_hash

        sop = read_sop(digest.path, digest.path).sop  # a source of a translation: a few
        return translation_hash(sop) if sop is not None else None

    return living(digests, options.language, team, acks, source_hash)


class _Pages(NamedTuple):
    files: dict[str, bytes]
    roles: list[overviews.RolePage]


def index_pages(sops: Sequence[context.Digest], repo: context.Handbook, env: Environment) -> _Pages:
    """The pages about all SOPs: the index, the glossary and a page per role."""
    roles = overviews.role_pages(sops, repo)
    return _Pages(dict(markdown_overviews(sops, repo, env, roles)), roles)


def markdown_overviews(
    sops: Sequence[context.Digest],
    repo: context.Handbook,
    env: Environment,
    roles: Sequence[overviews.RolePage],
) -> Iterator[tuple[str, bytes]]:
    """The Markdown pages about all SOPs, one at a time: index, glossary, each role's."""
    labels = context.markdown_labels(repo.language)
    groups = overviews.index_groups(sops, repo)
    yield "index.md", render_template(env, "index.md.j2", L=labels, groups=groups, roles=roles)
    entries = overviews.glossary_entries(sops, repo)
    yield "glossary.md", render_template(env, "glossary.md.j2", L=labels, entries=entries)
    for role in roles:
        yield role.file, render_template(env, "role.md.j2", L=labels, role=role)
