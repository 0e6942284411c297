"""Inputs that once raised a traceback: each is now one `error:` line, exit 2, and
nothing half written. The real `sopkit` in a subprocess, as users run it."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_SOP, TODAY, RunCli, python_env
from tests.helpers import render_examples


def sopkit(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sopkit", *args], cwd=folder, env=python_env(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


def one_error(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    lines = [line for line in done.stderr.splitlines() if not line.startswith("hint: ")]
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    for part in expected:
        assert part in lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "sopkit.toml").write_text("", encoding="utf-8")
    (tmp_path / "sops").mkdir()
    (tmp_path / "sops" / "a.yaml").write_text(MINIMAL_SOP, encoding="utf-8")
    return tmp_path


# -- files that cannot be read --------------------------------------------------------


@pytest.mark.parametrize("special", ["dangling", "fifo"])
@pytest.mark.parametrize(
    "command",
    [["render"], ["fmt"], ["stats"], ["walk", "sops/b.yaml", "--answers", ""],
     ["paths", "sops/b.yaml"], ["diff", "sops/a.yaml", "sops/b.yaml"]],
)  # fmt: skip
def test_a_special_or_dangling_file_is_an_error_line_in_every_command(
    special: str, command: list[str], project: Path
) -> None:
    target = project / "sops" / "b.yaml"
    if special == "dangling":
        target.symlink_to(project / "gone.yaml")
    else:
        os.mkfifo(target)
    done = sopkit(project, *command)
    assert done.returncode in (1, 2), done.stderr
    said = done.stdout + done.stderr
    assert "sops/b.yaml" in said
    assert ("not a regular file" in said) or (
        "a symbolic link to a file that does not exist" in said
    )


@pytest.mark.parametrize(
    ("fifo", "command"),
    [("team.yaml", ["ack", "status"]), ("acknowledgements.csv", ["ack", "status"]),
     ("acknowledgements.csv", ["ack", "T-1", "--by", "Ana"]),
     (".gitattributes", ["ack", "T-1", "--by", "Ana"]),
     ("map.yaml", ["conform", "T-1", "log.csv", "--map", "map.yaml"]),
     ("runs.csv", ["walk", "T-1", "--answers", "", "--record", "runs.csv"])],
)  # fmt: skip
def test_a_fifo_beside_the_sops_is_refused_not_waited_on(
    fifo: str, command: list[str], project: Path
) -> None:
    """These files were opened the plain way: a FIFO hung the command, or took the
    acknowledgement and lost it."""
    (project / "team.yaml").write_text("people:\n  - {name: Ana, roles: []}\n", encoding="utf-8")
    (project / "log.csv").write_text("case,activity,timestamp\n1,a,2026-01-05T09:00:00Z\n",
                                     encoding="utf-8")  # fmt: skip
    (project / fifo).unlink(missing_ok=True)
    os.mkfifo(project / fifo)
    done = sopkit(project, *command)
    assert done.returncode in (1, 2), done.stderr
    assert fifo in done.stderr
    assert "not a regular file" in done.stderr


def test_new_beside_a_dangling_file(project: Path) -> None:
    (project / "sops" / "b.yaml").symlink_to(project / "gone.yaml")
    done = sopkit(project, "new", "CS-NEW-1", "--title", "T", "--department", "D")
    assert done.returncode == 0, done.stderr
    assert (project / "sops" / "CS-NEW-1.yaml").is_file()


# -- the user's templates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [("sop.md.j2", "{{ 1 // 0 }}\n", "ZeroDivisionError"),
     ("base.md.j2", '{% extends "base.md.j2" %}\n', "extend")],
)  # fmt: skip
def test_a_template_that_raises_or_recurses(name: str, text: str, said: str, project: Path) -> None:
    (project / "my-templates").mkdir()
    (project / "my-templates" / name).write_text(text, encoding="utf-8")
    (project / "sopkit.toml").write_text('templates = "my-templates"\n', encoding="utf-8")
    done = sopkit(project, "render", "--flowchart", "mermaid", "--today", TODAY)
    one_error(done, said, "nothing was written")
    assert not (project / "handbook").exists()


# -- the configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "content", "said"),
    [("sopkit.toml", b"today = 2026-11-23T10:00:00\n", "without a time: today = 2026-11-23"),
     ("sopkit.toml", b"source = \"s\xe9ps\"\n", "not valid UTF-8"),
     ("pyproject.toml", b"tool = 5\n", None)],
)  # fmt: skip
def test_a_strange_config(file: str, content: bytes, said: str | None, tmp_path: Path) -> None:
    (tmp_path / "sops").mkdir()
    (tmp_path / "sops" / "a.yaml").write_text(MINIMAL_SOP, encoding="utf-8")
    (tmp_path / file).write_bytes(content)
    done = sopkit(tmp_path, "check", "--today", TODAY)
    if said is None:  # not sopkit's table: as if there were no config
        assert done.returncode == 0, done.stderr
    else:
        one_error(done, file, said)


# -- where output goes ----------------------------------------------------------------


def test_output_paths_that_cannot_be(project: Path) -> None:
    (project / "afile").write_text("x", encoding="utf-8")
    one_error(sopkit(project, "schema", "-o", "sops"), "is a folder")
    one_error(sopkit(project, "schema", "-o", "missing/x.json"), "does not exist")
    one_error(sopkit(project, "new", "CS-X-1", "--title", "T", "--department", "D",
                     "--dir", "afile"), "is a file, not a folder")  # fmt: skip
    one_error(sopkit(project, "render", "--flowchart", "mermaid", "-o", "afile/sub"), "afile")
    long_name = "h" * 300
    one_error(sopkit(project, "render", "--flowchart", "mermaid", "-o", long_name),
              "File name too long")  # fmt: skip
    assert sorted(p.name for p in project.iterdir()) == ["afile", "sopkit.toml", "sops"]


def test_disk_full_during_a_render_keeps_the_old_handbook(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sopkit.render import output

    render_examples(cli, workdir, "out", "--flowchart", "mermaid")
    before = {p: p.read_bytes() for p in (workdir / "out").rglob("*") if p.is_file()}
    real_write = output.FolderSink.write

    def full(self: output.FolderSink, name: str, data: bytes) -> None:
        if name.endswith("index.md"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"{self.folder}/{name}")
        real_write(self, name, data)

    monkeypatch.setattr(output.FolderSink, "write", full)
    result = cli("render", "examples", "-o", "out", "--today", "2027-01-01",
                 "--flowchart", "mermaid")  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.count("error:") == 1
    assert "No space left on device" in result.stderr
    after = {p: p.read_bytes() for p in (workdir / "out").rglob("*") if p.is_file()}
    assert after == before


# -- what reaches the terminal --------------------------------------------------------

ESCAPE_SOP = MINIMAL_SOP.replace("step: Do it", 'step: "Do it \\e]0;pwned\\a now"')


@pytest.mark.parametrize("command", [["walk", "sops/a.yaml", "--answers", ""],
                                     ["diff", "sops/a.yaml", "sops/b.yaml"],
                                     ["check"], ["paths", "sops/a.yaml"]])  # fmt: skip
def test_control_characters_of_a_sop_never_reach_the_terminal(
    command: list[str], project: Path
) -> None:
    (project / "sops" / "a.yaml").write_text(ESCAPE_SOP, encoding="utf-8")
    (project / "sops" / "b.yaml").write_text(MINIMAL_SOP.replace("T-1", "T-2"), "utf-8")
    done = sopkit(project, *command)
    assert done.returncode in (1, 2)
    assert "\x1b" not in done.stdout + done.stderr
    assert "\x07" not in done.stdout + done.stderr
    assert "control character U+001B (ESC)" in done.stdout + done.stderr


def test_a_file_name_with_a_newline_stays_on_its_line(project: Path) -> None:
    (project / "sops" / "two\nlines.yaml").write_text(
        MINIMAL_SOP.replace("T-1", "T-9").replace("owner: Q <q@example.com>\n", ""), "utf-8"
    )
    done = sopkit(project, "check", "--today", TODAY)
    lines = done.stdout.splitlines()
    assert lines[0].startswith("sops/two\\nlines.yaml:1:1: warning missing-owner:")
    assert len(lines) == 2  # the problem and the summary


def test_sarif_uris_are_percent_encoded(project: Path) -> None:
    import json

    folder = project / "sops" / "my sops"
    folder.mkdir()
    (folder / "a #1 100%.yaml").write_text(MINIMAL_SOP.replace("T-1", "T-3").replace(
        "owner: Q <q@example.com>\n", ""), "utf-8")  # fmt: skip
    done = sopkit(project, "check", "--format", "sarif", "--today", TODAY)
    (result,) = json.loads(done.stdout)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "sops/my%20sops/a%20%231%20100%25.yaml"


# -- a bug of sopkit's ------------------------------------------------------------------

_FAULTY = (
    "import sys, sopkit.cli as cli\n"
    "def broken(*args, **kwargs):\n"
    "    raise RuntimeError('dictionary changed size \\x1b[31m')\n"
    "cli._load = lambda families: broken\n"
    "sys.argv = ['sopkit', 'check']\n"
    "cli.main()\n"
)


@pytest.mark.parametrize("traceback", [False, True])
def test_a_bug_in_sopkit_is_told_in_words_and_its_traceback_on_request(
    tmp_path: Path, traceback: bool
) -> None:
    env = python_env() | ({"SOPKIT_TRACEBACK": "1"} if traceback else {})
    done = subprocess.run([sys.executable, "-c", _FAULTY], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == r"internal error: RuntimeError: dictionary changed size \x1b[31m"
    assert lines[1] == "This is a bug in sopkit, not a problem in your files."
    assert "SOPKIT_TRACEBACK=1" in lines[2]
    assert ("Traceback (most recent call last)" in done.stderr) is traceback
    assert "\x1b" not in done.stderr.split("Traceback")[0]
