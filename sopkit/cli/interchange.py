"""`sopkit import bpmn` and `sopkit export bpmn`: SOPs in and out of BPMN modellers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sopkit.cli.common import _stderr, app, friendly_errors

import_app = typer.Typer(help="Bring procedures in from other tools.", no_args_is_help=True)
export_app = typer.Typer(help="Hand SOPs to other tools.", no_args_is_help=True)
app.add_typer(import_app, name="import", rich_help_panel="Interchange")
app.add_typer(export_app, name="export", rich_help_panel="Interchange")


@import_app.command("bpmn")
@friendly_errors
def import_bpmn(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="BPMN 2.0 files (.bpmn); given together, their call activities link up."
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Folder for the SOPs (default: each BPMN file's folder)."
        ),
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="The SOPs' language tag (en, el, sl, ...).")
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="The SOPs' department.")
    ] = None,
) -> None:
    """Write one SOP per BPMN process, from Camunda, Signavio, bpmn.io and other modellers.

    Tasks become steps, splitting gateways decisions, lanes roles, call activities
    `sop:` steps. What format 1 cannot say (parallel branches, boundary and
    intermediate events, messages between pools) is approximated and reported as
    `FILE:LINE: warning: ...`. No file is ever replaced: if one exists, nothing is
    written (exit 1). The mapping, element by element: docs/bpmn.md.

    Examples:

      sopkit import bpmn invoice.bpmn -o sops/ --department Finance
      sopkit import bpmn onboarding.bpmn manual-check.bpmn --language en
    """
    from sopkit.bpmn.importing import ImportOptions, import_files, write_new

    imported, warnings = import_files([str(f) for f in files], output,
                                      ImportOptions(language, department))  # fmt: skip
    for path, warning in sorted(warnings, key=lambda w: (w[0], w[1].line)):
        _stderr(f"{path}:{warning.line}: warning: {warning.message}")
    write_new(imported)
    for item in imported:
        _stderr(f"wrote {item.file} (from {item.source})")


@export_app.command("bpmn")
@friendly_errors
def export_bpmn(
    sops: Annotated[list[Path], typer.Argument(help="SOP files or folders.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="The .bpmn file (one SOP) or a folder (default: <id>.bpmn here)."
        ),
    ] = None,
) -> None:
    """Write each SOP as BPMN 2.0 XML for Camunda Modeler, bpmn.io, Signavio and others.

    A lane per role, a task per step (a `sop:` step calls the other SOP's
    process), an exclusive gateway per decision with one named flow per answer,
    drawn left to right. sopkit's ids, durations and SLA are kept in sopkit's
    own attributes, so `sopkit import bpmn` gives the SOP back. Files with
    errors are not exported (exit 1).

    Examples:

      sopkit export bpmn sops/escalation.yaml -o escalation.bpmn
      sopkit export bpmn sops/ -o bpmn/
    """
    from sopkit.bpmn.export_files import export_files

    written = export_files([str(p) for p in sops], output)
    if len(written) <= 10:
        for path in written:
            _stderr(f"wrote {path}")
    else:
        _stderr(f"wrote {len(written)} BPMN files into {Path(written[0]).parent}")
