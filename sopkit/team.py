"""The people of the team and the SOP roles they hold, from `team.yaml`.

    people:
      - name: Ana Novak
        email: ana.novak@example.com
        handle: anovak            # the git forge's user name (GitHub, GitLab)
        roles: [agent, lead]      # role ids that SOPs name

Read by `sopkit ack`, `sopkit codeowners` and the handbook. A repository
without the file has an empty team.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sopkit.datafiles import load_data_file, where
from sopkit.errors import SopkitError
from sopkit.values import did_you_mean

# Tried only where a run of address characters starts: from every place inside a long
# run, the search took time in the square of its length.
_EMAIL = re.compile(r"(?<![^\s<>@])[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+")
_HANDLE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9._-]+)?")
_FIELDS = ("name", "email", "handle", "roles")


@dataclass(frozen=True)
class Person:
    name: str
    email: str | None
    handle: str | None
    roles: tuple[str, ...]

    @property
    def mention(self) -> str | None:
        """How CODEOWNERS names the person: `@handle`, else the e-mail address."""
        return f"@{self.handle}" if self.handle else self.email


@dataclass(frozen=True)
class Team:
    people: tuple[Person, ...] = ()
    path: str | None = None

    def holding(self, role: str) -> list[Person]:
        return [person for person in self.people if role in person.roles]

    def find(self, who: str) -> Person:
        """A person by name, e-mail or handle, in any case (a typo gets "did you mean")."""
        wanted = who.strip().lstrip("@").casefold()
        for person in self.people:
            keys = {person.name, person.email or "", person.handle or ""}
            if wanted in {key.casefold() for key in keys if key}:
                return person
        names = [person.name for person in self.people]
        where = self.path or "the team file"
        if not self.people:
            raise SopkitError(f"no team: {where} names no people",
                              hint="list them in team.yaml (docs/acknowledgements.md)")  # fmt: skip
        raise SopkitError(f"'{who}' is not in {where}{did_you_mean(who, names)}")

    def owner(self, owner: str | None) -> Person | None:
        """The person a SOP's `owner:` names: by e-mail, else by name."""
        if not owner:
            return None
        email = email_in(owner)
        for person in self.people:
            if email and person.email and person.email.casefold() == email.casefold():
                return person
        # `[^<>]`, not `[^>]`: each `<` is tried once, so 100,000 of them take no time
        name = re.sub(r"<[^<>]*>", "", owner).strip().casefold()
        return next((p for p in self.people if p.name.casefold() == name), None)


def email_in(text: str) -> str | None:
    found = _EMAIL.search(text)
    return found.group(0) if found else None


def load_team(path: Path) -> Team:
    from sopkit.discovery import shown as shown_path

    shown = shown_path(path)
    if not path.exists():
        return Team((), shown)
    data = load_data_file(shown)
    if data is None:
        return Team((), shown)
    if not isinstance(data, dict) or not isinstance(data.get("people", []), list):
        raise SopkitError(f"{shown}:1:1: a team file has `people:`, a list of people")
    people = []
    for entry in data.get("people") or []:
        if not isinstance(entry, dict):
            raise SopkitError(f"{where(shown, entry)}: a person is a mapping with name, "
                              "email, handle and roles")  # fmt: skip
        for key in entry:
            if key not in _FIELDS:
                raise SopkitError(f"{where(shown, entry, key)}: unknown field '{key}'"
                                  f"{did_you_mean(str(key), _FIELDS)}")  # fmt: skip
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SopkitError(f"{where(shown, entry)}: a person needs a `name`")
        email, handle = entry.get("email"), entry.get("handle")
        if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email)):
            raise SopkitError(f"{where(shown, entry, 'email')}: '{email}' is not an e-mail "
                              "address")  # fmt: skip
        if handle is not None and (not isinstance(handle, str)
                                   or not _HANDLE.fullmatch(handle.lstrip("@"))):  # fmt: skip
            raise SopkitError(f"{where(shown, entry, 'handle')}: '{handle}' is not a user "
                              "or team name of a git forge")  # fmt: skip
        roles = entry.get("roles") or []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise SopkitError(f"{where(shown, entry, 'roles')}: roles is a list of role ids")
        people.append(Person(name.strip(), email, handle.lstrip("@") if handle else None,
                             tuple(roles)))  # fmt: skip
    names = [p.name.casefold() for p in people]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise SopkitError(f"{shown}: '{doubled[0]}' is listed twice")
    return Team(tuple(people), shown)
