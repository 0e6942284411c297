"""Hostile and broken files: a clear problem with a position, exit 1, no traceback, no hang.

Each runs the real `sopkit` in a subprocess with a time limit and a memory
cap, so a hang or a memory blow-up fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import python_env

MEMORY_CAP = 1 << 30  # 1 GiB of address space: a bomb that expands would hit it


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_check(path: Path) -> tuple[int, dict[str, object], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "sopkit", "check", "--format", "json", str(path)],
        capture_output=True,
        timeout=30,
        env=python_env(),
        preexec_fn=_limit_memory,
        cwd=path.parent,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    return proc.returncode, json.loads(proc.stdout), stderr


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


BAD_FILES: dict[str, tuple[bytes, str, int, int]] = {
    # name: (content, rule, line, column)
    "zero-byte": (b"", "schema", 1, 1),
    "invalid-utf8": (b"id: x\ntitle: caf\xe9\n", "yaml-syntax", 2, 11),
    "random-binary": (bytes(range(256)) * 8, "yaml-syntax", 2, 118),
    "nul-bytes": (b"id: x\x00y\n", "yaml-syntax", 1, 6),
    "alias-bomb": (_bomb().encode(), "yaml-syntax", 1, 1),
    "deep-flow-nesting": (("a: " + "[" * 10_000 + "]" * 10_000).encode(), "yaml-syntax", 1, 67),
    "deep-block-nesting": (
        "".join(" " * i + "a:\n" for i in range(2_000)).encode(),  # 2 MB
        "yaml-syntax",
        65,
        65,
    ),
    "top-level-list": (b"- id: a\n- id: b\n", "schema", 1, 1),
    "top-level-scalar": (b"just some words\n", "schema", 1, 1),
    "tabs": (b"id: x\nsteps:\n\t- id: a\n", "yaml-syntax", 3, 1),
    "unclosed-quote": (b'id: "x\ntitle: y\n', "yaml-syntax", 3, 1),
    "path-id": (b"id: ../../x\n", "schema", 1, 5),
    "recursive-alias": (b"a: &x [*x]\n", "yaml-syntax", 1, 4),
    "python-tag": (b"id: !!python/object/apply:os.system [echo hi]\n", "yaml-syntax", 1, 5),
    "two-documents": (b"id: a\n---\nid: b\n", "yaml-syntax", 2, 1),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_a_positioned_problem(name: str, tmp_path: Path) -> None:
    content, rule, line, column = BAD_FILES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)
    code, report, _ = run_check(path)
    assert code == 1
    problems = report["problems"]
    assert isinstance(problems, list)
    assert {"rule": rule, "line": line, "column": column} in [
        {k: p[k] for k in ("rule", "line", "column")} for p in problems
    ], problems


def test_ids_with_spaces_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "ids.yaml"
    path.write_text(
        "id: a b\ntitle: T\ndepartment: D\npurpose: P\nsteps:\n  - id: ../../x\n    end: Done\n",
        encoding="utf-8",
    )
    code, report, _ = run_check(path)
    assert code == 1
    where = [(p["rule"], p["line"], p["column"]) for p in report["problems"]]  # type: ignore[attr-defined]
    assert ("schema", 1, 5) in where
    assert ("schema", 6, 9) in where


def test_file_vanishing_during_a_run_is_a_problem_of_that_file(tmp_path: Path) -> None:
    from datetime import date

    from sopkit.checker import Job, analyse
    from sopkit.discovery import discover

    path = tmp_path / "gone.yaml"
    path.write_text("id: x\n", encoding="utf-8")
    (source,) = discover([str(tmp_path)])
    path.unlink()
    report = analyse(Job(source, date(2026, 1, 1), (), True, False))
    assert [(f.rule, f.loc.line, f.message) for f in report.findings] == [
        ("yaml-syntax", 1, "cannot read it: No such file or directory")
    ]


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    text = (
        "id: T-1\ntitle: T\ndepartment: D\npurpose: P\nowner: O\nsteps:\n  - {id: a, end: Done}\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    code, report, _ = run_check(path)
    assert (code, report["problems"]) == (0, [])


# -- special files: only regular files are read --------------------------------


def _check_folder(folder: Path, timeout: float = 30) -> tuple[int, dict[str, object], str]:
    proc = subprocess.run(
        [sys.executable, "-m", "sopkit", "check", "--format", "json", "sops"],
        capture_output=True,
        timeout=timeout,
        env=python_env(),
        preexec_fn=_limit_memory,
        cwd=folder,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    return proc.returncode, json.loads(proc.stdout or b"{}"), stderr


def _problems_of(report: dict[str, object]) -> list[tuple[str, int, int, str, str]]:
    problems = report["problems"]
    assert isinstance(problems, list)
    return [(p["path"], p["line"], p["column"], p["rule"], p["message"]) for p in problems]


@pytest.mark.parametrize(
    ("target", "kind"),
    [("/dev/zero", "a character device"), ("/dev/urandom", "a character device")],
)
def test_a_link_to_a_device_is_refused_without_reading(
    target: str, kind: str, tmp_path: Path
) -> None:
    sops = tmp_path / "sops"
    sops.mkdir()
    (sops / "ok.yaml").write_text(
        "id: T-1\ntitle: T\ndepartment: D\npurpose: P\nowner: O\nsteps:\n  - {id: a, end: Done}\n",
        encoding="utf-8",
    )
    (sops / "z.yaml").symlink_to(target)
    code, report, _ = _check_folder(tmp_path)
    assert code == 1
    assert _problems_of(report) == [
        ("sops/z.yaml", 1, 1, "yaml-syntax", f"not a regular file ({kind}): nothing of it is read")
    ]


def test_a_fifo_does_not_hang_check(tmp_path: Path) -> None:
    sops = tmp_path / "sops"
    sops.mkdir()
    os.mkfifo(sops / "pipe.yaml")
    code, report, _ = _check_folder(tmp_path, timeout=10)
    assert code == 1
    message = "not a regular file (a FIFO): nothing of it is read"
    assert _problems_of(report) == [("sops/pipe.yaml", 1, 1, "yaml-syntax", message)]


def test_a_fifo_named_on_the_command_line_is_a_problem_too(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    code, report, _ = run_check(tmp_path / "pipe.yaml")
    assert code == 1
    assert [p[3] for p in _problems_of(report)] == ["yaml-syntax"]


def test_a_file_over_16_mib_is_not_read(tmp_path: Path) -> None:
    sops = tmp_path / "sops"
    sops.mkdir()
    with open(sops / "big.yaml", "wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: costs no disk
    code, report, _ = _check_folder(tmp_path)
    assert code == 1
    assert _problems_of(report) == [
        ("sops/big.yaml", 1, 1, "yaml-syntax",
         "too large (17.0 MiB; a SOP file may have at most 16 MiB): nothing of it is read"),
    ]  # fmt: skip


def test_a_dangling_link_is_a_problem_of_that_file(tmp_path: Path) -> None:
    sops = tmp_path / "sops"
    sops.mkdir()
    (sops / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    code, report, _ = _check_folder(tmp_path)
    assert code == 1
    assert [p[:4] for p in _problems_of(report)] == [("sops/gone.yaml", 1, 1, "yaml-syntax")]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run sopkit as another user")
def test_an_unreadable_folder_is_an_error_not_silence() -> None:
    """As root (CI) the check runs as `nobody`, for whom the folder is closed."""
    import shutil
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="sopkit-closed-", dir="/tmp"))
    try:
        _check_unreadable_folder(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def _check_unreadable_folder(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    sops = tmp_path / "sops"
    (sops / "closed").mkdir(parents=True)
    (sops / "ok.yaml").write_text("id: A\n", encoding="utf-8")
    for folder in (sops, tmp_path):
        os.chmod(folder, 0o755)
    os.chmod(sops / "closed", 0o700)
    proc = subprocess.run(
        [sys.executable, "-m", "sopkit", "check", "sops"],
        capture_output=True,
        timeout=30,
        env={**python_env(), "HOME": str(tmp_path)},
        cwd=tmp_path,
        user="nobody",
        check=False,
    )
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[0] == (
        "error: cannot read the folder sops/closed: Permission denied"
    )
