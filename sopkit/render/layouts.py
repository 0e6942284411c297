"""The flowcharts of a render that wait for `dot`, handed out in batches.

Every worker used to lay out the graphs of its own share. `dot` takes longer
on some graphs than their size says, so one worker's `dot` often ran on alone
for a second at the end while a core stood idle. Now graphs from all workers
wait here, and each worker that has checked its files takes the next batch.
Batches shrink as the end nears (guided self-scheduling: a batch is a share of
what is left), so the workers finish within a small batch of each other.
Running `dot` beside the checking instead, more processes than cores, costs
more: `dot` and Python then share each core's caches, and both slow down.
"""

from __future__ import annotations

import math

from sopkit.render.graphviz_run import BATCH, Images, LayoutFailure

SMALLEST_BATCH = 8
"""About 10 ms of start-up per `dot` against a few milliseconds per graph."""

Graph = tuple[str, str]  # layout key, DOT source


class LayoutQueue:
    """Graphs in (`add`, once per layout key), batches out (`take`), results in (`done`).

    `expected` is how many more graphs may come; `expect` lowers it as files are
    checked. A batch is a share of what is left for `takers` at once, at least
    `SMALLEST_BATCH` and at most `BATCH` graphs; while more graphs may come, a
    batch waits until it is full.
    """

    def __init__(self, takers: int, expected: int) -> None:
        self.takers = max(1, takers)
        self.results: dict[str, Images | LayoutFailure] = {}
        self._expected = expected
        self._waiting: list[Graph] = []
        self._taken: set[str] = set()
        self._out = 0  # graphs handed out whose results are not in

    def add(self, key: str, source: str) -> None:
        if key not in self._taken:
            self._taken.add(key)
            self._waiting.append((key, source))

    def expect(self, count: int) -> None:
        """At most `count` more graphs will be added."""
        self._expected = count

    def take(self) -> list[Graph] | None:
        """The next batch, or None while no batch is worth starting."""
        if not self._waiting:
            return None
        left = len(self._waiting) + self._expected
        size = max(SMALLEST_BATCH, min(BATCH, math.ceil(left / (2 * self.takers))))
        if len(self._waiting) < size and self._expected > 0:
            return None
        batch, self._waiting = self._waiting[:size], self._waiting[size:]
        self._out += len(batch)
        return batch

    def done(self, keys: list[str], results: list[Images | LayoutFailure]) -> None:
        self.results.update(zip(keys, results, strict=True))
        self._out -= len(keys)

    @property
    def finished(self) -> bool:
        """Every graph that was or will be added has its result."""
        return not (self._waiting or self._expected or self._out)
