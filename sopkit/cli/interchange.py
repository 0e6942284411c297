"""`sopkit import`, `sopkit export` and `sopkit mcp`: SOPs in and out of other tools (BPMN
modellers, programs, AI agents)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sopkit.cli.common import (
    Commands,
    PathsArgument,
    _stderr,
    app,
    default_paths,
    friendly_errors,
)

import_app = typer.Typer(cls=Commands, help="Bring procedures in from other tools.",
                         no_args_is_help=True)  # fmt: skip
export_app = typer.Typer(cls=Commands, help="Hand SOPs to other tools.", no_args_is_help=True)
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


@export_app.command("json")
@friendly_errors
def export_json(
    paths: PathsArgument = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Write every SOP as one JSON document, its flow resolved, for bots and other programs.

    Each SOP with its metadata, roles, terms and KPIs; every node with its
    successors made explicit (`next` filled in, implicit ends marked, answers
    with their targets, `sop:` calls with the called SOP's id); and the numbers
    `sopkit stats` shows. Its JSON Schema: `sopkit schema --export`. SOPs with
    errors are not exported (exit 1). The format: docs/export.md.

    Examples:

      sopkit export json -o sops.json
      sopkit export json sops/escalation.yaml | jq '.sops[0].nodes[].text'
    """
    from sopkit.checked import checked_sources
    from sopkit.config import load_config
    from sopkit.exportjson import export_sources

    config = load_config()
    sources = checked_sources(default_paths(paths, config.source))
    data = export_sources(sources)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    from sopkit.files import write_output

    write_output(output, data)
    _stderr(f"wrote {output} ({len(sources)} SOPs)")


@app.command(rich_help_panel="Interchange")
@friendly_errors
def mcp(
    source: Annotated[
        Path | None,
        typer.Option("--source", help="The SOPs to serve (default: the source folder)."),
    ] = None,
    cache: Annotated[
        bool,
        typer.Option(
            "--cache/--no-cache",
            help="Keep read SOPs in the user's cache folder, so large repositories start fast.",
        ),
    ] = True,
) -> None:
    """Serve the SOPs to AI agents over the Model Context Protocol (stdio).

    Tools: search_sops, get_sop, start_procedure, answer, back and hand_off (a
    summary for the colleague who takes over); a resource per SOP (sop://ID) and
    the glossary; the prompt follow-sop. Edited SOP files are picked up while it
    runs; a file that stops loading keeps its last good version. Needs the MCP
    SDK: pip install 'sopkit[mcp]'. Connecting clients: docs/agents.md.

    Example (an MCP client's configuration):

      {"command": "sopkit", "args": ["mcp", "--source", "/path/to/repo/sops"]}
    """
    from sopkit.config import load_config
    from sopkit.errors import SopkitError

    config = load_config()
    folder = source or config.source
    if not folder.is_dir():
        raise SopkitError(f"no such folder: {folder}", hint="name the SOPs' folder: --source DIR")
    try:
        from sopkit.agents.server import serve
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith(("mcp", "pydantic")):
            raise
        raise SopkitError(
            "sopkit mcp needs the MCP SDK, which is not installed",
            hint="pip install 'sopkit[mcp]'",
        ) from None
    serve(folder, config.language, use_cache=cache)
