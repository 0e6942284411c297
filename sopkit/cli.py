"""The command line: parse options, call one core function, format, return an exit code.

Heavy modules (Jinja, Graphviz, Markdown) are imported inside the commands
that need them, so `sopkit check` in a pre-commit hook starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from sopkit import __version__
from sopkit.errors import ExitCode, SopkitError

_P = ParamSpec("_P")
_R = TypeVar("_R")

app = typer.Typer(
    name="sopkit",
    help=(
        "Standard Operating Procedures as code.\n\n"
        "Write SOPs as YAML in git, check them in CI with `sopkit check`, and turn them "
        "into a handbook for new hires with `sopkit render`.\n\n"
        "Start with `sopkit check` in a repository that has a sops/ folder, "
        "and `sopkit rules` to see what is checked."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")


def friendly_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn a `SopkitError` into `error: ...` on stderr and its exit code, never a traceback."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except SopkitError as exc:
            _stderr(f"error: {exc.message}")
            if exc.hint:
                _stderr(f"hint: {exc.hint}")
            raise typer.Exit(int(exc.exit_code)) from None

    return run


def use_color(stream: object = None) -> bool:
    """Colours only on a terminal; NO_COLOR turns them off, FORCE_COLOR on."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


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


@app.command()
@friendly_errors
def check(
    paths: PathsArgument = None,
    output_format: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format: text (compiler style file:line:col), json, sarif "
            "(code scanning) or github (annotations; the default under GitHub Actions).",
            show_default=False,
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
    from sopkit.formats import FORMATS, Style
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    options = CheckOptions(
        today=parse_today(today) or config.today or date.today(),
        select=parse_rule_list(select, "--select"),
        ignore=parse_rule_list(ignore, "--ignore") or frozenset(),
    )
    chosen = output_format.value if output_format else None
    if chosen is None:
        chosen = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    result = run_check(default_paths(paths, config.source), config, options)
    sys.stdout.write(FORMATS[chosen](result, Style(color=use_color(), quiet=quiet)))
    raise typer.Exit(exit_code(result, strict))


@app.command()
@friendly_errors
def rules(
    name: Annotated[
        str | None, typer.Argument(help="A rule name, to print its full documentation.")
    ] = None,
) -> None:
    """List every rule with its default severity, or print one rule's documentation.

    Severities can be changed per rule in sopkit.toml:

      [rules]

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


class FlowchartKind(StrEnum):
    graphviz = "graphviz"
    mermaid = "mermaid"


class Direction(StrEnum):
    auto = "auto"
    LR = "LR"
    TB = "TB"


@app.command()
@friendly_errors
def render(
    paths: PathsArgument = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The handbook folder (default: the config's `output`, handbook/).",
        ),
    ] = None,
    flowchart: Annotated[
        FlowchartKind | None,
        typer.Option(
            "--flowchart",
            help="graphviz: .dot and .svg files beside each page; mermaid: a ```mermaid block "
            "in the page, which GitHub draws with no build step.",
            show_default=False,
        ),
    ] = None,
    direction: Annotated[
        Direction | None,
        typer.Option("--direction", help="Flowchart direction; auto picks by the chart's size."),
    ] = None,
    font: Annotated[
        str | None, typer.Option("--font", help="Flowchart font (default DejaVu Sans).")
    ] = None,
    png: Annotated[bool, typer.Option("--png", help="Also write a PNG of each flowchart.")] = False,
    html: Annotated[
        bool,
        typer.Option(
            "--html",
            help="Also write the handbook as a website in <output>/site/ (offline search).",
        ),
    ] = False,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 listing the files that differ when the handbook is stale.",
        ),
    ] = False,
    today: TodayOption = None,
    ignore: Annotated[
        str | None,
        typer.Option("--ignore", metavar="RULE,...", help="Do not report these rules."),
    ] = None,
) -> None:
    """Check the SOPs, then write the handbook: a Markdown page and a flowchart per SOP,
    an index by department, a glossary and a page per role.

    Refuses to render while `sopkit check` finds errors. Writes only into the output
    folder, all at once: a failed build leaves the previous handbook as it was.

    Examples:

      sopkit render                        # sops/ into handbook/

      sopkit render sops -o docs/handbook --flowchart mermaid

      sopkit render --check                # in CI: fail when the committed handbook is stale
    """
    from sopkit.config import load_config
    from sopkit.formats import Style, format_text
    from sopkit.render.flowchart import ChartStyle
    from sopkit.render.graphviz_run import INSTALL_HINT
    from sopkit.render.handbook import RenderOptions
    from sopkit.render.handbook import render as run_render
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    out = output or config.output
    options = RenderOptions(
        out=out,
        today=parse_today(today) or config.today or date.today(),
        language=config.language,
        flowchart=(flowchart.value if flowchart else config.flowchart),
        chart=ChartStyle(
            font=font or config.font,
            direction=direction.value if direction else config.direction,
        ),
        png=png or config.png,
        html=html or config.html,
        check_only=check_only,
        templates=config.templates,
        ignore=parse_rule_list(ignore, "--ignore") or frozenset(),
    )
    progress = _progress_printer() if use_color(sys.stderr) and not os.environ.get("CI") else None
    result = run_render(
        default_paths(paths, config.source), config, options, *([progress] if progress else [])
    )
    if result.check.problems:
        sys.stderr.write(format_text(result.check, Style(color=use_color(sys.stderr), quiet=True)))
    if result.refused:
        _stderr(f"error: not rendering: {result.check.errors} error(s) must be fixed first")
        raise typer.Exit(1)
    if check_only:
        if result.stale:
            _stderr(f"the handbook in {out} is stale; run `sopkit render` to update:")
            for name in result.stale:
                _stderr(f"  {name}")
            raise typer.Exit(1)
        _stderr(f"the handbook in {out} is up to date ({len(result.files)} files)")
        return
    if result.unchanged:
        _stderr(f"{out} is up to date ({len(result.files)} files); nothing to write")
        return
    _stderr(f"wrote {len(result.files)} files to {out}")
    if result.missing_dot:
        _stderr(f"warning: {INSTALL_HINT}")
    for sop_id in result.failed_layouts:
        _stderr(f"error: Graphviz could not lay out the flowchart of {sop_id}; its page has none")
    if not result.complete:
        raise typer.Exit(1)


@app.command()
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

    Keys in the contract's order, two-space indentation, quotes kept as written.
    A file is only rewritten when the result loads into the same SOP and keeps
    every comment; files with YAML errors are left untouched and reported.

    Examples:

      sopkit fmt                 # every SOP of the source folder

      sopkit fmt --check         # in CI or pre-commit: exit 1 when a file is not formatted
    """
    from sopkit.config import load_config
    from sopkit.discovery import discover
    from sopkit.fmt import format_files, write_atomically
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    sources = discover(default_paths(paths, config.source))
    results = format_files((s.display, s.real) for s in sources)
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
        for result, source in zip(results, sources, strict=True):
            if result.changed and result.formatted is not None:
                write_atomically(Path(source.real), result.formatted)
                typer.echo(f"reformatted {result.path}")
    verb = "would be reformatted" if check_only or diff else "reformatted"
    _stderr(f"{len(changed)} of {len(results)} files {verb}")
    if failed or ((check_only or diff) and changed):
        raise typer.Exit(1)


@app.command()
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
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    path = create_sop(
        config,
        sop_id=sop_id,
        title=title,
        department=department,
        language=language or config.language,
        folder=folder,
    )
    typer.echo(f"created {path}")


@app.command()
@friendly_errors
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of the SOP format, for editors.

    With the YAML language server (VS Code, Neovim), start a SOP file with

      # yaml-language-server: $schema=../sopkit-1.schema.json

    after `sopkit schema -o sopkit-1.schema.json` at the repository root.
    """
    from importlib import resources

    text = resources.files("sopkit").joinpath("data", "sopkit-1.schema.json").read_text("utf-8")
    if output is None:
        sys.stdout.write(text)
        return
    from sopkit.fmt import write_atomically

    if output.exists():
        write_atomically(output, text)
    else:
        output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


SourceOption = Annotated[
    Path | None,
    typer.Option("--source", help="Look SOP ids up in this folder (default: the source folder)."),
]
SopArgument = Annotated[str, typer.Argument(metavar="SOP", help="A SOP file, or a SOP id.")]


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@friendly_errors
def paths(
    sop: SopArgument,
    source: SourceOption = None,
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.text,
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
    from sopkit.reports import paths_json, paths_text
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    chosen, _ = find(sop, source or config.source)
    search = all_paths(chosen, limit)
    render = paths_json if output_format is ReportFormat.json else paths_text
    sys.stdout.write(render(chosen, search))
    if search.truncated:
        _stderr(
            f"stopped after {len(search.paths)} paths: {chosen.id} has more than that; "
            "raise --limit to see more, or split the procedure"
        )
        raise typer.Exit(1)


class StatsFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class StatsSort(StrEnum):
    sop_id = "id"
    steps = "steps"
    decisions = "decisions"
    paths = "paths"
    longest = "longest"
    time = "time"
    complexity = "complexity"


_SORT_FIELDS = {
    "id": "sop_id", "steps": "steps", "decisions": "decisions", "paths": "paths",
    "longest": "longest_nodes", "time": "longest_seconds", "complexity": "complexity",
}  # fmt: skip


@app.command()
@friendly_errors
def stats(
    paths_: PathsArgument = None,
    output_format: Annotated[StatsFormat, typer.Option("--format", "-f")] = StatsFormat.text,
    sort: Annotated[StatsSort, typer.Option("--sort", help="Sort by this column.")] = (
        StatsSort.sop_id
    ),
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
    from sopkit.reports import stats_csv, stats_json, stats_text
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    rows = [stats_of(load_sop(f.display)) for f in discover(default_paths(paths_, config.source))]
    key = _SORT_FIELDS[sort.value]
    rows.sort(key=lambda r: (getattr(r, key), r.sop_id), reverse=key != "sop_id")
    formatter = {"text": stats_text, "json": stats_json, "csv": stats_csv}[output_format.value]
    sys.stdout.write(formatter(rows, config.max_nodes))


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
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
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.text,
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
    from sopkit.procdiff import FORMATS, diff_sops
    from sopkit.revisions import read_at_revision
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
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
        path = path_of(old)
        before = load_sop(f"{path}@{revisions[0]}", read_at_revision(path, revisions[0]))
        if len(revisions) == 2:
            after = load_sop(f"{path}@{revisions[1]}", read_at_revision(path, revisions[1]))
        else:
            after = load_sop(path)
    result = diff_sops(before, after)
    sys.stdout.write(FORMATS[output_format.value](result))
    if output_format is not DiffFormat.markdown:
        for warning in result.warnings:
            _stderr(f"warning: {warning}")


@app.command()
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
) -> None:
    """Practise a procedure in the terminal, one step at a time.

    Enter moves on, a number answers a decision, b goes back one step, q or
    Ctrl-C stops. A `sop:` step walks you through the procedure it calls and
    brings you back. At the end: the path you took and its expected time.

    Example:

      sopkit walk CS-ESC-002
    """
    from sopkit.config import load_config
    from sopkit.lookup import find
    from sopkit.rules import RULES
    from sopkit.walker import run_walk

    config = load_config(known_rules=RULES)
    chosen, library = find(sop, source or config.source)
    scripted = [a.strip() for a in answers.split(",")] if answers is not None else None
    raise typer.Exit(run_walk(chosen, library, scripted, color=use_color()))


@app.command()
@friendly_errors
def serve(
    paths: PathsArgument = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The handbook folder (config `output`).")
    ] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Preview the HTML handbook at http://127.0.0.1:8000/ while you edit; Ctrl-C stops.

    Renders with --html, serves <output>/site/, and renders again whenever a SOP
    file changes. Problems are printed; the last good handbook stays served.
    """
    import threading

    from sopkit.config import load_config
    from sopkit.render.handbook import RenderOptions
    from sopkit.render.handbook import render as run_render
    from sopkit.rules import RULES
    from sopkit.serve import serve as run_server

    config = load_config(known_rules=RULES)
    out = output or config.output
    sources = default_paths(paths, config.source)

    def rebuild() -> None:
        options = RenderOptions(out=out, today=config.today or date.today(),
                                language=config.language, html=True,
                                templates=config.templates)  # fmt: skip
        try:
            result = run_render(sources, config, options)
        except SopkitError as exc:
            _stderr(f"error: {exc.message}")
            return
        from sopkit.formats import Style, format_text

        if result.check.problems:
            sys.stderr.write(format_text(result.check, Style(quiet=True)))
        _stderr("not rebuilt: fix the errors above" if result.refused else f"rebuilt {out}")

    rebuild()
    if not (out / "site" / "index.html").is_file():
        raise SopkitError("nothing to serve: the handbook could not be rendered")
    _stderr(f"serving {out / 'site'} at http://{host}:{port}/ (Ctrl-C to stop)")
    stop = threading.Event()
    try:
        run_server(out / "site", host, port, sources, rebuild, stop)
    except OSError as exc:
        raise SopkitError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    except KeyboardInterrupt:
        stop.set()
        _stderr("stopped")


def _progress_printer() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r{stage}: {done}/{total}" + ("\n" if done >= total else ""))
        sys.stderr.flush()

    return show


def main() -> None:
    """The `sopkit` console script."""
    try:
        app(prog_name="sopkit")
    except KeyboardInterrupt:
        _stderr("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(int(ExitCode.PROBLEMS))
