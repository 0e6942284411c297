"""One `sopkit conform` run: read the logs, map their activities, measure, word it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo

from sopkit.conform.logs import Columns, LogError, read_logs
from sopkit.conform.mapping import ActivityMap, read_map, resolve
from sopkit.conform.measure import Report, measure
from sopkit.model import Sop

FORMATS = ("text", "json", "markdown", "html")


@dataclass(frozen=True)
class ConformOptions:
    columns: Columns = field(default_factory=Columns)
    map_file: str | None = None
    zone: tzinfo = UTC
    csat: str | None = None


def _quiet(message: str) -> None:
    return None


def zone_named(name: str | None) -> tzinfo:
    """An IANA time zone (`Europe/Athens`) for times written without one; UTC by default."""
    if not name:
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LogError(f"unknown time zone '{name}'",
                       hint="an IANA name such as Europe/Ljubljana, or UTC") from None  # fmt: skip


def conform(
    sop: Sop,
    logs: Sequence[str],
    options: ConformOptions,
    tell: Callable[[str], None] | None = None,
) -> Report:
    """Read, map, measure; `tell` hears how far it got (a terminal shows it)."""
    if tell is None:
        tell = _quiet
    chosen = read_map(options.map_file) if options.map_file else ActivityMap()
    columns = options.columns
    if options.csat:
        columns = replace(columns, extra=(*columns.extra, options.csat))
    tell(f"reading {', '.join(logs)}")
    log = read_logs(logs, columns, options.zone)
    tell(f"checking {log.events} events of {len(log.cases)} cases against {sop.id}")
    resolved = resolve(sop, log.activities, chosen)
    return measure(sop, log, resolved, options.csat)


def word(report: Report, output_format: str) -> tuple[str, str | None]:
    """The report in `output_format`, and a note for the user (no `dot` for the chart)."""
    if output_format != "html":
        from sopkit.conform.report import FORMATS as WORDED

        return WORDED[output_format](report), None
    from sopkit.conform.html import chart_dot, html_report
    from sopkit.render.graphviz_run import INSTALL_COMMANDS, dot_executable, lay_out

    executable = dot_executable()
    svg, note = None, None
    if executable is None:
        note = f"Graphviz is not installed, so the report has no flowchart. {INSTALL_COMMANDS}"
    else:
        [laid_out] = lay_out(executable, ["svg"], [chart_dot(report)])
        if isinstance(laid_out, dict):
            svg = laid_out["svg"]
        else:
            note = f"the flowchart could not be laid out: {laid_out.message}"
    return html_report(report, svg, note), note
