"""`sopkit paths`, `sopkit stats`, `sopkit diff` and `sopkit walk`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from sopkit.cli.common import (
    PathsArgument,
    SopArgument,
    SourceOption,
    _stderr,
    app,
    choice,
    default_paths,
    friendly_errors,
    use_color,
)
from sopkit.errors import SopkitError
from sopkit.procdiff import DIFF_FORMATS
from sopkit.reports import PATHS_REPORTS, STATS_ORDER, STATS_REPORTS


@app.command(rich_help_panel="Learn and review")
@friendly_errors
def paths(
    sop: SopArgument,
    source: SourceOption = None,
    output_format: Annotated[str, choice("--format", PATHS_REPORTS, "-f")] = "text",
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="Stop after this many paths.")
    ] = 1000,
) -> None:
    """Every scenario a procedure allows: each path from start to an end.

    A loop is gone round at most once. Each path shows its decisions' answers and
    its total expected time; paths over the SOP's SLA are marked. Exit 1 when
    there were more paths than --limit.

    Example:

      sopkit paths CS-ESC-002
    """
    from sopkit.analysis import all_paths
    from sopkit.config import load_config
    from sopkit.lookup import find

    config = load_config()  # rule names are check's to validate: no rule is imported here
    chosen, _ = find(sop, source or config.source)
    search = all_paths(chosen, limit)
    sys.stdout.write(PATHS_REPORTS[output_format](chosen, search))
    if search.truncated:
        _stderr(
            f"stopped after {len(search.paths)} paths: {chosen.id} has more than that; "
            "raise --limit to see more, or split the procedure"
        )
        raise typer.Exit(1)


@app.command(rich_help_panel="Learn and review")
@friendly_errors
def stats(
    paths: PathsArgument = None,
    output_format: Annotated[str, choice("--format", STATS_REPORTS, "-f")] = "text",
    sort: Annotated[str, choice("--sort", STATS_ORDER, help="Sort by this column.")] = "id",
) -> None:
    """How big and how tangled each procedure is, and the total.

    Columns: steps, decisions, ends, sop: calls, paths (capped at 1000, shown as
    1000+), the longest path in nodes and in time, and cyclomatic complexity.
    SOPs over `max_nodes` (config, default 40) are flagged.
    """
    from sopkit.analysis import stats_of
    from sopkit.config import load_config
    from sopkit.discovery import discover
    from sopkit.lookup import load_sop

    config = load_config()  # rule names are check's to validate: no rule is imported here
    rows = [stats_of(load_sop(f.display)) for f in discover(default_paths(paths, config.source))]
    key = STATS_ORDER[sort]
    rows.sort(key=lambda r: (getattr(r, key), r.sop_id), reverse=key != "sop_id")
    sys.stdout.write(STATS_REPORTS[output_format](rows, config.max_nodes))


@app.command(rich_help_panel="Learn and review")
@friendly_errors
def diff(
    old: Annotated[str, typer.Argument(help="The old SOP (file or id), or the SOP with --rev.")],
    new: Annotated[str | None, typer.Argument(help="The new SOP (file or id).")] = None,
    rev: Annotated[
        list[str] | None,
        typer.Option(
            "--rev",
            help="Compare with this git revision (once: it against the working tree; "
            "twice: the first against the second).",
        ),
    ] = None,
    output_format: Annotated[str, choice("--format", DIFF_FORMATS, "-f")] = "text",
    source: SourceOption = None,
) -> None:
    """A change to a procedure as a change to the process, not to YAML lines.

    Steps and decisions added, removed or reworded (matched by node id), branches
    rewired, roles and durations changed, metadata changed (owner, SLA, review
    date, version, ...). Warns when the process changed but `version` or
    `changelog` did not. `--format markdown` is ready to paste into a pull request.

    Examples:

      sopkit diff old/escalation.yaml sops/escalation.yaml

      sopkit diff CS-ESC-002 --rev HEAD~1            # the working tree against a commit

      sopkit diff sops/escalation.yaml --rev v1 --rev v2
    """
    from sopkit.config import load_config
    from sopkit.lookup import find, load_sop
    from sopkit.procdiff import diff_sops
    from sopkit.revisions import check_revision, read_at_revision

    config = load_config()  # rule names are check's to validate: no rule is imported here
    folder = source or config.source

    def path_of(reference: str) -> str:
        return reference if os.path.isfile(reference) else find(reference, folder)[0].path

    revisions = rev or []
    if len(revisions) > 2 or (revisions and new is not None) or (not revisions and new is None):
        raise SopkitError(
            "give two SOPs (OLD NEW), or one SOP with --rev REV (against the working tree) "
            "or with --rev OLD_REV --rev NEW_REV"
        )
    if not revisions:
        assert new is not None
        before, after = load_sop(path_of(old)), load_sop(path_of(new))
    else:
        for revision in revisions:
            check_revision(revision)
        path = path_of(old)
        current = load_sop(path)
        old_bytes = read_at_revision(path, revisions[0], current.id)
        before = load_sop(f"{path}@{revisions[0]}", old_bytes)
        if len(revisions) == 2:
            new_bytes = read_at_revision(path, revisions[1], current.id)
            after = load_sop(f"{path}@{revisions[1]}", new_bytes)
        else:
            after = current
    result = diff_sops(before, after)
    sys.stdout.write(DIFF_FORMATS[output_format](result))
    if output_format != "markdown":
        for warning in result.warnings:
            _stderr(f"warning: {warning}")


@app.command(rich_help_panel="Learn and review")
@friendly_errors
def walk(
    sop: SopArgument,
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers",
            metavar="A,B,...",
            help="Walk without asking: the answers to the decisions, in order "
            "(labels or numbers). For scripts and tests.",
        ),
    ] = None,
    source: SourceOption = None,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            metavar="FILE",
            help="Append the finished walk to this CSV event log, for `sopkit conform`.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", metavar="NAME", help="Who walked, in the log (default: your user)."),
    ] = None,
) -> None:
    """Practise a procedure in the terminal, one step at a time.

    Enter moves on, a number answers a decision, b goes back one step, q or
    Ctrl-C stops. A `sop:` step walks you through the procedure it calls and
    brings you back. At the end: the path you took and its expected time.
    With --record, a finished walk is appended to an event log (a row per step:
    run id, node id, time, who), so practice can be checked with `sopkit conform`.

    Examples:

      sopkit walk CS-ESC-002
      sopkit walk CS-ESC-002 --record practice.csv --by "Ana Novak"
    """
    from sopkit.cli.walking import Recorder, run_walk
    from sopkit.config import load_config
    from sopkit.lookup import find

    config = load_config()  # rule names are check's to validate: no rule is imported here
    chosen, library = find(sop, source or config.source)
    scripted = None  # asked one by one
    if answers is not None:  # `--answers ""`: a walk that has no decision to answer
        scripted = [a.strip() for a in answers.split(",")] if answers.strip() else []
    recorder: Recorder | None = None
    if record is not None:
        from sopkit.cli.recording import recorder_for

        recorder = recorder_for(record, chosen.id, by)
    raise typer.Exit(run_walk(chosen, library, scripted, color=use_color(), recorder=recorder))
