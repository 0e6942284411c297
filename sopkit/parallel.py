"""When work is spread over processes, and over how many: `check` and `render` alike."""

from __future__ import annotations

import os

PARALLEL_FROM = 48
"""Below this many files, worker processes cost more than they save."""

MAX_WORKERS = 8


def worker_count(jobs: int) -> int:
    """How many worker processes `jobs` files get; 1 means: work in this process."""
    cores = min(os.cpu_count() or 1, MAX_WORKERS)
    return cores if jobs >= PARALLEL_FROM and cores >= 2 else 1
