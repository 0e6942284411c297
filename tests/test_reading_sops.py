"""`read_sop`, the one way every command reads a SOP, and the load-stage rule names."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sopkit.problems import LOAD_RULES
from sopkit.reading import read_sop
from sopkit.rules import RULES, Scope
from tests.conftest import MINIMAL_SOP


def test_a_file_reads_into_its_model_with_the_digest_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text(MINIMAL_SOP, encoding="utf-8")
    reading = read_sop(str(path), "sops/a.yaml")
    assert reading.usable
    assert reading.sop is not None
    assert (reading.sop.id, reading.sop.path) == ("T-1", "sops/a.yaml")
    assert reading.digest == hashlib.sha256(MINIMAL_SOP.encode()).hexdigest()
    assert read_sop(MINIMAL_SOP.encode(), "x.yaml").digest == reading.digest  # bytes alike


def test_without_a_model_only_the_yaml_is_composed(tmp_path: Path) -> None:
    reading = read_sop(MINIMAL_SOP.encode(), "a.yaml", model=False)
    assert reading.sop is None
    assert reading.document.root is not None
    assert not reading.usable


def test_a_load_stage_problem_makes_a_sop_unusable() -> None:
    reading = read_sop(MINIMAL_SOP.replace("title: Test", "titel: Test").encode(), "a.yaml")
    assert reading.sop is not None  # built, leniently, for the graph rules
    assert not reading.usable
    assert {f.rule for f in reading.findings} == {"schema"}


def test_a_file_that_cannot_be_read_is_a_problem_at_1_1(tmp_path: Path) -> None:
    reading = read_sop(str(tmp_path / "gone.yaml"))
    assert reading.sop is None
    assert [(f.rule, f.loc.line, f.loc.column) for f in reading.findings] == [("yaml-syntax", 1, 1)]
    assert len(reading.digest) == 64


def test_the_load_stage_rules_are_named_once_and_documented() -> None:
    documented = {name for name, rule in RULES.items() if rule.scope is Scope.LOAD}
    assert documented == set(LOAD_RULES)
