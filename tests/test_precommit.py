"""The published pre-commit hooks, run by the real `pre-commit` on a repository that
holds SOPs beside other YAML (a workflow, pre-commit's own config)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, python_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

SOP = """\
id: CS-A-001
title: Answering a ticket
department: Support
purpose: Every ticket gets an answer.
owner: Lead <lead@example.com>
steps:
  - id: answer
    step: Answer the ticket
  - id: done
    end: Answered
"""

WORKFLOW = """\
name: ci
on: [push]
jobs:
    test:
        runs-on: ubuntu-latest
        steps:
            - run: echo hi
"""

CONFIG = """\
repos:
    - repo: local
      hooks: []
"""


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _repository(folder: Path, sop: str) -> Path:
    (folder / "sops").mkdir(parents=True)
    (folder / "sops" / "answer.yaml").write_text(sop, encoding="utf-8")
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW, encoding="utf-8")
    (folder / ".pre-commit-config.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "compose.yaml").write_text("services:\n    web: {image: nginx}\n", "utf-8")
    for command in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(command, cwd=folder, check=True)
    return folder


def _try_repo(folder: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).parent / "pre-commit"  # the test extra's
    env = {**python_env(), "PRE_COMMIT_HOME": str(home), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    return subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), hook, "--all-files"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_the_hooks_pass_on_sops_and_leave_other_yaml_alone(
    tmp_path: Path, pre_commit_home: Path
) -> None:
    folder = _repository(tmp_path / "repo", SOP)
    for hook in ("sopkit-check", "sopkit-fmt"):
        done = _try_repo(folder, hook, pre_commit_home)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (folder / ".github" / "workflows" / "ci.yml").read_text("utf-8") == WORKFLOW
    assert (folder / ".pre-commit-config.yaml").read_text("utf-8") == CONFIG


def test_the_check_hook_fails_on_a_broken_sop(tmp_path: Path, pre_commit_home: Path) -> None:
    folder = _repository(tmp_path / "repo", SOP.replace("    end: Answered", "    ned: Answered"))
    done = _try_repo(folder, "sopkit-check", pre_commit_home)
    assert done.returncode == 1
    assert "sops/answer.yaml:10:5: error schema: unknown field 'ned'" in done.stdout


def test_yaml_that_is_not_a_sop_is_skipped_when_named_outside_the_source_folder(
    tmp_path: Path,
) -> None:
    folder = _repository(tmp_path / "repo", SOP)
    (folder / "sopkit.toml").write_text("", encoding="utf-8")
    sopkit = [sys.executable, "-m", "sopkit"]
    named = ["sops/answer.yaml", ".github/workflows/ci.yml", ".pre-commit-config.yaml",
             "compose.yaml"]  # fmt: skip
    for command in (["check", *named], ["fmt", *named]):
        done = subprocess.run([*sopkit, *command], cwd=folder, env=python_env(),
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        skipped = [line for line in done.stderr.splitlines() if "skipped: not a SOP" in line]
        assert [line.split(":")[0] for line in skipped] == named[1:]
    assert (folder / ".github" / "workflows" / "ci.yml").read_text("utf-8") == WORKFLOW
    assert (folder / "compose.yaml").read_text("utf-8") == "services:\n    web: {image: nginx}\n"


def test_the_published_hooks_look_at_the_source_folder_only() -> None:
    """`files:` of each hook: a SOP under sops/ matches, a workflow or pre-commit's own
    config does not (the skip of non-SOP YAML is a second line of defence)."""
    import re

    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert {hook["id"] for hook in hooks} == {"sopkit-check", "sopkit-fmt"}
    for hook in hooks:
        pattern = re.compile(hook["files"])
        assert pattern.search("sops/support/escalation.en.yaml")
        for other in (".github/workflows/ci.yml", ".pre-commit-config.yaml", "compose.yaml"):
            assert pattern.search(other) is None, (hook["id"], other)
