"""Rules about `# sopkit: disable=` comments (applied by `sopkit.suppression`)."""

from sopkit.problems import Severity
from sopkit.rules.registry import Scope, documented_rule

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
