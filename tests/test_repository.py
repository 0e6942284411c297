"""Whole-repository behaviour: the example SOPs, the pool of workers, a very large SOP."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sopkit import parallel
from sopkit.checker import CheckOptions, check
from sopkit.config import Config
from tests.conftest import ROOT, SOPS, TODAY, python_env
from tests.generate import generate


def test_the_example_sops_are_clean_under_strict(tmp_path: Path) -> None:
    result = check([str(SOPS)], Config(root=ROOT, source=SOPS), CheckOptions(date(2026, 11, 23)))
    assert result.problems == ()
    assert result.files_checked >= 6


def test_the_example_sops_call_each_other_in_three_languages() -> None:
    result = check(
        [str(SOPS)], Config(root=ROOT, source=SOPS), CheckOptions(date(2026, 11, 23)),
        keep_models=True,
    )  # fmt: skip
    languages = {sop.language for sop in result.sops}
    assert {"en", "el", "sl"} <= languages
    ids = {sop.id for sop in result.sops}
    calls = {ref.id for sop in result.sops for ref in sop.calls}
    assert calls
    assert calls <= ids


def test_a_pool_of_workers_gives_the_same_problems_as_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = parallel.PARALLEL_FROM + 4
    generate(tmp_path / "sops", count=count, nodes=12)
    broken = tmp_path / "sops" / "team1" / "sop-00001.yaml"
    text = broken.read_text(encoding="utf-8").replace("steps:", "start: nowhere\nsteps:")
    broken.write_text(text, encoding="utf-8")
    config = Config(root=tmp_path, source=tmp_path / "sops")
    options = CheckOptions(date(2026, 11, 23))
    pooled = check([str(tmp_path / "sops")], config, options, keep_models=True)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**9)
    serial = check([str(tmp_path / "sops")], config, options, keep_models=True)
    assert pooled == serial
    assert len(pooled.sops) == count  # whole models cross the process boundary
    assert {p.rule for p in pooled.problems} >= {"unknown-target"}


@pytest.mark.slow
def test_a_20000_node_sop_is_checked(tmp_path: Path) -> None:
    (path,) = generate(tmp_path, count=1, nodes=20_000)
    result = check([str(path)], Config(root=tmp_path), CheckOptions(date(2026, 11, 23)))
    assert result.problems == ()


def test_installed_entry_point_runs_in_a_real_process(tmp_path: Path) -> None:
    """The console script users run, not the Python API."""
    executable = shutil.which("sopkit", path=str(Path(sys.executable).parent))
    assert executable, "the sopkit console script is not installed next to this Python"
    for example in (ROOT / "tests" / "examples").glob("*.yaml"):
        shutil.copy(example, tmp_path)
    (tmp_path / "bad.yaml").write_text("id: [\n", encoding="utf-8")
    clean = subprocess.run(
        [executable, "check", "--today", TODAY, "escalation.en.yaml", "klic.sl.yaml",
         "paritoni.el.yaml"],
        cwd=tmp_path, capture_output=True, text=True, env=python_env(), check=False,
    )  # fmt: skip
    assert (clean.returncode, clean.stdout) == (0, "3 files checked: no problems\n")
    broken = subprocess.run(
        [sys.executable, "-m", "sopkit", "check", "bad.yaml"],
        cwd=tmp_path, capture_output=True, text=True, env=python_env(), check=False,
    )  # fmt: skip
    assert broken.returncode == 1
    assert broken.stdout.startswith("bad.yaml:2:1: error yaml-syntax:")
    assert "Traceback" not in broken.stderr


def test_a_real_process_flushes_everything_before_its_quick_exit(tmp_path: Path) -> None:
    """`main` leaves without tearing the heap down: what was printed must still arrive
    whole, and the exit status must be the command's."""
    schema = subprocess.run(
        [sys.executable, "-m", "sopkit", "schema"],
        cwd=tmp_path, capture_output=True, text=True, env=python_env(), check=False,
    )  # fmt: skip
    assert schema.returncode == 0
    assert schema.stdout == (ROOT / "sopkit" / "data" / "sopkit-1.schema.json").read_text("utf-8")
    usage = subprocess.run(
        [sys.executable, "-m", "sopkit", "check", "missing.yaml"],
        cwd=tmp_path, capture_output=True, text=True, env=python_env(), check=False,
    )  # fmt: skip
    assert (usage.returncode, usage.stdout) == (2, "")
    assert usage.stderr.strip() == "error: no such file or directory: missing.yaml"
