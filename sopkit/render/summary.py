"""The top of a SOP's page: what a reader needs before the steps.

One line of purpose, then whom to ask (a `mailto:` link), the roles by their
short names, the expected time and the SLA in words, and the review dates;
then the facts a reader rarely needs (id, department, version, status).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

from sopkit.escape import Md, md_cell, md_line, md_text
from sopkit.model import Sop
from sopkit.render.durations import spoken

_MAIL = re.compile(r"[^<>@\s]+@[^<>\s]+")
_SENTENCE = re.compile(r"^(.+?[.!?;])(?:\s|$)", re.DOTALL)


class Summary(NamedTuple):
    lede: Md  # the purpose's first sentence
    line: Md  # owner · roles · time · reviews
    facts: Md  # id · department · version · status · language
    more: bool  # the purpose says more than its first sentence: the page shows it whole


def name_and_mail(owner: str) -> tuple[str, str] | None:
    """`Name <mail>` taken apart (the name may be empty), or None for anything else.

    Split by hand: the pattern it replaces tried every way of sharing a run of
    spaces between its parts and took 33 s for an owner of 5,000 spaces."""
    text = owner.strip()
    if not text.endswith(">"):
        return None
    name, bracket, mail = text[:-1].rpartition("<")
    if not bracket or "<" in name or ">" in name or not _MAIL.fullmatch(mail):
        return None
    return name.strip(), mail


def owner_link(owner: str) -> Md:
    """`Name <mail>` as a link that writes to them; anything else as written."""
    found = name_and_mail(owner)
    if found is None:
        return md_cell(owner)
    name, mail = found[0] or found[1], found[1]
    return Md(f"[{md_text(name)}](mailto:{mail.replace(')', '%29').replace(' ', '%20')})")


def first_sentence(purpose: str) -> str:
    """The first sentence of the purpose, on one line."""
    first = " ".join(purpose.strip().split("\n\n", 1)[0].split())
    match = _SENTENCE.match(first)
    return match.group(1) if match else first


def last_review(sop: Sop) -> date | None:
    dates = [change.date for change in sop.changelog if change.date is not None]
    if sop.effective is not None:
        dates.append(sop.effective)
    return max(dates, default=None)


def summary(sop: Sop, labels: Mapping[str, str], language: str | None, today: date) -> Summary:
    parts = []
    owner = owner_link(sop.owner) if sop.owner else Md(f"*{md_text(labels['no_owner'])}*")
    parts.append(f"**{md_text(labels['owner'])}:** {owner}")
    if sop.roles:
        chips = " ".join(f"`{role.id}`" for role in sop.roles)
        parts.append(f"**{md_text(labels['roles'])}:** {chips}")
    longest = sop.expected_seconds
    times = []
    if longest:
        times.append(spoken(longest, labels, language, approximate=True))
    if sop.sla:
        times.append(labels["within_sla"].format(spoken(sop.sla.seconds, labels, language)))
    if times:
        parts.append(f"**{md_text(labels['expected_time'])}:** {md_text('; '.join(times))}")
    reviewed = last_review(sop)
    if reviewed:
        parts.append(f"**{md_text(labels['last_review'])}:** {reviewed.isoformat()}")
    if sop.review_by:
        overdue = f" ⚠ *{md_text(labels['overdue'])}*" if today > sop.review_by else ""
        parts.append(f"**{md_text(labels['next_review'])}:** {sop.review_by.isoformat()}{overdue}")
    facts = [f"`{sop.id}`", md_cell(sop.department)]
    if sop.version:
        facts.append(f"{md_text(labels['version'])} {md_cell(sop.version)}")
    facts.append(md_text(labels[f"status_{sop.status.value}"]))
    if sop.language:
        facts.append(md_cell(sop.language))
    lede = first_sentence(sop.purpose)
    more = lede != " ".join(sop.purpose.split())
    return Summary(md_line(lede), Md(" · ".join(parts)), Md(" · ".join(facts)), more)
