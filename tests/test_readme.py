"""What the README shows is true: its example SOP is clean and formatted as printed, and
its sample output is what sopkit prints for those files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOPS, RunCli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(language: str, starting: str) -> str:
    for match in re.finditer(rf"```{language}\n(.*?)```", README, re.DOTALL):
        if match.group(1).startswith(starting):
            return match.group(1)
    raise AssertionError(f"no {language} block starting with {starting!r} in the README")


@pytest.fixture
def repository(workdir: Path) -> Path:
    shutil.copytree(SOPS, workdir / "sops")
    return workdir


def test_the_example_sop_passes_check_and_fmt_as_printed(cli: RunCli, repository: Path) -> None:
    example = repository / "sops" / "example.yaml"
    example.write_text(_block("yaml", "sopkit: 1\n"), encoding="utf-8")
    checked = cli("check", "--strict", "--today", "2026-11-23")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "8 files checked: no problems\n"  # sops/ and the example
    assert cli("fmt", "--check", "sops/example.yaml").exit_code == 0


def test_the_sample_check_output_is_real(cli: RunCli, repository: Path) -> None:
    sample = _block("console", "$ sopkit check\n").splitlines()[1:]
    escalation = repository / "sops" / "support" / "escalation.en.yaml"
    escalation.write_text(
        escalation.read_text("utf-8").replace("next: tell_customer", "next: tell_custmer"), "utf-8"
    )
    triage = repository / "sops" / "support" / "triage.en.yaml"
    triage.write_text(re.sub(r"(?m)^owner:.*\n", "", triage.read_text("utf-8")), "utf-8")
    result = cli("check", "--today", "2026-11-23")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == sample


def test_every_sop_file_the_readme_names_exists() -> None:
    named = set(re.findall(r"\bsops/[\w/.-]+\.ya?ml\b", README))
    assert named
    assert sorted(name for name in named if not (ROOT / name).is_file()) == []
