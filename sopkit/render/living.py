"""What the handbook shows of translations and acknowledgements.

Made once in the parent from every SOP's digest, the team file and the
acknowledgements: which languages a SOP is in (the switcher), which translations
are older than their source (the banner), who has read each SOP's current content
("read by 7 of 9"), and what each person holding a role still has to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # context imports this module
    from sopkit.acks import Ack
    from sopkit.render.context import Digest
    from sopkit.team import Team

LANGUAGE_NAMES = {"en": "English", "el": "Ελληνικά", "sl": "Slovenščina"}


def language_name(tag: str) -> str:
    """A language as its speakers name it, for the switcher: `el` -> Ελληνικά."""
    return LANGUAGE_NAMES.get(tag.split("-")[0].lower(), tag)


@dataclass(frozen=True)
class Living:
    versions: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """SOP id -> (language, id) of it and its translations, when there are several."""
    outdated: Mapping[str, str] = field(default_factory=dict)
    """Translation id -> the id of its source, for translations older than their source."""
    readers: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    """SOP id -> (who read its current content, who has not), of those holding its roles."""
    to_read: Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]] = field(default_factory=dict)
    """Role id -> (person, the SOP ids they still have to read) for each person holding it."""

    def holders(self, role: str) -> tuple[str, ...]:
        return tuple(person for person, _ in self.to_read.get(role, ()))

    @property
    def has_team(self) -> bool:
        return bool(self.to_read)


def living(
    digests: Sequence[Digest],
    language: str,
    team: Team | None = None,
    acks: Sequence[Ack] = (),
    source_hash: Callable[[Digest], str | None] = lambda digest: digest.content,
) -> Living:
    """`source_hash` gives a source's content hash when its digest has none (no team file)."""
    by_id = {digest.id: digest for digest in digests}
    families: dict[str, list[tuple[str, str]]] = {}
    outdated: dict[str, str] = {}
    for digest in digests:
        family = digest.translation_of or digest.id
        families.setdefault(family, []).append((digest.language or language, digest.id))
        source = by_id.get(digest.translation_of) if digest.translation_of else None
        if source is not None and digest.translated_from != source_hash(source):
            outdated[digest.id] = source.id
    versions: dict[str, tuple[tuple[str, str], ...]] = {}
    for members in families.values():
        if len(members) > 1:
            ordered = tuple(sorted(members))
            for _, sop_id in members:
                versions[sop_id] = ordered
    readers: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    to_read: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    if team is not None and team.people:
        read = {(ack.person.casefold(), ack.sop, ack.content) for ack in acks}
        behind: dict[str, list[str]] = {}
        for digest in digests:
            if digest.translation_of:
                continue
            roles = {role for role, _ in digest.roles} | {n.role for n in digest.nodes if n.role}
            holders = [p for p in team.people if roles & set(p.roles)]
            done = tuple(p.name for p in holders
                         if (p.name.casefold(), digest.id, digest.content) in read)  # fmt: skip
            missing = tuple(p.name for p in holders if p.name not in done)
            if holders:
                readers[digest.id] = (done, missing)
            for name in missing:
                behind.setdefault(name, []).append(digest.id)
        for digest in digests:  # a translation shows its source's readers
            if digest.translation_of in readers:
                readers[digest.id] = readers[digest.translation_of]
        for person in team.people:
            for role in person.roles:
                to_read.setdefault(role, []).append(
                    (person.name, tuple(behind.get(person.name, ())))
                )
    return Living(versions, outdated, readers, {r: tuple(p) for r, p in to_read.items()})
