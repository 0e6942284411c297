"""`sopkit render` and `sopkit serve`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sopkit.cli.common import (
    PathsArgument,
    TodayOption,
    _stderr,
    app,
    choice,
    default_paths,
    friendly_errors,
    interactive,
    parse_rule_list,
    parse_today,
    use_color,
)
from sopkit.config import DIRECTIONS, FLOWCHARTS, Config
from sopkit.errors import SopkitError

if TYPE_CHECKING:
    from sopkit.render.options import RenderOptions


@app.command(rich_help_panel="Handbook")
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
        str | None,
        choice(
            "--flowchart",
            FLOWCHARTS,
            help="graphviz: .dot and .svg files beside each page; mermaid: a ```mermaid block "
            "in the page, which GitHub draws with no build step.",
        ),
    ] = None,
    direction: Annotated[
        str | None,
        choice(
            "--direction", DIRECTIONS, help="Flowchart direction; auto picks by the chart's size."
        ),
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
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only problems and errors: no progress, no summary."
        ),
    ] = False,
) -> None:
    """Check the SOPs, then write the handbook: pages, flowcharts, index, glossary, roles.

    Per SOP a Markdown page and a flowchart (.dot, .svg), plus an index by
    department, a combined glossary and a page per role; --html adds a website.

    Refuses to render while `sopkit check` finds errors. Writes only into the output
    folder, all at once: a failed build leaves the previous handbook as it was.

    Examples:

      sopkit render                        # sops/ into handbook/

      sopkit render sops -o docs/handbook --flowchart mermaid

      sopkit render --check                # in CI: fail when the committed handbook is stale
    """
    from sopkit.config import load_config
    from sopkit.discovery import shown
    from sopkit.formats import Style, text_report
    from sopkit.render.graphviz_run import INSTALL_HINT
    from sopkit.render.handbook import render as run_render
    from sopkit.rules import RULES

    config = load_config(known_rules=RULES)
    out = output or config.output
    where = shown(out)
    options = replace(
        _options(config, out, parse_today(today), flowchart, font, direction, png, html),
        check_only=check_only,
        ignore=parse_rule_list(ignore, "--ignore") or frozenset(),
    )
    progress = _progress_printer() if interactive(quiet) else None
    result = run_render(
        default_paths(paths, config.source), config, options, *([progress] if progress else [])
    )
    if result.check.problems:
        sys.stderr.write(text_report(result.check, Style(color=use_color(sys.stderr), quiet=True)))
    if result.refused:
        _stderr(f"error: not rendering: {result.check.errors} error(s) must be fixed first")
        raise typer.Exit(1)
    if check_only:
        if result.stale:
            _stderr(f"the handbook in {where} is stale; run `sopkit render` to update:")
            for name in result.stale:
                _stderr(f"  {name}")
            raise typer.Exit(1)
        if not quiet:
            _stderr(f"the handbook in {where} is up to date ({len(result.files)} files)")
        return
    if result.unchanged:
        if not quiet:
            _stderr(f"{where} is up to date ({len(result.files)} files); nothing to write")
        return
    if not quiet:
        _stderr(f"wrote {len(result.files)} files to {where}")
    if result.missing_dot:
        _stderr(f"warning: {INSTALL_HINT}")
    for sop_id in result.failed_layouts:
        _stderr(f"error: Graphviz could not lay out the flowchart of {sop_id}; its page has none")
    if not result.complete:
        raise typer.Exit(1)


@app.command(rich_help_panel="Handbook")
@friendly_errors
def serve(
    paths: PathsArgument = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The handbook folder (config `output`).")
    ] = None,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="0: any free port (it is printed).")
    ] = 8000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Preview the HTML handbook at http://127.0.0.1:8000/ while you edit; Ctrl-C stops.

    Renders with --html, serves <output>/site/, and renders again whenever a SOP
    file changes. Problems are printed; the last good handbook stays served.
    """
    import threading

    from sopkit.config import load_config
    from sopkit.discovery import shown
    from sopkit.formats import Style, text_report
    from sopkit.render.graphviz_run import INSTALL_HINT
    from sopkit.render.incremental import LiveHandbook, Update
    from sopkit.render.output import SITE
    from sopkit.rules import RULES
    from sopkit.serve import listen, site_pages
    from sopkit.serve import serve as run_server

    config = load_config(known_rules=RULES)
    out = output or config.output
    live = LiveHandbook(default_paths(paths, config.source), config,
                        _options(config, out, html=True))  # fmt: skip

    def tell(update: Update) -> None:
        if update.check is not None and update.check.problems:
            sys.stderr.write(text_report(update.check, Style(quiet=True)))
        if update.refused:
            _stderr("not rebuilt: fix the errors above; still serving the last good handbook")
        elif update.everything:
            _stderr(f"rebuilt {shown(out)}")
        elif update.edited:
            _stderr(f"updated {', '.join(update.edited)}: {len(update.written)} file(s) changed")
        if update.result is not None:
            if update.result.missing_dot:
                _stderr(f"warning: {INSTALL_HINT}")
            for sop_id in update.result.failed_layouts:
                _stderr(f"error: Graphviz could not lay out the flowchart of {sop_id}")

    def steps(updates: Iterator[Update]) -> Iterator[list[str] | None]:
        """Each step's pages, for open pages to reload; errors are told, never raised."""
        try:
            for update in updates:
                tell(update)
                if update.refused:
                    return
                yield site_pages(update.written, SITE)
        except SopkitError as exc:
            live.forget()
            _stderr(f"error: {exc.message}; still serving the last good handbook")
        except OSError as exc:
            live.forget()
            _stderr(f"error: {exc.strerror}; still serving the last good handbook")

    listening = listen(out / SITE, host, port)
    try:
        for _ in steps(live.render()):
            pass
        if not (out / SITE / "index.html").is_file():
            raise SopkitError("nothing to serve: the handbook could not be rendered")
    except BaseException:
        listening.server.server_close()
        raise
    stop = threading.Event()

    def ready(url: str) -> None:
        _stderr(f"serving {shown(out / SITE)} at {url} (Ctrl-C to stop)")

    try:
        run_server(listening, live.paths, lambda changed: steps(live.edit(changed)), stop,
                   ready)  # fmt: skip
    except KeyboardInterrupt:
        stop.set()
        _stderr("stopped")


def _options(
    config: Config,
    out: Path,
    today: date | None = None,
    flowchart: str | None = None,
    font: str | None = None,
    direction: str | None = None,
    png: bool = False,
    html: bool = False,
) -> RenderOptions:
    """What to render with: the config's options, with the command line's over them
    (`render` and `serve` alike, so that each finds the other's handbook current)."""
    from sopkit.render.chartstyle import ChartStyle
    from sopkit.render.options import RenderOptions

    return RenderOptions(
        out=out,
        today=today or config.today or date.today(),
        language=config.language,
        flowchart=flowchart or config.flowchart,
        chart=ChartStyle(font=font or config.font, direction=direction or config.direction),
        png=png or config.png,
        html=html or config.html,
        templates=config.templates,
    )


def _progress_printer() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        sys.stderr.write(f"\r{stage}: {done}/{total}" + ("\n" if done >= total else ""))
        sys.stderr.flush()

    return show
