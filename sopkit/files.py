"""Replacing a user's file without losing anything of it.

The new content goes to a temporary file beside the target, gets the target's
mode, owner and group, and is renamed over it: a reader sees the old file or
the new one, never half of either. A symbolic link is written through (its
target is replaced, the link stays). A file with hard links is rewritten in
place, since a rename would leave the other names with the old content. When
`expected` is given, the file is written only if it still holds those bytes, so
an edit saved while sopkit worked is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from sopkit.errors import SopkitError
from sopkit.sources import Unreadable, read_source


class ChangedMeanwhile(SopkitError):
    """The file no longer holds what sopkit read: somebody edited it in between."""


def replace_file(path: str | os.PathLike[str], data: bytes, expected: bytes | None = None) -> None:
    """Give `path` the content `data`, atomically; refuse if it changed from `expected`."""
    target = os.path.realpath(path)
    if expected is not None:
        _still(target, expected, path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    if info is not None and info.st_nlink > 1:
        _rewrite_in_place(target, data)
        return
    folder = os.path.dirname(target) or "."
    handle, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".sopkit-tmp", dir=folder
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if info is not None:
                os.fchmod(stream.fileno(), info.st_mode & 0o7777)
                with contextlib.suppress(PermissionError):  # only root may give files away
                    os.fchown(stream.fileno(), info.st_uid, info.st_gid)
            else:
                os.fchmod(stream.fileno(), 0o666 & ~_umask())
            os.fsync(stream.fileno())
        if expected is not None:
            _still(target, expected, path)  # once more, as late as it can be
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_output(path: str | os.PathLike[str], data: bytes) -> None:
    """Write a file the user named (`-o FILE`), with one clear error for every way it fails."""
    shown = os.fspath(path)
    if os.path.isdir(path):
        raise SopkitError(f"{shown} is a folder: name a file to write")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise SopkitError(f"cannot write {shown}: the folder {parent} does not exist")
    try:
        replace_file(path, data)
    except OSError as exc:
        raise SopkitError(f"cannot write {shown}: {exc.strerror or exc}") from None


def _rewrite_in_place(target: str, data: bytes) -> None:
    with open(target, "r+b") as stream:
        stream.write(data)
        stream.truncate()
        stream.flush()
        os.fsync(stream.fileno())


def _still(target: str, expected: bytes, shown: str | os.PathLike[str]) -> None:
    current = read_source(target)
    if isinstance(current, Unreadable) or current != expected:
        raise ChangedMeanwhile(
            f"{os.fspath(shown)} changed while sopkit was working on it; it was left as it is",
            hint="run the command again",
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def create_file(path: Path, data: bytes) -> None:
    """A new file, whole or not at all, never over one that appeared meanwhile
    (`FileExistsError`)."""
    temporary = path.with_name(f".{path.name}.sopkit-{os.getpid()}")
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # fails if the name is taken
    finally:
        temporary.unlink(missing_ok=True)


def write_new_file(path: Path, data: bytes) -> None:
    """A file the user asked for that must not exist yet: one clear error for each way
    it cannot be written."""
    if os.path.lexists(path):
        raise SopkitError(f"{path} exists already; it is never replaced",
                          hint="name another file with -o")  # fmt: skip
    if not path.parent.is_dir():
        raise SopkitError(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        create_file(path, data)
    except FileExistsError:
        raise SopkitError(f"{path} appeared meanwhile; it is never replaced") from None
    except OSError as exc:
        raise SopkitError(f"cannot write {path}: {exc.strerror}") from None
