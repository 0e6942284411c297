"""Scenarios and size of a procedure: every path through it, and its statistics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sopkit.model import Decision, End, Sop, Step, seconds_of

DEFAULT_PATH_LIMIT = 1000
SEARCH_BUDGET = 2_000_000  # edges followed before giving up on a pathological graph


@dataclass(frozen=True)
class Hop:
    """One node on a path, with the answer chosen there (decisions only)."""

    index: int
    answer: str | None = None


@dataclass(frozen=True)
class Path:
    hops: tuple[Hop, ...]
    seconds: int

    def over(self, sop: Sop) -> bool:
        return sop.sla is not None and self.seconds > sop.sla.seconds


@dataclass
class PathSearch:
    paths: list[Path] = field(default_factory=list)
    truncated: bool = False  # stopped at the limit or the search budget


def all_paths(sop: Sop, limit: int = DEFAULT_PATH_LIMIT) -> PathSearch:
    """Every distinct path from start to an end, each loop entered at most once.

    A node may be visited twice on one path (once round a loop), never three
    times; an edge back into the current path may be followed once.
    """
    search = PathSearch()
    if sop.flow.start is None:
        return search
    budget = SEARCH_BUDGET
    visits = [0] * len(sop.nodes)
    used_back_edges: set[tuple[int, int]] = set()
    stack: list[tuple[Hop, Iterator[tuple[int, str | None]]]] = []

    def successors(index: int) -> Iterator[tuple[int, str | None]]:
        for edge in sop.flow.edges[index]:
            if edge.target is not None:
                yield edge.target, edge.label

    def enter(hop: Hop) -> None:
        visits[hop.index] += 1
        stack.append((hop, successors(hop.index)))

    enter(Hop(sop.flow.start))
    while stack:
        hop, pending = stack[-1]
        if hop.index in sop.flow.terminals and not sop.flow.edges[hop.index]:
            hops = tuple(h for h, _ in stack)
            search.paths.append(Path(hops, sum(seconds_of(sop.nodes[h.index]) for h in hops)))
            if len(search.paths) >= limit:
                search.truncated = True
                return search
            _leave(stack, visits, used_back_edges)
            continue
        step = next(pending, None)
        budget -= 1
        if budget <= 0:
            search.truncated = True
            return search
        if step is None:
            _leave(stack, visits, used_back_edges)
            continue
        target, label = step
        if visits[target] >= 2:
            continue
        if visits[target] == 1:
            back = (hop.index, target)
            if back in used_back_edges:
                continue
            used_back_edges.add(back)
        if label is not None:  # the answer belongs to the decision we leave
            stack[-1] = (Hop(hop.index, label), pending)
        enter(Hop(target))
    return search


def _leave(
    stack: list[tuple[Hop, Iterator[tuple[int, str | None]]]],
    visits: list[int],
    used_back_edges: set[tuple[int, int]],
) -> None:
    hop, _ = stack.pop()
    visits[hop.index] -= 1
    if stack and visits[hop.index] == 1:
        used_back_edges.discard((stack[-1][0].index, hop.index))


@dataclass(frozen=True)
class Stats:
    sop_id: str
    title: str
    steps: int
    decisions: int
    ends: int
    calls: int
    paths: int
    paths_capped: bool
    longest_nodes: int
    longest_seconds: int
    complexity: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def stats_of(sop: Sop, limit: int = DEFAULT_PATH_LIMIT) -> Stats:
    """Counts, paths and cyclomatic complexity (edges - nodes + 2, implicit ends included)."""
    search = all_paths(sop, limit)
    edges = sum(len(out) for out in sop.flow.edges)
    implicit_ends = sum(1 for i in sop.flow.terminals if not isinstance(sop.nodes[i], End))
    nodes = len(sop.nodes) + implicit_ends
    longest = sop.expected_seconds
    return Stats(
        sop_id=sop.id,
        title=sop.title,
        steps=sum(isinstance(n, Step) for n in sop.nodes),
        decisions=sum(isinstance(n, Decision) for n in sop.nodes),
        ends=sum(isinstance(n, End) for n in sop.nodes) + implicit_ends,
        calls=len(sop.calls),
        paths=len(search.paths),
        paths_capped=search.truncated,
        longest_nodes=max((len(p.hops) for p in search.paths), default=0),
        longest_seconds=longest or 0,
        complexity=edges + implicit_ends - nodes + 2,
    )
