"""Command-line paths -> the sorted SOP files they name."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import NamedTuple

from sopkit.errors import MissingPath, NoInputError

SOP_SUFFIXES = (".yaml", ".yml")
_SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})


class SourceFile(NamedTuple):
    """A SOP file: `display` is the path as the user wrote it, `real` dedupes links."""

    display: str
    real: str


def shown(path: str | os.PathLike[str]) -> str:
    """A path as users want to read it: relative when it is below the working directory."""
    try:
        relative = os.path.relpath(os.path.realpath(path), os.path.realpath(os.getcwd()))
    except ValueError:
        return os.fspath(path)
    return os.fspath(path) if relative.startswith("..") else relative


def discover(paths: Iterable[str]) -> list[SourceFile]:
    """Files given, and `*.yaml`/`*.yml` below folders given, sorted and without repeats.

    A path given that is not a folder counts as a file whatever it is (a FIFO, a
    device, a dangling link): reading it says what is wrong, at 1:1 of that file.
    """
    found: dict[str, SourceFile] = {}
    for given in paths:
        if os.path.isdir(given):
            for source in _walk(given):
                found.setdefault(source.real, source)
        elif os.path.lexists(given):
            found.setdefault(os.path.realpath(given), SourceFile(given, os.path.realpath(given)))
        else:
            raise MissingPath(f"no such file or directory: {given}", path=given)
    return sorted(found.values())


def split_sops(
    files: Iterable[SourceFile],
    given: Iterable[str],
    source: str | os.PathLike[str],
    looks_like_sop: Callable[[str], bool],
) -> tuple[list[SourceFile], list[SourceFile]]:
    """(SOP files, other YAML files). A file named on the command line outside the source
    folder is a SOP only if it looks like one: a pre-commit hook names every changed
    YAML file (workflows, configs). Files found in folders are all SOPs."""
    named = {path for path in given if not os.path.isdir(path)}
    folder = os.path.join(os.path.realpath(source), "")
    sops, others = [], []
    for file in files:
        if file.display not in named or file.real.startswith(folder) or looks_like_sop(file.real):
            sops.append(file)
        else:
            others.append(file)
    return sops, others


def _unreadable(error: OSError) -> None:
    """A folder that cannot be listed hides SOPs: say so rather than check the rest."""
    where = shown(error.filename) if error.filename else "a folder"
    raise NoInputError(
        f"cannot read the folder {where}: {error.strerror or error}",
        hint="give sopkit permission to read it, or name only the folders it may read",
    )


def _walk(folder: str) -> Iterable[SourceFile]:
    for root, dirs, files in os.walk(folder, onerror=_unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        # realpath looks at every component of a path: once per folder is enough for the
        # files in it that are not links themselves.
        real_root = os.path.realpath(root)
        for name in sorted(files):
            if name.endswith(SOP_SUFFIXES) and not name.startswith("."):
                full = os.path.join(root, name)
                display = os.path.relpath(full, folder) if folder in (".", "./") else full
                link = os.path.islink(full)
                real = os.path.realpath(full) if link else os.path.join(real_root, name)
                yield SourceFile(display, real)
