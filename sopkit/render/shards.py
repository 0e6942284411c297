"""A render's work per SOP, done in the processes that built the models.

Models carry the position of everything and cost more to pickle than to
build, so they never cross a process boundary, and neither do pages. Each
worker process is given a share of the files of about the same size
(`shares`), in chunks so that checking starts at once. For its files it
checks each one, sending back the report, a small digest for the
handbook-wide pages and the DOT source of a flowchart to lay out. The parent
queues the flowcharts of all workers (`layouts`) and hands each worker that
has checked its share the next batch for its `dot`. Once the parent has the
verdict of the whole check and the flowcharts, it sends
what pages need to know about the others, and the worker renders its pages
and writes its files into the staging folder. Few files are done in this
process, by the same `Worker`.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import NamedTuple, Protocol

from jinja2 import Environment

from sopkit.checker import FileReport, Job, analyse
from sopkit.errors import RenderError, SopkitError
from sopkit.model import Sop
from sopkit.render import context
from sopkit.render.charts import Flowcharts, Graphviz, write_images
from sopkit.render.chartstyle import ChartStyle
from sopkit.render.flowchart import to_dot, to_mermaid
from sopkit.render.graphviz_run import Images, LayoutFailure, lay_out
from sopkit.render.layouts import Graph, LayoutQueue
from sopkit.render.output import SITE, Comparison, FolderSink, Sink
from sopkit.templating import environment, render_template

PARALLEL_FROM = 48
"""Below this many files, worker processes cost more than they save."""
MAX_WORKERS = 8


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
    graph: Graph | None = None  # a flowchart to lay out


class WriteRequest(NamedTuple):
    """What the pages need to know about all SOPs, and where the files go."""

    repo: context.Repository
    skip: frozenset[int]  # jobs that another job with the same SOP id overrides
    folder: Path  # the staging folder; with `compare`, the handbook to compare with
    compare: bool = False  # `render --check`
    failed: frozenset[str] = frozenset()  # layout keys `dot` could not lay out
    svgs: Mapping[str, bytes] = {}  # by layout key, what the pool laid out: for HTML pages


class Written(NamedTuple):
    digests: dict[str, str]  # every file written, by name
    layouts: dict[str, str]  # image file -> what it was laid out from
    changed: list[str]  # with `compare`: the files that differ


class Worker:
    """Checks files and keeps their models; writes their files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models: dict[int, Sop] = {}
        self.dots: dict[int, str] = {}
        self.layouts: dict[int, str] = {}  # job -> layout key
        self.charts = Flowcharts(settings.graphviz) if settings.graphviz else None

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
        return Analysed(job_index, report._replace(sop=None), context.digest_of(sop), graph)

    def lay_out(self, graphs: Sequence[Graph]) -> _BatchDone:
        """Flowcharts of any worker's SOPs, laid out by this process's `dot`."""
        assert self.settings.graphviz is not None
        graphviz = self.settings.graphviz
        results = lay_out(graphviz.executable, graphviz.formats, [source for _, source in graphs])
        return _BatchDone([key for key, _ in graphs], results)

    def write(self, request: WriteRequest) -> Written:
        sink = Comparison(request.folder) if request.compare else FolderSink(request.folder)
        pages = environment(self.settings.templates)
        site = _Site(self.settings.templates) if self.settings.html else None
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
                           site.page(sop, markdown, request.repo, svg))  # fmt: skip
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


class _Site:
    """A SOP's page of the HTML handbook; markdown and nh3 are loaded only for this."""

    def __init__(self, templates: Path | None) -> None:
        from sopkit.render import site

        self.module = site
        self.env: Environment = site.environment(templates)

    def page(self, sop: Sop, markdown: bytes, repo: context.Repository, svg: bytes | None) -> bytes:
        html = self.module.sop_html(self.env, sop, markdown, repo)
        return self.module.place_figure(html, svg)

    def card(self, sop: Sop, repo: context.Repository) -> bytes:
        return self.module.card_html(self.env, sop, repo)


class Shards(Protocol):
    def analysed(self) -> Iterator[Analysed]:
        """Every job's result, in the order they finish."""
        ...

    def laid_out(self, progress: Callable[[int], None]) -> dict[str, Images | LayoutFailure]:
        """Every new flowchart's images (or why there are none) by layout key, once laid
        out; `progress` counts them."""
        ...

    def request_write(self, request: WriteRequest) -> None: ...

    def written(self) -> list[Written]:
        """What the workers wrote."""
        ...

    def close(self) -> None: ...


class LocalShards:
    """All the work in this process: for a few files."""

    def __init__(self, settings: Settings, jobs: Sequence[Job]) -> None:
        self.worker = Worker(settings)
        self.jobs = jobs
        self._request: WriteRequest | None = None
        self._graphs: dict[str, str] = {}

    def analysed(self) -> Iterator[Analysed]:
        for index, job in enumerate(self.jobs):
            result = self.worker.analyse(index, job)
            if result.graph is not None:
                self._graphs.setdefault(*result.graph)
            yield result

    def laid_out(self, progress: Callable[[int], None]) -> dict[str, Images | LayoutFailure]:
        graphviz = self.worker.settings.graphviz
        if graphviz is None:
            return {}
        keys, sources = list(self._graphs), list(self._graphs.values())
        results = lay_out(graphviz.executable, graphviz.formats, sources, progress)
        return dict(zip(keys, results, strict=True))

    def request_write(self, request: WriteRequest) -> None:
        self._request = request

    def written(self) -> list[Written]:
        assert self._request is not None
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
    """Every job is given out: lay out flowcharts, then write, when asked."""


class _Batch(NamedTuple):
    """Flowcharts to lay out, from any worker."""

    graphs: list[Graph]


class _BatchDone(NamedTuple):
    keys: list[str]
    results: list[Images | LayoutFailure]


class _Failed(NamedTuple):
    error: BaseException | None
    details: str


def _die_with_parent(inherited: Sequence[int]) -> None:
    """A worker must not outlive the render: SIGTERM or SIGKILL to the parent ends it too.

    It closes the other workers' pipe ends that it inherited by forking (while it
    held them, a worker whose parent died never saw its pipe close), and on Linux
    asks the kernel to kill it when the parent dies, however the parent dies.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the command line's unwinding
    for descriptor in inherited:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the request was made
            os._exit(1)


def _serve(connection: Connection, settings: Settings, inherited: Sequence[int] = ()) -> None:
    """A worker process: check the chunks it is given, lay out the flowcharts it is given,
    then write when asked."""
    _die_with_parent(inherited)
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
        while isinstance(message := connection.recv(), _Batch):
            connection.send(worker.lay_out(message.graphs))
        while isinstance(message, WriteRequest):
            connection.send(worker.write(message))
            message = connection.recv()
        connection.close()
        # Done, and everything it wrote is closed: freeing the models one by one would
        # only keep the parent waiting.
        os._exit(0)
    except (EOFError, KeyboardInterrupt):  # the parent stopped; it says why
        return
    except Exception as exc:  # every other failure must reach the parent
        sendable = exc if isinstance(exc, SopkitError) else None
        if isinstance(exc, OSError) and exc.filename:  # a write failed: the disk is full...
            sendable = SopkitError(f"cannot write {exc.filename}: {exc.strerror}")
        with contextlib.suppress(OSError):  # the pipe itself is gone: the parent stopped
            connection.send(_Failed(sendable, traceback.format_exc()))
    finally:
        connection.close()


def shares(jobs: Sequence[Job], workers: int) -> list[list[tuple[int, Job]]]:
    """Each worker's jobs (with their places in the plan), in plan order, so that every
    worker has about as many bytes of SOP to check and write.

    A worker writes the pages of what it checked, so the whole render is balanced only
    if the checking is: handing files to whichever worker is free would give the quicker
    checker more pages, and the last of them would finish alone. Bytes stand for the
    work of a file (its nodes); the largest files are placed first, each with the
    worker that has the least so far.
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
        self.told: set[int] = set()  # workers told there are no more jobs
        self.queue = LayoutQueue(workers, len(jobs)) if settings.graphviz else None
        self.chunks = [0] * workers  # chunks of jobs each worker has to do
        self.batches = [0] * workers  # batches of flowcharts each worker has to do
        self.graphs_of: list[set[str]] = [set() for _ in range(workers)]  # layout keys
        self.graphs_laid_out = 0
        forking = multiprocessing.get_start_method() == "fork"
        for _ in range(workers):
            parent_end, child_end = multiprocessing.Pipe()
            ends = [*self.connections, parent_end]
            inherited = tuple(end.fileno() for end in ends) if forking else ()
            process = multiprocessing.Process(
                target=_serve, args=(child_end, settings, inherited), daemon=True
            )
            process.start()
            child_end.close()
            self.connections.append(parent_end)
            self.processes.append(process)

    def _give(self, worker: int) -> None:
        """The worker's next chunk of jobs, or (once) word that there are none left."""
        share = self.shares[worker]
        if share:
            chunk = share[: self.chunk]
            del share[: self.chunk]
            self.connections[worker].send(_Chunk(chunk))
            self.chunks[worker] += 1
        elif worker not in self.told:
            self.told.add(worker)
            self.connections[worker].send(_NoMoreJobs())

    def _receive(self, connection: object) -> tuple[int, object]:
        """Which worker sent what."""
        assert isinstance(connection, Connection)
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
        return self.connections.index(connection), message

    def _hand_out(self) -> None:
        """A batch of flowcharts to lay out for each worker that waits: it has checked its
        share and laid out what it was given.

        Only to a worker that waits: a batch is large, and sending it to a worker that
        is itself sending a large message, each waiting for the other to read, would
        never end.
        """
        if self.queue is None:
            return
        for worker in sorted(self.told):
            if self.chunks[worker] or self.batches[worker]:
                continue
            batch = self.queue.take()
            if batch is None:
                return
            self.connections[worker].send(_Batch(batch))
            self.batches[worker] += 1

    def _batch_done(self, worker: int, message: _BatchDone) -> None:
        assert self.queue is not None
        self.queue.done(message.keys, message.results)
        self.batches[worker] -= 1
        self.graphs_laid_out += len(message.keys)
        self._hand_out()

    def analysed(self) -> Iterator[Analysed]:
        for worker in range(len(self.connections)):  # two chunks each: one to do, one waiting
            self._give(worker)
            self._give(worker)
        received = 0
        while received < self.total:
            for ready in wait(self.connections):
                worker, message = self._receive(ready)
                if isinstance(message, _BatchDone):
                    self._batch_done(worker, message)
                    continue
                assert isinstance(message, _ChunkDone)
                self.chunks[worker] -= 1
                self._give(worker)
                received += len(message.results)
                if self.queue is not None:
                    for result in message.results:
                        if result.graph is not None:
                            self.queue.add(*result.graph)
                            self.graphs_of[worker].add(result.graph[0])
                    self.queue.expect(self.total - received)
                self._hand_out()
                yield from message.results
        for worker in range(len(self.connections)):
            self._give(worker)
        self._hand_out()

    def laid_out(self, progress: Callable[[int], None]) -> dict[str, Images | LayoutFailure]:
        if self.queue is None:
            return {}
        if self.graphs_laid_out:
            progress(self.graphs_laid_out)
        while not self.queue.finished:
            busy = [c for n, c in enumerate(self.connections) if self.batches[n]]
            for ready in wait(busy):
                worker, message = self._receive(ready)
                assert isinstance(message, _BatchDone)
                self._batch_done(worker, message)
                progress(len(message.keys))
        return self.queue.results

    def request_write(self, request: WriteRequest) -> None:
        for worker, connection in enumerate(self.connections):
            if request.svgs:  # each worker is sent the images of its own SOPs
                own = self.graphs_of[worker] & request.svgs.keys()
                connection.send(request._replace(svgs={key: request.svgs[key] for key in own}))
            else:
                connection.send(request)

    def written(self) -> list[Written]:
        results: dict[int, Written] = {}
        while len(results) < len(self.connections):
            pending = [c for n, c in enumerate(self.connections) if n not in results]
            for ready in wait(pending):
                worker, message = self._receive(ready)
                assert isinstance(message, Written)  # every other message was taken before
                results[worker] = message
        self._finished = True
        return [results[n] for n in sorted(results)]

    def close(self) -> None:
        """Stop the workers and wait for them (again: nothing happens)."""
        for connection in self.connections:
            with contextlib.suppress(OSError):  # that worker has stopped already
                connection.send(None)
            connection.close()
        for process in self.processes:
            if not self._finished:  # its work would be thrown away: stop it now
                process.terminate()
            process.join()
        self.connections, self.processes = [], []


def open_shards(settings: Settings, jobs: Sequence[Job]) -> Shards:
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return LocalShards(settings, jobs)
    return ProcessShards(settings, jobs, workers)
