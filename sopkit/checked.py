"""The gate of the commands that hand SOPs to other tools (`export bpmn`, `export json`):
the SOPs are checked first, and nothing is handed over while one has errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sopkit import checker
from sopkit.config import load_config
from sopkit.errors import ExitCode, SopkitError
from sopkit.formats import Style, text_report
from sopkit.rules import RULES


class RefusedError(SopkitError):
    """SOPs with errors were given to a command that hands SOPs on."""

    exit_code = ExitCode.PROBLEMS


def checked_sources(paths: Sequence[str], doing: str = "exporting") -> list[str]:
    """The SOP files of `paths`, in the plan's order, if none has errors; with errors, a
    refusal that lists them as `check` would."""
    config = load_config(known_rules=RULES)
    options = checker.CheckOptions(today=config.today or date.today())
    work = checker.plan(paths, config, options)
    result = checker.run(work, config, options)
    if result.errors:
        errors = tuple(p for p in result.problems if p.severity.name == "ERROR")
        report = text_report(result._replace(problems=errors), Style(quiet=True))
        raise RefusedError(f"not {doing}: fix these errors first\n{report.rstrip()}")
    return [source.display for source in work.targets]
