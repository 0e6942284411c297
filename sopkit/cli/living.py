"""`sopkit translations`, `sopkit ack`, `sopkit due` and `sopkit codeowners`: keeping SOPs
current (translations in sync, read by everyone, reviewed, approved by their owners)."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import click
import typer

from sopkit.cli.common import (
    Commands,
    PathsArgument,
    SourceOption,
    _stderr,
    app,
    choice,
    default_paths,
    friendly_errors,
)
from sopkit.errors import SopkitError

PANEL = "Keep them current"
FORMATS = ("text", "json", "markdown")
MAX_WITHIN_DAYS = 36_500


def _sops(paths: list[str] | None = None, source: Path | None = None) -> tuple[list[Any], Any]:
    """The SOPs that load (a broken file is named on stderr and left out), and the config."""
    from sopkit.config import load_config
    from sopkit.discovery import discover
    from sopkit.lookup import load_sop

    config = load_config()
    found = []
    for file in discover(default_paths(paths, source or config.source)):
        try:
            found.append(load_sop(file.display))
        except SopkitError as problem:
            _stderr(f"warning: left out {problem.message}")
    return found, config


def _write_or_print(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from sopkit.files import write_output

    write_output(output, text.encode("utf-8"))
    _stderr(f"wrote {output}")


@app.command(rich_help_panel=PANEL)
@friendly_errors
def due(
    paths: PathsArgument = None,
    within: Annotated[
        str, typer.Option("--within", metavar="DURATION", help="How far ahead: 30d, 2w, 0d.")
    ] = "30d",
    today: Annotated[
        str | None,
        typer.Option("--today", metavar="YYYY-MM-DD", help="The date to count from."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only this owner's SOPs (as `owner:` says).")
    ] = None,
    output_format: Annotated[str, choice("--format", FORMATS, "-f")] = "text",
) -> None:
    """SOPs whose review date has passed or falls within --within, grouped by owner.

    `--format markdown` gives a checklist per owner, ready to paste into an issue;
    `--format json` gives each owner's issue title and body, for a scheduled job
    that opens one issue per owner (docs/ci.md).

    Examples:

      sopkit due
      sopkit due --within 0d --format markdown
    """
    from dataclasses import replace
    from datetime import timedelta

    from sopkit.due import DUE_FORMATS, reviews_due
    from sopkit.values import parse_date, parse_duration

    window = parse_duration(within)
    if window is None:
        raise SopkitError(f"--within '{within}' is not a duration (30d, 2w, 0d)")
    if window.seconds > MAX_WITHIN_DAYS * 86400:
        raise SopkitError(f"--within '{within}' is further than {MAX_WITHIN_DAYS:,} days "
                          "(100 years) ahead")  # fmt: skip
    day = parse_date(today) if today else None
    if today and day is None:
        raise SopkitError(f"--today '{today}' is not a date (YYYY-MM-DD)")
    sops, config = _sops(paths)
    reviews = reviews_due(sops, day or config.today or date.today(),
                          timedelta(seconds=window.seconds))  # fmt: skip
    if owner is not None:
        kept = {
            name: listed
            for name, listed in reviews.owners.items()
            if name.casefold() == owner.casefold() or owner.casefold() in name.casefold()
        }
        reviews = replace(reviews, owners=kept)
    sys.stdout.write(DUE_FORMATS[output_format](reviews))


@app.command(rich_help_panel=PANEL)
@friendly_errors
def codeowners(
    paths: PathsArgument = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The file to write, e.g. .github/CODEOWNERS."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when the file is stale.")
    ] = False,
) -> None:
    """CODEOWNERS lines so that each SOP's owner approves every change to it.

    The owner is the forge handle of the team member that `owner:` names
    (team.yaml, matched by e-mail, else by name), else the e-mail address in
    `owner:`. GitHub reads .github/CODEOWNERS, GitLab .gitlab/CODEOWNERS or
    CODEOWNERS. A SOP whose owner has neither is named on stderr.

    Examples:

      sopkit codeowners -o .github/CODEOWNERS
      sopkit codeowners -o .github/CODEOWNERS --check     # in CI
    """
    from sopkit.codeowners import codeowners as lines_of
    from sopkit.team import load_team

    sops, config = _sops(paths)
    shown = str(output) if output is not None else ".github/CODEOWNERS"
    owners = lines_of(sops, load_team(config.team_file), config.root, shown)
    for problem in owners.unowned:
        _stderr(f"warning: {problem}")
    if check:
        if output is None:
            raise SopkitError("--check needs the file to compare with: -o .github/CODEOWNERS")
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != owners.text:
            _stderr(f"{output} is stale: run sopkit codeowners -o {output}")
            raise typer.Exit(1)
        _stderr(f"{output} is up to date")
        return
    _write_or_print(owners.text, output)


class _AckCommands(Commands):
    """`sopkit ack SOP --by PERSON` records; `sopkit ack status` reports: a first word that
    is not a subcommand is the SOP of `record`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["record", *args]
        return super().resolve_command(ctx, args)


ack_app = typer.Typer(
    cls=_AckCommands,
    no_args_is_help=True,
    help="Read and acknowledge: record that a person read a SOP's current content, or see "
    "who is behind.\n\n"
    "sopkit ack SOP --by PERSON: record it (in acknowledgements.csv; PERSON as team.yaml "
    "names them).\n\n"
    "sopkit ack status [--person P] [--sop ID] [--strict]: who has read what.",
)
app.add_typer(ack_app, name="ack", rich_help_panel=PANEL)


@ack_app.command("record", hidden=True)
@friendly_errors
def ack_record(
    sop: Annotated[str, typer.Argument(metavar="SOP", help="A SOP file, or a SOP id.")],
    by: Annotated[
        str, typer.Option("--by", metavar="PERSON", help="Who read it: a name, e-mail or handle.")
    ],
    source: SourceOption = None,
) -> None:
    """Record that PERSON read the SOP's current content."""
    from sopkit.acks import FILE, acknowledge, ensure_union_merge, subject
    from sopkit.config import load_config
    from sopkit.lookup import find
    from sopkit.team import load_team

    config = load_config()
    chosen, found = find(sop, source or config.source)
    person = load_team(config.team_file).find(by)
    read = subject(chosen, found.sops)
    ack = acknowledge(config.root / FILE, read, person, datetime.now().astimezone())
    version = f" version {ack.version}" if ack.version else ""
    _stderr(f"{person.name} read {read.id}{version} ({ack.content}): recorded in {FILE}")
    if ensure_union_merge(config.root):
        _stderr(f"added `/{FILE} merge=union` to .gitattributes: branches that both add "
                "acknowledgements merge without conflicts")  # fmt: skip


@ack_app.command("status")
@friendly_errors
def ack_status(
    person: Annotated[str | None, typer.Option("--person", help="Only this person.")] = None,
    sop: Annotated[str | None, typer.Option("--sop", metavar="ID", help="Only this SOP.")] = None,
    output_format: Annotated[str, choice("--format", FORMATS, "-f")] = "text",
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when anyone has not read the current text.")
    ] = False,
    source: SourceOption = None,
) -> None:
    """Who has read the current content of the SOPs of their roles.

    For every person, each SOP that names one of their roles: read, never read, or
    "behind since version 1.3".

    Examples:

      sopkit ack status
      sopkit ack status --strict            # a CI gate before a change takes effect
    """
    from sopkit.acks import FILE, STATUS_FORMATS, read_acks, standings
    from sopkit.team import load_team

    sops, config = _sops(None, source)
    team = load_team(config.team_file)
    if sop is not None and sop not in {s.id for s in sops}:
        from sopkit.values import did_you_mean

        raise SopkitError(f"no SOP has the id '{sop}'{did_you_mean(sop, [s.id for s in sops])}")
    found = standings(sops, team, read_acks(config.root / FILE), person, sop)
    sys.stdout.write(STATUS_FORMATS[output_format](found))
    if strict and any(standing.state != "current" for standing in found):
        raise typer.Exit(1)


# its help: the callback's
translations_app = typer.Typer(cls=Commands, invoke_without_command=True)
app.add_typer(translations_app, name="translations", rich_help_panel=PANEL)


@translations_app.callback()
@friendly_errors
def translations(
    ctx: typer.Context,
    output_format: Annotated[str, choice("--format", FORMATS, "-f")] = "text",
    source: SourceOption = None,
) -> None:
    """Every SOP in every language the team wants: up to date, outdated, or missing.

    A table of every source SOP in every language of `languages = ["en", "el", "sl"]`
    (sopkit.toml): the source, up to date, not reviewed, outdated (the nodes that
    changed, from git), structure differs, or missing.

    Examples:

      sopkit translations
      sopkit translations new CS-ESC-002 --language el
      sopkit translations ack sops/support/escalation.el.yaml
    """
    if ctx.invoked_subcommand is not None:
        return
    from sopkit.translating import TABLE_FORMATS, table

    sops, config = _sops(None, source)
    cells = table(sops, config.wanted_languages, config.language)
    sys.stdout.write(TABLE_FORMATS[output_format](cells))


@translations_app.command("new")
@friendly_errors
def translations_new(
    sop: Annotated[str, typer.Argument(metavar="SOURCE", help="The SOP to translate: file or id.")],
    language: Annotated[str, typer.Option("--language", help="The translation's language.")],
    new_id: Annotated[
        str | None, typer.Option("--id", help="Its id (default: the source's, -<language>).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The file (default: beside the source, .<lang>.yaml)."),
    ] = None,
    source: SourceOption = None,
) -> None:
    """Start a translation: the source's structure and texts, to translate.

    Each text to translate is marked `# translate`; every comment of the source is
    kept. It checks clean but for `translation-outdated` until `translations ack`.
    The file goes beside the source (escalation.en.yaml -> escalation.el.yaml)
    and never replaces one.
    """
    from sopkit.config import load_config
    from sopkit.files import write_new_file
    from sopkit.lookup import find
    from sopkit.translating import check_new, new_id_for, scaffold, scaffold_path

    config = load_config()
    chosen, found = find(sop, source or config.source)
    check_new(chosen, language)
    identity = new_id_for(chosen, language, found.sops, new_id)
    target = output or scaffold_path(chosen, language)
    text = Path(chosen.path).read_text(encoding="utf-8-sig")
    write_new_file(target, scaffold(chosen, text, language, identity, str(target)).encode())
    _stderr(f"created {target} ({identity}): translate the marked texts, then "
            f"sopkit translations ack {target}")  # fmt: skip


@translations_app.command("ack")
@friendly_errors
def translations_ack(
    file: Annotated[Path, typer.Argument(help="The translation, after a translator's review.")],
    source: SourceOption = None,
) -> None:
    """Record a translator's review: the translation follows its source's current text.

    Its `translated_from` becomes the source's translation hash; comments and layout
    are kept. A translation whose structure differs from its source's is refused.
    """
    from sopkit.config import load_config
    from sopkit.files import replace_file
    from sopkit.fmt import with_top_level
    from sopkit.fmt_io import decode
    from sopkit.lookup import find, load_sop
    from sopkit.translating import structure_problem
    from sopkit.translation import translation_hash

    config = load_config()
    translation = load_sop(str(file))
    if translation.translation_of is None:
        raise SopkitError(f"{file} is not a translation: it has no translation_of")
    origin, _ = find(translation.translation_of.id, source or config.source)
    problem = structure_problem(origin, translation)
    if problem is not None:
        raise SopkitError(f"{file}: its structure {problem} from {origin.id}'s: fix it first "
                          "(sopkit check names the node)")  # fmt: skip
    current = translation_hash(origin)
    before = file.read_bytes()
    text, encoding = decode(before)  # load_sop read it: it is UTF-8
    replace_file(file, encoding.encode(with_top_level(text, str(file),
                                                      {"translated_from": current})),
                 expected=before)  # fmt: skip
    was = translation.translated_from.id if translation.translated_from else "none"
    _stderr(f"{file}: translated_from {was} -> {current} ({origin.id})")
