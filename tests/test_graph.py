"""Flow resolution and the graph algorithms, on SOPs built from real YAML."""

from __future__ import annotations

from sopkit.build import build_sop
from sopkit.graph import can_finish, cycles, longest_path, reachable
from sopkit.loader import load_text
from sopkit.model import Sop, duration_of


def sop_from(steps: str, head: str = "") -> Sop:
    text = f"id: T\ntitle: T\ndepartment: D\npurpose: P\n{head}steps:\n{steps}"
    sop, _ = build_sop(load_text(text, "t.yaml").root, "t.yaml")
    assert sop is not None
    return sop


def test_implicit_next_and_implicit_end() -> None:
    sop = sop_from("  - {id: a, step: A}\n  - {id: b, step: B}\n")
    assert sop.flow.successors(0) == [1]
    assert sop.flow.edges[0][0].implicit
    assert sop.flow.terminals == frozenset({1})


def test_duplicate_ids_resolve_to_the_first_and_keep_the_copy_reachable() -> None:
    sop = sop_from(
        "  - {id: a, step: A, next: c}\n  - {id: c, step: C1, next: z}\n"
        "  - {id: c, step: C2}\n  - {id: z, end: Z}\n"
    )
    assert sop.flow.first_index["c"] == 1
    assert reachable(sop.flow) == {0, 1, 3}


def test_can_finish_excludes_a_closed_loop() -> None:
    sop = sop_from(
        "  - {id: q, decision: Q, branches: {a: x, b: done}}\n"
        "  - {id: x, step: X, next: y}\n  - {id: y, step: Y, next: x}\n  - {id: done, end: D}\n"
    )
    assert can_finish(sop.flow) == {0, 3}


def test_longest_path_drops_loop_closing_edges_and_follows_branches_in_order() -> None:
    sop = sop_from(
        "  - {id: a, step: A, duration: 1h}\n"
        "  - {id: q, decision: Q, duration: 1m, branches: {again: a, slow: s, fast: f}}\n"
        "  - {id: s, step: S, duration: 3h, next: e}\n"
        "  - {id: f, step: F, duration: 5m}\n  - {id: e, end: E}\n"
    )

    def seconds(index: int) -> int:
        duration = duration_of(sop.nodes[index])
        return duration.seconds if duration else 0

    assert longest_path(sop.flow, seconds) == 3600 + 60 + 3 * 3600


def test_longest_path_is_linear_on_a_long_chain() -> None:
    steps = "".join(f"  - {{id: n{i}, step: S, duration: 1m}}\n" for i in range(20_000))
    sop = sop_from(steps)
    assert longest_path(sop.flow, lambda i: 60) == 20_000 * 60


def test_cycles_finds_every_circle_once() -> None:
    graph = {"A": ["B"], "B": ["C", "A"], "C": ["A"], "D": ["D"], "E": ["A"], "F": ["X"]}
    assert cycles(graph) == [["A", "B", "C"], ["D"]]
