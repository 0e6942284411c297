"""Read and acknowledge: who has read the current content of the SOPs of their roles.

Acknowledgements are rows of `acknowledgements.csv` beside the config: SOP id,
version, content hash, person, time. The file is only ever appended to, and
`.gitattributes` marks it `merge=union`, so two branches that both add rows merge
without a conflict: git keeps the lines of both (docs/acknowledgements.md).

The content hash is the SOP's translation hash (`sopkit.translation`): its texts
and its structure, not its layout, so `sopkit fmt` never asks anyone to read again.
A person must acknowledge each SOP that names one of their roles; a translation is
acknowledged as its source, when it is up to date with it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sopkit.appending import append_csv
from sopkit.errors import SopkitError
from sopkit.escape import md_cell
from sopkit.model import Sop
from sopkit.sources import Unreadable, read_text
from sopkit.team import Person, Team
from sopkit.translation import translation_hash

FILE = "acknowledgements.csv"
HEADER = ("sop", "version", "content", "person", "time")
MAX_ACKS_BYTES = 256 * 1024 * 1024
"""Far past any team's file (a row is ~150 bytes): a million acknowledgements fit."""
ATTRIBUTE = f"/{FILE} merge=union"


@dataclass(frozen=True)
class Ack:
    sop: str
    version: str
    content: str
    person: str
    time: str


def read_acks(path: Path) -> list[Ack]:
    if not path.exists():
        return []
    from sopkit.discovery import shown

    place = shown(path)
    text = read_text(str(path), MAX_ACKS_BYTES)
    if isinstance(text, Unreadable):
        raise SopkitError(f"{place}: {text.message}")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise SopkitError(f"{place}: cannot read it: {exc}") from None
    if not rows or tuple(rows[0]) != HEADER:
        raise SopkitError(f"{place}:1: not an acknowledgements file (its header is not "
                          f"{','.join(HEADER)})")  # fmt: skip
    acks = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            raise SopkitError(f"{place}:{number}: {len(row)} fields, {len(HEADER)} expected "
                              "(a merge conflict left in the file?)")  # fmt: skip
        acks.append(Ack(*row))
    return acks


def subject(sop: Sop, sops: Mapping[str, Sop]) -> Sop:
    """What reading `sop` acknowledges: itself, or for an up-to-date translation its source."""
    if sop.translation_of is None:
        return sop
    source = sops.get(sop.translation_of.id)
    if source is None:
        raise SopkitError(f"{sop.id} is a translation of {sop.translation_of.id}, which is "
                          "not in the source folder")  # fmt: skip
    recorded = sop.translated_from.id if sop.translated_from else None
    if recorded != translation_hash(source):
        raise SopkitError(
            f"{sop.id} is out of date with {source.id}: reading it does not acknowledge the "
            f"current procedure",
            hint=f"read {source.id} itself, or update the translation first",
        )
    return source


def acknowledge(file: Path, sop: Sop, person: Person, now: datetime) -> Ack:
    ack = Ack(sop.id, sop.version or "", translation_hash(sop), person.name,
              now.isoformat(timespec="seconds"))  # fmt: skip
    append_csv(str(file), HEADER, [(ack.sop, ack.version, ack.content, ack.person, ack.time)],
               "an acknowledgements file")  # fmt: skip
    return ack


def ensure_union_merge(root: Path) -> bool:
    """Mark the acknowledgements file `merge=union` in `.gitattributes`; whether it was added."""
    attributes = root / ".gitattributes"
    text = read_text(str(attributes)) if attributes.exists() else ""
    if isinstance(text, Unreadable):
        raise SopkitError(f"{attributes}: {text.message}")
    if any(line.split()[:2] == ATTRIBUTE.split()[:2] for line in text.splitlines() if line.strip()):
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    with attributes.open("a", encoding="utf-8") as handle:
        handle.write(f"{separator}# sopkit ack: both branches' acknowledgements are kept\n"
                     f"{ATTRIBUTE}\n")  # fmt: skip
    return True


def roles_of(sop: Sop) -> set[str]:
    return {role.id for role in sop.roles} | {node.role for node in sop.nodes if node.role}


@dataclass(frozen=True)
class Standing:
    person: str
    sop: str
    title: str
    version: str | None
    state: str  # "current", "behind", "never"
    acknowledged_version: str | None = None  # the version last acknowledged, when behind
    acknowledged_at: str | None = None


def standings(
    sops: Iterable[Sop], team: Team, acks: Sequence[Ack],
    person: str | None = None, sop_id: str | None = None,
) -> list[Standing]:  # fmt: skip
    """For each person (or one), each SOP (or one) that names one of their roles."""
    latest: dict[tuple[str, str], Ack] = {}
    current: set[tuple[str, str, str]] = set()
    for ack in acks:  # in file order: the last row of a person and SOP is their latest
        latest[(ack.person.casefold(), ack.sop)] = ack
        current.add((ack.person.casefold(), ack.sop, ack.content))
    people = [team.find(person)] if person else list(team.people)
    found = []
    originals = sorted((s for s in sops if s.translation_of is None), key=lambda s: s.id)
    if sop_id is not None:
        originals = [s for s in originals if s.id == sop_id]
    for someone in people:
        for sop in originals:
            if not roles_of(sop) & set(someone.roles):
                continue
            content = translation_hash(sop)
            key = someone.name.casefold()
            last = latest.get((key, sop.id))
            if (key, sop.id, content) in current:
                state = "current"
            elif last is not None:
                state = "behind"
            else:
                state = "never"
            found.append(Standing(someone.name, sop.id, sop.title, sop.version, state,
                                  last.version if last and state == "behind" else None,
                                  last.time if last else None))  # fmt: skip
    return found


def _said(standing: Standing) -> str:
    if standing.state == "current":
        return "read"
    if standing.state == "never":
        return "never read"
    then = standing.acknowledged_version or "an earlier text"
    return f"behind since version {then}" + (
        f" (now {standing.version})" if standing.version else ""
    )


def text_status(found: Sequence[Standing]) -> str:
    if not found:
        return "no SOP names a role of anyone in the team file\n"
    lines, person = [], None
    for standing in found:
        if standing.person != person:
            person = standing.person
            done = sum(1 for s in found if s.person == person and s.state == "current")
            total = sum(1 for s in found if s.person == person)
            lines.append(f"{person}: {done} of {total} read")
        lines.append(f"  {standing.sop:<16} {_said(standing)}")
    behind = sum(1 for s in found if s.state != "current")
    lines.append(f"{behind} to read" if behind else "everyone has read the current SOPs")
    return "\n".join(lines) + "\n"


def markdown_status(found: Sequence[Standing]) -> str:
    lines = ["| person | SOP | version | state |", "|---|---|---|---|"]
    for standing in found:
        lines.append(f"| {md_cell(standing.person)} | {md_cell(standing.sop)} "
                     f"{md_cell(standing.title)} | {md_cell(standing.version or '')} | "
                     f"{md_cell(_said(standing))} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def json_status(found: Sequence[Standing]) -> str:
    data: list[dict[str, Any]] = [standing.__dict__ for standing in found]
    return json.dumps({"standings": data, "behind": sum(s.state != "current" for s in found)},
                      ensure_ascii=False, indent=2) + "\n"  # fmt: skip


STATUS_FORMATS: dict[str, Callable[[Sequence[Standing]], str]] = {
    "text": text_status,
    "json": json_status,
    "markdown": markdown_status,
}
