"""What every command shares: the app, error handling, colours and common options."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import click
import typer
from typer.core import TyperGroup

from sopkit import __version__
from sopkit.errors import MissingPath, SopkitError

_P = ParamSpec("_P")
_R = TypeVar("_R")


class Commands(TyperGroup):
    """Typer adds a "Did you mean" to an unknown command's error; click 8.4 adds its own,
    and the user read the suggestion twice. Where click suggests, typer does not."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if hasattr(click.exceptions, "NoSuchCommand"):
            return click.Group.resolve_command(self, ctx, args)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=Commands,
    name="sopkit",
    help=(
        "Standard Operating Procedures as code.\n\n"
        "Write SOPs as YAML in git, check them in CI with `sopkit check`, and turn them "
        "into a handbook for new hires with `sopkit render`.\n\n"
        "Start with `sopkit check` in a repository that has a sops/ folder, "
        "and `sopkit rules` to see what is checked."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def choice(name: str, registry: Iterable[str], *aliases: str, help: str | None = None) -> Any:
    """An option whose values are a registry's keys (the core lists them; the CLI only
    offers them), with shell completion."""
    import click

    return typer.Option(name, *aliases, click_type=click.Choice(list(registry)), help=help)


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


def friendly_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a `SopkitError` into `error: ...` on stderr and its exit code, never a traceback.

    An `OSError` that no core function turned into a `SopkitError` is the file system
    refusing (disk full, a name too long, permissions): one `error:` line, exit 2.
    """

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except SopkitError as exc:
            _stderr(f"error: {exc.message}")
            hint = exc.hint or (_id_hint(exc.path) if isinstance(exc, MissingPath) else None)
            if hint:
                _stderr(f"hint: {hint}")
            raise typer.Exit(int(exc.exit_code)) from None
        except OSError as exc:  # the file system said no (disk full, a name too long...)
            where = f"{exc.filename}: " if exc.filename else ""
            _stderr(f"error: {where}{exc.strerror or exc}")
            raise typer.Exit(2) from None

    return run


def _id_hint(path: str) -> str | None:
    """When a path that is not there is a SOP's id: the file to give instead (`paths`,
    `walk` and `diff` take ids; commands over many SOPs take files and folders)."""
    from sopkit.config import load_config
    from sopkit.lookup import ids_in
    from sopkit.values import is_valid_id

    if not is_valid_id(path):
        return None
    try:
        ids = ids_in(load_config().source)
    except SopkitError:
        return None
    found = {known.casefold(): file for known, file in ids.items()}.get(path.casefold())
    if found is None:
        return None
    return f"'{path}' is the id of {found}: this command takes files and folders; give {found}"


def use_color(stream: object = None) -> bool:
    """Colours only on a terminal; NO_COLOR turns them off, FORCE_COLOR on."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def interactive(quiet: bool = False) -> bool:
    """Whether to show progress: a terminal that is not CI's, and not `--quiet`."""
    return use_color(sys.stderr) and not os.environ.get("CI") and not quiet


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sopkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Standard Operating Procedures as code."""


def parse_today(value: str | None) -> date | None:
    if value is None:
        return None
    from sopkit.values import parse_date

    parsed = parse_date(value)
    if parsed is None:
        raise SopkitError(f"--today '{value}' is not a date; write YYYY-MM-DD")
    return parsed


def parse_rule_list(value: str | None, option: str) -> frozenset[str] | None:
    if value is None:
        return None
    from sopkit.rules import RULES
    from sopkit.values import did_you_mean

    names = frozenset(part.strip() for part in value.split(",") if part.strip())
    for name in sorted(names):
        if name not in RULES:
            raise SopkitError(
                f"{option}: '{name}' is not a rule{did_you_mean(name, RULES)}",
                hint="`sopkit rules` lists them all",
            )
    return names


def default_paths(paths: list[str] | None, source: Path) -> list[str]:
    """The paths given, else the source folder, shown relative to here when it is below here."""
    from sopkit.discovery import shown

    return paths or [shown(source)]


PathsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        help="SOP files or folders (searched recursively for *.yaml and *.yml). "
        "Default: the configured source folder (sops/).",
        show_default=False,
    ),
]
TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        metavar="YYYY-MM-DD",
        help="The date that review-overdue compares with (default: the config's `today`, "
        "else the clock). Pin it in CI for reproducible results.",
    ),
]


SourceOption = Annotated[
    Path | None,
    typer.Option("--source", help="Look SOP ids up in this folder (default: the source folder)."),
]
SopArgument = Annotated[str, typer.Argument(metavar="SOP", help="A SOP file, or a SOP id.")]
