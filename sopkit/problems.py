"""Problems are data: what a rule found, where, and how bad it is."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

YAML_SYNTAX = "yaml-syntax"
SCHEMA = "schema"
NODE_KIND = "node-kind"
LOAD_RULES = (YAML_SYNTAX, SCHEMA, NODE_KIND)
"""The rules whose problems are found while a file is read and built: the file cannot be
trusted as a SOP while it has one (commands other than `check` refuse it). Named here
once; `rules/load.py` documents them in the registry."""


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    OFF = "off"


class Loc(NamedTuple):
    """A 1-based position in a source file; `end_line` bounds multi-line values."""

    line: int
    column: int
    end_line: int = 0

    @property
    def last_line(self) -> int:
        return max(self.line, self.end_line)


FILE_START = Loc(1, 1)


class Finding(NamedTuple):
    """What a rule reports before severity and file are attached."""

    rule: str
    loc: Loc
    message: str


class Problem(NamedTuple):
    """One reported problem, complete when created."""

    path: str
    line: int
    column: int
    severity: Severity
    rule: str
    message: str

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.rule, self.message)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
        }
