"""The command line: parse options, call one core function, format, return an exit code.

Heavy modules (Jinja, Graphviz, Markdown) are imported inside the commands
that need them, so `sopkit check` in a pre-commit hook starts fast.
"""

from __future__ import annotations

import sys

# Each module registers its commands; the order here is the order of `sopkit --help`.
from sopkit.cli import (
    authoring,  # noqa: F401
    check,  # noqa: F401
    explore,  # noqa: F401
    render,  # noqa: F401
)
from sopkit.cli.common import _stderr, app
from sopkit.errors import ExitCode

__all__ = ["app", "main"]


def main() -> None:
    """The `sopkit` console script."""
    try:
        app(prog_name="sopkit")
    except KeyboardInterrupt:
        _stderr("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(int(ExitCode.PROBLEMS))
