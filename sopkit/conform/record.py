"""`sopkit walk --record FILE`: a walk appended to a CSV event log that `conform` reads.

One row per node of the walked SOP (the nodes of a procedure it calls are that
procedure's, and not in this SOP's log): case = a new run id, activity = node id,
timestamp with its time zone, resource = who walked. Two walks may record into one
file at once: each appends its rows in one write, under an exclusive lock, and the
header is written only into an empty file.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sopkit.appending import append_csv

HEADER = ("case", "activity", "timestamp", "resource")


def run_id(sop_id: str, started: datetime) -> str:
    return f"{sop_id}-{started.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def record_walk(
    path: str, case: str, visits: Sequence[tuple[str, datetime]], resource: str
) -> None:
    """Append one run: a row per visit (node id, the time it was left)."""
    rows = [(case, activity, moment.isoformat(timespec="milliseconds"), resource)
            for activity, moment in visits]  # fmt: skip
    append_csv(path, HEADER, rows, "a log that `walk --record` writes")
