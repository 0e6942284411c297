"""`sopkit check` through typer's CliRunner: every option, format and exit code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from sopkit.cli import COMMANDS
from sopkit.rules import RULES
from tests.conftest import EXAMPLES, MINIMAL_SOP, TODAY, RunCli, WriteFile

BROKEN = MINIMAL_SOP.replace("steps:", "start: nowhere\nsteps:")
NO_OWNER = MINIMAL_SOP.replace("owner: Q <q@example.com>\n", "")

JSON_REPORT_SCHEMA = {
    "type": "object",
    "required": ["sopkit", "files_checked", "errors", "warnings", "problems"],
    "additionalProperties": False,
    "properties": {
        "sopkit": {"const": 1},
        "files_checked": {"type": "integer", "minimum": 0},
        "errors": {"type": "integer", "minimum": 0},
        "warnings": {"type": "integer", "minimum": 0},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "line", "column", "severity", "rule", "message"],
                "additionalProperties": False,
                "properties": {
                    "path": {"type": "string"},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "severity": {"enum": ["error", "warning"]},
                    "rule": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
                    "message": {"type": "string", "minLength": 1},
                },
            },
        },
    },
}


def test_clean_file_exits_0_with_a_summary(cli: RunCli, write: WriteFile) -> None:
    write("sops/a.yaml", MINIMAL_SOP)
    result = cli("check", "sops/a.yaml")
    assert result.exit_code == 0
    assert result.stdout == "1 file checked: no problems\n"


def test_errors_exit_1_in_compiler_style(cli: RunCli, write: WriteFile) -> None:
    write("sops/a.yaml", BROKEN)
    result = cli("check", "sops/a.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "sops/a.yaml:6:8: error unknown-target: start 'nowhere' names no node",
        "1 file checked: 1 error, 0 warnings",
    ]


def test_default_path_is_the_configured_source_folder(cli: RunCli, write: WriteFile) -> None:
    write("sopkit.toml", 'source = "procedures"\n')
    write("procedures/deep/er/a.yaml", BROKEN)
    write("procedures/b.yml", MINIMAL_SOP.replace("T-1", "T-2"))
    result = cli("check")
    assert result.exit_code == 1
    assert "procedures/deep/er/a.yaml:6:8:" in result.stdout
    assert "2 files checked" in result.stdout


def test_warnings_pass_unless_strict(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", NO_OWNER)
    assert cli("check", "a.yaml").exit_code == 0
    strict = cli("check", "--strict", "a.yaml")
    assert strict.exit_code == 1
    assert "warning missing-owner" in strict.stdout


def test_today_decides_review_overdue(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", MINIMAL_SOP.replace("steps:", "review_by: 2026-07-15\nsteps:"))
    assert "review-overdue" in cli("check", "--today", "2026-11-23", "a.yaml").stdout
    assert "review-overdue" not in cli("check", "--today", "2026-07-15", "a.yaml").stdout


def test_today_from_config(cli: RunCli, write: WriteFile) -> None:
    write("sopkit.toml", 'today = "2026-11-23"\n')
    write("a.yaml", MINIMAL_SOP.replace("steps:", "review_by: 2026-07-15\nsteps:"))
    assert "review-overdue" in cli("check", "a.yaml").stdout


def test_bad_today_is_a_usage_error(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", MINIMAL_SOP)
    result = cli("check", "--today", "2026-02-30", "a.yaml")
    assert result.exit_code == 2
    assert "--today '2026-02-30' is not a date" in result.stderr


def test_select_and_ignore(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", BROKEN.replace("owner: Q <q@example.com>\n", ""))
    both = cli("check", "a.yaml").stdout
    assert "unknown-target" in both
    assert "missing-owner" in both
    selected = cli("check", "--select", "missing-owner", "a.yaml")
    assert "unknown-target" not in selected.stdout
    assert selected.exit_code == 0
    ignored = cli("check", "--ignore", "missing-owner,unknown-target", "a.yaml")
    assert ignored.stdout == "1 file checked: no problems\n"


def test_unknown_rule_name_suggests_the_right_one(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", MINIMAL_SOP)
    result = cli("check", "--ignore", "missing-ownr", "a.yaml")
    assert result.exit_code == 2
    assert "did you mean 'missing-owner'?" in result.stderr


def test_quiet_prints_problems_only(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", BROKEN)
    assert cli("check", "-q", "a.yaml").stdout.splitlines() == [
        "a.yaml:6:8: error unknown-target: start 'nowhere' names no node"
    ]
    write("b.yaml", MINIMAL_SOP)
    assert cli("check", "--quiet", "b.yaml").stdout == ""


@pytest.mark.parametrize("args", [("nope.yaml",), ("empty-folder",)])
def test_nothing_to_check_exits_2(cli: RunCli, workdir: Path, args: tuple[str, ...]) -> None:
    (workdir / "empty-folder").mkdir()
    result = cli("check", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output


def test_missing_source_folder_exits_2(cli: RunCli, workdir: Path) -> None:
    result = cli("check")
    assert result.exit_code == 2
    assert "no such file or directory" in result.stderr


def test_json_output_has_the_documented_shape(cli: RunCli, write: WriteFile) -> None:
    write("sops/a.yaml", BROKEN)
    write("sops/b.yaml", NO_OWNER.replace("T-1", "T-2"))
    result = cli("check", "--format", "json", "sops")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, JSON_REPORT_SCHEMA)
    assert (report["files_checked"], report["errors"], report["warnings"]) == (2, 1, 1)
    assert report["problems"][0] == {
        "path": "sops/a.yaml",
        "line": 6,
        "column": 8,
        "severity": "error",
        "rule": "unknown-target",
        "message": "start 'nowhere' names no node",
    }


def test_sarif_output_is_valid_sarif_2_1_0(cli: RunCli, write: WriteFile) -> None:
    schema = json.loads(
        (Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    write("sops/a.yaml", BROKEN.replace("owner: Q <q@example.com>\n", ""))
    result = cli("check", "--format", "sarif", "sops")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"unknown-target", "missing-owner"} <= set(rule_ids)
    located = [
        (
            r["ruleId"],
            r["level"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            rule_ids[r["ruleIndex"]],
        )
        for r in run["results"]
    ]
    assert located == [
        ("missing-owner", "warning", 1, "missing-owner"),
        ("unknown-target", "error", 5, "unknown-target"),
    ]


def test_github_annotations_escape_their_properties(cli: RunCli, write: WriteFile) -> None:
    write("we,ird:name.yaml", BROKEN)
    result = cli("check", "--format", "github", "we,ird:name.yaml")
    first = result.stdout.splitlines()[0]
    assert first == (
        "::error file=we%2Cird%3Aname.yaml,line=6,col=8,title=sopkit unknown-target::"
        "start 'nowhere' names no node"
    )


def test_github_format_is_the_default_under_github_actions(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", BROKEN)
    result = cli("check", "a.yaml", env={"GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::error file=a.yaml,line=6,col=8")
    explicit = cli("check", "--format", "text", "a.yaml", env={"GITHUB_ACTIONS": "true"})
    assert explicit.stdout.startswith("a.yaml:6:8:")


def test_colours_only_when_forced_or_on_a_terminal(cli: RunCli, write: WriteFile) -> None:
    write("a.yaml", BROKEN)
    assert "\033[" not in cli("check", "a.yaml").stdout
    coloured = cli("check", "a.yaml", env={"FORCE_COLOR": "1"}).stdout
    assert "\033[1;31merror\033[0m" in coloured
    assert "\033[" not in cli("check", "a.yaml", env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_paths_and_folders_mix_without_repeats(cli: RunCli, write: WriteFile) -> None:
    write("sops/a.yaml", BROKEN)
    result = cli("check", "sops", "sops/a.yaml", "--format", "json")
    assert json.loads(result.stdout)["files_checked"] == 1


def test_shared_examples_are_clean_together(cli: RunCli, workdir: Path) -> None:
    for example in EXAMPLES.glob("*.yaml"):
        shutil.copy(example, workdir / example.name)
    result = cli("check", "--strict", "--today", TODAY, ".")
    assert result.stdout == "3 files checked: no problems\n"
    assert result.exit_code == 0


def test_rules_lists_every_rule_and_documents_one(cli: RunCli) -> None:
    listing = cli("rules")
    assert listing.exit_code == 0
    assert re.search(r"^undefined-acronym +warning +An all-capitals word", listing.stdout, re.M)
    assert len(listing.stdout.splitlines()) == len(RULES)
    one = cli("rules", "no-exit")
    assert one.stdout.startswith("no-exit [error]\n\nA node from which no end can be reached")
    assert "Bad:" in one.stdout
    wrong = cli("rules", "no-exits")
    assert wrong.exit_code == 2
    assert "did you mean 'no-exit'?" in wrong.stderr


def test_version_and_help(cli: RunCli) -> None:
    from sopkit import __version__

    assert cli("--version").stdout == f"sopkit {__version__}\n"
    assert "Examples:" in cli("check", "--help").stdout
    top = cli("--help", env={"COLUMNS": "200"}).stdout
    listed = {line.strip("│ ").split()[0] for line in top.splitlines()
              if line.startswith("│ ") and not line.strip("│ ").startswith("-")}  # fmt: skip
    assert listed == set(COMMANDS)  # every command, each with its one-line summary


def test_every_command_is_mapped_to_its_family() -> None:
    from sopkit import cli

    names = {c.name or c.callback.__name__ for c in cli.app.registered_commands if c.callback}
    names |= {group.name for group in cli.app.registered_groups if group.name}  # import, export
    assert names == set(cli.COMMANDS)
    assert cli._family_of(["--strict", "check", "x.yaml"]) == ("check",)
    assert cli._family_of(["--help"]) == cli.FAMILIES
    assert cli._family_of(["chek"]) == cli.FAMILIES  # a typo sees every command's name
