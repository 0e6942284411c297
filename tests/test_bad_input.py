"""Hostile and broken files: a clear problem with a position, exit 1, no traceback, no hang.

Each runs the real `sopkit` in a subprocess with a time limit and a memory
cap, so a hang or a memory blow-up fails the test instead of the machine.
"""

from __future__ import annotations

import json
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
        "".join(" " * i + "a:\n" for i in range(10_000)).encode(),
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


def test_file_vanishing_during_a_run_is_a_usage_error(tmp_path: Path) -> None:
    from datetime import date

    from sopkit.checker import Job, analyse
    from sopkit.discovery import discover
    from sopkit.errors import NoInputError

    path = tmp_path / "gone.yaml"
    path.write_text("id: x\n", encoding="utf-8")
    (source,) = discover([str(tmp_path)])
    path.unlink()
    with pytest.raises(NoInputError, match=r"cannot read .*gone\.yaml"):
        analyse(Job(source, date(2026, 1, 1), (), True, False))


def test_bom_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    text = (
        "id: T-1\ntitle: T\ndepartment: D\npurpose: P\nowner: O\nsteps:\n  - {id: a, end: Done}\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    code, report, _ = run_check(path)
    assert (code, report["problems"]) == (0, [])
