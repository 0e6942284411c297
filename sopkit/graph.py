"""Pure graph algorithms over a resolved `Flow`; all linear and free of recursion."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence

from sopkit.model import Flow


def reachable(flow: Flow) -> set[int]:
    """Nodes reachable from the start (breadth-first)."""
    if flow.start is None:
        return set()
    seen = {flow.start}
    queue = deque([flow.start])
    while queue:
        for target in flow.successors(queue.popleft()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


def can_finish(flow: Flow) -> set[int]:
    """Nodes from which an end can be reached.

    A node with a broken way out (an id that names no node) counts as finishing:
    that mistake is reported by its own rule, not again as a loop.
    """
    predecessors: list[list[int]] = [[] for _ in flow.edges]
    finishing: set[int] = set(flow.terminals)
    for source, edges in enumerate(flow.edges):
        for edge in edges:
            if edge.target is None:
                finishing.add(source)
            else:
                predecessors[edge.target].append(source)
    queue = deque(finishing)
    while queue:
        for source in predecessors[queue.popleft()]:
            if source not in finishing:
                finishing.add(source)
                queue.append(source)
    return finishing


def longest_path(flow: Flow, weight: Callable[[int], int]) -> int | None:
    """The heaviest start-to-end path once loop-closing edges are dropped.

    Depth-first from the start, successors in written order; an edge back to a
    node on the current path closes a loop and is ignored. What remains is
    acyclic, and a node's best total is known when the search leaves it.
    None when no end can be reached.
    """
    if flow.start is None:
        return None
    successors_of = [flow.successors(i) for i in range(len(flow.edges))]
    best: dict[int, int | None] = {}
    on_path = {flow.start}
    stack = [(flow.start, iter(successors_of[flow.start]))]
    while stack:
        node, pending = stack[-1]
        for target in pending:  # goes on where the search last left this node
            if target not in on_path and target not in best:
                on_path.add(target)
                stack.append((target, iter(successors_of[target])))
                break
        else:
            stack.pop()
            on_path.discard(node)
            heaviest = None
            for target in successors_of[node]:
                total = best.get(target)
                if total is not None and (heaviest is None or total > heaviest):
                    heaviest = total
            if heaviest is not None:
                best[node] = weight(node) + heaviest
            else:
                best[node] = weight(node) if node in flow.terminals else None
    return best.get(flow.start)


def cycles(graph: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Strongly connected components that form a cycle (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    successors_of = {node: [s for s in targets if s in graph] for node, targets in graph.items()}
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, position = work[-1]
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = successors_of[node]
            if position < len(successors):
                work[-1] = (node, position + 1)
                target = successors[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return sorted(found)
