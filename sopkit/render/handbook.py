"""The core of `sopkit render`: check, then write the handbook into a staging folder
and swap it in whole (or compare it with what is there, for `--check`).

When every input is as the handbook there was made from, rendering is only
checking; this module decides that, and imports the machinery that renders
(`assemble`: Jinja, Graphviz, the worker processes) only when there is work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sopkit import checker
from sopkit.checker import CheckOptions
from sopkit.config import Config
from sopkit.render import output
from sopkit.render.options import Progress, RenderOptions, RenderResult, inputs_key
from sopkit.sources import digest, read_source

__all__ = ["Progress", "RenderOptions", "RenderResult", "inputs_key", "render"]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def render(
    paths: Sequence[str], config: Config, options: RenderOptions, progress: Progress = _quiet
) -> RenderResult:
    if options.team is None and config.team_file.is_file():
        from sopkit.acks import FILE

        acknowledgements = config.root / FILE
        found = acknowledgements if acknowledgements.is_file() else None
        options = replace(options, team=config.team_file, acknowledgements=found)
    check_options = CheckOptions(today=options.today, select=options.select, ignore=options.ignore)
    work = checker.plan(paths, config, check_options, keep_models=True)
    previous = output.manifest(options.out)
    if options.check_only:
        # `render --check` checks what is there: a handbook rendered with --html has a
        # site, and --png images, even when this run does not repeat the flags.
        options = replace(
            options,
            html=options.html or output.previous_option(previous, "html") is True,
            png=options.png or output.previous_option(previous, "png") is True,
        )
    # Without a previous handbook nothing can be current: the key can wait for the workers,
    # which read the sources anyway. With one, the sources are read once, here: the key
    # is made from their bytes, and the check is given the same bytes.
    key = None
    if previous:
        work, digests = _read_targets(work)
        key = inputs_key(work.targets, options, digests)
    if (
        key is not None
        and not (options.check_only or options.keep)
        and output.is_current(options.out, key, previous)
    ):
        # Nothing to build: the check alone decides, and models need not be kept.
        work = work._replace(jobs=[job._replace(keep_model=False) for job in work.jobs])
        result = RenderResult(checker.run(work, config, check_options))
        result.refused = bool(result.check.errors)
        result.unchanged = not result.refused
        result.files = [] if result.refused else sorted(output.files_of(previous) or {})
        return result
    from sopkit.render import assemble

    return assemble.render_handbook(work, config, options, progress, check_options, key, previous)


def _read_targets(work: checker.Plan) -> tuple[checker.Plan, dict[str, str]]:
    """The plan with each target's bytes in its job, and every target's digest by path."""
    digests: dict[str, str] = {}
    jobs = []
    for job in work.jobs:
        if job.full:
            data = read_source(job.source.display)
            digests[job.source.display] = digest(data)
            if isinstance(data, bytes):
                job = job._replace(data=data)
        jobs.append(job)
    return work._replace(jobs=jobs), digests
