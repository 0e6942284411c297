"""A SOP's page of the site, written as HTML from the same context as its Markdown page.

sopkit's own structure (headings, the numbered procedure, answers, links, tables) comes
from the template `sop.body.html.j2`, escaped by Jinja; only what the SOP wrote in
Markdown, and the three lines sopkit words in Markdown (lede, summary, facts), go
through the converter. Converting the whole Markdown page cost ~8 ms a SOP, more than
laying out its flowchart. A user's own `sop.md.j2` still decides the site page: with
one, `site.sop_html` converts the Markdown page whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from jinja2 import Environment
from markupsafe import Markup, escape

from sopkit.labels import labels_for
from sopkit.render import htmltext
from sopkit.render.context import Directions, Handbook, SopPage, term_anchor


class StepHtml(NamedTuple):
    number: int
    kind: str
    headline: Markup
    details: Markup | None
    answers: tuple[tuple[str, int], ...]  # a decision's: label, step number
    notes: Markup | None  # follow another SOP, ends here, then go to


class Heading(NamedTuple):
    id: str
    title: str


def _headline(kind: str, text: str, role: str | None, took: str | None,
              terms: Sequence[str], labels: Mapping[str, str]) -> Markup:  # fmt: skip
    """**Text** — *role* · Expected time: 10 min (→ glossary links), as on the Markdown page.

    Built with f-strings over escaped parts: `Markup.format` took most of a page's time."""
    line = f"<strong>{escape(text)}</strong>"
    if kind == "end":
        line = f"<strong>{escape(labels['outcome'])}:</strong> {line}"
    elif kind == "decision":
        line = f"◇ {line}"
    if role:
        line += f" — <em>{escape(role)}</em>"
    if took:
        line += f" · {escape(labels['duration'])}: {escape(took)}"
    if terms:
        links = ", ".join(f'<a href="#{escape(term_anchor(name))}">{escape(name)}</a>'
                          for name in terms)  # fmt: skip
        line += f" (→ {links})"
    return Markup(line)


def _page_link(sop_id: str, repo: Handbook) -> str:
    return f'<a href="{escape(sop_id)}.html">{escape(repo.titles.get(sop_id, sop_id))}</a>'


def _notes(way: Directions, labels: Mapping[str, str], repo: Handbook) -> Markup | None:
    """Follow another SOP; ends here; then go to step N."""
    notes: list[str] = []
    if way.follows is not None:
        notes.append(f"{escape(labels['follow'])} {_page_link(way.follows, repo)}.")
    if way.ends:
        notes.append(str(escape(labels["ends_here"])))
    elif way.then is not None:
        link = f'<a href="#step-{way.then}">{way.then}</a>'
        notes.append(f"{escape(labels['then_go_to'])} {link}.")
    return Markup(" ".join(notes)) if notes else None


def steps(page: SopPage, labels: Mapping[str, str], repo: Handbook) -> list[StepHtml]:
    views = []
    for node, view in zip(page.sop.nodes, page.steps, strict=True):
        headline = _headline(view.kind, node.text, node.role, view.time, view.terms, labels)
        details = htmltext.block(view.details) if view.details else None
        views.append(StepHtml(view.number, view.kind, headline, details, view.way.answers,
                              _notes(view.way, labels, repo)))  # fmt: skip
    return views


def headings(page: SopPage, labels: Mapping[str, str], title_id: str) -> dict[str, Heading]:
    """The page's sections that have something to show, in order, with ids unique on the
    page (the title's among them)."""
    taken = {title_id}
    shown = {
        "purpose": page.summary is None or page.summary.more,
        "scope": page.scope is not None,
        "roles": bool(page.roles),
        "kpis": bool(page.kpis),
        "flowchart": bool(page.flowchart_image or page.mermaid),
        "procedure": True,
        "terms": bool(page.terms),
        "called_from": bool(page.called_from),
        "related": bool(page.related),
        "changelog": bool(page.changelog),
    }
    return {key: Heading(htmltext.heading_id(labels[key], taken), labels[key])
            for key, show in shown.items() if show}  # fmt: skip


def body(env: Environment, page: SopPage, repo: Handbook) -> tuple[Markup, Markup]:
    """The page's content and its table of contents."""
    labels = labels_for(page.sop.language or repo.language)
    title_id = htmltext.heading_id(page.sop.title, set())
    sections = headings(page, labels, title_id)
    summary = page.summary
    values = {
        "page": page,
        "L": labels,
        "title_id": title_id,
        "h": sections,
        "lede": htmltext.inline(summary.lede) if summary else None,
        "summary_line": htmltext.inline(summary.line) if summary else None,
        "facts": htmltext.inline(summary.facts) if summary else None,
        "purpose": htmltext.block(page.purpose),
        "scope": htmltext.block(page.scope) if page.scope else None,
        "roles": [(role, htmltext.inline(text)) for role, text in _plain_roles(page)],
        "kpis": [tuple(htmltext.inline(cell) for cell in row) for row in page.kpis],
        "changelog": [tuple(htmltext.inline(cell) for cell in row) for row in page.changelog],
        "terms": [(anchor, name, _definition(text)) for anchor, name, text in _plain_terms(page)],
        "steps": steps(page, labels, repo),
        "called_from": [
            Markup(_page_link(caller, repo)) for caller in repo.callers.get(page.sop.id, ())
        ],
        "related": [Markup(_page_link(ref.id, repo)) for ref in page.sop.related],
        "slot": Markup(htmltext.FIGURE_SLOT),
        "banner": htmltext.inline(page.banner) if page.banner else None,
        "readers": htmltext.inline(page.readers) if page.readers else None,
        "holders": [", ".join(repo.living.holders(role.id)) for role in page.sop.roles]
        if page.role_holders
        else [],
    }
    html = env.get_template("sop.body.html.j2").render(**values)
    toc = env.get_template("toc.html.j2").render(headings=sections.values())
    return Markup(html), Markup(toc)


def _plain_roles(page: SopPage) -> list[tuple[str, str]]:
    return [(role.id, cell) for role, (_, cell) in zip(page.sop.roles, page.roles, strict=True)]


def _plain_terms(page: SopPage) -> list[tuple[str, str, str]]:
    pairs = zip(page.sop.terms, page.terms, strict=True)
    return [(anchor, term.name, text) for term, (anchor, _, text) in pairs]


def _definition(text: str) -> Markup:
    """A definition after its term on one list line; a longer one keeps its paragraphs."""
    html = htmltext.convert(text)
    if html.startswith("<p>") and html.count("<p>") == 1 and html.endswith("</p>"):
        return Markup(html[3:-4])
    return Markup(html)
