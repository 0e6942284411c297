"""Find SOPs by path or by id, for the commands that work on one procedure."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sopkit.build import refs_only
from sopkit.discovery import discover, shown
from sopkit.errors import NoInputError, SopkitError
from sopkit.model import Sop
from sopkit.problems import LOAD_RULES
from sopkit.reading import read_sop
from sopkit.values import did_you_mean


@dataclass(frozen=True)
class Library:
    """Every SOP that loads cleanly from a folder, by id."""

    sops: Mapping[str, Sop]

    def get(self, sop_id: str) -> Sop | None:
        return self.sops.get(sop_id)


def load_sop(path: str, text: bytes | None = None) -> Sop:
    """One SOP from a file (or from given bytes, e.g. a git revision); broken files refused."""
    reading = read_sop(path if text is None else text, path)
    if reading.sop is None or not reading.usable:
        first = next((f for f in reading.findings if f.rule in LOAD_RULES), None)
        where = f":{first.loc.line}:{first.loc.column}: {first.message}" if first else ""
        raise SopkitError(f"{path}{where}", hint=f"fix it first: sopkit check {path}")
    return reading.sop


def ids_in(*folders: Path) -> dict[str, str]:
    """SOP id -> the file that declares it, over folders that may overlap (read once each,
    the ids only)."""
    ids: dict[str, str] = {}
    for source in discover([shown(f) for f in folders if f.is_dir()]):
        document = read_sop(source.real, source.display, model=False).document
        refs = refs_only(document.root, source.display) if document.readable else None
        if refs is not None:
            ids.setdefault(refs.id, source.display)
    return ids


def library(source: Path) -> Library:
    sops: dict[str, Sop] = {}
    if source.is_dir():
        for file in discover([shown(source)]):
            try:
                sop = load_sop(file.display)
            except SopkitError:
                continue  # `sopkit check` reports it; here it is simply not available
            sops.setdefault(sop.id, sop)
    return Library(sops)


def find(reference: str, source: Path) -> tuple[Sop, Library]:
    """A SOP by file path or by id in the source folder, with the library it can call into."""
    found = library(source)
    if os.path.lexists(reference) and not os.path.isdir(reference):
        sop = load_sop(reference)
        return sop, Library({**found.sops, sop.id: sop})
    known = found.get(reference)
    if known is None:
        hint = did_you_mean(reference, found.sops)
        where = shown(source) if source.is_dir() else f"{source} (no such folder)"
        raise NoInputError(f"'{reference}' is neither a SOP file nor a SOP id in {where}{hint}")
    return known, found
