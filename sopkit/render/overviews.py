"""The pages about all SOPs: the index, the glossary and a page per role.

They are made in the process that assembles the handbook, from the `Digest` of
each SOP (plain values that travel from the worker processes), in the order the
handbook's language sorts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sopkit.collation import sort_key
from sopkit.escape import Md, md_block, md_line, md_text, slug
from sopkit.labels import labels_for
from sopkit.render.context import Digest, Handbook, page_link, term_anchor
from sopkit.render.durations import spoken
from sopkit.render.living import Living
from sopkit.render.summary import owner_link
from sopkit.text import clip

_new_tuple = tuple.__new__  # for the many rows of a large handbook: no Python constructor


def nowrap(text: str) -> Md:
    """A date or id that must never break in the middle (browsers break after hyphens)."""
    return Md(f'<span class="nowrap">{text}</span>')


@dataclass(frozen=True)
class IndexEntry:
    """What a reader chooses a procedure by."""

    link: Md
    sop_id: str
    lede: Md
    details: Md  # owner · steps · expected time · language · next review


def index_groups(sops: Sequence[Digest], repo: Handbook) -> list[tuple[Md, list[IndexEntry]]]:
    """SOPs by department, both sorted the way the handbook's language sorts."""
    labels = labels_for(repo.language)
    departments: dict[str, list[Digest]] = {}
    for sop in sops:
        departments.setdefault(sop.department, []).append(sop)
    groups = []
    for name in sorted(departments, key=lambda d: sort_key(d, repo.language)):
        members = sorted(departments[name], key=lambda s: sort_key(s.title, repo.language))
        groups.append((md_text(name), [_entry(sop, labels, repo) for sop in members]))
    return groups


def _entry(sop: Digest, labels: Mapping[str, str], repo: Handbook) -> IndexEntry:
    owner = owner_link(sop.owner) if sop.owner else Md(f"*{md_text(labels['no_owner'])}*")
    count = len(sop.nodes)
    details = [f"{md_text(labels['owner'])}: {owner}", f"{count} {md_text(labels['steps_count'])}"]
    if sop.seconds:
        details.append(md_text(spoken(sop.seconds, labels, repo.language, approximate=True)))
    if sop.language:
        details.append(f"`{md_text(sop.language)}`")
    if sop.review_by:
        review = f"{md_text(labels['next_review'])} {nowrap(sop.review_by.isoformat())}"
        if repo.today > sop.review_by:
            review += f" ⚠ *{md_text(labels['overdue'])}*"
        details.append(review)
    return IndexEntry(
        page_link(sop.id, repo.titles), sop.id, md_line(sop.lede), Md(" · ".join(details))
    )


@dataclass(frozen=True)
class GlossaryEntry:
    """One term, with each way it is defined and the SOPs that define it so."""

    anchor: str
    term: Md
    definitions: list[tuple[Md, list[Md]]]

    @property
    def conflict(self) -> bool:
        return len(self.definitions) > 1


DEFINITION_CHARS = 2_000  # in the glossary; the SOP's page has a longer one whole


def glossary_entries(sops: Sequence[Digest], repo: Handbook) -> list[GlossaryEntry]:
    """Every term of every SOP, once (one anchor each); its differing definitions below it."""
    by_term: dict[str, dict[str, list[Digest]]] = {}
    spelling: dict[str, str] = {}
    for sop in sops:
        for name, text in sop.terms:
            key = name.casefold()
            spelling.setdefault(key, name)
            definition = clip(" ".join(text.split()), DEFINITION_CHARS)
            by_term.setdefault(key, {}).setdefault(definition, []).append(sop)
    entries = []
    for key in sorted(by_term, key=lambda k: sort_key(spelling[k], repo.language)):
        definitions = [
            (md_block(definition), [page_link(s.id, repo.titles) for s in owners])
            for definition, owners in sorted(by_term[key].items())
        ]
        entries.append(GlossaryEntry(term_anchor(spelling[key]), md_text(spelling[key]),
                                     definitions))  # fmt: skip
    return entries


class RoleDuty(NamedTuple):  # a tuple: a role page can have tens of thousands
    procedure: Md
    step: Md
    text: Md
    sop_id: str = ""
    sop_title: str = ""
    number: int = 0
    plain: str = ""  # the step's own words, for pages that escape for themselves (HTML)


@dataclass(frozen=True)
class RolePage:
    """What one role does, across every SOP: titled by the role's name, grouped by SOP."""

    role_id: str
    file: str
    title: Md  # the role's name (its first description), else its id
    descriptions: list[Md]
    duties: list[RoleDuty]
    plain_descriptions: list[str] = field(default_factory=list)
    plain_title: str = ""
    people: list[tuple[str, list[Md]]] = field(default_factory=list)
    """Who holds the role, each with links to the SOPs they still have to read."""
    unread_ids: dict[str, list[str]] = field(default_factory=dict)
    """Person -> the ids of those SOPs, for pages that make their own links (HTML)."""

    def lines_by_procedure(self, step: Md) -> list[tuple[RoleDuty, Md]]:
        """`by_procedure` with each SOP's duties as the Markdown list of the role's page,
        made here: a role can have tens of thousands of rows, too many for a template
        loop (`step`: the word for a step)."""
        return [(first, Md("".join(f"- {step} {duty.step}: {duty.text}\n" for duty in duties)))
                for first, duties in self.by_procedure]  # fmt: skip

    @property
    def by_procedure(self) -> list[tuple[RoleDuty, list[RoleDuty]]]:
        """The duties grouped by SOP: (its first duty, all its duties), in page order."""
        groups: dict[str, list[RoleDuty]] = {}
        for duty in self.duties:
            groups.setdefault(duty.sop_id, []).append(duty)
        return [(duties[0], duties) for duties in groups.values()]


def role_pages(sops: Sequence[Digest], repo: Handbook) -> list[RolePage]:
    """A page per role id: every step that role performs, across all SOPs."""
    descriptions: dict[str, list[str]] = {}
    duties: dict[str, list[RoleDuty]] = {}
    for sop in sorted(sops, key=lambda s: sort_key(s.title, repo.language)):
        for role_id, description in sop.roles:
            known = descriptions.setdefault(role_id, [])
            if description not in known:
                known.append(description)
        procedure = page_link(sop.id, repo.titles, "../")
        page = f"../{sop.id}.md#step-"
        for node in sop.nodes:
            if node.role:
                number, text = node.number, node.text
                # tuple.__new__: RoleDuty's own constructor is a Python function, and the
                # role pages of a large handbook have tens of thousands of rows.
                row = (procedure, Md(f"[{number}]({page}{number})"), md_text(text), sop.id,
                       sop.title, number, text)  # fmt: skip
                duties.setdefault(node.role, []).append(_new_tuple(RoleDuty, row))
    pages = []
    for role_id in sorted(set(descriptions) | set(duties), key=lambda r: sort_key(r)):
        named = descriptions.get(role_id, [])
        title = named[0] if named else role_id
        pages.append(
            RolePage(
                role_id=role_id,
                file=repo.role_pages.get(role_id, f"roles/{slug(role_id)}.md"),
                title=md_text(title),
                descriptions=[md_text(d) for d in named[1:]],
                duties=duties.get(role_id, []),
                plain_descriptions=named[1:],
                plain_title=title,
                people=[
                    (person, [page_link(sop_id, repo.titles, "../") for sop_id in ids])
                    for person, ids in repo.living.to_read.get(role_id, ())
                ],
                unread_ids={
                    person: list(ids) for person, ids in repo.living.to_read.get(role_id, ())
                },
            )
        )
    return pages


def role_files(sops: Sequence[Digest]) -> dict[str, str]:
    """Role id -> its page, with distinct file names even when slugs collide."""
    files: dict[str, str] = {}
    used: set[str] = set()
    ids = sorted({role_id for s in sops for role_id, _ in s.roles}
                 | {n.role for s in sops for n in s.nodes if n.role})  # fmt: skip
    for role_id in ids:
        base = slug(role_id)
        name, counter = base, 2
        while name in used:
            name, counter = f"{base}-{counter}", counter + 1
        used.add(name)
        files[role_id] = f"roles/{name}.md"
    return files


def callers(sops: Sequence[Digest]) -> dict[str, tuple[str, ...]]:
    """SOP id -> the SOPs that follow it in a `sop:` step, each once, in id order."""
    found: dict[str, set[str]] = {}
    for sop in sops:
        for called in sop.calls:
            found.setdefault(called, set()).add(sop.id)
    return {called: tuple(sorted(ids)) for called, ids in found.items()}


def handbook_of(
    sops: Sequence[Digest], today: date, language: str, living: Living | None = None
) -> Handbook:
    """What each page needs to know about the others, from every SOP's digest."""
    return Handbook(
        titles={sop.id: sop.title for sop in sops},
        today=today,
        language=language,
        role_pages=role_files(sops),
        callers=callers(sops),
        living=living if living is not None else Living(),
    )
