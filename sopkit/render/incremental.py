"""Bringing a written handbook up to date after an edit without rendering every SOP again
(`sopkit serve`).

An edit to a SOP changes its own pages, the pages of the SOPs that show something
of it (its title in a link, "Called from", the language switcher: what
`context.page_view` names), and the pages about all SOPs. `LiveHandbook.edit` checks
the edited files against the reports the last render kept of the others, writes
the first two kinds of pages (laying out only a flowchart whose graph changed) and
yields, so that an open page can reload at once; then the pages about all SOPs and
the manifest, which vouches that the folder holds what `sopkit render` would write.

What an edit alone cannot bring up to date renders everything, as `sopkit render`
does: a SOP file added or removed, an id changed, ids shared by several files, a
file that is not one of the handbook's SOPs, a changed template, team or
acknowledgements file, a handbook somebody else wrote or deleted meanwhile, or the
first render.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Generator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from sopkit import checker
from sopkit.checker import CheckResult
from sopkit.config import Config
from sopkit.render import handbook, output, overviews
from sopkit.render.assemble import living_of, manifest_options, markdown_overviews
from sopkit.render.charts import Graphviz, previous_layouts, write_images
from sopkit.render.context import Digest, Handbook, page_view
from sopkit.render.graphviz_run import LayoutFailure
from sopkit.render.options import Rendered, RenderOptions, RenderResult, inputs_key
from sopkit.render.worker import Analysed, Worker, WriteRequest, sop_files


class Update(NamedTuple):
    """One step of bringing the handbook up to date."""

    check: CheckResult | None  # None: the step checked nothing (the pages about all SOPs)
    written: tuple[str, ...]  # the files whose content changed, relative to the output folder
    refused: bool = False  # errors: nothing was written
    everything: bool = False  # the whole handbook was rendered
    result: RenderResult | None = None  # of the whole render, when there was one
    edited: tuple[str, ...] = ()  # the ids of the SOPs edited, when their pages were written


class LiveHandbook:
    """A handbook on disk and what the render that wrote it knew, kept up to date by
    `render` (everything) and `edit` (what a few changed files change)."""

    def __init__(self, paths: Sequence[str], config: Config, options: RenderOptions) -> None:
        self.paths = paths
        self.config = config
        self.options = replace(options, keep=True, check_only=False)
        self.kept: Rendered | None = None
        self.repo: Handbook | None = None
        self.failed: set[str] = set()  # SOP ids whose flowchart `dot` could not lay out
        self.missing_dot = False
        self.pending: set[int] = set()  # jobs edited while errors kept their pages unwritten
        self.folded: dict[str, str] = {}  # the search index's folded texts, by text
        self._worker: Worker | None = None
        self._inputs: list[tuple[str, int, int]] = []  # `_other_inputs` at the render
        self._stamp: tuple[int, int] | None = None  # the manifest as this process wrote it

    def forget(self) -> None:
        """After a failure part-way: the next edit renders everything."""
        self.kept = None

    def render(self) -> Generator[Update, None, None]:
        """Render everything (only what differs is moved into place)."""
        # What the files hold before: as this process wrote them, else as the manifest says
        kept = self.kept
        before = kept.files if kept is not None else output.read_manifest(self.options.out)
        self.kept = None  # until this render has written a handbook, no edit can build on one
        result = handbook.render(self.paths, self.config, self.options)
        if result.refused or result.kept is None:
            yield Update(result.check, (), refused=result.refused, everything=True, result=result)
            return
        kept = result.kept
        # The bytes read for the render go: every later read is of the file as it is then
        # (a translation's source, read again for its hash, may have been edited since).
        kept.work = kept.work._replace(jobs=[job._replace(data=None) for job in kept.work.jobs])
        repo = _repo_of(_by_id(kept.digests), kept.options)
        self.kept, self.repo, self._inputs = kept, repo, self._other_inputs()
        self.failed, self.missing_dot = set(result.failed_layouts), result.missing_dot
        self.pending = set()
        self._worker = None  # settings and templates as this render had them
        self._stamp = self._manifest_stamp()
        changed = _differing(kept.files, before or {})
        yield Update(result.check, changed, everything=True, result=result)

    def edit(self, changed: Collection[str]) -> Generator[Update, None, None]:
        """Bring the handbook up to date after these files changed (real paths of SOP files,
        changed, added or removed): first the pages of the SOPs concerned, then the pages
        about all SOPs. The caller may stop between the two (a newer edit came): the next
        `edit` writes what is left."""
        kept = self.kept
        edited = self._jobs_of(changed) if kept is not None else None
        if (
            kept is None
            or edited is None
            or self._other_inputs() != self._inputs
            or self._manifest_stamp() != self._stamp
        ):
            yield from self.render()
            return
        edited |= self.pending
        worker = self.worker(kept)
        worker.start_over(_previous_images(kept))
        reports = list(kept.reports)
        analysed: dict[int, Analysed] = {}
        for job in sorted(edited):
            analysed[job] = worker.analyse(job, kept.work.jobs[job])
            reports[job] = analysed[job].report
        check = checker.conclude(kept.work, reports, self.config, kept.check_options)
        kept.reports = reports
        if check.errors:
            self.pending = edited
            yield Update(check, (), refused=True)
            return
        digests = dict(kept.digests)
        for job, item in analysed.items():
            if item.digest is None or job not in digests or item.digest.id != digests[job].id:
                yield from self.render()  # an id changed, or a file became a SOP
                return
            digests[job] = item.digest
        repo = _repo_of(_by_id(digests), kept.options)
        assert self.repo is not None
        old, views = self.repo, page_view
        concerned = [job for job, digest in digests.items() if job not in analysed
                     and views(digest, repo) != views(kept.digests[job], old)]  # fmt: skip
        for job in concerned:  # their pages show something of an edited SOP: read them again
            analysed[job] = worker.analyse(job, kept.work.jobs[job]._replace(rules=()))
        kept.digests, self.repo, self.pending = digests, repo, set()
        written = self._write_pages(worker, analysed, repo)
        yield Update(check, written, edited=tuple(sorted(digests[job].id for job in edited)))
        yield from self._write_overviews()

    def _other_inputs(self) -> list[tuple[str, int, int]]:
        """What else a handbook is made from and an edit does not redo (the user's
        templates, the team and acknowledgements files): their sizes and times."""
        from sopkit.acks import FILE

        candidates = [self.config.team_file, self.config.root / FILE]
        templates = self.options.templates
        if templates is not None and templates.is_dir():
            candidates += sorted(templates.rglob("*"))
        found = []
        for path in candidates:
            try:
                info = path.stat()
            except OSError:
                continue
            found.append((str(path), info.st_size, info.st_mtime_ns))
        return found

    def _manifest_stamp(self) -> tuple[int, int] | None:
        """The manifest's size and time: another change means somebody else wrote the
        folder (a `sopkit render`, a deleted handbook), and what this process knows of
        it no longer holds."""
        try:
            info = os.stat(self.options.out / output.MANIFEST)
        except OSError:
            return None
        return info.st_size, info.st_mtime_ns

    def _jobs_of(self, changed: Collection[str]) -> set[int] | None:
        """The jobs of these files, or None when an edit cannot stand alone."""
        assert self.kept is not None
        jobs = {job.source.real: index for index, job in enumerate(self.kept.work.jobs) if job.full}
        ids = [digest.id for digest in self.kept.digests.values()]
        if len(set(ids)) != len(ids):
            return None  # which file's pages are shown depends on all of them
        found = set()
        for path in changed:
            index = jobs.get(path)
            if index is None or not Path(path).is_file():
                return None
            found.add(index)
        return found

    def _write_pages(
        self, worker: Worker, analysed: Mapping[int, Analysed], repo: Handbook
    ) -> tuple[str, ...]:
        """The pages and images of the SOPs analysed; the files whose content changed."""
        kept = self.kept
        assert kept is not None
        graphs = {item.graph[0]: item.graph[1] for item in analysed.values() if item.graph}
        images = worker.lay_out(list(graphs.items())) if graphs else []
        laid_out = dict(zip(graphs, images, strict=True))
        failed = frozenset(key for key, result in laid_out.items()
                           if isinstance(result, LayoutFailure))  # fmt: skip
        svgs = {key: result["svg"] for key, result in laid_out.items()
                if not isinstance(result, LayoutFailure) and "svg" in result}  # fmt: skip
        staging = output.Staging(self.options.out)
        try:
            written = worker.write(WriteRequest(repo, frozenset(), staging.folder, False, failed,
                                                svgs))  # fmt: skip
            sink = output.FolderSink(staging.folder)
            before: dict[str, str] = {}
            for job, item in analysed.items():
                sop_id = kept.digests[job].id
                for name in sop_files(sop_id):
                    if name in kept.files:
                        before[name] = kept.files.pop(name)
                    kept.layouts.pop(name, None)
                self.failed.discard(sop_id)
                if item.graph is None:
                    continue
                key = item.graph[0]
                result = laid_out[key]
                if isinstance(result, LayoutFailure):
                    self.failed.add(sop_id)
                else:
                    write_images(sink, sop_id, key, result, written.layouts)
            files = {**written.digests, **sink.digests}
            changed = _differing(files, before)
            staging.move_in(changed)
        finally:
            staging.close()
        kept.files.update(files)
        kept.layouts.update(written.layouts)
        return changed

    def _write_overviews(self) -> Generator[Update, None, None]:
        """The pages about all SOPs, one at a time (an update that wrote nothing after
        each: a newer edit may stop it there), then the files whose content changed and
        the manifest."""
        kept, repo = self.kept, self.repo
        assert kept is not None
        assert repo is not None
        digests = _by_id(kept.digests)
        pages_env, site_pages = self.worker(kept).templates()
        roles = overviews.role_pages(digests, repo)
        files: dict[str, bytes] = {}
        for name, data in markdown_overviews(digests, repo, pages_env, roles):
            files[name] = data
            yield Update(None, ())
        options = kept.options  # with the team and acknowledgements files the render found
        if options.html:
            from sopkit.render.site import site_overviews

            site_env = site_pages.env if site_pages is not None else None
            for name, data in site_overviews(digests, files, roles, repo, options.templates,
                                             self.folded, site_env):  # fmt: skip
                files[f"{output.SITE}/{name}"] = data
                yield Update(None, ())
        ours = {name for digest in digests for name in sop_files(digest.id)}
        before = {name: value for name, value in kept.files.items() if name not in ours}
        new = {name: output.digest(data) for name, data in files.items()}
        changed = _differing(new, before)
        staging = output.Staging(self.options.out)
        try:
            sink = output.FolderSink(staging.folder)
            for name in changed:
                sink.write(name, files[name])
            staging.move_in(changed)
            everything = {name: value for name, value in kept.files.items() if name in ours}
            everything.update(new)
            read = {report.path: report.digest for report in kept.reports}
            key = inputs_key(kept.work.targets, options, read)
            complete = not (self.failed or self.missing_dot)
            staging.vouch(key, everything, kept.layouts, manifest_options(complete, options))
        finally:
            staging.close()
        kept.files = everything
        kept.layouts = {name: key for name, key in kept.layouts.items() if name in everything}
        self._stamp = self._manifest_stamp()
        yield Update(None, changed + tuple(sorted(before.keys() - new.keys())))

    def worker(self, kept: Rendered) -> Worker:
        """The worker that writes edited SOPs' pages: its templates are compiled once."""
        if self._worker is None:
            self._worker = Worker(kept.settings)
        return self._worker


def _by_id(digests: Mapping[int, Digest]) -> list[Digest]:
    return sorted(digests.values(), key=lambda digest: digest.id)


def _repo_of(digests: Sequence[Digest], options: RenderOptions) -> Handbook:
    """What each page shows of the others (`options`: a render's, with its team file)."""
    return overviews.handbook_of(digests, options.today, options.language,
                                 living_of(digests, options))  # fmt: skip


def _previous_images(kept: Rendered) -> Graphviz | None:
    """The render's `dot`, with the handbook's images to take where a graph is unchanged."""
    graphviz = kept.settings.graphviz
    if graphviz is None:
        return None
    manifest = {"layouts": kept.layouts, "files": kept.files}
    return graphviz._replace(previous=previous_layouts(manifest, kept.options.out))


def _differing(new: Mapping[str, str], old: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(sorted(name for name, value in new.items() if old.get(name) != value))
