"""Where each shape of an exported process goes: columns by the longest path from the
start, lanes as horizontal bands of one length, shapes stacked in their lane's cell.

A layered layout of its own, not Graphviz's: export needs no `dot` (like `check`),
its lanes are exact bands, and it is the same on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CELL_WIDTH, CELL_HEIGHT = 170, 110
POOL_HEADER, LANE_HEADER, MARGIN = 30, 30, 20
SIZES = {
    "task": (100, 80),
    "callActivity": (100, 80),
    "exclusiveGateway": (50, 50),
    "startEvent": (36, 36),
    "endEvent": (36, 36),
}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass
class Placed:
    boxes: dict[str, Box]
    column: dict[str, int]
    lanes: dict[str | None, Box]
    pool: Box
    gap: float = 12


def _columns(ids: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """The longest path to each shape from the first, over the edges that do not loop back."""
    following: dict[str, list[str]] = {i: [] for i in ids}
    for source, target in edges:
        following[source].append(target)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for root in ids:
        if root in state:
            continue
        stack = [(root, iter(following[root]))]
        state[root] = 1
        while stack:
            node, onward = stack[-1]
            step = next(onward, None)
            if step is None:
                state[node] = 2
                stack.pop()
            elif state.get(step) == 1:
                back.add((node, step))
            elif step not in state:
                state[step] = 1
                stack.append((step, iter(following[step])))
    column = dict.fromkeys(ids, 0)
    incoming = dict.fromkeys(ids, 0)
    forward = [(s, t) for s, t in edges if (s, t) not in back]
    for _, target in forward:
        incoming[target] += 1
    ready = [i for i in ids if incoming[i] == 0]
    while ready:
        node = ready.pop(0)
        for source, target in forward:
            if source == node:
                column[target] = max(column[target], column[node] + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
    return column


def lay_out(
    shapes: Sequence[tuple[str, str, str | None]],
    edges: Sequence[tuple[str, str]],
    lanes: Sequence[str | None],
) -> Placed:
    """`shapes`: id, kind, lane (None without lanes), in the process's order."""
    ids = [shape_id for shape_id, _, _ in shapes]
    column = _columns(ids, edges)
    bands: list[str | None] = list(lanes) or [None]
    rows: dict[tuple[str | None, int], int] = {}
    row_of: dict[str, int] = {}
    for shape_id, _, lane in shapes:
        key = (lane, column[shape_id])
        row_of[shape_id] = rows.get(key, 0)
        rows[key] = row_of[shape_id] + 1
    height_of = {band: max([count for (lane, _), count in rows.items() if lane == band] or [1])
                 for band in bands}  # fmt: skip
    left = POOL_HEADER + LANE_HEADER if lanes else POOL_HEADER
    width = left + (max(column.values(), default=0) + 1) * CELL_WIDTH + MARGIN
    top: dict[str | None, float] = {}
    y = 0.0
    lane_boxes: dict[str | None, Box] = {}
    for band in bands:
        top[band] = y
        height = height_of[band] * CELL_HEIGHT + MARGIN
        lane_boxes[band] = Box(POOL_HEADER, y, width - POOL_HEADER, height)
        y += height
    boxes = {}
    for shape_id, kind, lane in shapes:
        w, h = SIZES.get(kind, (100, 80))
        cell_x = left + column[shape_id] * CELL_WIDTH + MARGIN / 2
        cell_y = top[lane] + row_of[shape_id] * CELL_HEIGHT + MARGIN / 2
        boxes[shape_id] = Box(cell_x + (CELL_WIDTH - MARGIN - w) / 2,
                              cell_y + (CELL_HEIGHT - MARGIN - h) / 2, w, h)  # fmt: skip
    return Placed(boxes, column, lane_boxes, Box(0, 0, width, y))
