"""`sopkit fmt`, `sopkit new` and `sopkit schema`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sopkit.cli.common import (
    PathsArgument,
    _stderr,
    app,
    default_paths,
    friendly_errors,
)


@app.command(rich_help_panel="Write")
@friendly_errors
def fmt(
    paths: PathsArgument = None,
    check_only: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 listing files that would change.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Write nothing; print what would change as a diff.")
    ] = False,
) -> None:
    """Give SOP files one canonical layout, keeping every comment.

    Keys in the contract's order, two-space indentation; quotes that YAML does
    not need are dropped, and those it needs ("Yes", "1.0", a date) are kept.
    A file is only rewritten when the result loads into the same SOP and keeps
    every comment; files with YAML errors are left untouched and reported. A
    file edited while fmt runs is left as the edit made it.

    Examples:

      sopkit fmt                 # every SOP of the source folder

      sopkit fmt --check         # in CI or pre-commit: exit 1 when a file is not formatted
    """
    from sopkit.config import load_config
    from sopkit.discovery import discover, shown, split_sops
    from sopkit.files import ChangedMeanwhile
    from sopkit.fmt_io import format_files, write_formatted
    from sopkit.reading import looks_like_sop

    config = load_config()  # rule names are check's to validate: no rule is imported here
    given = default_paths(paths, config.source)
    sources, others = split_sops(discover(given), given, config.source, looks_like_sop)
    for other in others:
        _stderr(f"{other.display}: skipped: not a SOP (outside {shown(config.source)}, "
                "no `id:`); left as it is")  # fmt: skip
    files = format_files((s.display, s.real) for s in sources)
    results = [f.result for f in files]
    failed = [r for r in results if r.formatted is None]
    changed = [r for r in results if r.changed]
    for result in failed:
        _stderr(f"{result.path}: not formatted: {result.reason}")
    if diff:
        sys.stdout.write("".join(r.diff() for r in changed))
    elif check_only:
        for result in changed:
            typer.echo(f"would reformat {result.path}")
    else:
        for file in files:
            if file.result.changed:
                try:
                    write_formatted(file)
                except ChangedMeanwhile as exc:
                    _stderr(f"{file.result.path}: not formatted: {exc.message}")
                    failed.append(file.result)
                    continue
                typer.echo(f"reformatted {file.result.path}")
    verb = "would be reformatted" if check_only or diff else "reformatted"
    _stderr(f"{len(changed)} of {len(results)} files {verb}")
    if failed or ((check_only or diff) and changed):
        raise typer.Exit(1)


@app.command(rich_help_panel="Write")
@friendly_errors
def init(
    folder: Annotated[
        Path, typer.Argument(help="Where to write sopkit.toml (default: here).")
    ] = Path("."),
) -> None:
    """Write a commented sopkit.toml: every setting with its default and what it does.

    The folder that holds sopkit.toml is the project's root: sopkit finds it
    from any folder below. Never overwrites an existing file.

    Example:

      sopkit init && sopkit new CS-ESC-001 --title "Escalating a ticket" --department Support
    """
    import os

    from sopkit.config import CONFIG_FILE, PYPROJECT, find_config, starter_config
    from sopkit.errors import ExitCode, SopkitError

    target = folder / CONFIG_FILE
    if not folder.is_dir():
        raise SopkitError(f"{folder} is not a folder")
    found = find_config(folder.resolve())
    if found is not None and found[0] == folder.resolve() / PYPROJECT:
        # a sopkit.toml beside it would be read instead, and its settings silently lost
        error = SopkitError(f"{folder / PYPROJECT} has a [tool.sopkit] table: sopkit reads its "
                            f"settings from there, so no {CONFIG_FILE} was written")  # fmt: skip
        error.exit_code = ExitCode.PROBLEMS
        raise error
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        error = SopkitError(f"{target} exists already; it was left as it is")
        error.exit_code = ExitCode.PROBLEMS
        raise error from None
    except OSError as exc:
        raise SopkitError(f"cannot write {target}: {exc.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(starter_config())
    typer.echo(f"created {target}")


@app.command(rich_help_panel="Write")
@friendly_errors
def new(
    sop_id: Annotated[str, typer.Argument(metavar="ID", help="The new SOP's id, e.g. CS-REF-007.")],
    title: Annotated[str, typer.Option("--title", help="The SOP's title.")],
    department: Annotated[str, typer.Option("--department", help="Who follows it.")],
    language: Annotated[
        str | None, typer.Option("--language", help="BCP 47 tag: en, el, sl, ...")
    ] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Where to write it (default: the source folder).")
    ] = None,
) -> None:
    """Start a SOP from a template: valid at once, with the editor modeline for the schema.

    Example:

      sopkit new CS-REF-007 --title "Refunding a double charge" --department "Billing"
    """
    from sopkit.config import load_config
    from sopkit.newsop import create_sop

    config = load_config()  # rule names are check's to validate: no rule is imported here
    path = create_sop(
        config,
        sop_id=sop_id,
        title=title,
        department=department,
        language=language or config.language,
        folder=folder,
    )
    typer.echo(f"created {path}")


@app.command(rich_help_panel="Write")
@friendly_errors
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    export: Annotated[
        bool,
        typer.Option(
            "--export", help="The schema of `sopkit export json`'s document instead, for programs."
        ),
    ] = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the SOP format, for editors.

    With the YAML language server (VS Code, Neovim), start a SOP file with

      # yaml-language-server: $schema=../sopkit-1.schema.json

    after `sopkit schema -o sopkit-1.schema.json` at the repository root.
    `sopkit schema --export` prints the schema of what `sopkit export json` writes.
    """
    from importlib import resources

    name = "sopkit-export-1.schema.json" if export else "sopkit-1.schema.json"
    text = resources.files("sopkit").joinpath("data", name).read_text("utf-8")
    if output is None:
        sys.stdout.write(text)
        return
    from sopkit.files import write_output

    write_output(output, text.encode("utf-8"))
    typer.echo(f"wrote {output}")
