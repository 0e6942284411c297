"""A SOP's page and the glossary in Markdown, as the handbook words them, for agents.

The handbook's own templates (`sop.md.j2`, `glossary.md.j2`) word them, so what
an agent reads is what a new hire reads; without a flowchart image (the steps
say the same in words).
"""

from __future__ import annotations

from datetime import date

from sopkit.lookup import Library
from sopkit.model import Sop
from sopkit.render import context, overviews
from sopkit.templating import environment, render_template


class Pages:
    """Pages of one state of the library: made when asked, then kept."""

    def __init__(self, library: Library, language: str, today: date) -> None:
        self.library = library
        self.language = language
        self.today = today
        self._env = environment(None)
        self._repo: context.Handbook | None = None
        self._digests: list[context.Digest] | None = None
        self._pages: dict[str, str] = {}

    @property
    def digests(self) -> list[context.Digest]:
        if self._digests is None:
            ordered = sorted(self.library.sops.values(), key=lambda sop: sop.id)
            self._digests = [context.digest_of(sop) for sop in ordered]
        return self._digests

    @property
    def repo(self) -> context.Handbook:
        if self._repo is None:
            self._repo = overviews.handbook_of(self.digests, self.today, self.language)
        return self._repo

    def sop(self, sop: Sop) -> str:
        page = self._pages.get(sop.id)
        if page is None:
            view = context.sop_page(sop, self.repo)
            page = render_template(self._env, "sop.md.j2", page=view).decode("utf-8")
            self._pages[sop.id] = page
        return page

    def glossary(self) -> str:
        labels = context.markdown_labels(self.language)
        entries = overviews.glossary_entries(self.digests, self.repo)
        return render_template(self._env, "glossary.md.j2", L=labels, entries=entries).decode()
