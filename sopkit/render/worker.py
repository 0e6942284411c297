"""What a render does to one SOP, wherever its model was built: check it, write its
flowchart's DOT, its page (and its HTML page and quick card) and its images.

No process boundary here: `pool` runs `Worker`s in worker processes, or one in
this process for a few files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from jinja2 import Environment

from sopkit.checker import FileReport, Job, analyse
from sopkit.model import Sop
from sopkit.render import context
from sopkit.render.charts import Flowcharts, Graphviz, write_images
from sopkit.render.chartstyle import ChartStyle
from sopkit.render.flowchart import to_dot, to_mermaid
from sopkit.render.graphviz_run import Images, LayoutFailure, lay_out
from sopkit.render.layouts import Graph
from sopkit.render.output import SITE, Comparison, FolderSink, Sink
from sopkit.templating import environment, render_template


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know, sent once."""

    chart: ChartStyle
    flowchart: str  # graphviz | mermaid
    html: bool
    templates: Path | None
    graphviz: Graphviz | None  # None: no images (Mermaid, or Graphviz is missing)
    content_hashes: bool = False  # a team file is read: the pages count who read what


class Analysed(NamedTuple):
    """One file checked: its report (without the model) and, for a SOP, its digest."""

    job: int  # the job's place in the plan
    report: FileReport
    digest: context.Digest | None = None
    graph: Graph | None = None  # a flowchart to lay out


class WriteRequest(NamedTuple):
    """What the pages need to know about all SOPs, and where the files go."""

    repo: context.Handbook
    skip: frozenset[int]  # jobs that another job with the same SOP id overrides
    folder: Path  # the staging folder; with `compare`, the handbook to compare with
    compare: bool = False  # `render --check`
    failed: frozenset[str] = frozenset()  # layout keys `dot` could not lay out
    svgs: Mapping[str, bytes] = {}  # by layout key, what the pool laid out: for HTML pages


class Written(NamedTuple):
    digests: dict[str, str]  # every file written, by name
    layouts: dict[str, str]  # image file -> what it was laid out from
    changed: list[str]  # with `compare`: the files that differ


def sop_files(sop_id: str) -> tuple[str, ...]:
    """Every file a render may write for one SOP (`Worker.write`, `charts.write_images`)."""
    return (f"{sop_id}.md", f"{sop_id}.dot", f"{sop_id}.svg", f"{sop_id}.png",
            f"{SITE}/{sop_id}.html", f"{SITE}/{sop_id}.card.html")  # fmt: skip


class Worker:
    """Checks files and keeps their models; writes their files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models: dict[int, Sop] = {}
        self.dots: dict[int, str] = {}
        self.layouts: dict[int, str] = {}  # job -> layout key
        self.charts = Flowcharts(settings.graphviz) if settings.graphviz else None
        self._templates: tuple[Environment, SitePages | None] | None = None

    def start_over(self, graphviz: Graphviz | None) -> None:
        """Forget the files analysed, keep the compiled templates: for the next edit under
        `sopkit serve`, with the images of the handbook as it is now."""
        self.settings = replace(self.settings, graphviz=graphviz)
        self.models.clear()
        self.dots.clear()
        self.layouts.clear()
        self.charts = Flowcharts(graphviz) if graphviz else None

    def templates(self) -> tuple[Environment, SitePages | None]:
        """The page templates, compiled once for all the pages this worker writes."""
        if self._templates is None:
            templates = self.settings.templates
            site = SitePages(templates) if self.settings.html else None
            self._templates = environment(templates), site
        return self._templates

    def analyse(self, job_index: int, job: Job) -> Analysed:
        report = analyse(job)
        sop = report.sop
        if sop is None:
            return Analysed(job_index, report)
        self.models[job_index] = sop
        graph = None
        if self.settings.flowchart == "graphviz":
            dot = to_dot(sop, self.settings.chart, {r.id: r.description for r in sop.roles})
            self.dots[job_index] = dot
            if self.charts is not None:
                key, new = self.charts.add(dot)
                self.layouts[job_index] = key
                graph = (key, dot) if new else None
        return Analysed(
            job_index,
            report._replace(sop=None),
            context.digest_of(sop, self.settings.content_hashes),
            graph,
        )

    def lay_out(self, graphs: Sequence[Graph]) -> list[Images | LayoutFailure]:
        """Flowcharts of any worker's SOPs, laid out by this process's `dot`."""
        assert self.settings.graphviz is not None
        graphviz = self.settings.graphviz
        return lay_out(graphviz.executable, graphviz.formats, [source for _, source in graphs])

    def write(self, request: WriteRequest) -> Written:
        sink = Comparison(request.folder) if request.compare else FolderSink(request.folder)
        pages, site = self.templates()
        layouts: dict[str, str] = {}
        for job_index, sop in sorted(self.models.items()):
            if job_index in request.skip:
                continue
            drawn, svg = self._flowchart(job_index, sop, sink, layouts, request)
            mermaid = None
            if self.settings.flowchart == "mermaid":
                mermaid = to_mermaid(sop, self.settings.chart)
            image = f"{sop.id}.svg" if drawn else None
            page = context.sop_page(sop, request.repo, image, mermaid)
            markdown = render_template(pages, "sop.md.j2", page=page)
            sink.write(f"{sop.id}.md", markdown)
            if site is not None:
                sink.write(f"{SITE}/{sop.id}.html",
                           site.page(page, markdown, request.repo, svg))  # fmt: skip
                sink.write(f"{SITE}/{sop.id}.card.html", site.card(sop, request.repo))
        changed = sorted(sink.changed) if isinstance(sink, Comparison) else []
        return Written(sink.digests, layouts, changed)

    def _flowchart(
        self,
        job_index: int,
        sop: Sop,
        sink: Sink,
        layouts: dict[str, str],
        request: WriteRequest,
    ) -> tuple[bool, bytes | None]:
        """Write the SOP's .dot, and its images if they are the previous handbook's (the
        parent writes those the pool laid out); whether the page shows an SVG flowchart,
        and the SVG itself where this process has it."""
        dot = self.dots.get(job_index)
        if dot is not None:
            sink.write(f"{sop.id}.dot", dot.encode())
        key = self.layouts.get(job_index)
        if key is None or self.charts is None or "svg" not in self.charts.graphviz.formats:
            return False, None
        kept = self.charts.images.get(key)
        if kept is None:
            return key not in request.failed, request.svgs.get(key)
        write_images(sink, sop.id, key, kept, layouts)
        return True, kept["svg"]


class SitePages:
    """A SOP's page of the HTML handbook; markdown and nh3 are loaded only for this."""

    def __init__(self, templates: Path | None) -> None:
        from sopkit.render import site

        self.module = site
        self.env: Environment = site.environment(templates)
        self.from_markdown = site.own_sop_template(templates)

    def page(self, page: context.SopPage, markdown: bytes, repo: context.Handbook,
             svg: bytes | None) -> bytes:  # fmt: skip
        source = markdown if self.from_markdown else None
        html = self.module.sop_html(self.env, page, source, repo)
        return self.module.place_figure(html, svg)

    def card(self, sop: Sop, repo: context.Handbook) -> bytes:
        return self.module.card_html(self.env, sop, repo)
