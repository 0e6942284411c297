"""A render's work per SOP, done in the processes that built the models.

Models carry the position of everything and cost more to pickle than to
build, so they never cross a process boundary, and neither do pages or
images. Each worker process is given a share of the files of about the same
size (`shares`), in chunks so that checking starts at once. For its files it
checks each one (sending back the report and a small digest for the
handbook-wide pages), lays out the flowcharts with its own `dot` one batch at
a time (so that no more processes run than there are cores), and, once the
parent has the verdict of the whole check and sends what pages need to know
about the others, renders the pages and writes every file into the staging
folder. Few files are done in this process, by the same `Worker`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import NamedTuple, Protocol

from jinja2 import Environment

from sopkit.checker import FileReport, Job, analyse
from sopkit.errors import RenderError, SopkitError
from sopkit.model import Sop
from sopkit.render import context
from sopkit.render.charts import Flowcharts, Graphviz
from sopkit.render.flowchart import ChartStyle, to_dot, to_mermaid
from sopkit.render.output import SITE, Comparison, FolderSink, Sink
from sopkit.render.templates import environment, render_template

PARALLEL_FROM = 48
"""Below this many files, worker processes cost more than they save."""


@dataclass(frozen=True)
class Settings:
    """What every worker needs to know, sent once."""

    chart: ChartStyle
    flowchart: str  # graphviz | mermaid
    html: bool
    templates: Path | None
    graphviz: Graphviz | None  # None: no images (Mermaid, or Graphviz is missing)


class Analysed(NamedTuple):
    """One file checked: its report (without the model) and, for a SOP, its digest."""

    job: int  # the job's place in the plan
    report: FileReport
    digest: context.Digest | None = None


class WriteRequest(NamedTuple):
    """What the pages need to know about all SOPs, and where the files go."""

    repo: context.Repository
    skip: frozenset[int]  # jobs that another job with the same SOP id overrides
    folder: Path  # the staging folder; with `compare`, the handbook to compare with
    compare: bool = False  # `render --check`


class Written(NamedTuple):
    digests: dict[str, str]  # every file written, by name
    layouts: dict[str, str]  # image file -> what it was laid out from
    changed: list[str]  # with `compare`: the files that differ
    failed: list[str]  # SOPs whose flowchart `dot` could not lay out


class Worker:
    """Checks files and keeps their models; lays out their flowcharts; writes their files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models: dict[int, Sop] = {}
        self.dots: dict[int, str] = {}
        self.layouts: dict[int, str] = {}
        self.charts = Flowcharts(settings.graphviz) if settings.graphviz else None

    def analyse(self, job_index: int, job: Job) -> Analysed:
        report = analyse(job)
        sop = report.sop
        if sop is None:
            return Analysed(job_index, report)
        self.models[job_index] = sop
        if self.settings.flowchart == "graphviz":
            dot = to_dot(sop, self.settings.chart, {r.id: r.description for r in sop.roles})
            self.dots[job_index] = dot
            if self.charts is not None:
                self.layouts[job_index] = self.charts.add(dot)
        return Analysed(job_index, report._replace(sop=None), context.digest_of(sop))

    def lay_out(self, progress: Callable[[int], None] | None = None) -> None:
        if self.charts is not None:
            self.charts.lay_out(progress)

    def write(self, request: WriteRequest) -> Written:
        sink = Comparison(request.folder) if request.compare else FolderSink(request.folder)
        pages = environment(self.settings.templates)
        site = _Site(self.settings.templates) if self.settings.html else None
        layouts: dict[str, str] = {}
        failed: list[str] = []
        for job_index, sop in sorted(self.models.items()):
            if job_index in request.skip:
                continue
            images = self._images(job_index, sop, sink, layouts, failed)
            mermaid = None
            if self.settings.flowchart == "mermaid":
                mermaid = to_mermaid(sop, self.settings.chart)
            image = f"{sop.id}.svg" if "svg" in images else None
            page = context.sop_page(sop, request.repo, image, mermaid)
            markdown = render_template(pages, "sop.md.j2", page=page)
            sink.write(f"{sop.id}.md", markdown)
            if site is not None:
                sink.write(f"{SITE}/{sop.id}.html",
                           site.page(sop, markdown, request.repo, images.get("svg")))  # fmt: skip
        changed = sorted(sink.changed) if isinstance(sink, Comparison) else []
        return Written(sink.digests, layouts, changed, failed)

    def _images(
        self,
        job_index: int,
        sop: Sop,
        sink: Sink,
        layouts: dict[str, str],
        failed: list[str],
    ) -> dict[str, bytes]:
        """Write the SOP's .dot and images; return the images."""
        dot = self.dots.get(job_index)
        if dot is not None:
            sink.write(f"{sop.id}.dot", dot.encode())
        key = self.layouts.get(job_index)
        if key is None or self.charts is None:
            return {}
        if key in self.charts.failed:
            failed.append(sop.id)
        images = self.charts.images.get(key, {})
        for fmt, data in images.items():
            sink.write(f"{sop.id}.{fmt}", data)
            layouts[f"{sop.id}.{fmt}"] = key
        return images


class _Site:
    """A SOP's page of the HTML handbook; markdown and nh3 are loaded only for this."""

    def __init__(self, templates: Path | None) -> None:
        from sopkit.render import site

        self.module = site
        self.env: Environment = site.environment(templates)

    def page(self, sop: Sop, markdown: bytes, repo: context.Repository, svg: bytes | None) -> bytes:
        html = self.module.sop_html(self.env, sop, markdown, repo)
        return self.module.place_figure(html, svg)


class Shards(Protocol):
    def analysed(self) -> Iterator[Analysed]:
        """Every job's result, in the order they finish."""
        ...

    def request_write(self, request: WriteRequest) -> None: ...

    def written(self, progress: Callable[[int], None]) -> list[Written]:
        """Once the flowcharts are laid out (`progress` counts them), what was written."""
        ...

    def close(self) -> None: ...


class LocalShards:
    """All the work in this process: for a few files."""

    def __init__(self, settings: Settings, jobs: Sequence[Job]) -> None:
        self.worker = Worker(settings)
        self.jobs = jobs
        self._request: WriteRequest | None = None

    def analysed(self) -> Iterator[Analysed]:
        for index, job in enumerate(self.jobs):
            yield self.worker.analyse(index, job)

    def request_write(self, request: WriteRequest) -> None:
        self._request = request

    def written(self, progress: Callable[[int], None]) -> list[Written]:
        assert self._request is not None
        self.worker.lay_out(progress)
        return [self.worker.write(self._request)]

    def close(self) -> None:
        return None


class _Chunk(NamedTuple):
    """Jobs for a worker, by their place in the plan."""

    jobs: list[tuple[int, Job]]


class _ChunkDone(NamedTuple):
    """The results of a chunk's jobs, in one message: one per job woke the parent a
    thousand times."""

    results: list[Analysed]


class _NoMoreJobs(NamedTuple):
    """Every job is given out: lay out the flowcharts."""


class _LaidOut(NamedTuple):
    graphs: int


class _Failed(NamedTuple):
    error: BaseException | None
    details: str


def _serve(connection: Connection, settings: Settings) -> None:
    """A worker process: check the chunks it is given, then lay out its flowcharts, then
    write when asked."""
    worker = Worker(settings)
    try:
        while isinstance(message := connection.recv(), _Chunk):
            results = []
            for index, job in message.jobs:
                results.append(worker.analyse(index, job))
                # The models stay to the end and hold no cycles: without this, the
                # collector scans all of them again and again as they pile up.
                gc.freeze()
            connection.send(_ChunkDone(results))
        if message is None:  # the parent stopped early
            return
        worker.lay_out(lambda count: connection.send(_LaidOut(count)))
        while (request := connection.recv()) is not None:
            connection.send(worker.write(request))
        connection.close()
        # Done, and everything it wrote is closed: freeing the models one by one would
        # only keep the parent waiting.
        os._exit(0)
    except (EOFError, OSError, KeyboardInterrupt):  # the parent stopped; it says why
        return
    except Exception as exc:  # every other failure must reach the parent
        sendable = exc if isinstance(exc, SopkitError) else None
        with contextlib.suppress(OSError):
            connection.send(_Failed(sendable, traceback.format_exc()))
    finally:
        connection.close()


def shares(jobs: Sequence[Job], workers: int) -> list[list[tuple[int, Job]]]:
    """Each worker's jobs (with their places in the plan), in plan order, so that every
    worker has about as many bytes of SOP to check, lay out and write.

    A worker lays out and writes what it checked, so the whole render is balanced only
    if the checking is: handing files to whichever worker is free would give the quicker
    checker more flowcharts and pages, and the last of them would finish alone. Bytes
    stand for the work of a file (its nodes); the largest files are placed first, each
    with the worker that has the least so far.
    """
    loads = [0] * workers
    placed: list[list[tuple[int, Job]]] = [[] for _ in range(workers)]
    sizes = []
    for index, job in enumerate(jobs):
        try:
            sizes.append((os.stat(job.source.real).st_size, index))
        except OSError:  # reading it will say what is wrong
            sizes.append((0, index))
    for size, index in sorted(sizes, key=lambda pair: (-pair[0], pair[1])):
        lightest = loads.index(min(loads))
        loads[lightest] += size + 1
        placed[lightest].append((index, jobs[index]))
    return [sorted(share, key=lambda pair: pair[0]) for share in placed]


class ProcessShards:
    """One worker process per core, each with a share of the jobs of about the same
    size (`shares`); each worker keeps what it built."""

    def __init__(self, settings: Settings, jobs: Sequence[Job], workers: int) -> None:
        self.total = len(jobs)
        self.shares = shares(jobs, workers)
        self.chunk = max(1, min(16, len(jobs) // (workers * 8)))
        self.connections: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        self._finished = False
        for _ in range(workers):
            parent_end, child_end = multiprocessing.Pipe()
            process = multiprocessing.Process(
                target=_serve, args=(child_end, settings), daemon=True
            )
            process.start()
            child_end.close()
            self.connections.append(parent_end)
            self.processes.append(process)

    def _give(self, connection: Connection, told: set[int]) -> None:
        """The worker's next chunk of jobs, or (once) word that there are none left."""
        share = self.shares[self.connections.index(connection)]
        if share:
            chunk = share[: self.chunk]
            del share[: self.chunk]
            connection.send(_Chunk(chunk))
        elif id(connection) not in told:
            told.add(id(connection))
            connection.send(_NoMoreJobs())

    def _receive(self, connection: Connection) -> object:
        try:
            message = connection.recv()
        except EOFError:
            raise RenderError(
                "a render worker process stopped unexpectedly; nothing was written"
            ) from None
        if isinstance(message, _Failed):
            if message.error is not None:
                raise message.error
            raise RuntimeError(f"a render worker failed:\n{message.details}")
        return message

    def analysed(self) -> Iterator[Analysed]:
        told: set[int] = set()  # workers told there are no more jobs
        for connection in self.connections:  # two chunks each: one to do, one waiting
            self._give(connection, told)
            self._give(connection, told)
        received = 0
        while received < self.total:
            for ready in wait(self.connections):
                assert isinstance(ready, Connection)
                message = self._receive(ready)
                assert isinstance(message, _ChunkDone)
                self._give(ready, told)
                received += len(message.results)
                yield from message.results
        for connection in self.connections:
            self._give(connection, told)

    def request_write(self, request: WriteRequest) -> None:
        for connection in self.connections:
            connection.send(request)

    def written(self, progress: Callable[[int], None]) -> list[Written]:
        results: dict[int, Written] = {}
        while len(results) < len(self.connections):
            pending = [c for n, c in enumerate(self.connections) if n not in results]
            for ready in wait(pending):
                assert isinstance(ready, Connection)
                message = self._receive(ready)
                if isinstance(message, _LaidOut):
                    progress(message.graphs)
                else:  # every chunk's results were taken by `analysed`
                    assert isinstance(message, Written)
                    results[self.connections.index(ready)] = message
        self._finished = True
        return [results[n] for n in sorted(results)]

    def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(OSError):  # that worker has stopped already
                connection.send(None)
            connection.close()
        for process in self.processes:
            if not self._finished:  # its work would be thrown away: stop it now
                process.terminate()
            process.join()


def open_shards(settings: Settings, jobs: Sequence[Job]) -> Shards:
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return LocalShards(settings, jobs)
    return ProcessShards(settings, jobs, workers)
