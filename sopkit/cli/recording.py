"""The terminal side of `sopkit walk --record`: who walked, and where the log goes."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

from sopkit.cli.common import _stderr
from sopkit.cli.walking import Recorder
from sopkit.errors import SopkitError
from sopkit.walk import Walk


def recorder_for(path: Path, sop_id: str, by: str | None) -> Recorder:
    if path.is_dir():
        raise SopkitError(f"{path} is a folder: name the log file to append to")
    if not path.parent.is_dir():
        raise SopkitError(f"cannot record into {path}: the folder {path.parent} does not exist")
    try:
        who = by or getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"

    def record(state: Walk, left: list[datetime]) -> None:
        from sopkit.conform.record import record_walk, run_id

        visits = [(visit.node_id, moment) for visit, moment in zip(state.taken, left, strict=True)
                  if visit.depth == 0]  # fmt: skip
        if not visits:
            return
        case = run_id(sop_id, visits[0][1])
        record_walk(str(path), case, visits, who)
        _stderr(f"recorded {len(visits)} steps as {case} in {path}")

    return record
