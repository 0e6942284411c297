"""`sopkit check` and `sopkit rules`."""

from __future__ import annotations

import os
import sys
from datetime import date
from typing import Annotated

import typer

from sopkit.cli.common import (
    PathsArgument,
    TodayOption,
    _stderr,
    app,
    choice,
    default_paths,
    friendly_errors,
    parse_rule_list,
    parse_today,
    use_color,
)
from sopkit.errors import SopkitError
from sopkit.formats import REPORTS


@app.command(rich_help_panel="Check")
@friendly_errors
def check(
    paths: PathsArgument = None,
    output_format: Annotated[
        str | None,
        choice(
            "--format",
            REPORTS,
            "-f",
            help="Output format: text (compiler style file:line:col), json, sarif "
            "(code scanning) or github (annotations; the default under GitHub Actions).",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too, not only errors.")
    ] = False,
    today: TodayOption = None,
    select: Annotated[
        str | None,
        typer.Option(
            "--select", metavar="RULE,...", help="Report only these rules (comma-separated)."
        ),
    ] = None,
    ignore: Annotated[
        str | None,
        typer.Option("--ignore", metavar="RULE,...", help="Do not report these rules."),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print problems only, without the summary line.")
    ] = False,
) -> None:
    """Check SOP files against the format and the rules; exit 1 when problems are found.

    Examples:

      sopkit check                         # the configured source folder (sops/)

      sopkit check sops/support --strict   # warnings fail too

      sopkit check --format json > report.json

      sopkit check --ignore undefined-acronym,unused-term

    Exit status: 0 no errors, 1 problems found, 2 usage error or nothing to check.
    """
    from sopkit.checker import CheckOptions, exit_code
    from sopkit.checker import check as run_check
    from sopkit.config import load_config
    from sopkit.discovery import shown
    from sopkit.formats import Style
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    options = CheckOptions(
        today=parse_today(today) or config.today or date.today(),
        select=parse_rule_list(select, "--select"),
        ignore=parse_rule_list(ignore, "--ignore") or frozenset(),
    )
    chosen = output_format
    if chosen is None:
        chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    result = run_check(default_paths(paths, config.source), config, options)
    for skipped in result.not_sops:
        _stderr(f"{skipped}: skipped: not a SOP (outside {shown(config.source)}, no `id:`)")
    sys.stdout.write(REPORTS[chosen](result, Style(color=use_color(), quiet=quiet)))
    raise typer.Exit(exit_code(result, strict))


@app.command(rich_help_panel="Check")
@friendly_errors
def rules(
    name: Annotated[
        str | None, typer.Argument(help="A rule name, to print its full documentation.")
    ] = None,
) -> None:
    """List every rule with its default severity, or print one rule's documentation.

    Severities can be changed per rule in sopkit.toml:

      \\[rules]

      undefined-acronym = "off"
    """
    from sopkit.rules import RULES
    from sopkit.values import did_you_mean

    if name is None:
        width = max(len(n) for n in RULES)
        for rule in sorted(RULES.values(), key=lambda r: r.name):
            typer.echo(f"{rule.name:<{width}}  {rule.severity.value:<7}  {rule.summary}")
        return
    chosen = RULES.get(name)
    if chosen is None:
        raise SopkitError(f"'{name}' is not a rule{did_you_mean(name, RULES)}")
    typer.echo(f"{chosen.name} [{chosen.severity.value}]\n\n{chosen.doc}")
