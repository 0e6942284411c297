"""`sopkit conform --format html`: one self-contained page whose centrepiece is the
SOP's own flowchart coloured by what happened, and a histogram of case durations
with the SLA marked.

The flowchart is laid out by Graphviz `dot` (edge width by cases, node colour by the
median time against the declared duration, each node's share of cases that reached
it); without `dot` the page has every table and says how to install it. Every user
text is escaped: by `graphviz.escape` in DOT, by Jinja's autoescape in the page.
"""

from __future__ import annotations

import re
from typing import Any

import graphviz

from sopkit.conform.measure import NodeStats, Report
from sopkit.conform.report import (
    VARIANT_ACTIVITIES,
    as_data,
    deviation_counts,
    percent,
    short_time,
)
from sopkit.model import Decision, End
from sopkit.text import wrap

ON_TIME, LATE, SLOW, UNMEASURED = "#d9f2d9", "#fff1c2", "#f8d0d0", "#f2f2f2"
BINS = 20
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def node_colour(node: NodeStats) -> str:
    """Green: the median is within the declared duration; yellow: up to twice it; red:
    twice or more; grey: no duration declared, or nothing measured."""
    median = node.median_s
    if median is None or not node.declared_s:
        return UNMEASURED
    if median <= node.declared_s:
        return ON_TIME
    return SLOW if node.slow else LATE


def _label(lines: list[str]) -> str:
    escaped = [graphviz.escape(line) for line in lines]
    return graphviz.nohtml("\\n".join(escaped))  # type: ignore[no-any-return]


def chart_dot(report: Report) -> str:
    sop = report.sop
    chart = graphviz.Digraph(name=graphviz.escape(sop.id))
    chart.attr(rankdir="TB", fontname="DejaVu Sans, Noto Sans, sans-serif")
    chart.attr("node", fontname="DejaVu Sans, Noto Sans, sans-serif", fontsize="11")
    chart.attr("edge", fontname="DejaVu Sans, Noto Sans, sans-serif", fontsize="10")
    for node, stats in zip(sop.nodes, report.nodes, strict=True):
        reached = stats.reached / report.cases if report.cases else 0.0
        lines = wrap(f"{node.index + 1}. {node.text}", 28) or [""]
        facts = [f"{percent(reached)} of cases"]
        if stats.median_s is not None:
            declared = f" / {short_time(stats.declared_s)}" if stats.declared_s else ""
            facts.append(f"median {short_time(stats.median_s)}{declared}")
        shape = "diamond" if isinstance(node, Decision) else "box"
        style = "filled,rounded" if isinstance(node, End) else "filled"
        if stats.silent:
            style += ",dashed"
        chart.node(f"n{node.index}", _label([*lines, *facts]), shape=shape, style=style,
                   fillcolor=node_colour(stats), tooltip=graphviz.escape(node.id))  # fmt: skip
    busiest = max(report.edges.values(), default=0)
    for edges in sop.flow.edges:
        for edge in edges:
            if edge.target is None:
                continue
            cases = report.edges.get((edge.source, edge.target), 0)
            width = 1 + 6 * cases / busiest if busiest else 1
            label = [edge.label] if edge.label else []
            label.append(f"{cases}")
            chart.edge(f"n{edge.source}", f"n{edge.target}", label=_label(label),
                       penwidth=f"{width:.2f}",
                       color="#3b6ea5" if cases else "#b0b0b0")  # fmt: skip
    source: str = chart.source
    return source


def histogram(report: Report) -> dict[str, Any]:
    """Bars of case durations, in days, the SLA's place on the same scale."""
    durations = report.durations
    sla = report.sla_s
    top = max([*durations, sla or 0, 1.0])
    width = top / BINS
    counts = [0] * BINS
    for value in durations:
        counts[min(BINS - 1, int(value / width))] += 1
    tallest = max(counts) or 1
    bars = [
        {"x": i / BINS, "height": count / tallest, "count": count,
         "from": short_time(i * width), "to": short_time((i + 1) * width)}
        for i, count in enumerate(counts)
    ]  # fmt: skip
    return {
        "bars": bars,
        "sla": None if sla is None else sla / top,
        "sla_text": short_time(sla) if sla is not None else None,
        "top": short_time(top),
        "median": short_time(report.duration_median_s),
        "p90": short_time(report.duration_p90_s),
    }


def embeddable_svg(svg: bytes) -> str:
    """`dot`'s SVG without its XML declaration and DOCTYPE, to sit inside HTML."""
    return _PROLOGUE.sub("", svg.decode("utf-8"), count=1)


def html_report(report: Report, chart_svg: bytes | None, chart_note: str | None) -> str:
    from jinja2 import Environment, select_autoescape

    from sopkit.templating import template_loader

    env = Environment(loader=template_loader(None),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
    template = env.get_template("conform.html.j2")
    data = as_data(report)
    return template.render(
        report=report,
        data=data,
        language=report.sop.language or "en",
        chart=None if chart_svg is None else embeddable_svg(chart_svg),
        chart_note=chart_note,
        histogram=histogram(report),
        deviations=deviation_counts(report).most_common(),
        short_time=short_time,
        percent=percent,
        shown_activities=VARIANT_ACTIVITIES,
        colours={"on_time": ON_TIME, "late": LATE, "slow": SLOW, "unmeasured": UNMEASURED},
    )
