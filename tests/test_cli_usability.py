"""What users of a tool like ruff or mkdocs expect of the command line: it works from
any folder of the project, `init` starts a config, the help shows every example and
argument, shell completion works, `render --quiet` is quiet."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sopkit.config import load_config, parse_config
from sopkit.rules import RULES
from tests.conftest import EXAMPLES, MINIMAL_SOP, TODAY, RunCli, python_env


def _project(tmp_path: Path) -> Path:
    """A repository without any config: sops/ with a SOP in a subfolder, a git root."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "sops" / "support").mkdir(parents=True)
    (tmp_path / "sops" / "support" / "a.yaml").write_text(MINIMAL_SOP, encoding="utf-8")
    (tmp_path / "docs" / "deep").mkdir(parents=True)
    return tmp_path


@pytest.mark.parametrize("below", [".", "sops", "sops/support", "docs/deep"])
def test_check_works_from_any_folder_of_the_project(
    below: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: RunCli
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root / below)
    result = cli("check", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 file checked: no problems\n"


def test_the_root_is_the_folder_holding_sops_else_the_git_root(tmp_path: Path) -> None:
    root = _project(tmp_path)
    assert load_config(root / "sops" / "support").source == root / "sops"
    shutil.rmtree(root / "sops")
    assert load_config(root / "docs" / "deep").root == root
    assert load_config(root / "docs" / "deep").output == root / "handbook"


def test_init_writes_a_commented_config_that_sopkit_reads(cli: RunCli, workdir: Path) -> None:
    (workdir / "sopkit.toml").unlink()
    result = cli("init")
    assert result.exit_code == 0, result.output
    written = workdir / "sopkit.toml"
    text = written.read_text(encoding="utf-8")
    assert text.count("\n#") > 10  # says what each setting does
    config = parse_config(tomllib.loads(text), written, RULES)
    assert (config.source, config.output, config.language) == (
        workdir / "sops",
        workdir / "handbook",
        "en",
    )
    again = cli("init")
    assert again.exit_code == 1
    assert "exists already" in again.stderr
    assert written.read_text(encoding="utf-8") == text


def test_init_beside_a_pyproject_with_sopkit_settings_writes_nothing(
    cli: RunCli, workdir: Path
) -> None:
    """A sopkit.toml is read before pyproject.toml: it would have hidden these settings."""
    (workdir / "sopkit.toml").unlink()
    (workdir / "pyproject.toml").write_text('[tool.sopkit]\nsource = "procedures"\n', "utf-8")
    refused = cli("init")
    assert refused.exit_code == 1
    assert "pyproject.toml has a [tool.sopkit] table" in refused.stderr
    assert not (workdir / "sopkit.toml").exists()
    (workdir / "pyproject.toml").write_text('[project]\nname = "x"\n', "utf-8")
    assert cli("init").exit_code == 0  # a pyproject without sopkit settings is no reason


def test_rules_help_keeps_its_config_example(cli: RunCli) -> None:
    text = cli("rules", "--help").stdout
    lines = [line.strip() for line in text.splitlines()]
    assert "[rules]" in lines
    assert 'undefined-acronym = "off"' in lines


@pytest.mark.parametrize(
    ("command", "argument"),
    [("check", "PATHS"), ("stats", "PATHS"), ("fmt", "PATHS"), ("render", "PATHS"),
     ("rules", "NAME"), ("walk", "SOP"), ("paths", "SOP"), ("new", "ID"), ("init", "FOLDER"),
     ("diff", "OLD")],
)  # fmt: skip
def test_every_positional_argument_is_named_and_explained(
    command: str, argument: str, cli: RunCli
) -> None:
    text = cli(command, "--help", env={"COLUMNS": "200"}).stdout
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert f"[{argument}]" in usage or f" {argument}" in usage
    assert "_" not in usage.split("Usage:")[1]  # no `PATHS_`
    panel = text.split("Arguments", 1)[1].split("╰", 1)[0]
    rows = [line.strip("│ *") for line in panel.splitlines()[1:] if line.strip("│ ")]
    assert rows
    for row in rows:  # name, metavar, then a sentence
        assert len(row.split()) >= 5, row


def test_shell_completion_completes_commands_and_choices(tmp_path: Path) -> None:
    def complete(words: str, index: int) -> list[str]:
        env = {**python_env(), "_SOPKIT_COMPLETE": "complete_bash", "COMP_WORDS": words,
               "COMP_CWORD": str(index)}  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "sopkit"], env=env, capture_output=True,
                              text=True, timeout=30, check=False, cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("sopkit ch", 1) == ["check"]
    assert complete("sopkit check --format ", 3) == ["text", "json", "sarif", "github"]
    script = subprocess.run([sys.executable, "-m", "sopkit", "--show-completion", "bash"],
                            env=python_env(), capture_output=True, text=True, timeout=30,
                            check=False)  # fmt: skip
    assert "_SOPKIT_COMPLETE=complete_bash" in script.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_render_quiet_prints_nothing_when_all_is_well(cli: RunCli, workdir: Path) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    result = cli("render", "examples", "-o", "out", "--today", TODAY, "--quiet")
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")
    again = cli("render", "examples", "-o", "out", "--today", TODAY, "-q")
    assert (again.exit_code, again.stderr) == (0, "")
    assert (workdir / "out" / "CS-ESC-001.md").is_file()


def test_python_m_sopkit_without_a_config_does_not_walk_into_other_projects(
    tmp_path: Path,
) -> None:
    """A folder with no sops/, no config and no git: the working folder is the root."""
    folder = tmp_path / "lonely"
    folder.mkdir()
    assert load_config(folder).root == folder
    assert os.listdir(folder) == []


def test_the_choices_of_options_come_from_the_cores_registries(cli: RunCli) -> None:
    from sopkit.config import DIRECTIONS, FLOWCHARTS
    from sopkit.formats import REPORTS
    from sopkit.procdiff import DIFF_FORMATS
    from sopkit.reports import PATHS_REPORTS, STATS_ORDER, STATS_REPORTS

    expected = {
        ("check", "--format"): REPORTS, ("render", "--flowchart"): FLOWCHARTS,
        ("render", "--direction"): DIRECTIONS, ("diff", "--format"): DIFF_FORMATS,
        ("paths", "--format"): PATHS_REPORTS, ("stats", "--format"): STATS_REPORTS,
        ("stats", "--sort"): STATS_ORDER,
    }  # fmt: skip
    for (command, option), registry in expected.items():
        text = cli(command, "--help", env={"COLUMNS": "250"}).stdout
        line = next(line for line in text.splitlines() if line.startswith("│") and option in line)
        assert f"[{'|'.join(registry)}]" in line, (command, option, line)


@pytest.mark.parametrize("command", [["check"], ["export", "json"], ["render", "-o", "out"]])
def test_a_sop_id_where_a_path_is_wanted_names_its_file(
    command: list[str], cli: RunCli, workdir: Path
) -> None:
    """`paths`, `walk` and `diff` take ids; the commands over many SOPs want files."""
    shutil.copytree(EXAMPLES, workdir / "sops")
    for given in ("CS-ESC-001", "cs-esc-001"):
        result = cli(*command, given)
        assert result.exit_code == 2
        assert (f"hint: '{given}' is the id of sops/escalation.en.yaml: this command takes "
                "files and folders; give sops/escalation.en.yaml") in result.stderr  # fmt: skip
    assert "hint:" not in cli(*command, "NO-SUCH-ID").stderr


@pytest.mark.parametrize(("typed", "meant"), [(["chek"], "'check'"), (["export", "jsn"], "'json'"),
                                              (["translations", "nwe"], "'new'")])  # fmt: skip
def test_a_mistyped_command_is_suggested_once(typed: list[str], meant: str, tmp_path: Path) -> None:
    """Typer and click 8.4 both added a "Did you mean": the reader got it twice."""
    done = subprocess.run([sys.executable, "-m", "sopkit", *typed], cwd=tmp_path,
                          env=python_env(), capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 2
    said = " ".join(done.stderr.replace("│", " ").split())
    assert said.lower().count("did you mean") == 1, said
    assert meant in said
