"""The core of `sopkit check`: files -> load -> model -> rules -> problems.

Per-file work (reading, composing, building, per-SOP rules) runs in a process
pool when there are many files; what crosses back is small (`FileReport`
without the model, unless the caller asks for models to render).
Repository rules, suppressions and severities are applied afterwards, here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from sopkit import parallel
from sopkit import rules as _rules  # noqa: F401  (registers every rule)
from sopkit.build import refs_only
from sopkit.config import Config
from sopkit.discovery import SourceFile, discover, split_sops
from sopkit.errors import NoInputError
from sopkit.model import Sop, SopRefs
from sopkit.problems import Finding, Problem, Severity
from sopkit.reading import looks_like_sop, read_sop
from sopkit.rules.registry import (
    RULES,
    Repository,
    Rule,
    SopContext,
    repository_rules,
    sop_rules,
)
from sopkit.rules.suppressions import Suppression, apply_suppressions, find_suppressions
from sopkit.text import short_quotes


class CheckOptions(NamedTuple):
    today: date
    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()

    def enabled(self, rule: Rule, config: Config) -> bool:
        if self.select is not None and rule.name not in self.select:
            return False
        if rule.name in self.ignore:
            return False
        return config.severity(rule.name, rule.severity) is not Severity.OFF


class FileReport(NamedTuple):
    path: str
    findings: list[Finding]
    refs: SopRefs | None
    suppressions: Sequence[Suppression] = ()
    sop: Sop | None = None
    digest: str = ""  # of the file's bytes, as read


class CheckResult(NamedTuple):
    files_checked: int
    problems: tuple[Problem, ...]
    sops: tuple[Sop, ...] = ()
    not_sops: tuple[str, ...] = ()
    """YAML files given outside the source folder that are not SOPs: skipped."""

    @property
    def errors(self) -> int:
        return sum(p.severity is Severity.ERROR for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity is Severity.WARNING for p in self.problems)


class Job(NamedTuple):
    source: SourceFile
    today: date
    rules: tuple[str, ...]
    full: bool
    keep_model: bool
    max_nodes: int = 40
    data: bytes | None = None  # the file's bytes, when the caller has read them already


def analyse(job: Job) -> FileReport:
    """Everything about one file that needs no other file."""
    path = job.source.display
    # As the user named it (a dangling link says so); models only for the files checked.
    reading = read_sop(path if job.data is None else job.data, path, model=job.full)
    document, findings, digest = reading.document, reading.findings, reading.digest
    if not document.readable:
        return FileReport(path, findings, None, digest=digest)
    if not job.full:  # a source-folder file, read only to resolve ids
        return FileReport(path, [], refs_only(document.root, path), digest=digest)
    sop = reading.sop
    if sop is None:
        return FileReport(path, findings, None, digest=digest)
    if job.full:
        context = SopContext(job.today, document.text, max_nodes=job.max_nodes)
        wanted = set(job.rules)
        for rule, check in sop_rules():
            if rule.name in wanted:
                findings.extend(check(sop, context))
    return FileReport(
        path,
        findings,
        SopRefs.of(sop),
        find_suppressions(document.text, sop) if job.full else [],
        sop if job.keep_model else None,
        digest,
    )


def _run_jobs(jobs: Sequence[Job]) -> list[FileReport]:
    workers = parallel.worker_count(len(jobs))
    if workers == 1:
        return [analyse(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor  # costs 10 ms to import; rarely needed

    chunk = max(1, len(jobs) // (workers * 4))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(analyse, jobs, chunksize=chunk))


class Plan(NamedTuple):
    """The files to check (`targets`) and every job: the targets', then the source folder's."""

    targets: list[SourceFile]
    jobs: list[Job]
    active: tuple[str, ...]
    not_sops: tuple[str, ...] = ()


def plan(
    paths: Sequence[str], config: Config, options: CheckOptions, *, keep_models: bool = False
) -> Plan:
    """What checking `paths` takes: their files, and the source folder's for SOP ids."""
    targets, others = split_sops(discover(paths), paths, config.source, looks_like_sop)
    if not targets:
        skipped = f" ({len(others)} YAML files there are not SOPs)" if others else ""
        raise NoInputError(
            f"no SOP files (*.yaml, *.yml) in {', '.join(paths)}{skipped}",
            hint="create one with `sopkit new`, or point sopkit at the folder that holds them",
        )
    reported = {t.real for t in targets}
    context_files = [f for f in _source_folder_files(config) if f.real not in reported]
    active = tuple(r.name for r in RULES.values() if options.enabled(r, config))
    jobs = [Job(t, options.today, active, True, keep_models, config.max_nodes) for t in targets]
    jobs += [Job(f, options.today, (), False, False) for f in context_files]
    return Plan(targets, jobs, active, tuple(other.display for other in others))


def check(
    paths: Sequence[str],
    config: Config,
    options: CheckOptions,
    *,
    keep_models: bool = False,
) -> CheckResult:
    """Check the SOPs named by `paths`, resolving SOP ids against the source folder too."""
    return run(plan(paths, config, options, keep_models=keep_models), config, options)


def run(work: Plan, config: Config, options: CheckOptions) -> CheckResult:
    """Do the jobs of a plan (on every core when there are many) and conclude."""
    return conclude(work, _run_jobs(work.jobs), config, options)


def conclude(
    work: Plan, reports: Sequence[FileReport], config: Config, options: CheckOptions
) -> CheckResult:
    """The problems of the whole check, from one report per job (in the plan's order)."""
    own = reports[: len(work.targets)]
    reports = _with_translation_sources(work, reports)
    repository = Repository(
        tuple(sorted((r.refs for r in reports if r.refs is not None), key=lambda r: r.path)),
        frozenset(r.path for r in own),
    )
    repo_findings: dict[str, list[Finding]] = {}
    for rule, check_repo in repository_rules():
        if rule.name in work.active:
            for path, finding in check_repo(repository):
                repo_findings.setdefault(path, []).append(finding)
    problems: list[Problem] = []
    for report in own:
        findings = apply_suppressions(
            [*report.findings, *repo_findings.get(report.path, [])],
            report.suppressions,
            RULES.keys(),
            work.active,
        )
        problems.extend(_problems(report.path, findings, config, options))
    problems.sort(key=lambda p: p.sort_key)
    sops = tuple(r.sop for r in own if r.sop is not None)
    return CheckResult(len(work.targets), tuple(problems), sops, work.not_sops)


def _with_translation_sources(work: Plan, reports: Sequence[FileReport]) -> list[FileReport]:
    """The reports, with the structure and hash of each SOP that a checked translation
    names as its source (read again, whole, if it was read only for its ids)."""
    wanted = {
        r.refs.translation_of.id
        for r in reports[: len(work.targets)]
        if r.refs is not None and r.refs.translation_of is not None
    }
    if not wanted:
        return list(reports)
    from sopkit.translation import translation_key

    completed = []
    for job, report in zip(work.jobs, reports, strict=True):
        refs = report.refs
        if refs is not None and refs.translation is None and refs.id in wanted:
            sop = report.sop or analyse(job._replace(full=True, rules=(), keep_model=True)).sop
            if sop is not None:
                report = report._replace(refs=refs._replace(translation=translation_key(sop)))
        completed.append(report)
    return completed


def _source_folder_files(config: Config) -> list[SourceFile]:
    if not config.source.is_dir():
        return []
    return discover([str(config.source)])


def _problems(
    path: str, findings: Iterable[Finding], config: Config, options: CheckOptions
) -> Iterable[Problem]:
    for finding in findings:
        rule = RULES[finding.rule]
        if not options.enabled(rule, config):
            continue
        severity = config.severity(rule.name, rule.severity)
        message = short_quotes(finding.message)
        yield Problem(path, finding.loc.line, finding.loc.column, severity, rule.name, message)


def exit_code(result: CheckResult, strict: bool) -> int:
    if result.errors or (strict and result.warnings):
        return 1
    return 0
