"""Models -> what the templates print: escaped, numbered, linked and in the right language.

Every user text leaves here either escaped (`md_text`) or as sanitised
Markdown (`md_block`); templates only arrange it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sopkit.escape import Md, md_block, md_cell, md_text, slug
from sopkit.labels import labels_for
from sopkit.model import KIND_NAMES, Decision, End, Kpi, Sop, Step, duration_of
from sopkit.render.durations import compact
from sopkit.render.living import Living, language_name
from sopkit.render.summary import Summary, first_sentence, summary
from sopkit.text import clip
from sopkit.translation import translation_hash

_new_tuple = tuple.__new__  # for the many small tuples of a handbook: no Python constructor


class Directions(NamedTuple):
    """Where a step leads, for any page format to word."""

    answers: tuple[tuple[str, int], ...] = ()  # a decision's answers: label, step number
    follows: str | None = None  # the SOP a `sop:` step follows
    ends: bool = False  # the procedure may end here
    then: int | None = None  # the step that comes next, when it is not the next one


class StepView(NamedTuple):  # a tuple: pages have many, and tuples are quick to make
    number: int
    kind: str
    text: Md
    term_links: Md | None
    role: Md | None
    duration: Md | None
    details: Md | None
    directions: Md | None
    headline: Md  # the step's line, from the fields above: "**Text** — *role* · ..."
    indent: Md  # what puts a line inside the step's list item (see `item_indent`)
    # The same facts unescaped, for pages that are not Markdown (the site's, `sitepage`):
    terms: tuple[str, ...] = ()  # the glossary terms this step is the first to use
    time: str | None = None  # its expected time, in words of the page's language
    way: Directions = Directions()


def item_indent(number: int) -> Md:
    """Spaces that keep a line inside list item `number`: four at least, which
    Python-Markdown needs, and the width of "N. ", which CommonMark (GitHub) needs."""
    return Md(" " * max(4, len(str(number)) + 2))


@dataclass(frozen=True)
class SopPage:
    sop: Sop
    labels: Mapping[str, str]
    title: Md
    meta: list[tuple[str, Md]]  # the old metadata table: users' own sop.md.j2 may print it
    purpose: Md
    scope: Md | None
    roles: list[tuple[Md, Md]]
    terms: list[tuple[str, Md, Md]]
    kpis: list[tuple[Md, Md, Md]]
    steps: list[StepView]
    related: list[Md]
    changelog: list[tuple[Md, Md, Md, Md]]
    flowchart_image: str | None = None
    mermaid: Md | None = None
    sla: str | None = None
    summary: Summary | None = None
    called_from: list[Md] = field(default_factory=list)
    versions: list[tuple[str, str, str, bool]] = field(default_factory=list)
    """The SOP in other languages: (language, its name, SOP id, this page?)."""
    banner: Md | None = None  # an outdated translation's warning, in its own language
    source_id: str | None = None  # the banner's link

    @property
    def roles_held(self) -> list[tuple[Md, Md, Md]]:
        """Each role with who holds it (a team file says)."""
        return [(r, d, h) for (r, d), h in zip(self.roles, self.role_holders, strict=True)]

    @property
    def versions_line(self) -> Md:
        """`**English** · [Ελληνικά](CS-1-el.md)`: this page in bold, the others linked."""
        return Md(" · ".join(f"**{name}**" if here else f"[{name}]({other}.md)"
                             for _, name, other, here in self.versions))  # fmt: skip

    @property
    def source_link(self) -> Md | None:
        return None if self.source_id is None else Md(f"[{self.source_id}]({self.source_id}.md)")

    readers: Md | None = None  # "Read by 2 of 3 · not yet: Ana Novak"
    role_holders: list[Md] = field(default_factory=list)
    """Who holds each role of `roles`, in its order; empty without a team file."""


LEDE_CHARS = 300  # of the purpose's first sentence, in the index: a line, not a page


class NodeDigest(NamedTuple):
    number: int  # the step's number on the page: its place in the list, from 1
    text: str
    role: str | None


class Digest(NamedTuple):
    """What the pages about all SOPs (index, glossary, roles, search) need of one SOP.

    Plain values only: digests travel from the processes that hold the models.
    """

    id: str
    title: str
    department: str
    owner: str | None
    review_by: date | None
    language: str | None
    terms: tuple[tuple[str, str], ...]
    roles: tuple[tuple[str, str], ...]
    nodes: tuple[NodeDigest, ...]
    lede: str = ""  # the purpose's first sentence
    seconds: int = 0  # the expected time: the longest path's
    calls: tuple[str, ...] = ()  # the SOPs its `sop:` steps follow
    path: str = ""
    translation_of: str | None = None
    translated_from: str | None = None
    content: str | None = None  # the translation hash: made only when a team file is read
    related: tuple[str, ...] = ()  # the SOPs its `related:` names


def digest_of(sop: Sop, content: bool = False) -> Digest:
    """`content`: also the SOP's content hash (for acknowledgements: it costs a little)."""
    longest = sop.expected_seconds
    return Digest(
        sop.id,
        sop.title,
        sop.department,
        sop.owner,
        sop.review_by,
        sop.language,
        tuple((t.name, t.definition) for t in sop.terms),
        tuple((r.id, r.description) for r in sop.roles),
        tuple(_new_tuple(NodeDigest, (n.index + 1, n.text, n.role)) for n in sop.nodes),
        clip(first_sentence(sop.purpose), LEDE_CHARS),
        longest or 0,
        tuple(dict.fromkeys(ref.id for ref in sop.calls)),
        sop.path,
        sop.translation_of.id if sop.translation_of else None,
        sop.translated_from.id if sop.translated_from else None,
        translation_hash(sop) if content else None,
        tuple(ref.id for ref in sop.related),
    )


@dataclass(frozen=True)
class Handbook:
    """What one page needs to know about the others."""

    titles: Mapping[str, str]
    today: date
    language: str
    role_pages: Mapping[str, str] = field(default_factory=dict)
    callers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """SOP id -> the SOPs whose `sop:` steps follow it, for "Called from"."""
    living: Living = field(default_factory=lambda: Living())
    """Translations and acknowledgements, for the language switcher, banners and readers."""


def page_view(sop: Digest, repo: Handbook) -> tuple[object, ...]:
    """Everything a SOP's pages (Markdown, site page, quick card) read of `repo`, the
    other SOPs: where it is unchanged after an edit to another SOP, so are its pages.

    `sopkit serve` rewrites only the pages whose view changed; a page that starts
    reading something new of the Handbook must add it here (a test holds the two equal).
    """
    living = repo.living
    callers = repo.callers.get(sop.id, ())
    named = (*sop.calls, *sop.related, *callers, living.outdated.get(sop.id, ""))
    return (
        tuple(repo.titles.get(other) for other in named),
        callers,
        living.versions.get(sop.id, ()),
        living.outdated.get(sop.id),
        living.readers.get(sop.id),
        tuple(living.holders(role) for role, _ in sop.roles) if living.has_team else None,
    )


@functools.cache
def markdown_labels(language: str | None) -> Mapping[str, Md]:
    """The handbook's words for Markdown pages, escaped once: templates print them often."""
    return {key: md_text(text) for key, text in labels_for(language).items()}


def page_link(sop_id: str, titles: Mapping[str, str], prefix: str = "") -> Md:
    title = titles.get(sop_id, sop_id)
    return Md(f"[{md_text(title)}]({prefix}{sop_id}.md)")


def _step_link(number: int) -> str:
    return f"[{number}](#step-{number})"


class _TermLinker:
    """The glossary terms a step is the first to use, for links after its text.

    The step's own sentence stays whole (readers search for it, and copy it);
    the links follow it: "Is the SLA at risk? (→ SLA)".
    """

    def __init__(self, sop: Sop) -> None:
        names = sorted((t.name for t in sop.terms), key=len, reverse=True)
        self.names = {name.casefold(): name for name in names}
        body = "|".join(re.escape(name) for name in names)
        self.pattern = re.compile(rf"(?<![^\W_])({body})s?(?![^\W_])", re.I) if names else None
        self.done: set[str] = set()

    def __call__(self, text: str) -> list[str]:
        if self.pattern is None:
            return []
        names = []
        for match in self.pattern.finditer(text):
            key = match.group(1).casefold()
            if key in self.done or key not in self.names:
                continue
            self.done.add(key)
            names.append(self.names[key])
        return names


def _term_links(names: Sequence[str]) -> Md | None:
    links = [f"[{md_text(name)}](#{term_anchor(name)})" for name in names]
    return Md(", ".join(links)) if links else None


def term_anchor(name: str) -> str:
    return f"term-{slug(name)}"


def directions(sop: Sop, index: int) -> Directions:
    node = sop.nodes[index]
    edges = sop.flow.edges[index]
    if isinstance(node, Decision):
        answers = tuple((e.label or "", e.target + 1) for e in edges if e.target is not None)
        return Directions(answers)
    if isinstance(node, End):
        return Directions()
    follows = node.sop.id if isinstance(node, Step) and node.sop is not None else None
    if index in sop.flow.terminals:
        return Directions(follows=follows, ends=True)
    targets = [e.target for e in edges if e.target is not None]
    then = targets[0] + 1 if targets and targets[0] != index + 1 else None
    return Directions(follows=follows, then=then)


def _directions(way: Directions, labels: Mapping[str, str], repo: Handbook) -> Md | None:
    if way.answers:
        # One answer a line, as sub-items: a decision reads differently from an action.
        step = md_text(labels["step"].lower())
        choices = [f"- *{md_text(label)}* → {step} {_step_link(n)}" for label, n in way.answers]
        return Md("\n".join(choices))
    parts: list[str] = []
    if way.follows is not None:
        parts.append(f"{labels['follow']} {page_link(way.follows, repo.titles)}.")
    if way.ends:
        parts.append(labels["ends_here"])
    elif way.then is not None:
        parts.append(f"{labels['then_go_to']} {_step_link(way.then)}.")
    return Md(" ".join(parts)) if parts else None


def sop_page(
    sop: Sop, repo: Handbook, flowchart_image: str | None = None, mermaid: str | None = None
) -> SopPage:
    labels = labels_for(sop.language or repo.language)
    words = markdown_labels(sop.language or repo.language)
    language = sop.language or repo.language
    link_terms = _TermLinker(sop)
    steps = []
    for node in sop.nodes:
        duration = duration_of(node)
        kind = KIND_NAMES[node.kind]
        text = md_text(node.text)
        names = tuple(link_terms(node.text))
        links = _term_links(names)
        role = md_text(node.role) if node.role else None  # its short name: the role's id
        time = compact(duration.seconds, labels, language) if duration else None
        took = md_text(time) if time else None
        way = directions(sop, node.index)
        steps.append(
            StepView(
                node.index + 1,
                kind,
                text,
                links,
                role,
                took,
                md_block(node.details) if node.details else None,
                _directions(way, labels, repo),
                _headline(kind, text, links, role, took, words),
                item_indent(node.index + 1),
                names,
                time,
                way,
            )
        )
    return SopPage(
        sop=sop,
        labels=words,
        title=md_text(sop.title),
        meta=_meta(sop, labels, repo),
        purpose=md_block(sop.purpose),
        scope=md_block(sop.scope) if sop.scope else None,
        roles=[(md_text(r.id), md_cell(r.description)) for r in sop.roles],
        terms=[(term_anchor(t.name), md_text(t.name), md_block(t.definition)) for t in sop.terms],
        kpis=[_kpi_row(k) for k in sop.kpis],
        steps=steps,
        related=[page_link(ref.id, repo.titles) for ref in sop.related],
        changelog=[
            (
                md_cell(c.version or ""),
                Md(c.date.isoformat() if c.date else ""),
                md_cell(c.author or ""),
                md_cell(c.summary),
            )
            for c in sop.changelog
        ],
        flowchart_image=flowchart_image,
        mermaid=Md(mermaid) if mermaid is not None else None,
        sla=sop.sla.text if sop.sla else None,
        summary=summary(sop, labels, language, repo.today),
        called_from=[page_link(caller, repo.titles) for caller in repo.callers.get(sop.id, ())],
        versions=[
            (tag, language_name(tag), other, other == sop.id)
            for tag, other in repo.living.versions.get(sop.id, ())
        ],
        banner=_banner(sop, words, repo),
        source_id=repo.living.outdated.get(sop.id),
        readers=_readers(sop, words, repo),
        role_holders=[md_cell(", ".join(repo.living.holders(r.id))) for r in sop.roles]
        if repo.living.has_team
        else [],
    )


def _banner(sop: Sop, words: Mapping[str, Md], repo: Handbook) -> Md | None:
    """Words are the handbook's, escaped once (`markdown_labels`); the title is the SOP's."""
    source = repo.living.outdated.get(sop.id)
    if source is None:
        return None
    return Md(words["outdated_translation"].format(source=md_text(repo.titles.get(source, source))))


def _readers(sop: Sop, words: Mapping[str, Md], repo: Handbook) -> Md | None:
    found = repo.living.readers.get(sop.id)
    if found is None:
        return None
    done, missing = found
    line = words["read_by"].format(read=len(done), total=len(done) + len(missing))
    if missing:
        line += f" · {words['not_read_yet']}: " + ", ".join(md_text(name) for name in missing)
    return Md(line)


def _headline(
    kind: str, text: Md, links: Md | None, role: Md | None, took: Md | None, words: Mapping[str, Md]
) -> Md:
    """A step's line in the procedure: **Text** — *role* · Duration: 10m (→ glossary links)."""
    if kind == "end":
        line = f"**{words['outcome']}:** **{text}**"
    elif kind == "decision":
        line = f"◇ **{text}**"
    else:
        line = f"**{text}**"
    if role:
        line += f" — *{role}*"
    if took:
        line += f" · {words['duration']}: {took}"
    if links:
        line += f" (→ {links})"
    return Md(line)


def _kpi_row(kpi: Kpi) -> tuple[Md, Md, Md]:
    return md_text(kpi.name), md_cell(kpi.target or ""), md_cell(kpi.description or "")


def _meta(sop: Sop, labels: Mapping[str, str], repo: Handbook) -> list[tuple[str, Md]]:
    rows: list[tuple[str, Md]] = [
        (labels["id"], Md(f"`{sop.id}`")),
        (labels["department"], md_cell(sop.department)),
        (labels["owner"], md_cell(sop.owner) if sop.owner else Md(f"*{labels['no_owner']}*")),
    ]
    if sop.version:
        rows.append((labels["version"], md_cell(sop.version)))
    rows.append((labels["status"], Md(labels[f"status_{sop.status.value}"])))
    if sop.effective:
        rows.append((labels["effective"], Md(sop.effective.isoformat())))
    if sop.review_by:
        overdue = f" ⚠ *{labels['overdue']}*" if repo.today > sop.review_by else ""
        rows.append((labels["review_by"], Md(sop.review_by.isoformat() + overdue)))
    if sop.language:
        rows.append((labels["language"], md_cell(sop.language)))
    if sop.sla:
        rows.append((labels["sla"], md_cell(sop.sla.text)))
    return rows
