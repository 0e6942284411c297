"""Rules whose problems are found while a file is read and built into a model."""

from sopkit.problems import NODE_KIND, SCHEMA, YAML_SYNTAX, Severity
from sopkit.rules.registry import Scope, documented_rule

documented_rule(
    YAML_SYNTAX,
    Severity.ERROR,
    Scope.LOAD,
    """
    The file is not valid YAML, not UTF-8, uses a tag, or repeats a key.

    Nothing else can be checked until the file reads as plain YAML 1.2. A
    duplicate key is an error rather than "the last one wins", because the
    copy that silently disappears is usually the one somebody just edited.
    Tags such as `!!python/object` are refused: a SOP is data, never code.
    Nesting deeper than 64 levels and aliases that expand past the size of
    the file (a "billion laughs" bomb) are refused too.

    Bad:

        - id: update
          duration: 5m
          duration: 10m

    Good:

        - id: update
          duration: 10m
    """,
)

documented_rule(
    SCHEMA,
    Severity.ERROR,
    Scope.LOAD,
    """
    A required field is missing, a value has the wrong type or form, or a field is unknown.

    The handbook is generated from these fields, so a misspelt key would
    silently drop information a new hire needs. Unknown fields get a "did you
    mean" hint; a misspelt required field gives both that hint and the
    missing-field problem. Durations are `<integer><unit>` groups (`90s`,
    `1h30m`, `2d`), dates are real `YYYY-MM-DD` dates, ids match
    `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, and `version` is quoted text. Keys that
    start with `x-` are extensions and are ignored.

    Bad:

        titel: Escalating a complaint
        version: 1.3
        steps:
          - id: call
            step: Call the customer back
            duration: 2 hours

    Good:

        title: Escalating a complaint
        version: "1.3"
        steps:
          - id: call
            step: Call the customer back
            duration: 2h
    """,
)

documented_rule(
    NODE_KIND,
    Severity.ERROR,
    Scope.LOAD,
    """
    A node has none, or more than one, of `step`, `decision` and `end`.

    Every node is exactly one thing: an action (`step`), a question with
    answers (`decision`) or an outcome (`end`). A node that is two things
    cannot be drawn or followed.

    Bad:

        - id: erased
          decision: Has the data been erased everywhere?
          end: Data erased

    Good:

        - id: erased_everywhere
          decision: Has the data been erased everywhere?
          branches: {"Yes": erased, "No": chase}
        - id: erased
          end: Data erased
    """,
)
