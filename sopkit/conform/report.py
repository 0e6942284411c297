"""`sopkit conform`'s reports as text, JSON and Markdown: plain functions of a `Report`.

The JSON is the interface for scripts (docs/conform.md lists its fields); the text
is a terminal summary; the Markdown is ready for a pull request or a wiki.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sopkit.conform.measure import NodeStats, Report
from sopkit.escape import md_cell, md_text
from sopkit.text import clip

MAX_VARIANTS = 10
MAX_CASES = 20


def short_time(seconds: float | None) -> str:
    """A duration to read at a glance: `45s`, `12m`, `3h20m`, `4d6h`."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def deviation_counts(report: Report) -> Counter[str]:
    return Counter(d.kind for case in report.case_results for d in case.deviations)


def as_data(report: Report) -> dict[str, Any]:
    sop = report.sop
    node_ids = [node.id for node in sop.nodes]
    return {
        "sop": sop.id,
        "title": sop.title,
        "logs": report.logs,
        "cases": report.cases,
        "events": report.events,
        "fitting": report.fitting,
        "fitness": round(report.fitness, 6),
        "bad_rows": {
            "count": report.bad_rows,
            "examples": [
                {"file": f, "line": line, "why": why} for f, line, why in report.bad_examples
            ],
        },
        "unknown_activities": [{"activity": a, "events": n} for a, n in report.unknown],
        "never_logged": report.never_logged,
        "case_duration": {
            "median_s": report.duration_median_s,
            "p90_s": report.duration_p90_s,
            "sla_s": report.sla_s,
            "within_sla": report.within_sla,
        },
        "csat": None
        if report.csat is None
        else {"average": round(report.csat, 6), "cases": report.csat_cases},
        "bottleneck": report.bottleneck.id if report.bottleneck else None,
        "deviations": dict(sorted(deviation_counts(report).items())),
        "case_results": [
            {
                "case": case.case,
                "fits": case.fits,
                "deviations": [
                    {"kind": d.kind, "node": d.node, "activity": d.activity, "time": d.time}
                    for d in case.deviations
                ],
                "duration_s": case.duration_s,
                "within_sla": case.within_sla,
            }
            for case in report.case_results
        ],
        "nodes": [_node_data(report, node) for node in report.nodes],
        "variants": [
            {"activities": list(v.activities), "cases": v.cases, "fits": v.fits}
            for v in report.variants
        ],
        "decisions": [
            {
                "id": d.id,
                "text": d.text,
                "cases": d.cases,
                "answers": [
                    {
                        "answer": answer,
                        "cases": cases,
                        "share": round(cases / d.cases, 6) if d.cases else None,
                    }
                    for answer, cases in d.answers
                ],
            }
            for d in report.decisions
        ],
        "edges": [
            {"from": node_ids[source], "to": node_ids[target], "cases": cases}
            for (source, target), cases in sorted(report.edges.items())
        ],
    }


def _node_data(report: Report, node: NodeStats) -> dict[str, Any]:
    return {
        "id": node.id,
        "text": node.text,
        "kind": node.kind,
        "silent": node.silent,
        "cases": node.cases,
        "events": node.events,
        "reached": node.reached,
        "reached_share": round(node.reached / report.cases, 6) if report.cases else None,
        "median_s": node.median_s,
        "p90_s": node.p90_s,
        "declared_s": node.declared_s,
        "slow": node.slow,
        "time_share": round(report.time_share(node), 6),
    }


def json_report(report: Report) -> str:
    return json.dumps(as_data(report), ensure_ascii=False, indent=2) + "\n"


def _headline(report: Report) -> list[str]:
    lines = [
        f"{report.cases} cases, {report.events} events",
        f"fitting: {report.fitting} of {report.cases} cases ({percent(report.fitness)})",
    ]
    counts = deviation_counts(report)
    if counts:
        lines.append("deviations: " + ", ".join(f"{kind} {n}" for kind, n in counts.most_common()))
    time = (f"time to resolution: median {short_time(report.duration_median_s)}, "
            f"P90 {short_time(report.duration_p90_s)}")  # fmt: skip
    if report.sla_s is not None:
        time += f"; within the SLA ({short_time(report.sla_s)}): {percent(report.within_sla)}"
    lines.append(time)
    neck = report.bottleneck
    if neck is not None:
        lines.append(f"bottleneck: {neck.id} ({percent(report.time_share(neck))} of the time)")
    if report.csat is not None:
        lines.append(f"CSAT: {report.csat:.2f} average over {report.csat_cases} cases")
    elif report.csat_column is not None:
        lines.append(f"CSAT: no case has a number in its '{clip(report.csat_column, 60)}' "
                     "attribute")  # fmt: skip
    return lines


VARIANT_ACTIVITIES = 40
"""A variant is shown with its first 40 activities (a case read with the wrong case
column can have thousands); `--format json` has them all."""


def shown_variant(activities: Sequence[str]) -> str:
    shown = " > ".join(clip(a, 60) for a in activities[:VARIANT_ACTIVITIES])
    more = len(activities) - VARIANT_ACTIVITIES
    return f"{shown} > … ({more:,} more)" if more > 0 else shown


def _advice(report: Report) -> list[str]:
    lines = []
    if report.bad_rows:
        examples = "; ".join(f"{f}:{line}: {why}" for f, line, why in report.bad_examples[:3])
        lines.append(f"{report.bad_rows} rows could not be read ({examples})")
        if report.time_hint:
            lines.append(report.time_hint)
    if report.unknown:
        named = ", ".join(f"{clip(a, 60)} ({n})" for a, n in report.unknown[:10])
        lines.append(f"activities that match no node: {named}; map them or ignore them "
                     "in a --map file")  # fmt: skip
    if report.never_logged:
        lines.append(
            f"nodes no activity maps to: {', '.join(report.never_logged)}; every "
            "case skips them: map an activity to them, or list them as silent"
        )
    return lines


def text_report(report: Report) -> str:
    sop = report.sop
    lines = [f"{sop.id}: {sop.title}", *("  " + line for line in _headline(report)), ""]
    width = max(len(n.id) for n in report.nodes) if report.nodes else 4
    lines.append(f"  {'node':<{width}}  {'cases':>6}  {'median':>7}  {'P90':>7}  {'SOP':>6}")
    for node in report.nodes:
        if node.silent and not node.events:
            continue
        flag = "  slow: 2x or more" if node.slow else ""
        declared = short_time(node.declared_s) if node.declared_s else "-"
        lines.append(f"  {node.id:<{width}}  {node.cases:>6}  {short_time(node.median_s):>7}  "
                     f"{short_time(node.p90_s):>7}  {declared:>6}{flag}")  # fmt: skip
    if report.decisions:
        lines.append("")
        for decision in report.decisions:
            answers = ", ".join(
                f"{answer} {percent(cases / decision.cases if decision.cases else None)}"
                for answer, cases in decision.answers
            )
            lines.append(f"  {decision.id}: {answers}")
    lines += ["", f"  variants ({len(report.variants)}; the {MAX_VARIANTS} most common):"]
    for variant in report.variants[:MAX_VARIANTS]:
        mark = "fits" if variant.fits else "    "
        lines.append(f"  {variant.cases:>6}  {mark}  {shown_variant(variant.activities)}")
    advice = _advice(report)
    if advice:
        lines.append("")
        lines += [f"note: {line}" for line in advice]
    return "\n".join(lines) + "\n"


def markdown_report(report: Report) -> str:
    sop = report.sop
    out = [f"# Does practice follow {md_text(sop.title)} ({md_text(sop.id)})?", ""]
    out += [f"- {md_text(line)}" for line in _headline(report)]
    out += ["", "## Steps", "",
            "| node | step | cases | median | P90 | the SOP says | |",
            "|---|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for node in report.nodes:
        declared = short_time(node.declared_s) if node.declared_s else ""
        flag = "**2× or more**" if node.slow else ("silent" if node.silent else "")
        out.append(
            f"| `{md_cell(node.id)}` | {md_cell(node.text)} | {node.cases} | "
            f"{short_time(node.median_s)} | {short_time(node.p90_s)} | {declared} | {flag} |"
        )
    if report.decisions:
        out += ["", "## Decisions", ""]
        for decision in report.decisions:
            out.append(f"- **{md_text(decision.text)}** ({decision.cases} cases): " + "; ".join(
                f"{md_text(answer)} {percent(cases / decision.cases if decision.cases else None)}"
                for answer, cases in decision.answers))  # fmt: skip
    out += ["", "## Variants", "", "| cases | fits | activities |", "|---:|---|---|"]
    for variant in report.variants[:MAX_VARIANTS]:
        out.append(f"| {variant.cases} | {'yes' if variant.fits else 'no'} | "
                   f"{md_cell(shown_variant(variant.activities))} |")  # fmt: skip
    if len(report.variants) > MAX_VARIANTS:
        out.append(f"\n{len(report.variants) - MAX_VARIANTS} more variants: `--format json`.")
    deviating = [case for case in report.case_results if case.deviations][:MAX_CASES]
    if deviating:
        out += [
            "",
            "## Cases that left the procedure",
            "",
            "| case | deviation | node | activity | time |",
            "|---|---|---|---|---|",
        ]
        for case in deviating:
            for d in case.deviations:
                out.append(f"| {md_cell(case.case)} | {d.kind} | {md_cell(d.node or '')} | "
                           f"{md_cell(d.activity or '')} | {d.time} |")  # fmt: skip
    advice = _advice(report)
    if advice:
        out += ["", "## Notes", ""] + [f"- {md_text(line)}" for line in advice]
    return "\n".join(out) + "\n"


FORMATS: dict[str, Callable[[Report], str]] = {
    "text": text_report,
    "json": json_report,
    "markdown": markdown_report,
}
