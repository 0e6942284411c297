"""The rule registry: every rule has a name, a default severity and its docs.

A rule is found by name. Its docstring is its documentation: the first line
says what it finds, the rest why it matters, with a bad and a good example;
`sopkit rules NAME` prints it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from sopkit.model import Sop, SopRefs
from sopkit.problems import Finding, Loc, Severity
from sopkit.text import Piece, text_pieces


class Scope(StrEnum):
    LOAD = "load"  # found while reading and building a file
    SOP = "sop"  # looks at one SOP
    REPOSITORY = "repository"  # looks at every SOP of the run
    SUPPRESSION = "suppression"  # about `# sopkit: disable=` comments


@dataclass(frozen=True)
class SopContext:
    today: date
    text: str
    _lines: list[str] = field(default_factory=list)
    max_nodes: int = 40
    _pieces: list[Piece] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        if not self._lines and self.text:
            self._lines.extend(self.text.splitlines())
        return self._lines

    def pieces(self, sop: Sop) -> list[Piece]:
        """The SOP's text (`text.text_pieces`), listed once for the rules that read it."""
        if not self._pieces:
            self._pieces.extend(text_pieces(sop))
        return self._pieces


class Repository(NamedTuple):
    """The SOPs a run sees, sorted by path; problems go only to `reported` paths."""

    sops: tuple[SopRefs, ...]
    reported: frozenset[str]


class Report(NamedTuple):
    """What a check says: where, and what. The rule's name is the registry's to add: a
    check never writes it, so it cannot misspell it."""

    at: Loc
    message: str


SopCheck = Callable[[Sop, SopContext], Iterable[Report]]
RepoCheck = Callable[[Repository], Iterable[tuple[str, Report]]]


class Rule(NamedTuple):
    name: str
    severity: Severity
    scope: Scope
    doc: str
    check: SopCheck | RepoCheck | None = None

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


RULES: dict[str, Rule] = {}


def cleandoc(doc: str | None) -> str:
    """A docstring without its indentation (`inspect.cleandoc` costs 5 ms to import)."""
    if not doc:
        return ""
    first, _, rest = doc.strip("\n").partition("\n")
    return (first.strip() + "\n" + textwrap.dedent(rest)).strip()


def _register(rule: Rule) -> None:
    if rule.name in RULES:
        raise ValueError(f"rule {rule.name!r} registered twice")
    RULES[rule.name] = rule


NamedSopCheck = Callable[[Sop, SopContext], Iterator[Finding]]
NamedRepoCheck = Callable[[Repository], Iterator[tuple[str, Finding]]]

# Each check with its rule, wrapped at registration so that what it reports carries the
# rule's name: made once, since a SOP check runs on every file.
_SOP_CHECKS: list[tuple[Rule, NamedSopCheck]] = []
_REPOSITORY_CHECKS: list[tuple[Rule, NamedRepoCheck]] = []


def sop_rule(name: str, severity: Severity) -> Callable[[SopCheck], SopCheck]:
    def register(check: SopCheck) -> SopCheck:
        rule = Rule(name, severity, Scope.SOP, cleandoc(check.__doc__), check)
        _register(rule)
        _SOP_CHECKS.append((rule, _named_sop_check(name, check)))
        return check

    return register


def repository_rule(name: str, severity: Severity) -> Callable[[RepoCheck], RepoCheck]:
    def register(check: RepoCheck) -> RepoCheck:
        rule = Rule(name, severity, Scope.REPOSITORY, cleandoc(check.__doc__), check)
        _register(rule)
        _REPOSITORY_CHECKS.append((rule, _named_repository_check(name, check)))
        return check

    return register


def documented_rule(name: str, severity: Severity, scope: Scope, doc: str) -> None:
    """A rule whose findings come from the loader or the suppression pass."""
    _register(Rule(name, severity, scope, cleandoc(doc)))


def repository_check_of(name: str) -> Callable[[RepoCheck], RepoCheck]:
    """Another repository-wide check reporting as an existing rule (for `schema` problems
    that only the whole repository shows, such as a translation of a translation)."""

    def register(check: RepoCheck) -> RepoCheck:
        _REPOSITORY_CHECKS.append((RULES[name], _named_repository_check(name, check)))
        return check

    return register


def sop_rules() -> list[tuple[Rule, NamedSopCheck]]:
    """Each SOP rule with its check, whose reports carry the rule's name."""
    return _SOP_CHECKS


def repository_rules() -> list[tuple[Rule, NamedRepoCheck]]:
    """Each repository-wide check with its rule, whose reports carry the rule's name."""
    return _REPOSITORY_CHECKS


def _named_sop_check(name: str, check: SopCheck) -> NamedSopCheck:
    def run(sop: Sop, context: SopContext) -> Iterator[Finding]:
        for at, message in check(sop, context):
            yield Finding(name, at, message)

    return run


def _named_repository_check(name: str, check: RepoCheck) -> NamedRepoCheck:
    def run(repository: Repository) -> Iterator[tuple[str, Finding]]:
        for path, (at, message) in check(repository):
            yield path, Finding(name, at, message)

    return run
