"""A SOP's flowchart as Graphviz DOT (through the `graphviz` package) or as Mermaid.

Deterministic: node names come from list positions, clusters follow the
order roles are declared, and every user text is escaped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import cast

import graphviz

from sopkit.escape import mermaid_text
from sopkit.model import KIND_NAMES, Decision, End, Node, Sop, Step, duration_of
from sopkit.render.chartstyle import ChartStyle, font_stack
from sopkit.text import clip, wrap

WRAP = 28
AUTO_LR_MAX_NODES = 6
FAR_BACK = 4
"""A loop back over this many steps or more is drawn as a stub ("↩ 3"), not an arrow."""
_STUB_ATTRS = 'color="#555555" fontcolor="#1f2933" fontsize=10 shape=cds style=""'
END_MARKER = {
    "label": "", "shape": "doublecircle", "style": "filled", "fillcolor": "#333333",
    "width": "0.12", "fixedsize": "true", "tooltip": "end",
}  # fmt: skip


LABEL_CHARS = 240
"""A longer text is cut in the chart (its page has it whole): a node of a dozen lines
reads as a wall, and `dot` refuses a quoted string over 16 KB (a syntax error)."""
TOOLTIP_CHARS = 1_000


def _label(text: str, extra: str | None = None) -> str:
    text = clip(" ".join(text.split()), LABEL_CHARS)
    lines = wrap(text, WRAP) or [""]
    if extra:
        lines.append(extra)
    # What graphviz.escape does to each line, then `\n` between lines. cast, not str():
    # the NoHtml subclass is what stops graphviz reading `<...>` as an HTML label.
    if "\\" in text or (extra and "\\" in extra):
        lines = [line.replace("\\", "\\\\") for line in lines]
    return cast(str, graphviz.nohtml("\\n".join(lines)))


def direction_of(sop: Sop, style: ChartStyle) -> str:
    if style.direction != "auto":
        return style.direction
    return "LR" if len(sop.nodes) <= AUTO_LR_MAX_NODES else "TB"


# graphviz's quoting is exact, but slow for a chart's hundreds of strings: its function
# checks its arguments on every call and runs four regular expressions. Names, attribute
# names and colours repeat in every chart and are quoted once; user text (NoHtml, from
# `escape`) takes `quote_escaped`, which gives graphviz's result (a test holds it to that).
_quote_text = getattr(graphviz.quoting.quote, "__wrapped__", graphviz.quoting.quote)
_QUOTED: dict[str, str] = {}
_QUOTED_KEPT = 50_000


def quote_escaped(text: str) -> str:
    """`graphviz.quoting.quote` for text from `escape`: every backslash in it is doubled
    (our line breaks aside), so no backslash can escape a quote and none can end it."""
    if graphviz.quoting.ID.match(text) and text.lower() not in graphviz.quoting.KEYWORDS:
        return text
    return '"' + text.replace('"', '\\"') + '"'


def _quote(value: str) -> str:
    if type(value) is not str:
        return quote_escaped(value)
    quoted = _QUOTED.get(value)
    if quoted is None:
        quoted = cast(str, _quote_text(value))
        if len(_QUOTED) < _QUOTED_KEPT:
            _QUOTED[value] = quoted
    return quoted


def _attr_list(attrs: Mapping[str, str]) -> str:
    """What `Digraph.node` writes: ` [label=... other attributes sorted]`."""
    parts = [f"label={_quote(attrs['label'])}"] if "label" in attrs else []
    parts += [f"{_quote(k)}={_quote(v)}" for k, v in sorted(attrs.items()) if k != "label"]
    return f" [{' '.join(parts)}]" if parts else ""


_KIND_ATTRS = {
    "decision": {"shape": "diamond", "style": "filled", "fillcolor": "#fff4d6"},
    "end": {"shape": "box", "style": "rounded,filled,bold", "fillcolor": "#e3f2e1"},
    "call": {"shape": "box", "peripheries": "2", "style": "filled", "fillcolor": "#e6eefb",
             "target": "_top"},
    "step": {"shape": "box", "style": "filled", "fillcolor": "#ffffff"},
}  # fmt: skip
_END_MARKER = _attr_list(END_MARKER)
# A lane's attributes as `lane.attr(...)` writes them (sorted), its label in the slot.
_LANE_ATTRS = (
    'color="#9aa5b1" fillcolor="{}" fontcolor="#1f2933" label={} style="rounded,filled" tooltip={}'
)
LANE_COLOURS = ("#eef5ff", "#eefbf2", "#fdfbe9", "#fdf0f6", "#f4f1fe", "#fff5ea")
"""Light tints of the role chips' colours (style.css), in the same order."""
_ANCHOR = '[label="" height=0 shape=point style=invis width=0]'
_INVISIBLE = "[style=invis]"


@functools.cache
def _attributes_after_label(kind: str, linked: bool) -> str:
    """A kind of node's attributes after its label, in `Digraph.node`'s (sorted) order, as
    a format string with the fixed ones quoted once and a `{}` slot for each of the node's
    own values: `href` (when linked), then `tooltip`, as they sort."""
    fixed = _KIND_ATTRS[kind]
    names = sorted({*fixed, "tooltip", *(["href"] if linked else [])})
    own = [n for n in names if n not in fixed]
    assert own == (["href", "tooltip"] if linked else ["tooltip"])
    return " ".join(
        f"{n}={_quote(fixed[n])}".replace("{", "{{").replace("}", "}}") if n in fixed
        else f"{n}={{}}"
        for n in names
    )  # fmt: skip


def _node_line(node: Node, style: ChartStyle) -> str:
    """A node's statement, as `Digraph.node` would write it (names `n<index>` need no quotes)."""
    duration = duration_of(node)
    # The step's number, as the numbered procedure below the chart says it.
    text = f"{node.index + 1}. {node.text}"
    label = quote_escaped(_label(text, f"({duration.text})" if duration else None))
    tooltip = quote_escaped(graphviz.escape(clip(node.id or node.text, TOOLTIP_CHARS)))
    if isinstance(node, Step) and node.sop is not None:
        href = _quote(f"{graphviz.escape(node.sop.id)}{style.link_suffix}")
        attrs = _attributes_after_label("call", True).format(href, tooltip)
    else:
        kind = "step" if type(node) is Step else KIND_NAMES[node.kind]
        if style.step_links:
            attrs = _attributes_after_label(kind, True).format(
                _quote(f"#step-{node.index + 1}"), tooltip
            )
        else:
            attrs = _attributes_after_label(kind, False).format(tooltip)
    return f"\tn{node.index} [label={label} {attrs}]\n"


@functools.cache
def _header(font: str, direction: str) -> tuple[str, ...]:
    """The statements every chart in this font and direction begins with."""
    font = font_stack(font)
    chart = graphviz.Digraph()
    chart.attr(rankdir=direction, newrank="true", fontname=font,
               nodesep="0.3", ranksep="0.35", labelloc="t")  # fmt: skip
    chart.attr("node", fontname=font, fontsize="11", margin="0.12,0.06")
    chart.attr("edge", fontname=font, fontsize="10", color="#555555")
    chart.node("start", label="", shape="circle", style="filled", fillcolor="#333333",
               width="0.18", fixedsize="true", tooltip="start")  # fmt: skip
    return tuple(chart.body)


def _lanes(sop: Sop) -> list[tuple[str, list[Node]]]:
    """Nodes grouped by role, roles in the order declared (then any undeclared ones)."""
    order = [role.id for role in sop.roles]
    order += sorted({n.role for n in sop.nodes if n.role and n.role not in order})
    return [(role, [n for n in sop.nodes if n.role == role]) for role in order]


def to_dot(sop: Sop, style: ChartStyle, role_names: Mapping[str, str]) -> str:
    """The DOT source of a SOP's flowchart: a lane per role, then the flow."""
    body = [*_header(style.font, direction_of(sop, style))]
    lanes = [(role, nodes) for role, nodes in _lanes(sop) if nodes]
    in_lane = {n.index for _, nodes in lanes for n in nodes}
    for number, (role, nodes) in enumerate(lanes):
        body += _lane(number, role, nodes, style, role_names)
    body += [_node_line(node, style) for node in sop.nodes if node.index not in in_lane]
    if sop.flow.start is not None:
        body.append(f"\tstart -> n{sop.flow.start}\n")
    sinks = []  # where the chart ends: every lane reaches down to them
    for edges in sop.flow.edges:
        for edge in edges:
            if edge.target is None:
                continue
            label = "" if edge.label is None else f" [label={quote_escaped(_label(edge.label))}]"
            if edge.source - edge.target >= FAR_BACK:
                body += _stub(edge.source, edge.target, label, style)
                sinks.append(f"back{edge.source}_{edge.target}")
                continue
            body.append(f"\tn{edge.source} -> n{edge.target}{label}\n")
    for index in sorted(sop.flow.terminals):
        if not isinstance(sop.nodes[index], End):
            body.append(f"\tend{index}{_END_MARKER}\n")
            body.append(f"\tn{index} -> end{index}\n")
            sinks.append(f"end{index}")
    if lanes:
        sinks += [f"n{node.index}" for node in sop.nodes if _goes_back(sop, node.index)]
        body += _bands(len(lanes), sinks)
    return digraph(sop.id, body)


def _lane(
    number: int, role: str, nodes: list[Node], style: ChartStyle, role_names: Mapping[str, str]
) -> list[str]:
    """A role's lane: a cluster with its nodes and two invisible anchors (see `_bands`).

    Graphviz orders a graph's subgraphs by the memory address of their names, except
    names starting with `%`, which it numbers in the order it reads them. In one `dot`
    laying out many graphs, addresses depend on the graphs before, so bare clusters
    would make the layout depend on the batch. The wrapper pins the order: each wrapper
    holds one cluster, and wrappers are numbered.
    """
    colour = LANE_COLOURS[number % len(LANE_COLOURS)]
    tooltip = quote_escaped(graphviz.escape(clip(role_names.get(role, role), TOOLTIP_CHARS)))
    attrs = _LANE_ATTRS.format(colour, quote_escaped(_label(role)), tooltip)
    return [
        f'\tsubgraph "%lane{number}" {{\n\t\tsubgraph cluster_{number} {{\n\t\t\t{attrs}\n',
        *(f"\t\t{_node_line(node, style)}" for node in nodes),
        f"\t\t\tlane{number}_first {_ANCHOR}\n\t\t\tlane{number}_last {_ANCHOR}\n",
        "\t\t}\n\t}\n",
    ]


def _goes_back(sop: Sop, index: int) -> bool:
    """A node whose every way out leads up the list (or nowhere): one of the deepest."""
    return all(edge.target is None or edge.target <= index for edge in sop.flow.edges[index])


def _bands(count: int, sinks: list[str]) -> list[str]:
    """Lanes as parallel bands of one length: each lane's first anchor shares the start's
    rank, its last anchor a rank below every node that ends the chart; flat invisible
    edges keep the lanes in the order roles are declared."""
    firsts = " ".join(f"lane{n}_first;" for n in range(count))
    lasts = " ".join(f"lane{n}_last;" for n in range(count))
    return [
        f"\t{{rank=same; start; {firsts}}}\n",
        f"\tlanes_end {_ANCHOR}\n",
        f"\t{{rank=same; lanes_end; {lasts}}}\n",
        *(f"\t{sink} -> lanes_end {_INVISIBLE}\n" for sink in dict.fromkeys(sinks)),
        *(f"\tlane{n}_first -> lane{n + 1}_first {_INVISIBLE}\n" for n in range(count - 1)),
    ]


def _stub(source: int, target: int, label: str, style: ChartStyle) -> list[str]:
    """A loop back to a step far above would cross the whole chart: a short stub that
    names the step (and links to it) says the same."""
    stub = f"back{source}_{target}"
    link = f" href={_quote(f'#step-{target + 1}')}" if style.step_links else ""
    number = _quote(f"↩ {target + 1}")
    return [f"\t{stub} [label={number} {_STUB_ATTRS}{link}]\n", f"\tn{source} -> {stub}{label}\n"]


def digraph(name: str, body: list[str]) -> str:
    """What `graphviz.Digraph(name=graphviz.escape(name))` with this body writes (a test
    holds it to that), without a `Digraph` a chart: making one was a twentieth of the
    cost of the DOT."""
    head = f"digraph {quote_escaped(graphviz.escape(name))} {{" if name else "digraph {"
    return f"{head}\n{''.join(body)}}}\n"


def to_mermaid(sop: Sop, style: ChartStyle) -> str:
    """A Mermaid flowchart; every label is quoted and entity-escaped."""
    lines = [f"flowchart {'LR' if direction_of(sop, style) == 'LR' else 'TD'}"]
    lines.append('  start((" "))')
    for node in sop.nodes:
        duration = duration_of(node)
        text = mermaid_text(f"{node.index + 1}. {clip(node.text, LABEL_CHARS)}") + (
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
                label = mermaid_text(clip(edge.label, LABEL_CHARS))
                lines.append(f'  n{edge.source} -->|"{label}"| n{edge.target}')
            else:
                lines.append(f"  n{edge.source} --> n{edge.target}")
    for index in sorted(sop.flow.terminals):
        if not isinstance(sop.nodes[index], End):
            lines.append(f'  end{index}(((" "))))')
            lines.append(f"  n{index} --> end{index}")
    return "\n".join(lines)
