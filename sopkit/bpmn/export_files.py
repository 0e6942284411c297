"""Which SOPs `export bpmn` writes, and where: the SOPs are checked first, and a SOP
with errors is not exported."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sopkit import checker
from sopkit.bpmn.exporting import export_sop
from sopkit.bpmn.xmlfile import BpmnError
from sopkit.config import load_config
from sopkit.files import write_output
from sopkit.formats import Style, text_report
from sopkit.model import Sop
from sopkit.rules import RULES


def checked_sops(paths: Sequence[str]) -> list[Sop]:
    """The SOPs of `paths`, if none has errors (with them, a clear refusal)."""
    config = load_config(known_rules=RULES)
    options = checker.CheckOptions(today=config.today or date.today())
    work = checker.plan(paths, config, options, keep_models=True)
    result = checker.run(work, config, options)
    if result.errors:
        errors = result._replace(problems=tuple(p for p in result.problems
                                                if p.severity.name == "ERROR"))  # fmt: skip
        raise BpmnError(
            "not exporting: fix these errors first\n"
            + text_report(errors, Style(quiet=True, color=False)).rstrip()
        )
    return sorted(result.sops, key=lambda sop: sop.id)


def export_files(paths: Sequence[str], output: Path | None) -> list[Path]:
    sops = checked_sops(paths)
    if len(sops) == 1 and output is not None and not output.is_dir() and output.suffix:
        targets = [output]
    else:
        folder = output if output is not None else Path(".")
        if not folder.is_dir():
            if not folder.parent.is_dir():
                raise BpmnError(f"cannot write into {folder}: its folder {folder.parent} does not exist")
            os.mkdir(folder)
        targets = [folder / f"{sop.id}.bpmn" for sop in sops]
    for sop, target in zip(sops, targets, strict=True):
        write_output(target, export_sop(sop))
    return targets
