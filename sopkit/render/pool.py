"""A render's worker processes and what they say to each other.

Models carry the position of everything and cost more to pickle than to build,
so they never cross a process boundary, and neither do pages: each `Worker`
(`worker.py`) keeps the models of the files it checked and writes their files.
Each worker process is given a share of the files of about the same size
(`shares`), in chunks so that checking starts at once. The parent queues the
flowcharts of all workers (`layouts.LayoutQueue`) and hands each waiting worker
the next batch for its `dot`. A few files are done in this process instead
(`LocalShards`), by the same `Worker`.

The messages, in the order they pass (parent P, worker W):

    step  direction  message                   when, and why
    1     P -> W     _Chunk(jobs)              two per worker at the start (one to do, one
                                               waiting), then one for each _ChunkDone
    2     W -> P     _ChunkDone(results)       a chunk checked: reports, digests, the DOT
                                               of new flowcharts
    3     P -> W     _NoMoreJobs()             once, when the worker's share is all sent
    4     P -> W     _Batch(graphs)            only to a waiting worker: told there are no
                                               more jobs, no chunk or batch unanswered
    5     W -> P     _BatchDone(keys, results) a batch laid out; the next are handed out
    6     P -> W     WriteRequest(...)         every chart laid out, the check concluded:
                                               what pages need to know of the others
    7     W -> P     Written(...)              its files written (digests, layouts, or for
                                               --check what differs)
    8     P -> W     None                      the end (also when the parent stops early)
    -     W -> P     _Failed(error, details)   instead of an answer: raised in the parent

Why a batch goes only to a waiting worker: a batch of large graphs is more than
a pipe holds. Sent to a worker that is itself sending a large message, each side
would wait for the other to read, and the render would never end.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import NamedTuple, Protocol

from sopkit import parallel
from sopkit.checker import Job
from sopkit.errors import RenderError, SopkitError
from sopkit.render.graphviz_run import Images, LayoutFailure, lay_out
from sopkit.render.layouts import Graph, LayoutQueue
from sopkit.render.worker import Analysed, Settings, Worker, WriteRequest, Written


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
            keys = [key for key, _ in message.graphs]
            connection.send(_BatchDone(keys, worker.lay_out(message.graphs)))
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


@dataclass
class WorkerState:
    """What the parent knows of one worker process."""

    connection: Connection
    process: BaseProcess
    share: list[tuple[int, Job]]  # jobs not yet sent
    chunks: int = 0  # chunks sent and not yet answered
    batches: int = 0  # batches sent and not yet answered
    told: bool = False  # told there are no more jobs
    graphs: set[str] = field(default_factory=set)  # layout keys of its own SOPs' charts
    laid_out: int = 0  # graphs its `dot` laid out, of any worker's SOPs

    @property
    def waiting(self) -> bool:
        """Idle: its share checked, every batch answered. Only then is it sent a batch."""
        return self.told and not self.chunks and not self.batches


class ProcessShards:
    """One worker process per core, each with a share of the jobs of about the same
    size (`shares`); each worker keeps what it built."""

    def __init__(self, settings: Settings, jobs: Sequence[Job], workers: int) -> None:
        self.total = len(jobs)
        self.chunk = max(1, min(16, len(jobs) // (workers * 8)))
        self._finished = False
        self.queue = LayoutQueue(workers, len(jobs)) if settings.graphviz else None
        self.graphs_laid_out = 0
        self.workers: list[WorkerState] = []
        forking = multiprocessing.get_start_method() == "fork"
        for share in shares(jobs, workers):
            parent_end, child_end = multiprocessing.Pipe()
            ends = [*(w.connection for w in self.workers), parent_end]
            inherited = tuple(end.fileno() for end in ends) if forking else ()
            process = multiprocessing.Process(
                target=_serve, args=(child_end, settings, inherited), daemon=True
            )
            process.start()
            child_end.close()
            self.workers.append(WorkerState(parent_end, process, share))

    def _give(self, worker: WorkerState) -> None:
        """The worker's next chunk of jobs, or (once) word that there are none left."""
        if worker.share:
            chunk = worker.share[: self.chunk]
            del worker.share[: self.chunk]
            worker.connection.send(_Chunk(chunk))
            worker.chunks += 1
        elif not worker.told:
            worker.told = True
            worker.connection.send(_NoMoreJobs())

    def _receive(self, connection: object) -> tuple[WorkerState, object]:
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
        return next(w for w in self.workers if w.connection is connection), message

    def _hand_out(self) -> None:
        """A batch of flowcharts for each waiting worker (see the module's table)."""
        if self.queue is None:
            return
        for worker in self.workers:
            if not worker.waiting:
                continue
            batch = self.queue.take()
            if batch is None:
                return
            worker.connection.send(_Batch(batch))
            worker.batches += 1

    def _batch_done(self, worker: WorkerState, message: _BatchDone) -> None:
        assert self.queue is not None
        self.queue.done(message.keys, message.results)
        worker.batches -= 1
        worker.laid_out += len(message.keys)
        self.graphs_laid_out += len(message.keys)
        self._hand_out()

    def analysed(self) -> Iterator[Analysed]:
        for worker in self.workers:  # two chunks each: one to do, one waiting
            self._give(worker)
            self._give(worker)
        received = 0
        while received < self.total:
            for ready in wait([w.connection for w in self.workers]):
                worker, message = self._receive(ready)
                if isinstance(message, _BatchDone):
                    self._batch_done(worker, message)
                    continue
                assert isinstance(message, _ChunkDone)
                worker.chunks -= 1
                self._give(worker)
                received += len(message.results)
                if self.queue is not None:
                    for result in message.results:
                        if result.graph is not None:
                            self.queue.add(*result.graph)
                            worker.graphs.add(result.graph[0])
                    self.queue.expect(self.total - received)
                self._hand_out()
                yield from message.results
        for worker in self.workers:
            self._give(worker)
        self._hand_out()

    def laid_out(self, progress: Callable[[int], None]) -> dict[str, Images | LayoutFailure]:
        if self.queue is None:
            return {}
        if self.graphs_laid_out:
            progress(self.graphs_laid_out)
        while not self.queue.finished:
            busy = [w.connection for w in self.workers if w.batches]
            for ready in wait(busy):
                worker, message = self._receive(ready)
                assert isinstance(message, _BatchDone)
                self._batch_done(worker, message)
                progress(len(message.keys))
        return self.queue.results

    def request_write(self, request: WriteRequest) -> None:
        for worker in self.workers:
            if request.svgs:  # each worker is sent the images of its own SOPs
                own = worker.graphs & request.svgs.keys()
                worker.connection.send(
                    request._replace(svgs={key: request.svgs[key] for key in own})
                )
            else:
                worker.connection.send(request)

    def written(self) -> list[Written]:
        results: dict[int, Written] = {}
        while len(results) < len(self.workers):
            pending = [w.connection for n, w in enumerate(self.workers) if n not in results]
            for ready in wait(pending):
                worker, message = self._receive(ready)
                assert isinstance(message, Written)  # every other message was taken before
                results[self.workers.index(worker)] = message
        self._finished = True
        return [results[n] for n in sorted(results)]

    def close(self) -> None:
        """Stop the workers and wait for them (again: nothing happens)."""
        for worker in self.workers:
            with contextlib.suppress(OSError):  # that worker has stopped already
                worker.connection.send(None)
            worker.connection.close()
        for worker in self.workers:
            if not self._finished:  # its work would be thrown away: stop it now
                worker.process.terminate()
            worker.process.join()
        self.workers = []


def open_shards(settings: Settings, jobs: Sequence[Job]) -> Shards:
    workers = parallel.worker_count(len(jobs))
    if workers == 1:
        return LocalShards(settings, jobs)
    return ProcessShards(settings, jobs, workers)
