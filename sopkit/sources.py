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


def read_source(path: str) -> bytes | Unreadable:
    """The bytes of a regular file of at most MAX_BYTES, or why it was not read."""
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return Unreadable(_why(exc, path))
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            return Unreadable(f"not a regular file ({_kind(info.st_mode)}): nothing of it is read")
        if info.st_size > MAX_BYTES:
            return Unreadable(_too_large(info.st_size))
        chunks = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(handle, max(info.st_size + 1 - size, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_BYTES:  # it grew while being read
            return Unreadable(_too_large(size))
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


def _too_large(size: int) -> str:
    return (
        f"too large ({size / 1024 / 1024:.1f} MiB; a SOP file may have at most "
        f"{MAX_BYTES // 1024 // 1024} MiB): nothing of it is read"
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
