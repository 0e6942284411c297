"""Every rule against its case file: tests/rules/cases/<rule>.yaml.

A case holds one SOP (`sop:`) or several files (`files:`), optionally the
files to name on the command line (`check:`; the rest are the source folder)
and every problem of that rule as `[file:]line:column: message`, the words
users read pinned with the place (as bpmnlint's tests and ruff's snapshots do).
All rules run, as they do for users; only the case's rule is compared. After
an intended change of wording, `python -m tests.rules.update_cases` rewrites
the messages (places must still match); review the diff like code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from sopkit.checker import CheckOptions, check
from sopkit.config import Config
from sopkit.problems import Severity
from sopkit.rules import RULES

CASES = Path(__file__).parent / "cases"
DEFAULT_TODAY = date(2026, 11, 23)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = _load(path)
        for case in doc["cases"]:
            params.append(pytest.param(doc, case, id=f"{doc['rule']}: {case['name']}"))
    return params


def run_case(doc: dict[str, Any], case: dict[str, Any], root: Path) -> list[str]:
    source = root / "sops"
    files = case.get("files") or {"sop.yaml": case["sop"]}
    for name, text in files.items():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    named = [str(source / name) for name in case.get("check", [])] or [str(source)]
    today = doc.get("today", DEFAULT_TODAY)
    severities = {doc["rule"]: Severity(doc["severity"])} if "severity" in doc else {}
    config = Config(root=root, source=source, severities=severities,
                    max_nodes=doc.get("max_nodes", 40))  # fmt: skip
    result = check(named, config, CheckOptions(today=today))
    single = "files" not in case
    found = []
    for problem in result.problems:
        if problem.rule != doc["rule"]:
            continue
        relative = Path(problem.path).relative_to(source).as_posix()
        where = f"{problem.line}:{problem.column}" if single else (
            f"{relative}:{problem.line}:{problem.column}"
        )  # fmt: skip
        # The message is pinned with its place: a changed message is a reviewed change.
        found.append(f"{where}: {problem.message.replace(f'{source}/', '')}")
    return sorted(found)


@pytest.mark.parametrize(("doc", "case"), _cases())
def test_rule_case(doc: dict[str, Any], case: dict[str, Any], tmp_path: Path) -> None:
    assert run_case(doc, case, tmp_path) == sorted(case["expect"])


def test_every_rule_has_docs_and_a_failing_case() -> None:
    covered = {}
    for path in CASES.glob("*.yaml"):
        doc = _load(path)
        assert path.stem == doc["rule"], f"{path.name} holds cases of {doc['rule']}"
        covered[doc["rule"]] = any(case["expect"] for case in doc["cases"])
    for name, rule in RULES.items():
        assert covered.get(name), f"rule {name} has no failing case in tests/rules/cases/"
        assert rule.summary, f"rule {name} has no docstring"
        assert "Bad" in rule.doc, f"the docs of {name} show no bad example"
        assert "Good" in rule.doc, f"the docs of {name} show no good example"
    assert set(covered) <= set(RULES), "a case file names a rule that does not exist"


def test_the_contract_rule_table_is_registered() -> None:
    contract = {
        "yaml-syntax": "error", "schema": "error", "node-kind": "error",
        "duplicate-node-id": "error", "unknown-target": "error", "decision-branches": "error",
        "unreachable-node": "error", "no-exit": "error", "duplicate-sop-id": "error",
        "unknown-sop": "error", "sop-call-cycle": "error", "unknown-role": "error",
        "undefined-acronym": "warning", "unused-term": "warning", "missing-owner": "warning",
        "review-overdue": "warning", "sla-exceeded": "warning",
    }  # fmt: skip
    assert {name: RULES[name].severity.value for name in contract} == contract
