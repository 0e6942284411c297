"""A SOP file as it was at a git revision.

A revision comes from the command line, so it is never taken as an option of
git (`--output=FILE` would write a file): one that starts with `-` is refused,
and `--end-of-options` stands before it. A SOP renamed since (`git mv`) is found
at the revision by its id.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from sopkit.errors import SopkitError


def check_revision(revision: str) -> None:
    """Refuse what git would not read as one revision."""
    if not revision or revision.startswith("-"):
        raise SopkitError(f"'{revision}' is not a git revision (it may not start with '-')")
    if ".." in revision:
        first, _, second = revision.replace("...", "..").partition("..")
        raise SopkitError(
            f"'{revision}' is a range; give the two revisions one by one: "
            f"--rev {first or 'OLD'} --rev {second or 'NEW'}"
        )
    if any(char.isspace() or ord(char) < 32 for char in revision):
        raise SopkitError(f"'{revision}' is not a git revision")


def read_at_revision(path: str, revision: str, sop_id: str | None = None) -> bytes:
    """The bytes of `path` at `revision`; else, when it was not there, of the file that
    declared `sop_id` at that revision (the SOP was renamed or moved since)."""
    check_revision(revision)
    file = Path(path)
    folder = str(file.parent) if str(file.parent) else "."
    done = _git(["show", "--end-of-options", f"{revision}:./{file.name}"], folder)
    if done.returncode == 0:
        return done.stdout
    reason = _reason(done)
    if sop_id is not None and _verify(revision, folder):
        top = _top(folder)
        moved = _path_of_id(sop_id, revision, top)
        if moved is not None:
            shown = _git(["show", "--end-of-options", f"{revision}:{moved}"], top)
            if shown.returncode == 0:
                return shown.stdout
    raise SopkitError(f"git cannot show {path} at {revision}: {reason}",
                      hint=_missing_history(revision, folder))  # fmt: skip


def _missing_history(revision: str, folder: str) -> str | None:
    """Why a revision may be unknown here: CI checks out one commit by default."""
    if _verify(revision, folder):
        return None
    if not _verify("HEAD", folder):
        return "this repository has no commits yet"
    if _git(["rev-parse", "--is-shallow-repository"], folder).stdout.strip() == b"true":
        return (
            "this clone is shallow (CI checks out one commit by default): fetch the "
            "history, e.g. `git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout"
        )
    return None


def _git(arguments: list[str], folder: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *arguments], cwd=folder, capture_output=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise SopkitError("--rev needs git, and git is not installed") from None
    except subprocess.TimeoutExpired:
        raise SopkitError("git did not answer within a minute") from None


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].removeprefix("fatal: ") if lines else "failed"


def _verify(revision: str, folder: str) -> bool:
    return _git(["rev-parse", "--verify", "--quiet", "--end-of-options", revision], folder)\
        .returncode == 0  # fmt: skip


def _top(folder: str) -> str:
    done = _git(["rev-parse", "--show-toplevel"], folder)
    return done.stdout.decode("utf-8", "replace").strip() or folder


def _path_of_id(sop_id: str, revision: str, top: str) -> str | None:
    """The path (from `top`, the top of the work tree) of the YAML file whose `id:` is
    `sop_id` at `revision`."""
    literal = sop_id.replace(".", r"\.")  # ids hold letters, digits and . _ - only
    pattern = rf"^id:[[:space:]]*['\"]?{literal}['\"]?[[:space:]]*(#.*)?$"
    done = _git(
        # git grep reads no --end-of-options (git 2.39); check_revision made it safe
        ["grep", "-l", "-E", "-e", pattern, revision, "--", "*.yaml", "*.yml"],
        top,
    )  # fmt: skip
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        name = line.partition(":")[2] if line.startswith(f"{revision}:") else line
        if name:
            return name
    return None
