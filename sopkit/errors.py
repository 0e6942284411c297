"""The one exception family of sopkit and the exit codes the CLI returns."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses, as the contract (SOP-FORMAT.md) fixes them."""

    OK = 0
    PROBLEMS = 1
    USAGE = 2


class SopkitError(Exception):
    """A failure the user can fix: bad arguments, an unreadable path, a bad config.

    The CLI prints it as `error: <message>` on stderr and exits with `exit_code`.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps the hint when the error crosses from a worker process.
        return (_rebuild, (type(self), self.message, self.hint))


def _rebuild(kind: type[SopkitError], message: str, hint: str | None) -> SopkitError:
    return kind(message, hint=hint)


class ConfigError(SopkitError):
    """The configuration file is invalid."""


class NoInputError(SopkitError):
    """A path does not exist, or no SOP files were found."""


class MissingPath(NoInputError):
    """A path given does not exist: perhaps a SOP id where a file or folder was wanted."""

    def __init__(self, message: str, *, hint: str | None = None, path: str = "") -> None:
        super().__init__(message, hint=hint)
        self.path = path


class RenderError(SopkitError):
    """The handbook could not be written where the user asked."""

    exit_code = ExitCode.PROBLEMS
