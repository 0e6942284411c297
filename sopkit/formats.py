"""Output formats of `sopkit check`: plain functions from a result to text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sopkit import FORMAT_VERSION, __version__
from sopkit.checker import CheckResult
from sopkit.problems import Problem, Severity
from sopkit.rules.registry import RULES

HOMEPAGE = "https://github.com/sopkit/sopkit"


@dataclass(frozen=True)
class Style:
    """How to dress text output: colours on a terminal, a summary unless quiet."""

    color: bool = False
    quiet: bool = False


_ANSI = {"error": "\033[1;31m", "warning": "\033[1;33m", "path": "\033[1m", "rule": "\033[2m"}
_RESET = "\033[0m"


def _paint(text: str, what: str, style: Style) -> str:
    return f"{_ANSI[what]}{text}{_RESET}" if style.color else text


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary_line(result: CheckResult) -> str:
    checked = f"{plural(result.files_checked, 'file')} checked"
    if not result.problems:
        return f"{checked}: no problems"
    return f"{checked}: {plural(result.errors, 'error')}, {plural(result.warnings, 'warning')}"


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


def printable(text: str) -> str:
    """Text for a terminal line: control characters shown as escapes, never sent.

    A file may be named with a newline (it would split a problem over two lines) or
    an escape sequence (it would drive the reader's terminal).
    """
    return text.translate(_CONTROLS) if not text.isprintable() else text


def text_report(result: CheckResult, style: Style) -> str:
    lines = []
    for p in result.problems:
        where = _paint(f"{printable(p.path)}:{p.line}:{p.column}:", "path", style)
        severity = _paint(p.severity.value, p.severity.value, style)
        message = printable(p.message)
        lines.append(f"{where} {severity} {_paint(p.rule, 'rule', style)}: {message}")
    if not style.quiet:
        lines.append(summary_line(result))
    return "\n".join(lines) + ("\n" if lines else "")


def json_report(result: CheckResult, style: Style) -> str:
    import json  # only here: plain-text runs (pre-commit) skip the import

    document = {
        "sopkit": FORMAT_VERSION,
        "files_checked": result.files_checked,
        "errors": result.errors,
        "warnings": result.warnings,
        "problems": [p.as_dict() for p in result.problems],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.OFF: "none"}


def sarif_report(result: CheckResult, style: Style) -> str:
    import json

    names = sorted(RULES)
    index = {name: i for i, name in enumerate(names)}
    rules = [
        {
            "id": name,
            "name": "".join(part.capitalize() for part in name.split("-")),
            "shortDescription": {"text": RULES[name].summary},
            "fullDescription": {"text": RULES[name].doc},
            "help": {"text": RULES[name].doc},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[name].severity]},
        }
        for name in names
    ]
    results = [_sarif_result(p, index[p.rule]) for p in result.problems]
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sopkit",
                        "version": __version__,
                        "informationUri": HOMEPAGE,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _sarif_result(problem: Problem, rule_index: int) -> dict[str, object]:
    return {
        "ruleId": problem.rule,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVEL[problem.severity],
        "message": {"text": problem.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(problem.path)},
                    "region": {"startLine": problem.line, "startColumn": problem.column},
                }
            }
        ],
    }


def _uri(path: str) -> str:
    """A relative URI reference (RFC 3986) for a path: spaces, `#`, `%` and the rest
    percent-encoded, so that code scanning finds the file."""
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(result: CheckResult, style: Style) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on the PR."""
    lines = []
    for p in result.problems:
        command = "error" if p.severity is Severity.ERROR else "warning"
        properties = ",".join(
            [
                f"file={_escape_property(p.path)}",
                f"line={p.line}",
                f"col={p.column}",
                f"title={_escape_property('sopkit ' + p.rule)}",
            ]
        )
        lines.append(f"::{command} {properties}::{_escape_data(p.message)}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


Formatter = Callable[[CheckResult, Style], str]

REPORTS: dict[str, Formatter] = {
    "text": text_report,
    "json": json_report,
    "sarif": sarif_report,
    "github": github_report,
}
