"""Swimlanes that read as lanes: in the SVG of every multi-role SOP the tests and the
examples hold, lanes are parallel bands of one length that do not overlap, and every
node lies inside its role's lane. Real `dot`, geometry read from its SVG."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from sopkit.lookup import load_sop
from tests.conftest import EXAMPLES, SOPS, TODAY, RunCli

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

Box = tuple[float, float, float, float]  # left, top, right, bottom
_NUMBER_PAIR = re.compile(r"(-?[\d.]+),(-?[\d.]+)")


def _box(shape: str) -> Box:
    if shape.startswith("<ellipse"):
        values = {k: float(v) for k, v in re.findall(r'(cx|cy|rx|ry)="(-?[\d.]+)"', shape)}
        return (values["cx"] - values["rx"], values["cy"] - values["ry"],
                values["cx"] + values["rx"], values["cy"] + values["ry"])  # fmt: skip
    points = [(float(x), float(y)) for x, y in _NUMBER_PAIR.findall(shape)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def groups(svg: str) -> list[tuple[str, str, str]]:
    """(class, title, content) of each group Graphviz writes (its link's group merged in)."""
    found: list[list[str]] = []
    for chunk in svg.split('<g id="')[1:]:
        name, _, rest = chunk.partition('"')
        if name.startswith("a_") and found:
            found[-1][2] += rest
            continue
        kind = re.match(r' class="(\w+)"', rest)
        title = re.search(r"<title>([^<]*)</title>", rest)
        found.append([kind.group(1) if kind else "", title.group(1) if title else "", rest])
    return [(kind, title, rest) for kind, title, rest in found]


def geometry(svg: str) -> tuple[dict[str, Box], dict[str, Box]]:
    """(lane by cluster name, node box by node name) from Graphviz's SVG."""
    lanes: dict[str, Box] = {}
    nodes: dict[str, Box] = {}
    for kind, name, body in groups(svg):
        shape = re.search(r"<(?:polygon|path|ellipse)[^>]*>", body)
        if kind not in ("cluster", "node") or shape is None:
            continue  # an invisible anchor draws nothing
        (lanes if kind == "cluster" else nodes)[name] = _box(shape.group(0))
    return lanes, nodes


def _inside(inner: Box, outer: Box) -> bool:
    return (inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5
            and inner[2] <= outer[2] + 0.5 and inner[3] <= outer[3] + 0.5)  # fmt: skip


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _multi_role_sources() -> list[Path]:
    found = sorted(EXAMPLES.glob("*.yaml")) + sorted(SOPS.rglob("*.yaml"))
    return [p for p in found if len({n.role for n in load_sop(str(p)).nodes if n.role}) > 1]


def test_there_are_multi_role_sops_to_look_at() -> None:
    assert len(_multi_role_sources()) >= 5


@pytest.mark.parametrize("source", _multi_role_sources(), ids=lambda p: p.name)
def test_lanes_are_parallel_bands_holding_their_nodes(
    source: Path, cli: RunCli, workdir: Path
) -> None:
    sop = load_sop(str(source))
    (workdir / "one").mkdir()
    shutil.copy(source, workdir / "one" / source.name)
    result = cli("render", "one", "-o", "out", "--today", TODAY, "--ignore", "unknown-sop")
    assert (workdir / "out" / f"{sop.id}.svg").is_file(), result.output
    lanes, nodes = geometry((workdir / "out" / f"{sop.id}.svg").read_text(encoding="utf-8"))
    declared = [r.id for r in sop.roles] + sorted({n.role for n in sop.nodes if n.role})
    roles = [role for role in dict.fromkeys(declared) if any(n.role == role for n in sop.nodes)]
    assert len(lanes) == len(roles)
    boxes = [lanes[f"cluster_{number}"] for number in range(len(roles))]
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            assert not _overlap(boxes[a], boxes[b]), (roles[a], roles[b])
    vertical = boxes[0][0] != boxes[-1][0] if len(boxes) > 1 else True  # side by side
    spans = {round(box[3] - box[1], 1) if vertical else round(box[2] - box[0], 1) for box in boxes}
    assert len(spans) == 1, spans  # one length
    for node in sop.nodes:
        if node.role:
            lane = boxes[roles.index(node.role)]
            assert _inside(nodes[f"n{node.index}"], lane), (node.id, node.role)


def test_a_sop_without_roles_has_no_lanes(cli: RunCli, workdir: Path) -> None:
    (workdir / "sops").mkdir()
    (workdir / "sops" / "a.yaml").write_text(
        "id: NO-ROLES\ntitle: T\ndepartment: D\npurpose: P.\nowner: O <o@example.com>\n"
        "steps:\n  - {id: a, step: Do it}\n  - {id: b, end: Done}\n",
        encoding="utf-8",
    )
    assert cli("render", "sops", "-o", "out", "--today", TODAY).exit_code == 0
    dot = (workdir / "out" / "NO-ROLES.dot").read_text(encoding="utf-8")
    assert "cluster" not in dot
    assert "lanes_end" not in dot


FOUR_ANSWERS = """\
id: FOUR-1
title: Four answers
department: D
owner: O <o@example.com>
purpose: Four.
roles: {agent: Agent, lead: Lead}
steps:
  - {id: a, step: Take the ticket, role: agent}
  - id: ask
    decision: What does the customer want?
    role: agent
    branches: {"No": b, "Exception": c, "Yes": d, "Needs more information": a}
  - {id: b, step: Close it, role: agent, next: done}
  - {id: c, step: Escalate to the lead, role: lead, next: done}
  - {id: d, step: Solve it, role: agent, next: done}
  - {id: done, end: Done, role: agent}
"""


def _curve(path: str) -> list[tuple[float, float]]:
    """Points along a Graphviz edge (cubic Bézier segments)."""
    points = [(float(x), float(y)) for x, y in _NUMBER_PAIR.findall(path)]
    along = []
    for start in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[start : start + 4]
        for step in range(21):
            t = step / 20
            u = 1 - t
            along.append((
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            ))  # fmt: skip
    return along or points


def test_each_answer_label_is_nearest_its_own_edge(cli: RunCli, workdir: Path) -> None:
    (workdir / "sops").mkdir()
    (workdir / "sops" / "four.yaml").write_text(FOUR_ANSWERS, encoding="utf-8")
    assert cli("render", "sops", "-o", "out", "--today", TODAY).exit_code == 0
    svg = (workdir / "out" / "FOUR-1.svg").read_text(encoding="utf-8")
    edges = []
    for kind, _, body in groups(svg):
        if kind != "edge":
            continue
        path = re.search(r' d="([^"]+)"', body)
        labels = re.findall(r'<text[^>]*x="(-?[\d.]+)" y="(-?[\d.]+)"[^>]*>([^<]+)</text>', body)
        if path:
            edges.append((_curve(path.group(1)), labels))
    labelled = [(curve, label) for curve, labels in edges for label in labels]
    assert sorted(text for _, (_, _, text) in labelled) == [
        "Exception", "Needs more information", "No", "Yes"
    ]  # fmt: skip

    def distance(x: float, y: float, curve: list[tuple[float, float]]) -> float:
        return float(min(((x - px) ** 2 + (y - py) ** 2) ** 0.5 for px, py in curve))

    for own, (x, y, text) in labelled:
        mine = distance(float(x), float(y), own)
        others = [distance(float(x), float(y), curve) for curve, _ in edges if curve is not own]
        assert mine < min(others), text


def test_a_loop_far_back_is_a_short_stub_that_names_the_step(cli: RunCli, workdir: Path) -> None:
    steps = "".join(f"  - {{id: s{n}, step: Step {n}}}\n" for n in range(1, 6))
    (workdir / "sops").mkdir()
    (workdir / "sops" / "loop.yaml").write_text(
        "id: LOOP-1\ntitle: T\ndepartment: D\npurpose: P.\nowner: O <o@example.com>\nsteps:\n"
        + steps
        + '  - id: ask\n    decision: Done?\n    branches: {"Yes": done, "No": s1}\n'
        "  - {id: done, end: Done}\n",
        encoding="utf-8",
    )
    assert cli("render", "sops", "-o", "out", "--today", TODAY).exit_code == 0
    dot = (workdir / "out" / "LOOP-1.dot").read_text(encoding="utf-8")
    assert "n5 -> n0" not in dot  # no arrow across the whole chart
    assert 'back5_0 [label="↩ 1"' in dot
    assert 'href="#step-1"' in dot.split("back5_0 [", 1)[1].split("]", 1)[0]
    assert "n5 -> back5_0 [label=No]" in dot
