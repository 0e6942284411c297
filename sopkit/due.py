"""`sopkit due`: SOPs whose review date has passed or comes soon, grouped by owner.

The source articles give every SOP a review cycle; `review-overdue` warns in CI
once the date has passed. This gives each owner the list to work through, with a
Markdown body ready to paste into an issue (docs/ci.md opens one per owner on a
schedule).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sopkit.escape import md_text
from sopkit.model import Sop, Status

NO_OWNER = "(no owner)"


@dataclass(frozen=True)
class Due:
    id: str
    title: str
    file: str
    owner: str
    review_by: date
    version: str | None

    def days_left(self, today: date) -> int:
        return (self.review_by - today).days


@dataclass(frozen=True)
class Reviews:
    today: date
    within: int  # days
    owners: dict[str, list[Due]]  # owner -> SOPs, soonest first

    @property
    def count(self) -> int:
        return sum(len(sops) for sops in self.owners.values())


def reviews_due(sops: Iterable[Sop], today: date, within: timedelta) -> Reviews:
    """Active and draft SOPs with a `review_by` on or before `today + within`."""
    within = min(within, date.max - today)  # `--today 9999-12-01 --within 60d`: the last day
    limit = today + within
    owners: dict[str, list[Due]] = {}
    for sop in sops:
        if sop.review_by is None or sop.status is Status.RETIRED or sop.review_by > limit:
            continue
        owner = sop.owner or NO_OWNER
        owners.setdefault(owner, []).append(
            Due(sop.id, sop.title, sop.path, owner, sop.review_by, sop.version)
        )
    for listed in owners.values():
        listed.sort(key=lambda due: (due.review_by, due.id))
    ordered = dict(sorted(owners.items(), key=lambda item: (item[0] == NO_OWNER, item[0])))
    return Reviews(today, within.days, ordered)


def _when(due: Due, today: date) -> str:
    left = due.days_left(today)
    if left < 0:
        return f"{-left} day{'s' if left != -1 else ''} overdue"
    if left == 0:
        return "due today"
    return f"due in {left} day{'s' if left != 1 else ''}"


def text_report(reviews: Reviews) -> str:
    if not reviews.count:
        return f"no reviews due by {reviews.today + timedelta(days=reviews.within)}\n"
    lines = []
    for owner, listed in reviews.owners.items():
        lines.append(owner)
        for due in listed:
            lines.append(f"  {due.review_by}  {_when(due, reviews.today):<16}  {due.id}  "
                         f"{due.title}  ({due.file})")  # fmt: skip
    lines.append(f"{reviews.count} SOPs to review, {len(reviews.owners)} owners")
    return "\n".join(lines) + "\n"


def owner_markdown(owner: str, listed: Sequence[Due], today: date) -> str:
    """One owner's issue body: a checklist of the SOPs to review."""
    lines = [
        f"SOPs owned by {md_text(owner)} that are due for review (as of {today}):",
        "",
    ]
    for due in listed:
        version = f", version {md_text(due.version)}" if due.version else ""
        lines.append(f"- [ ] **{md_text(due.id)}** {md_text(due.title)} (`{md_text(due.file)}`"
                     f"{version}): review by {due.review_by}, {_when(due, today)}")  # fmt: skip
    lines += [
        "",
        "For each: read it with the people who follow it, change what is out of date, "
        "raise `version`, add a `changelog` entry, and set a new `review_by`.",
    ]
    return "\n".join(lines) + "\n"


def markdown_report(reviews: Reviews) -> str:
    if not reviews.count:
        return f"No SOP is due for review by {reviews.today + timedelta(days=reviews.within)}.\n"
    parts = [f"## {md_text(owner)}\n\n{owner_markdown(owner, listed, reviews.today)}"
             for owner, listed in reviews.owners.items()]  # fmt: skip
    return "\n".join(parts)


def json_report(reviews: Reviews) -> str:
    data: dict[str, Any] = {
        "today": reviews.today.isoformat(),
        "within_days": reviews.within,
        "count": reviews.count,
        "owners": [
            {
                "owner": owner,
                "title": f"SOP reviews due: {owner}",
                "body": owner_markdown(owner, listed, reviews.today),
                "sops": [
                    {
                        "id": d.id,
                        "title": d.title,
                        "file": d.file,
                        "version": d.version,
                        "review_by": d.review_by.isoformat(),
                        "days_left": d.days_left(reviews.today),
                    }
                    for d in listed
                ],
            }
            for owner, listed in reviews.owners.items()
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


DUE_FORMATS: dict[str, Callable[[Reviews], str]] = {
    "text": text_report,
    "json": json_report,
    "markdown": markdown_report,
}
