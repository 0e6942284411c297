"""`sopkit schema`, `sopkit new` and the pre-commit hook manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopkit.loader import load_text, tag_of
from tests.conftest import EXAMPLES, ROOT, SOPS, TODAY, RunCli, WriteFile

_T = "tag:yaml.org,2002:"


def as_json(node: Node | None) -> Any:
    """YAML as an editor's language server sees it: dates stay strings, numbers are numbers."""
    if isinstance(node, MappingNode):
        return {str(k.value): as_json(v) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [as_json(item) for item in node.value]
    assert isinstance(node, ScalarNode)
    tag, text = tag_of(node), str(node.value)
    if tag == _T + "int":
        return int(text, 0) if not text.startswith("0o") else int(text[2:], 8)
    if tag == _T + "float":
        return float(text)
    if tag == _T + "bool":
        return text.lower() == "true"
    if tag == _T + "null":
        return None
    return text


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    text = (ROOT / "sopkit" / "data" / "sopkit-1.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def test_schema_command_prints_a_valid_2020_12_schema(cli: RunCli, workdir: Path) -> None:
    printed = json.loads(cli("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert cli("schema", "-o", "sopkit-1.schema.json").exit_code == 0
    assert json.loads((workdir / "sopkit-1.schema.json").read_text(encoding="utf-8")) == printed


def test_every_field_has_a_description_and_examples(schema: dict[str, Any]) -> None:
    fields = list(schema["properties"].items())
    for kind in schema["properties"]["steps"]["items"]["oneOf"]:
        fields += list(kind["properties"].items())
    for name, spec in fields:
        assert spec.get("description"), f"{name} has no description"
        assert spec.get("examples"), f"{name} has no examples"
        for example in spec["examples"]:
            jsonschema.Draft202012Validator(spec).validate(example)


@pytest.mark.parametrize(
    "path", sorted([*SOPS.rglob("*.yaml"), *EXAMPLES.glob("*.yaml")]), ids=lambda p: p.name
)
def test_schema_accepts_every_valid_sop(schema: dict[str, Any], path: Path) -> None:
    document = as_json(load_text(path.read_text(encoding="utf-8"), path.name).root)
    jsonschema.Draft202012Validator(schema).validate(document)


def _schema_cases() -> list[Any]:
    doc = YAML(typ="safe").load((ROOT / "tests/rules/cases/schema.yaml").read_text("utf-8"))
    wanted = ("misspelt required field", "duration in words", "ids that cannot name a file")
    return [pytest.param(c["sop"], id=c["name"]) for c in doc["cases"]
            if any(w in c["name"] for w in wanted)]  # fmt: skip


@pytest.mark.parametrize("source", _schema_cases())
def test_schema_rejects_the_schema_rule_cases(schema: dict[str, Any], source: str) -> None:
    document = as_json(load_text(source, "case.yaml").root)
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))


def test_new_sop_is_valid_and_formatted(cli: RunCli, workdir: Path) -> None:
    made = cli("new", "CS-REF-007", "--title", 'Refund: a "double" charge',
               "--department", "Billing #1", "--language", "el")  # fmt: skip
    assert made.exit_code == 0, made.output
    path = workdir / "sops" / "CS-REF-007.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../sopkit-1.schema.json\n")
    assert "Εκπρόσωπος εξυπηρέτησης" in text
    checked = cli("check", "--strict", "--today", TODAY)
    assert checked.stdout == "1 file checked: no problems\n"
    assert cli("fmt", "--check").exit_code == 0


def test_new_never_overwrites_or_reuses_an_id(cli: RunCli, write: WriteFile, workdir: Path) -> None:
    write("sops/other.yaml", "id: CS-REF-007\ntitle: T\n")
    reused = cli("new", "CS-REF-007", "--title", "T", "--department", "D")
    assert reused.exit_code == 1
    assert "already used by sops/other.yaml" in reused.stderr
    assert cli("new", "CS-NEW-1", "--title", "T", "--department", "D").exit_code == 0
    again = cli("new", "CS-NEW-1", "--title", "Other", "--department", "D")
    assert again.exit_code == 1
    assert "never overwrites" in again.stderr
    bad = cli("new", "../x", "--title", "T", "--department", "D")
    assert bad.exit_code == 2
    cased = cli("new", "cs-ref-007", "--title", "T", "--department", "D")  # ids ignore case
    assert cased.exit_code == 1
    assert "already used by sops/other.yaml as 'CS-REF-007' (ids ignore case)" in cased.stderr
    escaped = cli("new", "CS-NEW-2", "--title", "Red \x1b[31m", "--department", "D")
    assert escaped.exit_code == 2
    assert "--title holds the control character U+001B (ESC)" in escaped.stderr
    assert sorted(p.name for p in (workdir / "sops").iterdir()) == ["CS-NEW-1.yaml", "other.yaml"]


def test_pre_commit_hook_manifest(write: WriteFile) -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert {hook["id"] for hook in hooks} == {"sopkit-check", "sopkit-fmt"}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["entry"].split()[0] == "sopkit"
