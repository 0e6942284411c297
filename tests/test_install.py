"""sopkit installed the way users install it: a wheel and an sdist built as a release is,
each in a fresh virtual environment, run from a folder outside the source tree.

The development install is editable, so it reads data files straight from the
checkout and cannot notice one that a regular install leaves out (the labels of
the handbook once went missing that way). These tests can.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SOPS, TODAY, python_env

pytestmark = pytest.mark.slow
NEEDS_GIT = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and the sdist, built from a copy of the tracked files (as CI's clone)."""
    folder = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "sopkit"
    anywhere = shutil.ignore_patterns("*.egg-info", "__pycache__", ".*_cache")
    at_the_top = {".venv", ".git", "handbook", "build", "dist", "bench", "tests"}

    def ignored(folder: str, names: list[str]) -> set[str]:
        top = {name for name in names if name in at_the_top} if Path(folder) == ROOT else set()
        return set(anywhere(folder, names)) | top

    shutil.copytree(ROOT, source, ignore=ignored)
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return folder


def _artifact(dist: Path, suffix: str) -> Path:
    (found,) = dist.glob(f"sopkit-*{suffix}")
    return found


def _fresh_install(artifact: Path, where: Path) -> Path:
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(artifact)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return venv / "bin" / "sopkit"


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(sopkit: Path | list[str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [str(sopkit)] if isinstance(sopkit, Path) else sopkit
    env = {**python_env(), "PYTHONPATH": ""}
    done = subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return done


@NEEDS_GIT
def test_the_wheel_ships_every_tracked_data_file(dist: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "sopkit", "templates"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.split()  # fmt: skip
    data = [name for name in tracked if not name.endswith(".py")]
    assert data
    with zipfile.ZipFile(_artifact(dist, ".whl")) as wheel:
        shipped = set(wheel.namelist())
    for name in data:
        inside = "sopkit/" + name if name.startswith("templates/") else name
        assert inside in shipped, f"{name} is tracked but not in the wheel"


@pytest.mark.parametrize("kind", [".whl", ".tar.gz"])
def test_an_installed_sopkit_does_everything_the_development_one_does(
    kind: str, dist: Path, tmp_path: Path
) -> None:
    sopkit = _fresh_install(_artifact(dist, kind), tmp_path)
    work = tmp_path / "work"
    shutil.copytree(SOPS, work / "sops")
    reference = tmp_path / "reference"
    shutil.copytree(SOPS, reference / "sops")

    checked = _run(sopkit, "check", "--today", TODAY, cwd=work)
    assert checked.returncode == 0, checked.stderr
    assert "7 files checked" in checked.stdout

    rendered = _run(sopkit, "render", "--html", "--today", TODAY, cwd=work)
    assert rendered.returncode == 0, rendered.stderr
    development = _run([sys.executable, "-m", "sopkit"], "render", "--html", "--today", TODAY,
                       cwd=reference)  # fmt: skip
    assert development.returncode == 0, development.stderr
    installed, expected = _tree(work / "handbook"), _tree(reference / "handbook")
    assert installed.keys() == expected.keys()
    assert [name for name in expected if installed[name] != expected[name]] == []
    page = (work / "handbook" / "CS-ESC-002.md").read_text(encoding="utf-8")
    assert "## Procedure" in page  # the labels shipped
    assert "Expected time: 10 min" in page

    created = _run(sopkit, "new", "CS-NEW-001", "--title", "Calling back", "--department",
                   "Support", "--language", "el", cwd=work)  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert _run(sopkit, "check", "--today", TODAY, cwd=work).returncode == 0
    formatted = _run(sopkit, "fmt", "--check", cwd=work)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr

    schema = _run(sopkit, "schema", cwd=work)
    assert schema.stdout == (ROOT / "sopkit" / "data" / "sopkit-1.schema.json").read_text("utf-8")
    walked = _run(sopkit, "walk", "CS-ESC-002", "--answers", "Yes,Yes", cwd=work)
    assert walked.returncode == 0, walked.stderr
    assert "Path taken: summary → hand_over → lead_can_solve [Yes]" in walked.stdout

    exported = _run(sopkit, "export", "bpmn", "sops", "-o", "bpmn", cwd=work)
    assert exported.returncode == 0, exported.stderr
    (work / "back").mkdir()
    bpmn_files = sorted(str(p) for p in (work / "bpmn").glob("*.bpmn"))
    assert len(bpmn_files) == 8
    imported = _run(sopkit, "import", "bpmn", *bpmn_files, "-o", "back", cwd=work)
    assert imported.returncode == 0, imported.stderr

    as_json = _run(sopkit, "export", "json", "sops", cwd=work)
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)["sops"]) == 8  # sops/ and the one `new` made
    export_schema = _run(sopkit, "schema", "--export", cwd=work)
    assert json.loads(export_schema.stdout)["title"] == "sopkit export, version 1"
    # Installed without the `mcp` extra: the command says how to get it.
    served = _run(sopkit, "mcp", cwd=work)
    assert served.returncode == 2
    assert "pip install 'sopkit[mcp]'" in served.stderr


def test_the_sdist_leaves_the_tests_out_on_purpose(dist: Path) -> None:
    """The README says so: tests run from a clone, the sdist is for installing."""
    import tarfile

    with tarfile.open(_artifact(dist, ".tar.gz")) as archive:
        names = archive.getnames()
    assert not [name for name in names if "/tests/" in name]
    assert any(name.endswith("/LICENSE") for name in names)
    assert any(name.endswith("sopkit/data/labels/el.toml") for name in names)


def test_a_missing_english_word_list_is_a_clear_error(tmp_path: Path) -> None:
    from importlib import resources

    from sopkit import labels
    from sopkit.errors import SopkitError

    empty = tmp_path / "sopkit"
    empty.mkdir()
    labels._catalogue.cache_clear()
    labels.labels_for.cache_clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(resources, "files", lambda package: empty)
        with pytest.raises(SopkitError, match="English word list is missing"):
            labels.labels_for("el")
    labels._catalogue.cache_clear()
    labels.labels_for.cache_clear()
    assert labels.labels_for("el")["purpose"] != labels.labels_for("en")["purpose"]
