"""Reading a SOP file's bytes safely: regular files only, and never more than a cap.

A matching path can arrive in a pull request as a link to `/dev/zero`, a FIFO
or a socket; reading it the plain way would eat memory or hang. Every command
reads sources through `read_source`, which opens without blocking, asks the
open file what it is, and reads at most `MAX_BYTES`.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import NamedTuple

MAX_BYTES = 16 * 1024 * 1024
"""The contract's cap: a SOP is a few kilobytes; 16 MiB is far past any real one."""


class Unreadable(NamedTuple):
    """Why a source was not read (the loader reports it as `yaml-syntax` at 1:1)."""

    message: str


def read_source(path: str, limit: int = MAX_BYTES) -> bytes | Unreadable:
    """The bytes of a regular file of at most `limit` bytes, or why it was not read."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return Unreadable(_why(exc, path))
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return Unreadable(f"not a regular file ({_kind(info.st_mode)}): nothing of it is read")
        if info.st_size > limit:
            return Unreadable(_too_large(info.st_size, limit))
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(handle, max(info.st_size + 1 - size, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            return Unreadable(_too_large(size, limit))
        return b"".join(chunks)
    except OSError as exc:
        return Unreadable(_why(exc, path))
    finally:
        os.close(handle)


def digest(data: bytes | Unreadable) -> str:
    """What a source read as, for keys and manifests: its bytes, or why there were none."""
    import hashlib

    raw = data if isinstance(data, bytes) else data.message.encode()
    return hashlib.sha256(raw).hexdigest()


def read_text(path: str, limit: int = MAX_BYTES) -> str | Unreadable:
    """A regular file's UTF-8 text (a BOM dropped), or why it was not read: for the files
    beside the SOPs (team, acknowledgements, mapping), which a FIFO would otherwise hang."""
    data = read_source(path, limit)
    if isinstance(data, Unreadable):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Unreadable("not UTF-8 text")


def _too_large(size: int, limit: int) -> str:
    what = "a SOP file may have" if limit == MAX_BYTES else "sopkit reads"
    return (
        f"too large ({size / 1024 / 1024:.1f} MiB; {what} at most "
        f"{limit // 1024 // 1024} MiB): nothing of it is read"
    )


def _why(exc: OSError, path: str) -> str:
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"a symbolic link to a file that does not exist ({os.readlink(path)})"
    return f"cannot read it: {exc.strerror or exc}"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file"
