"""Appending rows to a CSV file that several processes (or git branches) add to.

Each call appends its rows in one write under an exclusive lock, so two writers at
once lose nothing; only an empty file gets the header, and a file whose first line
is another header is refused before anything is written.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import stat
from collections.abc import Iterable, Sequence

from sopkit.errors import SopkitError


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def append_csv(path: str, header: Sequence[str], rows: Iterable[Sequence[str]], what: str) -> None:
    """Append `rows` to the CSV file `path` (made, with `header`, when new). `what` names
    the kind of file in the refusal: "a log that `walk --record` writes"."""
    text = csv_text(rows)
    line = ",".join(header)
    # O_NONBLOCK: a FIFO opens at once, and is refused below instead of taking the rows
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SopkitError(f"{path} is not a regular file: nothing was written")
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        size = os.fstat(descriptor).st_size
        if size == 0:
            text = line + "\n" + text
        else:
            first = os.pread(descriptor, len(line) + 2, 0).decode("utf-8", "replace")
            lines = first.splitlines()
            if not lines or lines[0] != line:
                raise SopkitError(
                    f"{path} is not {what} (its first line is not '{line}'): nothing was written",
                    hint="name a new file, or the one sopkit started",
                )
            if os.pread(descriptor, 1, size - 1) != b"\n":
                text = "\n" + text  # a hand edit left no line end: rows stay rows
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
    finally:
        os.close(descriptor)  # closing releases the lock
