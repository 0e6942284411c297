"""The command line: parse options, call one core function, format, return an exit code.

Heavy modules (Jinja, Graphviz, Markdown) are imported inside the commands
that need them, so `sopkit check` in a pre-commit hook starts fast. For the
same reason `main` imports only the family of the command being run: typer
builds a click command for every registered command on each start (~1 ms each).
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from typing import Any, NoReturn

from sopkit.cli.common import _stderr
from sopkit.errors import ExitCode

__all__ = ["app", "main"]

# Families in the order of `sopkit --help`, and which family each command lives in.
FAMILIES = ("check", "render", "authoring", "explore", "conformance", "living", "interchange")
COMMANDS = {
    "check": "check", "rules": "check", "render": "render", "serve": "render",
    "fmt": "authoring", "new": "authoring", "schema": "authoring", "init": "authoring",
    "paths": "explore", "stats": "explore", "diff": "explore", "walk": "explore",
    "conform": "conformance",
    "translations": "living", "ack": "living", "due": "living", "codeowners": "living",
    "import": "interchange", "export": "interchange", "mcp": "interchange",
}  # fmt: skip


def _load(families: tuple[str, ...]) -> Any:
    for family in families:
        importlib.import_module(f"sopkit.cli.{family}")  # registering is importing
    from sopkit.cli.common import app

    return app


def __getattr__(name: str) -> Any:
    """`sopkit.cli.app` is the whole command line, every command registered."""
    if name == "app":
        return _load(FAMILIES)
    raise AttributeError(name)


def _family_of(argv: list[str]) -> tuple[str, ...]:
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    family = COMMANDS.get(command or "")
    return (family,) if family else FAMILIES


class Terminated(BaseException):
    """SIGTERM (a supervisor, a `subprocess` timeout): unwind so that cleanup runs."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main() -> None:
    """The `sopkit` console script."""
    # The default action would end the process on the spot: render workers orphaned,
    # a staging folder left behind. Raising unwinds through every `finally`.
    signal.signal(signal.SIGTERM, _terminate)
    app = _load(_family_of(sys.argv[1:]))
    try:
        app(prog_name="sopkit")
    except SystemExit as finished:
        _exit_now(finished.code)
    except KeyboardInterrupt:
        _stderr("interrupted")
        _exit_now(130)
    except Terminated:
        _stderr("terminated")
        _exit_now(128 + signal.SIGTERM)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(int(ExitCode.PROBLEMS))
    except Exception as error:  # a bug of sopkit's: told in words, not a traceback
        _stderr(crash_message(error))
        if os.environ.get(TRACEBACK_VARIABLE):
            import traceback

            traceback.print_exception(error)
        _exit_now(int(ExitCode.USAGE))


TRACEBACK_VARIABLE = "SOPKIT_TRACEBACK"


def crash_message(error: BaseException) -> str:
    """What a user is told when sopkit itself fails: that it is not their files' fault,
    what failed, and how to see where (a traceback only on request, as ruff does)."""
    from sopkit.formats import printable
    from sopkit.text import clip

    what = printable(clip(f"{type(error).__name__}: {error}".strip().rstrip(":"), 300))
    return (
        f"internal error: {what}\n"
        "This is a bug in sopkit, not a problem in your files.\n"
        f"Run the command again with {TRACEBACK_VARIABLE}=1 to see where it happened, "
        "and include that when you report it."
    )


def _exit_now(code: str | int | None) -> NoReturn:
    """Exit without freeing the heap object by object, as mypy does.

    After a render of a thousand SOPs that takes a tenth of a second, and there is
    nothing left to clean up: every file is written and closed, every worker process
    joined. Only the output streams still need flushing.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nobody is reading
            code = code or int(ExitCode.PROBLEMS)
    os._exit(code)
