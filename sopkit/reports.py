"""Text, JSON and CSV for `sopkit paths` and `sopkit stats`: plain functions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from sopkit.analysis import PathSearch, Stats
from sopkit.model import Sop
from sopkit.values import format_seconds


def paths_text(sop: Sop, search: PathSearch) -> str:
    sla = f", SLA {sop.sla.text}" if sop.sla else ""
    lines = [f"{sop.id}: {len(search.paths)} path{'' if len(search.paths) == 1 else 's'}{sla}"]
    for number, path in enumerate(search.paths, start=1):
        route = " → ".join(
            sop.nodes[h.index].id + (f" [{h.answer}]" if h.answer is not None else "")
            for h in path.hops
        )
        mark = "  ⚠ over SLA" if path.over(sop) else ""
        lines.append(f"{number:>4}. {format_seconds(path.seconds):>8}  {route}{mark}")
    return "\n".join(lines) + "\n"


def paths_json(sop: Sop, search: PathSearch) -> str:
    document = {
        "sop": sop.id,
        "sla_seconds": sop.sla.seconds if sop.sla else None,
        "truncated": search.truncated,
        "paths": [
            {
                "seconds": path.seconds,
                "duration": format_seconds(path.seconds),
                "over_sla": path.over(sop),
                "nodes": [
                    {
                        "id": sop.nodes[h.index].id,
                        "kind": sop.nodes[h.index].kind.value,
                        "text": sop.nodes[h.index].text,
                        "answer": h.answer,
                    }
                    for h in path.hops
                ],
            }
            for path in search.paths
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


STAT_COLUMNS = (
    "sop_id", "steps", "decisions", "ends", "calls", "paths", "longest_nodes",
    "longest_seconds", "complexity",
)  # fmt: skip


def stats_text(rows: Sequence[Stats], max_nodes: int) -> str:
    header = ("SOP", "steps", "decisions", "ends", "calls", "paths", "longest", "time", "CC")
    table: list[tuple[str, ...]] = [header]
    for row in rows:
        paths = f"{row.paths}{'+' if row.paths_capped else ''}"
        flag = "  ⚠ over max_nodes" if row.steps + row.decisions + row.ends > max_nodes else ""
        counts = (row.steps, row.decisions, row.ends, row.calls)
        time = format_seconds(row.longest_seconds)
        table.append((row.sop_id, *map(str, counts), paths, str(row.longest_nodes), time,
                      str(row.complexity) + flag))  # fmt: skip
    total = _total(rows)
    table.append(("total", *(str(total[c]) for c in STAT_COLUMNS[1:6]), "", "", ""))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        aligned = (
            c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)
        )
        return "  ".join(aligned).rstrip()

    return "\n".join(line(r) for r in table) + "\n"


def _total(rows: Sequence[Stats]) -> dict[str, int]:
    return {c: sum(int(getattr(r, c)) for r in rows) for c in STAT_COLUMNS[1:]}


def stats_json(rows: Sequence[Stats], max_nodes: int) -> str:
    document = {
        "max_nodes": max_nodes,
        "sops": [
            {**r.as_dict(), "over_max_nodes": r.steps + r.decisions + r.ends > max_nodes}
            for r in rows
        ],
        "total": _total(rows),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def stats_csv(rows: Sequence[Stats], max_nodes: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*STAT_COLUMNS, "paths_capped", "title"])
    for r in rows:
        writer.writerow([*(getattr(r, c) for c in STAT_COLUMNS), r.paths_capped, r.title])
    return out.getvalue()


PATHS_REPORTS = {"text": paths_text, "json": paths_json}
"""`sopkit paths --format`: the choices are this registry's keys."""

STATS_REPORTS = {"text": stats_text, "json": stats_json, "csv": stats_csv}
"""`sopkit stats --format`: the choices are this registry's keys."""

STATS_ORDER = {
    "id": "sop_id", "steps": "steps", "decisions": "decisions", "paths": "paths",
    "longest": "longest_nodes", "time": "longest_seconds", "complexity": "complexity",
}  # fmt: skip
"""`sopkit stats --sort`: each choice and the column it sorts by."""
