"""A SOP's quick card: its steps on one printed page, with boxes to tick.

Numbered steps, each decision with its answers and where they lead, roles and
times; no chart and no details. Plain values: the HTML template escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from sopkit.model import Decision, End, Sop, Step, duration_of
from sopkit.render.durations import compact


class CardLine(NamedTuple):
    number: int
    kind: str  # step, decision or end
    text: str
    role: str | None
    time: str | None
    answers: tuple[tuple[str, int], ...]  # a decision's (answer, step it leads to)
    then: int | None  # a step whose next is not the step below it
    calls: str | None  # the SOP a `sop:` step follows


def card_lines(sop: Sop, labels: Mapping[str, str]) -> list[CardLine]:
    language = sop.language
    lines = []
    for node in sop.nodes:
        duration = duration_of(node)
        edges = sop.flow.edges[node.index]
        targets = [edge.target for edge in edges if edge.target is not None]
        answers: tuple[tuple[str, int], ...] = ()
        then = None
        if isinstance(node, Decision):
            answers = tuple(
                (edge.label or "", edge.target + 1) for edge in edges if edge.target is not None
            )
        elif not isinstance(node, End) and targets and targets[0] != node.index + 1:
            then = targets[0] + 1
        lines.append(
            CardLine(
                node.index + 1,
                "end" if isinstance(node, End) else "decision" if answers else "step",
                " ".join(node.text.split()),
                node.role,
                compact(duration.seconds, labels, language) if duration else None,
                answers,
                then,
                node.sop.id if isinstance(node, Step) and node.sop else None,
            )
        )
    return lines
