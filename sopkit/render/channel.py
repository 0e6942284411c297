"""The worker side of the render pool: the messages that pass between the processes and
the loop a worker process runs (`serve`). The order they pass in is tabled in `pool`.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import NamedTuple

from sopkit.checker import Job
from sopkit.errors import SopkitError
from sopkit.render.graphviz_run import Images, LayoutFailure
from sopkit.render.layouts import Graph
from sopkit.render.worker import Analysed, Settings, Worker, WriteRequest


class Chunk(NamedTuple):
    """Jobs for a worker, by their place in the plan."""

    jobs: list[tuple[int, Job]]


class ChunkDone(NamedTuple):
    """The results of a chunk's jobs, in one message: one per job woke the parent a
    thousand times."""

    results: list[Analysed]


class NoMoreJobs(NamedTuple):
    """Every job is given out: lay out flowcharts, then write, when asked."""


class Batch(NamedTuple):
    """Flowcharts to lay out, from any worker."""

    graphs: list[Graph]


class BatchDone(NamedTuple):
    keys: list[str]
    results: list[Images | LayoutFailure]


class Failed(NamedTuple):
    error: BaseException | None
    details: str


def die_with_parent(inherited: Sequence[int]) -> None:
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


def serve(connection: Connection, settings: Settings, inherited: Sequence[int] = ()) -> None:
    """A worker process: check the chunks it is given, lay out the flowcharts it is given,
    then write when asked."""
    die_with_parent(inherited)
    worker = Worker(settings)
    try:
        while isinstance(message := connection.recv(), Chunk):
            results = []
            for index, job in message.jobs:
                results.append(worker.analyse(index, job))
                # The models stay to the end and hold no cycles: without this, the
                # collector scans all of them again and again as they pile up.
                gc.freeze()
            connection.send(ChunkDone(results))
        if message is None:  # the parent stopped early
            return
        while isinstance(message := connection.recv(), Batch):
            keys = [key for key, _ in message.graphs]
            connection.send(BatchDone(keys, worker.lay_out(message.graphs)))
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
            connection.send(Failed(sendable, traceback.format_exc()))
    finally:
        connection.close()
