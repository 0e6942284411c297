"""A SOP file as it was at a git revision."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sopkit.errors import SopkitError


def read_at_revision(path: str, revision: str) -> bytes:
    """The bytes of `path` at `revision`, through `git show REV:./name` in the file's folder."""
    file = Path(path)
    try:
        proc = subprocess.run(
            ["git", "show", f"{revision}:./{file.name}"],
            cwd=file.parent if str(file.parent) else ".",
            capture_output=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise SopkitError("--rev needs git, and git is not installed") from None
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["failed"]
        raise SopkitError(f"git cannot show {path} at {revision}: {reason[0]}")
    return proc.stdout
