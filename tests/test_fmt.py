"""`sopkit fmt`: canonical layout, comments kept, meaning kept, atomic writes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from sopkit import fmt, fmt_io
from sopkit.build import build_sop
from sopkit.files import ChangedMeanwhile
from sopkit.fmt import reformat_text
from sopkit.loader import load_text
from sopkit.model import content_of
from tests.conftest import RunCli, WriteFile
from tests.helpers import generated_sops as sops

MESSY = """\
# Escalation, as the team wrote it
steps:
  # the first thing to do
  - step: Log the ticket   # within 5 minutes
    role: agent
    id: log

  # the question
  - branches:
      "Yes": done   # solved at once
      "No": log
    id: solved
    decision: Solved?
  - {id: done, end: Closed}
title: Escalating a ticket
# who owns it
owner: Maria <maria@example.com>
id: CS-ESC-9
department: Support
purpose: |
  Why we escalate.
roles: {agent: Agent}
"""

CANONICAL = """\
# Escalation, as the team wrote it
id: CS-ESC-9
title: Escalating a ticket
department: Support
purpose: |
  Why we escalate.
# who owns it
owner: Maria <maria@example.com>
roles: {agent: Agent}
steps:
  # the first thing to do
  - id: log
    step: Log the ticket   # within 5 minutes
    role: agent

  # the question
  - id: solved
    decision: Solved?
    branches:
      "Yes": done   # solved at once
      "No": log
  - {id: done, end: Closed}
"""


def test_a_messy_file_gets_the_canonical_layout() -> None:
    result = reformat_text(MESSY, "messy.yaml")
    assert result.reason == ""
    assert result.formatted == CANONICAL
    assert reformat_text(CANONICAL, "c.yaml").formatted == CANONICAL  # idempotent


def test_check_and_diff_write_nothing_and_exit_1(cli: RunCli, write: WriteFile) -> None:
    path = write("sops/a.yaml", MESSY)
    checked = cli("fmt", "--check")
    assert checked.exit_code == 1
    assert "would reformat sops/a.yaml" in checked.stdout
    diffed = cli("fmt", "--diff", "sops")
    assert diffed.exit_code == 1
    assert "+id: CS-ESC-9" in diffed.stdout
    assert path.read_text(encoding="utf-8") == MESSY
    written = cli("fmt")
    assert written.exit_code == 0
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert cli("fmt", "--check").exit_code == 0


def test_the_file_mode_is_kept(cli: RunCli, write: WriteFile) -> None:
    path = write("sops/a.yaml", MESSY)
    path.chmod(0o640)
    assert cli("fmt").exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_file_with_yaml_errors_is_left_untouched(cli: RunCli, write: WriteFile) -> None:
    broken = MESSY.replace("title: Escalating a ticket", "title: Escalating\ntitle: twice")
    path = write("sops/a.yaml", broken)
    result = cli("fmt")
    assert result.exit_code == 1
    assert "sops/a.yaml: not formatted: it has YAML errors" in result.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_an_interrupted_write_leaves_the_original(
    write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("sops/a.yaml", MESSY)

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    (file,) = fmt_io.format_files([(str(path), str(path))])
    with pytest.raises(OSError, match="disk full"):
        fmt_io.write_formatted(file)
    assert path.read_text(encoding="utf-8") == MESSY
    assert [p.name for p in path.parent.iterdir()] == ["a.yaml"]  # no temporary file left


def test_an_edit_saved_while_fmt_works_is_kept(write: WriteFile) -> None:
    path = write("sops/a.yaml", MESSY)
    (file,) = fmt_io.format_files([(str(path), str(path))])
    edited = MESSY.replace("Escalating a ticket", "Escalating a ticket, edited")
    path.write_text(edited, encoding="utf-8")  # an editor saves after fmt has read the file
    with pytest.raises(ChangedMeanwhile, match="changed while sopkit was working on it"):
        fmt_io.write_formatted(file)
    assert path.read_text(encoding="utf-8") == edited


def test_fmt_reports_an_edit_made_meanwhile_and_fails(
    cli: RunCli, write: WriteFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write("sops/a.yaml", MESSY)
    original = fmt_io.format_files

    def format_then_edit(paths: object) -> list[fmt_io.FileFormatting]:
        results = original(paths)  # type: ignore[arg-type]
        path.write_text(MESSY + "# saved meanwhile\n", encoding="utf-8")
        return results

    monkeypatch.setattr(fmt_io, "format_files", format_then_edit)
    result = cli("fmt")
    assert result.exit_code == 1
    assert "sops/a.yaml: not formatted:" in result.stderr
    assert "changed while sopkit was working on it" in result.stderr
    assert path.read_text(encoding="utf-8") == MESSY + "# saved meanwhile\n"


def test_owner_group_and_mode_are_kept(cli: RunCli, write: WriteFile) -> None:
    path = write("sops/a.yaml", MESSY)
    os.chmod(path, 0o640)
    if os.geteuid() == 0:
        os.chown(path, 12345, 23456)
    assert cli("fmt").exit_code == 0
    info = path.stat()
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert stat.S_IMODE(info.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (12345, 23456)


def test_links_are_written_through(cli: RunCli, write: WriteFile, workdir: Path) -> None:
    shared = write("shared/a.yaml", MESSY)
    (workdir / "sops").mkdir()
    os.symlink(shared, workdir / "sops" / "a.yaml")
    hard = write("elsewhere/b.yaml", MESSY.replace("CS-ESC-9", "CS-ESC-10"))
    os.link(hard, workdir / "sops" / "b.yaml")
    assert cli("fmt", "sops/a.yaml", "sops/b.yaml").exit_code == 0
    assert (workdir / "sops" / "a.yaml").is_symlink()
    assert shared.read_text(encoding="utf-8") == CANONICAL
    assert hard.stat().st_nlink == 2
    assert hard.read_text(encoding="utf-8") == CANONICAL.replace("CS-ESC-9", "CS-ESC-10")
    assert (workdir / "sops" / "b.yaml").read_text(encoding="utf-8") == hard.read_text("utf-8")


def test_crlf_line_ends_and_a_bom_are_kept(cli: RunCli, workdir: Path) -> None:
    (workdir / "sops").mkdir()
    path = workdir / "sops" / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.replace("\n", "\r\n").encode("utf-8"))
    result = cli("fmt")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == b"\xef\xbb\xbf" + CANONICAL.replace("\n", "\r\n").encode()
    assert cli("fmt", "--check").exit_code == 0


def test_a_bom_before_a_comment_formats(cli: RunCli, workdir: Path) -> None:
    (workdir / "sops").mkdir()
    path = workdir / "sops" / "a.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
    assert MESSY.startswith("# ")
    result = cli("fmt")
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == b"\xef\xbb\xbf" + CANONICAL.encode("utf-8")


def test_a_special_file_is_never_read(cli: RunCli, workdir: Path) -> None:
    (workdir / "sops").mkdir()
    os.mkfifo(workdir / "sops" / "pipe.yaml")
    result = cli("fmt")
    assert result.exit_code == 1
    assert "sops/pipe.yaml: not formatted: not a regular file (a FIFO)" in result.stderr


def test_the_example_sops_are_formatted(cli: RunCli) -> None:
    from tests.conftest import SOPS

    assert cli("fmt", "--check", str(SOPS)).exit_code == 0


# -- properties ----------------------------------------------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sops())
def test_fmt_keeps_meaning_and_comments_and_is_idempotent(source: str) -> None:
    before = load_text(source, "p.yaml")
    assert before.readable, source
    result = reformat_text(source, "p.yaml")
    assert result.formatted is not None, (result.reason, source)
    after = load_text(result.formatted, "p.yaml")
    assert content_of(build_sop(after.root, "p.yaml")[0]) == content_of(
        build_sop(before.root, "p.yaml")[0]
    )
    assert sorted(fmt._comments(result.formatted)) == sorted(fmt._comments(source))
    assert reformat_text(result.formatted, "p.yaml").formatted == result.formatted


def test_content_ignores_positions_only(tmp_path: Path) -> None:
    one = build_sop(
        load_text(
            "id: A\ntitle: T\ndepartment: D\npurpose: P\nsteps:\n  - {id: a, end: E}\n", "x"
        ).root,
        "x",
    )[0]
    two = build_sop(
        load_text(
            "title: T\nid: A\ndepartment: D\npurpose: P\nsteps:\n- id: a\n  end: E\n", "y"
        ).root,
        "y",
    )[0]
    three = build_sop(
        load_text(
            "title: T\nid: A\ndepartment: D\npurpose: P\nsteps:\n- id: a\n  end: F\n", "y"
        ).root,
        "y",
    )[0]
    assert content_of(one) == content_of(two)
    assert content_of(one) != content_of(three)
