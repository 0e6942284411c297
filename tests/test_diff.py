"""`sopkit diff`: process changes between two versions, golden outputs, git revisions.

Regenerate the golden outputs with SOPKIT_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RunCli

DIFFS = Path(__file__).parent / "diffs"
GOLDEN = Path(__file__).parent / "golden" / "diff"


@pytest.mark.parametrize(("fmt", "suffix"), [("text", "txt"), ("markdown", "md"), ("json", "json")])
def test_every_kind_of_change_matches_the_golden_output(cli: RunCli, fmt: str, suffix: str) -> None:
    result = cli("diff", str(DIFFS / "escalation.v1.yaml"), str(DIFFS / "escalation.v2.yaml"),
                 "--format", fmt)  # fmt: skip
    assert result.exit_code == 0
    golden = GOLDEN / f"escalation.{suffix}"
    if os.environ.get("SOPKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_the_changes_are_the_ones_made(cli: RunCli) -> None:
    result = cli("diff", str(DIFFS / "escalation.v1.yaml"), str(DIFFS / "escalation.v2.yaml"),
                 "--format", "json")  # fmt: skip
    report = json.loads(result.stdout)
    kinds = {(c["kind"], c["subject"]) for c in report["changes"]}
    assert {
        ("removed", "call_back"), ("added", "survey"), ("reworded", "hand_over"),
        ("rewired", "lead_can_solve"), ("changed", "specialist"), ("added", "followed"),
        ("changed", "owner"), ("changed", "sla"), ("changed", "review_by"),
    } <= kinds  # fmt: skip
    assert report["process_changed"] is True
    assert report["warnings"] == ["the process changed, but neither `version` nor `changelog` did"]
    assert "warning: the process changed" in result.stderr


def test_no_change(cli: RunCli) -> None:
    same = str(DIFFS / "escalation.v1.yaml")
    result = cli("diff", same, same)
    assert result.stdout == "CS-ESC-002: no change to the process or its metadata\n"
    assert result.stderr == ""


def test_markdown_escapes_user_text(cli: RunCli, tmp_path: Path) -> None:
    old = "id: X\ntitle: T\ndepartment: D\npurpose: P\nsteps:\n"
    old += "  - {id: a_b, end: 'Done <b>*now*</b>'}\n"
    (tmp_path / "old.yaml").write_text(old, encoding="utf-8")
    (tmp_path / "new.yaml").write_text(old.replace("now", "later"), encoding="utf-8")
    result = cli("diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml"), "-f", "markdown")
    assert r"*a\_b* reworded: “Done &lt;b&gt;\*now\*&lt;/b&gt;”" in result.stdout


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"})  # fmt: skip


def test_revisions_in_a_git_repository(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "sops").mkdir(parents=True)
    (repo / "sopkit.toml").write_text("", encoding="utf-8")
    target = repo / "sops" / "escalation.yaml"
    shutil.copy(DIFFS / "escalation.v1.yaml", target)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    shutil.copy(DIFFS / "escalation.v2.yaml", target)
    monkeypatch.chdir(repo)
    working = cli("diff", "CS-ESC-002", "--rev", "HEAD")  # by id, against the working tree
    assert working.exit_code == 0, working.output
    assert "+ step survey added" in working.stdout
    git(repo, "commit", "-qam", "v2")
    between = cli("diff", "sops/escalation.yaml", "--rev", "HEAD~1", "--rev", "HEAD")
    assert between.stdout == working.stdout
    missing = cli("diff", "sops/escalation.yaml", "--rev", "no-such-rev")
    assert missing.exit_code == 2
    assert "git cannot show sops/escalation.yaml at no-such-rev" in missing.stderr


def test_wrong_arguments(cli: RunCli) -> None:
    one = str(DIFFS / "escalation.v1.yaml")
    assert cli("diff", one).exit_code == 2
    assert cli("diff", one, one, "--rev", "HEAD").exit_code == 2


def _repository(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "sops").mkdir(parents=True)
    (repo / "sopkit.toml").write_text("", encoding="utf-8")
    shutil.copy(DIFFS / "escalation.v1.yaml", repo / "sops" / "escalation.yaml")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    return repo


@pytest.mark.parametrize("revision", ["--output=pwned.txt", "-p", "--all"])
def test_a_revision_is_never_an_option_of_git(
    revision: str, cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repository(tmp_path)
    monkeypatch.chdir(repo)
    for given in ([f"--rev={revision}"], ["--rev", "HEAD", f"--rev={revision}"]):
        result = cli("diff", "sops/escalation.yaml", *given)
        assert result.exit_code == 2
        assert f"'{revision}' is not a git revision" in result.stderr
    assert sorted(p.name for p in repo.iterdir()) == [".git", "sopkit.toml", "sops"]


def test_a_range_is_a_clear_error(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_repository(tmp_path))
    result = cli("diff", "sops/escalation.yaml", "--rev", "HEAD~1..HEAD")
    assert result.exit_code == 2
    assert "is a range; give the two revisions one by one: --rev HEAD~1 --rev HEAD" in (
        result.stderr
    )


def test_a_renamed_sop_is_found_at_an_old_revision_by_its_id(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repository(tmp_path)
    (repo / "sops" / "support").mkdir()
    git(repo, "mv", "sops/escalation.yaml", "sops/support/escalation.en.yaml")
    git(repo, "commit", "-qm", "moved")
    shutil.copy(DIFFS / "escalation.v2.yaml", repo / "sops" / "support" / "escalation.en.yaml")
    monkeypatch.chdir(repo)
    result = cli("diff", "CS-ESC-002", "--rev", "HEAD~1")
    assert result.exit_code == 0, result.output
    assert "+ step survey added" in result.stdout


def test_a_shallow_clone_or_an_empty_repository_is_named_in_the_hint(
    cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI checks out one commit by default: `--rev HEAD~1` then has nothing to show."""
    repo = _repository(tmp_path)
    shutil.copy(DIFFS / "escalation.v2.yaml", repo / "sops" / "escalation.yaml")
    git(repo, "commit", "-qam", "v2")
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", "shallow")
    monkeypatch.chdir(tmp_path / "shallow")
    shallow = cli("diff", "sops/escalation.yaml", "--rev", "HEAD~1")
    assert shallow.exit_code == 2
    assert "hint: this clone is shallow" in shallow.stderr
    assert "git fetch --unshallow" in shallow.stderr
    empty = tmp_path / "empty"
    (empty / "sops").mkdir(parents=True)
    shutil.copy(DIFFS / "escalation.v1.yaml", empty / "sops" / "escalation.yaml")
    git(empty, "init", "-q")
    monkeypatch.chdir(empty)
    nothing = cli("diff", "sops/escalation.yaml", "--rev", "HEAD")
    assert "hint: this repository has no commits yet" in nothing.stderr
    monkeypatch.chdir(repo)
    assert "hint:" not in cli("diff", "sops/escalation.yaml", "--rev", "no-such").stderr
