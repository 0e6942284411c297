"""Configuration: found by walking up, validated in one place, overridden by flags."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sopkit.config import load_config
from sopkit.errors import ConfigError
from sopkit.problems import Severity
from sopkit.rules import RULES
from tests.conftest import MINIMAL_SOP, RunCli, WriteFile


def test_sopkit_toml_is_found_from_a_subfolder(write: WriteFile, workdir: Path) -> None:
    write("sopkit.toml", 'source = "procs"\ntoday = 2026-11-23\n[rules]\nmissing-owner = "off"\n')
    (workdir / "deep" / "er").mkdir(parents=True)
    config = load_config(workdir / "deep" / "er", RULES)
    assert config.source == workdir / "procs"
    assert config.today == date(2026, 11, 23)
    assert config.severity("missing-owner", Severity.WARNING) is Severity.OFF


def test_tool_sopkit_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.sopkit]\nlanguage = "el"\n'
        '[tool.sopkit.rules]\nunused-term = "error"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path, RULES)
    assert config.language == "el"
    assert config.severity("unused-term", Severity.WARNING) is Severity.ERROR


def test_pyproject_without_tool_sopkit_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "sopkit.toml").write_text('output = "book"\n', encoding="utf-8")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_config(inner, RULES).output == tmp_path / "book"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('sorce = "sops"\n', "`sorce` is not a setting (did you mean 'source'?)"),
        ('[rules]\nmissing-ownr = "off"\n', "'missing-ownr' is not a rule (did you mean"),
        ('[rules]\nmissing-owner = "loud"\n', 'must be "error", "warning" or "off"'),
        ('today = "yesterday"\n', "`today` must be a date"),
        ("html = 1\n", "`html` must be true or false"),
        ('language = "Greek language"\n', "is not a BCP 47 language tag"),
        ("source = [\n", "not valid TOML"),
    ],
)
def test_invalid_config_names_the_key(
    write: WriteFile, workdir: Path, text: str, message: str
) -> None:
    write("sopkit.toml", text)
    with pytest.raises(ConfigError, match=r"sopkit\.toml") as caught:
        load_config(workdir, RULES)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("file", "text", "place"),
    [
        ("sopkit.toml", '# ours\nsource = "sops"\n  sorce = "x"\n', "sopkit.toml:3:3: `sorce`"),
        ("sopkit.toml", '[rules]\n"missing-ownr" = "off"\n', "sopkit.toml:2:1: 'missing-ownr'"),
        ("pyproject.toml", '[project]\nname = "x"\n\n[tool.sopkit]\nhtml = 1\n',
         "pyproject.toml:5:1: `html`"),
        ("pyproject.toml", '[tool.sopkit.rules]\nno-exit = "loud"\n',
         "pyproject.toml:2:1: 'no-exit'"),
    ],
)  # fmt: skip
def test_invalid_config_says_the_line_and_column(
    write: WriteFile, workdir: Path, file: str, text: str, place: str
) -> None:
    (workdir / "sopkit.toml").unlink(missing_ok=True)
    write(file, text)
    with pytest.raises(ConfigError) as caught:
        load_config(workdir, RULES)
    assert caught.value.message.startswith(str(workdir / place.split(":")[0]) + ":")
    assert place.split(":", 1)[1] in caught.value.message


def test_invalid_config_exits_2(cli: RunCli, write: WriteFile) -> None:
    write("sopkit.toml", 'sorce = "sops"\n')
    write("sops/a.yaml", MINIMAL_SOP)
    result = cli("check")
    assert result.exit_code == 2
    assert "error: " in result.stderr
    assert "`sorce`" in result.stderr


def test_rule_severity_from_config_changes_the_exit_code(cli: RunCli, write: WriteFile) -> None:
    write("sopkit.toml", '[rules]\nmissing-owner = "error"\n')
    write("sops/a.yaml", MINIMAL_SOP.replace("owner: Q <q@example.com>\n", ""))
    result = cli("check")
    assert result.exit_code == 1
    assert "error missing-owner" in result.stdout
