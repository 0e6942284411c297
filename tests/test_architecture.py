"""The house's walls: the core imports neither the renderer nor the command line, and the
commands that do not check import no rule."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOPS, python_env

CORE = sorted(p for p in (ROOT / "sopkit").glob("*.py") if p.name != "__main__.py")  # runs the CLI


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("module", CORE, ids=lambda p: p.name)
def test_the_core_imports_neither_render_nor_the_cli(module: Path) -> None:
    banned = ("sopkit.render", "sopkit.cli", "typer", "click")
    offending = sorted(name for name in _imports(module) if name.startswith(banned))
    assert offending == [], f"{module.name} imports {offending}"


@pytest.mark.parametrize(
    "command",
    [["walk", "CS-ESC-002", "--answers", "Yes,Yes"], ["paths", "CS-ESC-002"], ["stats"],
     ["diff", "CS-ESC-002", "CS-ESC-002"]],
)  # fmt: skip
def test_commands_that_do_not_check_import_no_rule(command: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sopkit", *command, "--source", str(SOPS)]
        if command[0] != "stats" else
        [sys.executable, "-X", "importtime", "-m", "sopkit", "stats", str(SOPS)],
        capture_output=True, text=True, cwd=tmp_path, env=python_env(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert [name for name in imported if name.startswith("sopkit.rules")] == []


RULE_MODULES = sorted(p for p in (ROOT / "sopkit" / "rules").glob("*.py")
                      if p.name != "registry.py")  # fmt: skip


@pytest.mark.parametrize("module", RULE_MODULES, ids=lambda p: p.name)
def test_a_rule_never_writes_its_own_name_in_what_it_reports(module: Path) -> None:
    """Checks yield `Report(at, message)`; the registry adds the name (as bpmnlint's
    `reporter.report` and ruff's diagnostics do), so none can be misspelt."""
    text = module.read_text(encoding="utf-8")
    assert re.search(r"Finding\(\s*[\"']", text) is None  # no name spelt out in a finding


@pytest.mark.parametrize("module", sorted((ROOT / "tests").rglob("test_*.py")),
                         ids=lambda p: p.name)  # fmt: skip
def test_tests_import_no_other_test_module_and_no_benchmark(module: Path) -> None:
    """What tests share is in tests/helpers.py, tests/conftest.py and tests/generate.py."""
    imported = _imports(module)
    assert sorted(name for name in imported if name.startswith(("tests.test_", "bench"))) == []
