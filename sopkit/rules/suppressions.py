"""Inline suppressions, `# sopkit: disable=rule-a,rule-b -- reason`, and the two rules about
them (`unused-suppression`, `suppression-reason`): the whole mechanism in one place.

A comment silences the named rules on its own line. On the `id:` line of a
node it silences them for the whole node, and on the SOP's own `id:` line
for the whole file. Found by scanning the raw lines (the fast loader keeps no
comments), and applied (`apply_suppressions`) after every rule has run.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import NamedTuple

from sopkit.model import Sop
from sopkit.problems import Finding, Loc, Severity
from sopkit.rules.registry import Scope, documented_rule
from sopkit.values import did_you_mean

UNUSED = "unused-suppression"
NO_REASON = "suppression-reason"


documented_rule(
    UNUSED,
    Severity.WARNING,
    Scope.SUPPRESSION,
    """
    A `# sopkit: disable=` comment silences nothing, or names no rule.

    Suppressions outlive the problem they were written for; a stale one
    would hide the next real problem on that line.

    Bad (the role is declared, so there is nothing to silence):

        role: agent  # sopkit: disable=unknown-role -- legacy role

    Good: remove the comment.
    """,
)

documented_rule(
    NO_REASON,
    Severity.WARNING,
    Scope.SUPPRESSION,
    """
    A `# sopkit: disable=` comment gives no reason after `--`.

    The next person to edit the SOP needs to know why a rule does not apply
    here, or they will remove the comment or copy it where it is wrong.

    Bad:

        step: Check the IBAN  # sopkit: disable=undefined-acronym

    Good:

        step: Check the IBAN  # sopkit: disable=undefined-acronym -- everyone in finance knows IBAN
    """,
)


_COMMENT = re.compile(
    r"(?:^|\s)#\s*sopkit:\s*disable\s*=\s*"
    r"(?P<rules>[\w-]+(?:\s*,\s*[\w-]+)*)"
    r"(?:\s*--\s*(?P<reason>.*?))?\s*$"
)


class Suppression(NamedTuple):
    at: Loc
    rules: tuple[str, ...]
    reason: str
    first_line: int
    last_line: int

    def covers(self, finding: Finding) -> bool:
        return finding.rule in self.rules and (
            self.first_line <= finding.loc.line <= self.last_line
        )


def find_suppressions(text: str, sop: Sop | None) -> list[Suppression]:
    if "sopkit:" not in text or "disable" not in text:
        return []
    spans = _id_line_spans(sop) if sop is not None else {}
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        match = _COMMENT.search(line)
        if match is None:
            continue
        rules = tuple(r.strip() for r in match.group("rules").split(","))
        first, last = spans.get(number, (number, number))
        column = line.index("#", match.start()) + 1
        found.append(
            Suppression(
                Loc(number, column), rules, (match.group("reason") or "").strip(), first, last
            )
        )
    return found


def _id_line_spans(sop: Sop) -> dict[int, tuple[int, int]]:
    spans = {
        node.where.id_key.line: (node.where.at.line, node.where.at.last_line)
        for node in sop.nodes
        if node.where.id_key is not None
    }
    top = sop.where.values.get("id")
    if top is not None:
        spans[top.line] = (1, 1 << 30)
    return spans


def apply_suppressions(
    findings: Iterable[Finding],
    suppressions: Sequence[Suppression],
    known_rules: Collection[str],
    active_rules: Collection[str],
) -> list[Finding]:
    """Drop silenced findings; add a finding for each suppression that is wrong."""
    used: set[tuple[int, str]] = set()
    kept: list[Finding] = []
    for finding in findings:
        silencer = next((s for s in suppressions if s.covers(finding)), None)
        if silencer is None:
            kept.append(finding)
        else:
            used.add((silencer.at.line, finding.rule))
    for suppression in suppressions:
        if not suppression.reason:
            kept.append(
                Finding(
                    NO_REASON,
                    suppression.at,
                    "a suppression needs a reason: `# sopkit: disable=RULE -- why it is fine here`",
                )
            )
        for rule in suppression.rules:
            if rule not in known_rules:
                kept.append(
                    Finding(
                        UNUSED,
                        suppression.at,
                        f"'{rule}' is not a rule{did_you_mean(rule, known_rules)}",
                    )
                )
            elif rule in active_rules and (suppression.at.line, rule) not in used:
                kept.append(
                    Finding(UNUSED, suppression.at, f"the suppression of '{rule}' silences nothing")
                )
    return kept
