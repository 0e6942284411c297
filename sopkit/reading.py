"""One way to read a SOP, for every command: a file (or its bytes) -> the model, the
problems found on the way, and a digest of exactly the bytes that were read.

`check` reads the files it checks with `model=True` and the rest of the source
folder without building models (only ids and calls are needed from them);
`walk`, `diff` and the others take a SOP only when `usable` (no load-stage
problem: it reads as the SOP its author meant).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ruamel.yaml.nodes import MappingNode, ScalarNode

from sopkit.build import build_sop
from sopkit.build.fieldnames import REQUIRED_TOP
from sopkit.loader import Document, load_bytes
from sopkit.model import Sop
from sopkit.problems import FILE_START, LOAD_RULES, YAML_SYNTAX, Finding
from sopkit.sources import Unreadable, digest, read_source


class Reading(NamedTuple):
    path: str
    sop: Sop | None
    findings: list[Finding]
    digest: str  # sha256 of the bytes read (of why nothing was read, for a file that was not)
    document: Document  # the composed YAML and its text: suppressions and `fmt` read them

    @property
    def usable(self) -> bool:
        """Whether the SOP reads as its author meant: built, with no load-stage problem."""
        return self.sop is not None and not any(f.rule in LOAD_RULES for f in self.findings)


def read_sop(source: str | bytes, path: str | None = None, *, model: bool = True) -> Reading:
    """Read a SOP from a file path (`source: str`) or from bytes (a git revision, `fmt`'s
    result); `path` is how problems name it (default: the file path)."""
    shown = path if path is not None else str(source)
    data = read_source(source) if isinstance(source, str) else source
    if isinstance(data, Unreadable):
        document = Document(shown, "", None, [Finding(YAML_SYNTAX, FILE_START, data.message)])
        return Reading(shown, None, list(document.findings), digest(data), document)
    document = load_bytes(data, shown)
    findings = list(document.findings)
    sop = None
    if model and document.readable:
        sop, built = build_sop(document.root, shown)
        findings.extend(built)
    return Reading(shown, sop, findings, digest(data), document)


SOP_MARKS = frozenset({"sopkit", *REQUIRED_TOP})
_TOP_LEVEL_MARK = re.compile(
    rb"""(?m)^["']?(?:""" + "|".join(sorted(SOP_MARKS)).encode() + rb""")["']?[ \t]*:"""
)


def looks_like_sop(real: str) -> bool:
    """Whether a YAML file outside the source folder is meant as a SOP.

    A workflow file or a `.pre-commit-config.yaml` given to `check` or `fmt` (a
    pre-commit hook passes every changed YAML) must not be judged as a broken SOP.
    Only a mapping with keys, none of them a required SOP field or `sopkit`, is not
    a SOP (workflows, compose files, manifests and tool configs); anything else is
    checked as one, so that an empty or broken SOP is reported, never skipped.
    A top-level key at the start of a line settles it without parsing (a thousand
    files outside the source folder must not be composed twice).
    """
    data = read_source(real)
    if isinstance(data, Unreadable) or _TOP_LEVEL_MARK.search(data):
        return True
    document = load_bytes(data, real)
    root = document.root
    if not document.readable or root is None:
        return True
    if not isinstance(root, MappingNode) or not root.value:
        return True
    keys = {str(key.value) for key, _ in root.value if isinstance(key, ScalarNode)}
    return bool(keys & SOP_MARKS)
