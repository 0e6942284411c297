"""Shared fixtures: real files on disk, the CLI as users invoke it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import settings
from typer.testing import CliRunner

from sopkit.cli import app

# The same examples on every run: a property test that finds something new fails where
# it is run by hand (HYPOTHESIS_RANDOM=1 explores afresh), never a CI run on a clean clone.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("explore" if os.environ.get("HYPOTHESIS_RANDOM") else "repeatable")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "examples"
SOPS = ROOT / "sops"
TODAY = "2026-11-23"

MINIMAL_SOP = """\
id: T-1
title: Test
department: QA
purpose: Test.
owner: Q <q@example.com>
steps:
  - {id: a, step: Do it}
  - {id: done, end: Done}
"""


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No colours, no CI detection, no config from the developer's machine."""
    for name in ("GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR", "SOPKIT_DEBUG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory, with a config that stops the walk up."""
    (tmp_path / "sopkit.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


WriteFile = Callable[[str, str], Path]


@pytest.fixture
def write(workdir: Path) -> WriteFile:
    def write_file(relative: str, text: str) -> Path:
        path = workdir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write_file


RunCli = Callable[..., Result]


@pytest.fixture
def cli() -> RunCli:
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("GITHUB_ACTIONS", None)
    env["NO_COLOR"] = "1"
    return env
