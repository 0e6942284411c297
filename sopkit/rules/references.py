"""Rules about names: roles within a SOP, and SOP ids across the repository."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from sopkit import graph
from sopkit.model import Sop, SopRefs
from sopkit.problems import Severity
from sopkit.rules.registry import Report, Repository, SopContext, repository_rule, sop_rule
from sopkit.values import did_you_mean


@sop_rule("unknown-role", Severity.ERROR)
def unknown_roles(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """A node's `role` is not a key of `roles`.

    The handbook builds a page per role ("what do I do as a Tier-1 agent?");
    a role that is not declared has no description and no page, and is
    usually a typo.

    Bad:

        roles:
          editor: Accessibility editor
        steps:
          - id: convert
            step: Convert the document to large print
            role: editr

    Good:

            role: editor
    """
    declared = [r.id for r in sop.roles]
    known = set(declared)
    for node in sop.nodes:
        if node.role is not None and node.role not in known:
            hint = did_you_mean(node.role, declared)
            if not declared:
                hint = " (declare it under `roles:` with a description)"
            yield Report(
                node.where.value("role"),
                f"role '{node.role}' is not in roles{hint}",
            )


def _first_by_id(repo: Repository) -> dict[str, SopRefs]:
    """The first SOP (in path order) of each id, ids compared ignoring case."""
    first: dict[str, SopRefs] = {}
    for refs in repo.sops:
        if refs.id:
            first.setdefault(refs.id.lower(), refs)
    return first


@repository_rule("duplicate-sop-id", Severity.ERROR)
def duplicate_sop_ids(repo: Repository) -> Iterator[tuple[str, Report]]:
    """Two files declare the same SOP id.

    SOP ids name the handbook's files and are what `sop:` and `related:`
    point at; two SOPs of one id would overwrite each other's pages. Ids are
    compared ignoring case: `CS-X.md` and `cs-x.md` are one file on macOS and
    Windows. Every file but the first in sorted path order is reported.

    Bad: `sops/refund.yaml` and `sops/old/refund.yaml` both say `id: CS-REF-002`
    (or one says `cs-ref-002`).

    Good: give the newer one its own id, or delete the old file.
    """
    first = _first_by_id(repo)
    for refs in repo.sops:
        owner = first.get(refs.id.lower())
        if owner is not None and owner is not refs and refs.path in repo.reported:
            spelt = "" if owner.id == refs.id else f" as '{owner.id}' (ids ignore case)"
            yield (
                refs.path,
                Report(
                    refs.id_at,
                    f"SOP id '{refs.id}' is already declared by {owner.path}{spelt}",
                ),
            )


@repository_rule("unknown-sop", Severity.ERROR)
def unknown_sops(repo: Repository) -> Iterator[tuple[str, Report]]:
    """`sop:` or `related:` names no SOP of the repository.

    The step would send the reader to a procedure that does not exist. SOPs
    are looked up among the files checked plus the configured source folder,
    so checking only the changed files (pre-commit) gives no false alarms.

    Bad:

        - id: fee
          step: Collect the fee with a payment link
          sop: PAY-LINK-03

    Good: `sop:` names the id of an existing SOP, e.g. `sop: PAY-LINK-01`.
    """
    ids = {refs.id for refs in repo.sops if refs.id}
    by_case = _first_by_id(repo)
    for refs in repo.sops:
        if refs.path not in repo.reported:
            continue
        source = (refs.translation_of,) if refs.translation_of else ()
        for kind, targets in (("sop", refs.calls), ("related", refs.related),
                              ("translation_of", source)):  # fmt: skip
            for ref in targets:
                if ref.id not in ids:
                    other = by_case.get(ref.id.lower())
                    if other is not None:
                        hint = f" (did you mean '{other.id}'? ids are spelt exactly)"
                    else:
                        hint = did_you_mean(ref.id, ids)
                    message = f"{kind} '{ref.id}' names no SOP of the repository{hint}"
                    yield refs.path, Report(ref.at, message)


@repository_rule("sop-call-cycle", Severity.ERROR)
def sop_call_cycles(repo: Repository) -> Iterator[tuple[str, Report]]:
    """SOPs call each other in a circle through `sop:`.

    Following such a procedure never ends: A hands over to B, which hands
    back to A. Reported once per cycle, at the `sop:` call of the file that
    sorts first. A SOP calling itself is the smallest cycle.

    Bad: CS-ESC-001 calls CS-COMP-002 with `sop:`, and CS-COMP-002 calls
    CS-ESC-001.

    Good: one of them links the other under `related:` instead of calling it.
    """
    calls: dict[str, list[str]] = {}
    for refs in repo.sops:
        if refs.id:
            calls.setdefault(refs.id, []).extend(ref.id for ref in refs.calls)
    for component in graph.cycles(calls):
        members = set(component)
        candidates = [r for r in repo.sops if r.id in members and r.path in repo.reported]
        if not candidates:
            continue
        origin = candidates[0]
        route = _route_back(origin.id, calls, members)
        # Two files may share the id on the route (a duplicate-sop-id): point at the
        # origin's call into the cycle, else at its id.
        call = next((ref.at for ref in origin.calls if ref.id == route[1]), origin.id_at)
        yield (
            origin.path,
            Report(
                call,
                "SOPs call each other in a circle: " + " -> ".join(route),
            ),
        )


def _route_back(origin: str, calls: dict[str, list[str]], members: set[str]) -> list[str]:
    """The shortest call route from `origin` back to itself inside one cycle."""
    parents: dict[str, str | None] = {origin: None}
    queue = deque([origin])
    while queue:
        current = queue.popleft()
        for target in calls.get(current, ()):
            if target == origin:
                route = [current]
                while (parent := parents[route[-1]]) is not None:
                    route.append(parent)
                return [*reversed(route), origin]
            if target in members and target not in parents:
                parents[target] = current
                queue.append(target)
    return [origin, origin]
