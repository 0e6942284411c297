"""Does a case follow the SOP, and where does it leave it? (docs/conform.md)

A case fits when its events, mapped to nodes and ordered by time, are the nodes
of a path of the SOP from its start to an end, in that order, where silent nodes
may be absent and every other node of the path is present. Loops are allowed as
the SOP draws them; a `sop:` step is an ordinary node.

A case that does not fit is aligned with the SOP: the path of the SOP that
explains its events with the fewest deviations. Each event is either the next
node of the path (in step), or `unexpected` (the SOP does not allow it there);
each node of the path is either an event, silent, or `skipped`; a case whose last
event is not followed by an end is `not-finished` (once, however far the end
is). Ties are broken the same way every time, so the report is deterministic.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sopkit.model import Sop

BEFORE_START = -1
_STEP, _SILENT, _SKIPPED, _UNEXPECTED = 1, 2, 3, 4  # how `align` reached a state
_KINDS = {_STEP: "step", _SILENT: "silent", _SKIPPED: "skipped", _UNEXPECTED: "unexpected"}


class Move(NamedTuple):
    """One step of an alignment. `event` is the case's event position (None for a move of
    the SOP alone); `node` the node (None for an unexpected event)."""

    kind: str  # "step", "silent", "skipped", "unexpected", "not-finished"
    node: int | None
    event: int | None
    answer: str | None = None  # the answer that led to `node` (its decision's edge label)
    came_from: int | None = None  # the node before `node` on the path


@dataclass(frozen=True)
class Alignment:
    fits: bool
    moves: tuple[Move, ...]

    @property
    def deviations(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.kind in ("skipped", "unexpected", "not-finished"))


class Model:
    """The SOP as a state machine for aligning: successors, silent nodes, where it ends."""

    def __init__(self, sop: Sop, silent: frozenset[int]) -> None:
        self.sop = sop
        self.silent = silent
        self.ways: list[list[tuple[int, str | None]]] = [
            [(e.target, e.label) for e in edges if e.target is not None] for edges in sop.flow.edges
        ]
        self.ends = frozenset(i for i in sop.flow.terminals if not sop.flow.edges[i])
        self.start = sop.flow.start
        self._next_logged: dict[int, tuple[frozenset[int], bool]] = {}

    def successors(self, node: int) -> list[tuple[int, str | None]]:
        if node == BEFORE_START:
            return [] if self.start is None else [(self.start, None)]
        return self.ways[node]

    def next_logged(self, node: int) -> tuple[frozenset[int], bool]:
        """The logged nodes that can come next after `node` (through silent ones only), and
        whether the SOP can end there without another logged node."""
        known = self._next_logged.get(node)
        if known is not None:
            return known
        found: set[int] = set()
        can_end = node in self.ends
        seen: set[int] = set()  # silent nodes gone through (`node` itself may come again)
        todo = [target for target, _ in self.successors(node)]
        while todo:
            target = todo.pop()
            if target not in self.silent:
                found.add(target)
                continue
            if target in seen:
                continue
            seen.add(target)
            if target in self.ends:
                can_end = True
            todo += [t for t, _ in self.successors(target)]
        result = (frozenset(found), can_end)
        self._next_logged[node] = result
        return result

    def fits(self, nodes: Sequence[int | None]) -> bool:
        """The quick test: is this sequence of logged nodes a path of the SOP?"""
        at = BEFORE_START
        for node in nodes:
            if node is None or node not in self.next_logged(at)[0]:
                return False
            at = node
        return self.next_logged(at)[1]

    def align(self, nodes: Sequence[int | None]) -> Alignment:
        """The path of the SOP that explains `nodes` with the fewest deviations (0-1 BFS
        over (events consumed, node reached)).

        A state is one integer, `position * width + node + 1`, and what reached it is kept
        in flat arrays, not as objects: a case of 300,000 events (a log read with the
        wrong case column) has millions of states, which as tuples took 1.6 GB."""
        if self.fits(nodes):
            return Alignment(True, self._fitting_moves(nodes))
        count, width = len(nodes), len(self.ways) + 1
        size = (count + 1) * width
        typecode = "i" if size < 2**31 else "q"
        best = array(typecode, [size]) * size  # no path costs `size`: a move per state at most
        parent = array(typecode, [-1]) * size
        how = bytearray(size)
        best[0] = 0  # before the start, no event consumed
        queue: deque[tuple[int, int]] = deque([(0, 0)])
        finish: tuple[int, int] | None = None  # (cost, state) of the best way to end
        while queue:
            cost, state = queue.popleft()
            if best[state] < cost:
                continue
            if finish is not None and cost >= finish[0]:
                break
            position, node = divmod(state, width)
            node -= 1
            here = position * width + 1
            moves: list[tuple[int, int, int]] = []
            for target, _ in self.successors(node):
                if target in self.silent:
                    moves.append((0, here + target, _SILENT))
                    continue
                if position < count and nodes[position] == target:
                    moves.append((0, here + width + target, _STEP))
                moves.append((1, here + target, _SKIPPED))
            if position < count:
                moves.append((1, state + width, _UNEXPECTED))
            else:
                done = 0 if node in self.ends else 1
                if finish is None or cost + done < finish[0]:
                    finish = (cost + done, state)
            for step_cost, reached, kind in moves:
                total = cost + step_cost
                if total < best[reached]:
                    best[reached] = total
                    parent[reached] = state
                    how[reached] = kind
                    if step_cost == 0:
                        queue.appendleft((total, reached))
                    else:
                        queue.append((total, reached))
        assert finish is not None  # (count, any node) is always reachable by unexpected moves
        return self._alignment(finish[1], width, parent, how)

    def _alignment(self, last: int, width: int, parent: array[int], how: bytearray) -> Alignment:
        """The moves that reached `last`, read back from the arrays `align` filled."""
        node = last % width - 1
        path = [] if node in self.ends else [
            Move("not-finished", None if node == BEFORE_START else node, None)
        ]  # fmt: skip
        state = last
        while parent[state] >= 0:
            before = parent[state]
            position, node = divmod(state, width)
            came = before % width - 1
            kind = _KINDS[how[state]]
            if kind == "unexpected":
                path.append(Move(kind, None, position - 1))
            else:
                answer = next(a for t, a in self.successors(came) if t == node - 1)
                event = position - 1 if kind == "step" else None
                path.append(Move(kind, node - 1, event, answer,
                                 None if came == BEFORE_START else came))  # fmt: skip
            state = before
        path.reverse()
        deviates = any(m.kind in ("skipped", "unexpected", "not-finished") for m in path)
        return Alignment(not deviates, tuple(path))

    def _fitting_moves(self, nodes: Sequence[int | None]) -> tuple[Move, ...]:
        """The moves of a fitting sequence, silent nodes between its events included."""
        moves: list[Move] = []
        at = BEFORE_START
        for position, node in enumerate([*nodes, None]):
            route = self._silent_route(at, node)
            moves += route
            if node is None:
                break
            last = at if not route or route[-1].node is None else route[-1].node
            answer = next((a for t, a in self.successors(last) if t == node), None)
            moves.append(Move("step", node, position, answer,
                              None if last == BEFORE_START else last))  # fmt: skip
            at = node
        return tuple(moves)

    def _silent_route(self, source: int, target: int | None) -> list[Move]:
        """The silent nodes from `source` to `target` (None: to an end), shortest first."""
        previous: dict[int, tuple[int, str | None]] = {}
        queue = deque([source])
        seen = {source}
        reached = None
        if target is None and source in self.ends:
            return []
        while queue:
            node = queue.popleft()
            for following, answer in self.successors(node):
                if target is not None and following == target:
                    if node == source:
                        return []
                    reached = node
                    break
                if following in seen or following not in self.silent:
                    continue
                seen.add(following)
                previous[following] = (node, answer)
                if target is None and following in self.ends:
                    reached = following
                    break
                queue.append(following)
            if reached is not None:
                break
        route: list[Move] = []
        step = reached
        while step is not None and step != source:
            came, answer = previous[step]
            route.append(Move("silent", step, None, answer, None if came == BEFORE_START else came))
            step = came
        route.reverse()
        return route
