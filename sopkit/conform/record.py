"""`sopkit walk --record FILE`: a walk appended to a CSV event log that `conform` reads.

One row per node of the walked SOP (the nodes of a procedure it calls are that
procedure's, and not in this SOP's log): case = a new run id, activity = node id,
timestamp with its time zone, resource = who walked. Two walks may record into one
file at once: each appends its rows in one write, under an exclusive lock, and the
header is written only into an empty file.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import secrets
from collections.abc import Sequence
from datetime import datetime

from sopkit.errors import SopkitError

HEADER = ("case", "activity", "timestamp", "resource")


def run_id(sop_id: str, started: datetime) -> str:
    return f"{sop_id}-{started.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def rows_text(case: str, visits: Sequence[tuple[str, datetime]], resource: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for activity, moment in visits:
        writer.writerow((case, activity, moment.isoformat(timespec="milliseconds"), resource))
    return buffer.getvalue()


def append_rows(path: str, text: str) -> None:
    """Append `text` (CSV rows) to the log at `path`, with the header if it is new."""
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        header = ",".join(HEADER)
        if os.fstat(descriptor).st_size == 0:
            text = header + "\n" + text
        else:
            first = os.pread(descriptor, len(header) + 1, 0).decode("utf-8", "replace")
            if first.rstrip("\r\n") != header:
                raise SopkitError(
                    f"{path} is not a log that `walk --record` writes (its first line is not "
                    f"'{header}'): nothing was recorded",
                    hint="record into a new file, or into one that walk --record started",
                )
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(descriptor, data[written:])
    finally:
        os.close(descriptor)  # closing releases the lock
