"""A SOP's flowchart as Graphviz DOT (through the `graphviz` package) or as Mermaid.

Deterministic: node names come from list positions, clusters follow the
order roles are declared, and every user text is escaped.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import graphviz

from sopkit.model import Decision, End, Node, Sop, Step, duration_of
from sopkit.render.escape import mermaid_text

WRAP = 28
AUTO_LR_MAX_NODES = 6
END_MARKER = {
    "label": "", "shape": "doublecircle", "style": "filled", "fillcolor": "#333333",
    "width": "0.12", "fixedsize": "true", "tooltip": "end",
}  # fmt: skip


@dataclass(frozen=True)
class ChartStyle:
    font: str = "DejaVu Sans"
    direction: str = "auto"  # auto | LR | TB
    link_suffix: str = ".md"  # how a `sop:` node links to the other SOP's page
    step_links: bool = True  # each node links to its numbered step on the page


def _label(text: str, extra: str | None = None) -> str:
    lines = textwrap.wrap(" ".join(text.split()), WRAP) or [""]
    if extra:
        lines.append(extra)
    # cast, not str(): the NoHtml subclass is what stops graphviz reading `<...>` as HTML
    return cast(str, graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines)))


def direction_of(sop: Sop, style: ChartStyle) -> str:
    if style.direction != "auto":
        return style.direction
    return "LR" if len(sop.nodes) <= AUTO_LR_MAX_NODES else "TB"


def _node_attrs(node: Node, style: ChartStyle) -> dict[str, str]:
    duration = duration_of(node)
    attrs = {
        "label": _label(node.text, f"({duration.text})" if duration else None),
        "tooltip": graphviz.escape(node.id or node.text),
    }
    if style.step_links:
        attrs["href"] = f"#step-{node.index + 1}"
    if isinstance(node, Decision):
        attrs.update(shape="diamond", style="filled", fillcolor="#fff4d6")
    elif isinstance(node, End):
        attrs.update(shape="box", style="rounded,filled,bold", fillcolor="#e3f2e1")
    elif isinstance(node, Step) and node.sop is not None:
        attrs.update(
            shape="box", peripheries="2", style="filled", fillcolor="#e6eefb",
            href=f"{graphviz.escape(node.sop.id)}{style.link_suffix}", target="_top",
        )  # fmt: skip
    else:
        attrs.update(shape="box", style="filled", fillcolor="#ffffff")
    return attrs


def _lanes(sop: Sop) -> list[tuple[str, list[Node]]]:
    """Nodes grouped by role, roles in the order declared (then any undeclared ones)."""
    order = [role.id for role in sop.roles]
    order += sorted({n.role for n in sop.nodes if n.role and n.role not in order})
    return [(role, [n for n in sop.nodes if n.role == role]) for role in order]


def to_dot(sop: Sop, style: ChartStyle, role_names: Mapping[str, str]) -> str:
    """The DOT source of a SOP's flowchart."""
    chart = graphviz.Digraph(name=graphviz.escape(sop.id))
    chart.attr(rankdir=direction_of(sop, style), newrank="true", fontname=style.font,
               nodesep="0.3", ranksep="0.35", labelloc="t")  # fmt: skip
    chart.attr("node", fontname=style.font, fontsize="11", margin="0.12,0.06")
    chart.attr("edge", fontname=style.font, fontsize="10", color="#555555")
    chart.node("start", label="", shape="circle", style="filled", fillcolor="#333333",
               width="0.18", fixedsize="true", tooltip="start")  # fmt: skip
    lanes = [(role, nodes) for role, nodes in _lanes(sop) if nodes]
    in_lane = {n.index for _, nodes in lanes for n in nodes}
    for number, (role, nodes) in enumerate(lanes):
        # Graphviz orders a graph's subgraphs by the memory address of their names,
        # except names starting with `%`, which it numbers in the order it reads them.
        # In one `dot` laying out many graphs, addresses depend on the graphs before,
        # so bare clusters would make the layout depend on the batch. The wrapper
        # pins the order: each wrapper holds one cluster, and wrappers are numbered.
        with chart.subgraph(name=f"%lane{number}") as wrapper:
            with wrapper.subgraph(name=f"cluster_{number}") as lane:
                lane.attr(label=_label(role_names.get(role, role)), style="rounded,dashed",
                          color="#9aa5b1", fontcolor="#3e4c59")  # fmt: skip
                for node in nodes:
                    lane.node(f"n{node.index}", **_node_attrs(node, style))
    for node in sop.nodes:
        if node.index not in in_lane:
            chart.node(f"n{node.index}", **_node_attrs(node, style))
    if sop.flow.start is not None:
        chart.edge("start", f"n{sop.flow.start}")
    for edges in sop.flow.edges:
        for edge in edges:
            if edge.target is None:
                continue
            label = {"label": _label(edge.label)} if edge.label is not None else {}
            chart.edge(f"n{edge.source}", f"n{edge.target}", **label)
    for index in sorted(sop.flow.terminals):
        if not isinstance(sop.nodes[index], End):
            chart.node(f"end{index}", **END_MARKER)
            chart.edge(f"n{index}", f"end{index}")
    return str(chart.source)


def to_mermaid(sop: Sop, style: ChartStyle) -> str:
    """A Mermaid flowchart; every label is quoted and entity-escaped."""
    lines = [f"flowchart {'LR' if direction_of(sop, style) == 'LR' else 'TD'}"]
    lines.append('  start((" "))')
    for node in sop.nodes:
        duration = duration_of(node)
        text = mermaid_text(node.text) + (
            f"<br>({mermaid_text(duration.text)})" if duration else ""
        )
        if isinstance(node, Decision):
            lines.append(f'  n{node.index}{{"{text}"}}')
        elif isinstance(node, End):
            lines.append(f'  n{node.index}(["{text}"])')
        elif isinstance(node, Step) and node.sop is not None:
            lines.append(f'  n{node.index}[["{text}"]]')
        else:
            lines.append(f'  n{node.index}["{text}"]')
    if sop.flow.start is not None:
        lines.append(f"  start --> n{sop.flow.start}")
    for edges in sop.flow.edges:
        for edge in edges:
            if edge.target is None:
                continue
            if edge.label is not None:
                lines.append(f'  n{edge.source} -->|"{mermaid_text(edge.label)}"| n{edge.target}')
            else:
                lines.append(f"  n{edge.source} --> n{edge.target}")
    for index in sorted(sop.flow.terminals):
        if not isinstance(sop.nodes[index], End):
            lines.append(f'  end{index}(((" "))))')
            lines.append(f"  n{index} --> end{index}")
    return "\n".join(lines)
