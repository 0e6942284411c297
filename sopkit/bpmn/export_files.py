"""Which SOPs `export bpmn` writes, and where: the SOPs are checked first, and nothing is
exported while one has errors. Many SOPs are exported by every core: each worker reads
its SOPs again and writes their files (sending models between processes cost more
than building them)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sopkit import parallel
from sopkit.bpmn.exporting import export_sop
from sopkit.bpmn.xmlfile import BpmnError
from sopkit.checked import checked_sources
from sopkit.files import write_output
from sopkit.reading import read_sop


def _export(task: tuple[str, str, bool]) -> str:
    """One SOP to its .bpmn: `where` is the file (`named`) or the folder for `<id>.bpmn`."""
    source, where, named = task
    sop = read_sop(source, source).sop
    if sop is None:  # changed since the check
        raise BpmnError(f"{source} changed while exporting; run the export again")
    target = Path(where) if named else Path(where) / f"{sop.id}.bpmn"
    write_output(target, export_sop(sop))
    return str(target)


def export_files(paths: Sequence[str], output: Path | None) -> list[str]:
    sources = checked_sources(paths)
    if len(sources) == 1 and output is not None and not output.is_dir() and output.suffix:
        tasks = [(sources[0], str(output), True)]
    else:
        folder = output if output is not None else Path(".")
        if not folder.is_dir():
            if not folder.parent.is_dir():
                raise BpmnError(f"cannot write into {folder}: no folder {folder.parent}")
            os.mkdir(folder)
        tasks = [(source, str(folder), False) for source in sources]
    workers = parallel.worker_count(len(tasks))
    if workers == 1:
        return sorted(_export(task) for task in tasks)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, len(tasks) // (workers * 4))
        return sorted(pool.map(_export, tasks, chunksize=chunk))
