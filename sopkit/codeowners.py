"""`sopkit codeowners`: a CODEOWNERS file so that each SOP's owner approves its changes.

GitHub and GitLab ask the code owners of a changed file to review a pull or merge
request. Each SOP file is given its owner: the forge handle of the team member
that `owner:` names (by e-mail, else by name), else the e-mail address written in
`owner:`. An owner with neither is reported, and the SOP gets no line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sopkit.model import Sop
from sopkit.team import Team, email_in

HEADER = (
    "# Written by `sopkit codeowners`: each SOP's owner approves every change to it.\n"
    "# Do not edit by hand: change `owner:` in the SOP (or team.yaml) and run\n"
    "# `sopkit codeowners -o {output}` again; CI runs it with --check.\n"
)


@dataclass(frozen=True)
class Owners:
    text: str
    unowned: list[str]  # "file: why"


def _pattern(path: str, root: Path) -> str:
    """The file as a CODEOWNERS pattern: from the repository root, spaces escaped."""
    relative = Path(os.path.relpath(os.path.abspath(path), root)).as_posix()
    escaped = relative.replace("\\", "\\\\").replace(" ", "\\ ").replace("#", "\\#")
    return "/" + escaped


def codeowners(sops: Iterable[Sop], team: Team, root: Path, output: str) -> Owners:
    lines, unowned = [], []
    for sop in sorted(sops, key=lambda s: _pattern(s.path, root)):
        person = team.owner(sop.owner)
        mention = person.mention if person is not None else None
        if mention is None:
            mention = email_in(sop.owner or "")
        if mention is None:
            why = (
                "no owner"
                if not sop.owner
                else f"owner '{sop.owner}' has no handle in the team file and no e-mail address"
            )
            unowned.append(f"{sop.path}: {sop.id}: {why}")
            continue
        lines.append(f"{_pattern(sop.path, root)} {mention}")
    text = HEADER.format(output=output) + "\n" + "\n".join(lines) + ("\n" if lines else "")
    return Owners(text, unowned)
