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
    1     P -> W     Chunk(jobs)               two per worker at the start (one to do, one
                                               waiting), then one for each ChunkDone
    2     W -> P     ChunkDone(results)        a chunk checked: reports, digests, the DOT
                                               of new flowcharts
    3     P -> W     NoMoreJobs()              once, when the worker's share is all sent
    4     P -> W     Batch(graphs)             only to a waiting worker: told there are no
                                               more jobs, no chunk or batch unanswered
    5     W -> P     BatchDone(keys, results)  a batch laid out; the next are handed out
    6     P -> W     WriteRequest(...)         every chart laid out, the check concluded:
                                               what pages need to know of the others
    7     W -> P     Written(...)              its files written (digests, layouts, or for
                                               --check what differs)
    8     P -> W     None                      the end (also when the parent stops early)
    -     W -> P     Failed(error, details)    instead of an answer: raised in the parent

The worker's side (the messages, and the loop a worker process runs) is `channel`.

Why a batch goes only to a waiting worker: a batch of large graphs is more than
a pipe holds. Sent to a worker that is itself sending a large message, each side
would wait for the other to read, and the render would never end.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Protocol

from sopkit import parallel
from sopkit.checker import Job
from sopkit.errors import RenderError
from sopkit.render.channel import Batch, BatchDone, Chunk, ChunkDone, Failed, NoMoreJobs, serve
from sopkit.render.graphviz_run import Images, LayoutFailure, lay_out
from sopkit.render.layouts import LayoutQueue
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
                target=serve, args=(child_end, settings, inherited), daemon=True
            )
            process.start()
            child_end.close()
            self.workers.append(WorkerState(parent_end, process, share))

    def _give(self, worker: WorkerState) -> None:
        """The worker's next chunk of jobs, or (once) word that there are none left."""
        if worker.share:
            chunk = worker.share[: self.chunk]
            del worker.share[: self.chunk]
            worker.connection.send(Chunk(chunk))
            worker.chunks += 1
        elif not worker.told:
            worker.told = True
            worker.connection.send(NoMoreJobs())

    def _receive(self, connection: object) -> tuple[WorkerState, object]:
        """Which worker sent what."""
        assert isinstance(connection, Connection)
        try:
            message = connection.recv()
        except EOFError:
            raise RenderError(
                "a render worker process stopped unexpectedly; nothing was written"
            ) from None
        if isinstance(message, Failed):
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
            worker.connection.send(Batch(batch))
            worker.batches += 1

    def _batch_done(self, worker: WorkerState, message: BatchDone) -> None:
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
                if isinstance(message, BatchDone):
                    self._batch_done(worker, message)
                    continue
                assert isinstance(message, ChunkDone)
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
                assert isinstance(message, BatchDone)
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
