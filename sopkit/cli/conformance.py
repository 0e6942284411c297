"""`sopkit conform`: check helpdesk event logs against a SOP."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sopkit.cli.common import (
    SopArgument,
    SourceOption,
    _stderr,
    app,
    choice,
    friendly_errors,
    interactive,
)
from sopkit.conform.run import FORMATS


def _column(name: str, names: str) -> object:
    return typer.Option(f"--{name}", metavar="COLUMN",
                        help=f"The {name} column (found by name otherwise: {names}).")  # fmt: skip


@app.command(rich_help_panel="Learn and review")
@friendly_errors
def conform(
    sop: SopArgument,
    logs: Annotated[
        list[Path],
        typer.Argument(metavar="LOG...", help="Event logs: CSV (any delimiter) or XES."),
    ],
    map_file: Annotated[
        Path | None,
        typer.Option(
            "--map",
            metavar="FILE",
            help="YAML: activities (activity: node id), silent (nodes never logged), "
            "ignore (activities that are no step).",
        ),
    ] = None,
    output_format: Annotated[str, choice("--format", FORMATS, "-f")] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    case: Annotated[str | None, _column("case", "Case ID, case:concept:name")] = None,
    activity: Annotated[str | None, _column("activity", "Activity, concept:name")] = None,
    timestamp: Annotated[
        str | None, _column("timestamp", "Complete Timestamp, time:timestamp")
    ] = None,
    resource: Annotated[str | None, _column("resource", "Resource, org:resource")] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            metavar="ZONE",
            help="The zone of times written without one (default: UTC).",
        ),
    ] = None,
    time_format: Annotated[
        str | None,
        typer.Option(
            "--time-format",
            metavar="LAYOUT",
            help="How the times are written when not ISO 8601, in strptime codes: "
            "'%d.%m.%Y %H:%M' reads 15.01.2026 09:30.",
        ),
    ] = None,
    csat: Annotated[
        str | None,
        typer.Option(
            "--csat",
            metavar="COLUMN",
            help="A case attribute with the customer's rating: its average is reported.",
        ),
    ] = None,
    min_fitness: Annotated[
        float | None,
        typer.Option(
            "--min-fitness",
            min=0.0,
            max=1.0,
            metavar="X",
            help="Exit 1 when the share of fitting cases is below X (0 to 1).",
        ),
    ] = None,
    source: SourceOption = None,
) -> None:
    """Does practice follow the SOP? Check event logs from a helpdesk against it.

    Each case (ticket) fits when its events, in time order, are a path of the SOP
    from its start to an end; otherwise its deviations are listed (skipped,
    unexpected, unknown-activity, not-finished). The report: the share of
    fitting cases, each step's median and P90 time against its duration, the
    time to resolution against the SLA, path variants, the answers at each
    decision, the bottleneck. Exit 0 when it ran, 1 below --min-fitness, 2 on
    bad input. Definitions and the map file: docs/conform.md.

    Examples:

      sopkit conform HD-TICKET-007 helpdesk.csv --map helpdesk.map.yaml
      sopkit conform CS-ESC-002 export.xes --format html -o conformance.html
      sopkit conform CS-ESC-002 practice.csv --min-fitness 0.9
    """
    from sopkit.config import load_config
    from sopkit.conform.logs import Columns
    from sopkit.conform.run import ConformOptions, word, zone_named
    from sopkit.conform.run import conform as run_conform
    from sopkit.conform.times import time_layout
    from sopkit.lookup import find

    config = load_config()
    chosen, _ = find(sop, source or config.source)
    options = ConformOptions(
        Columns(case, activity, timestamp, resource, time_format=time_layout(time_format)),
        str(map_file) if map_file else None,
        zone_named(timezone),
        csat,
    )
    report = run_conform(chosen, [str(log) for log in logs], options,
                         _stderr if interactive() else None)  # fmt: skip
    text, note = word(report, output_format)
    if output is None:
        sys.stdout.write(text)
    else:
        from sopkit.files import write_output

        write_output(output, text.encode("utf-8"))
        _stderr(f"wrote {output}")
    if note:
        _stderr(f"note: {note}")
    if min_fitness is not None and report.fitness < min_fitness:
        _stderr(f"fitness {report.fitness:.3f} is below --min-fitness {min_fitness}")
        raise typer.Exit(1)
