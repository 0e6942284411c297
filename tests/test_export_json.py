"""`sopkit export json` and its schema: what programs and bots read of the SOPs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sopkit.analysis import all_paths
from sopkit.lookup import load_sop
from tests.conftest import EXAMPLES, SOPS, RunCli, WriteFile


def _schema(cli: RunCli) -> dict[str, Any]:
    result = cli("schema", "--export")
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize("folder", [SOPS, EXAMPLES], ids=["sops", "examples"])
def test_the_export_is_valid_under_its_schema(folder: Path, cli: RunCli, workdir: Path) -> None:
    shutil.copytree(folder, workdir / "in")
    result = cli("export", "json", "in")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(_schema(cli)).validate(document)
    assert document["format"] == "sopkit-export"
    assert document["version"] == 1
    ids = [sop["id"] for sop in document["sops"]]
    assert ids == sorted(ids)
    assert len(ids) == len(list(folder.rglob("*.yaml")))


def _reachable(sop: dict[str, Any]) -> set[str]:
    """The nodes a program reaches by following `next` from `start`."""
    by_id = {node["id"]: node for node in sop["nodes"]}
    seen, todo = set(), [sop["start"]]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo += [way["node"] for way in by_id[node]["next"]]
    return seen


def test_the_explicit_successors_reach_what_paths_finds(cli: RunCli, workdir: Path) -> None:
    shutil.copytree(SOPS, workdir / "in")
    shutil.copytree(EXAMPLES, workdir / "examples")
    for folder in ("in", "examples"):
        document = json.loads(cli("export", "json", folder).stdout)
        for sop in document["sops"]:
            model = load_sop(sop["file"])
            on_paths = {model.nodes[hop.index].id for path in all_paths(model).paths
                        for hop in path.hops}  # fmt: skip
            assert _reachable(sop) == on_paths, sop["id"]
            ends = {node["id"] for node in sop["nodes"] if node["ends"]}
            last_hops = {model.nodes[path.hops[-1].index].id for path in all_paths(model).paths}
            assert last_hops <= ends, sop["id"]
            assert sop["summary"]["paths"] == len(all_paths(model).paths)


def test_implicit_flow_is_made_explicit(write: WriteFile, cli: RunCli) -> None:
    write(
        "sops/flow.yaml",
        """\
sopkit: 1
id: FLOW-1
title: Flow
department: Support
purpose: Show the flow.
roles: {agent: Agent}
steps:
  - id: ask
    decision: Known customer?
    role: agent
    branches: {"Yes": greet, "No": register}
  - id: register
    step: Register the customer
    role: agent
    sop: OTHER-1
  - id: greet
    step: Greet the customer by name
    role: agent
""",
    )
    write(
        "sops/other.yaml",
        """\
sopkit: 1
id: OTHER-1
title: Other
department: Support
purpose: Be called.
steps:
  - id: only
    step: Do the one thing
    duration: 5m
""",
    )
    document = json.loads(cli("export", "json").stdout)
    flow = next(sop for sop in document["sops"] if sop["id"] == "FLOW-1")
    nodes = {node["id"]: node for node in flow["nodes"]}
    assert nodes["ask"]["next"] == [
        {"node": "greet", "answer": "Yes", "implicit": False},
        {"node": "register", "answer": "No", "implicit": False},
    ]
    assert nodes["ask"]["answers"] == ["Yes", "No"]
    assert nodes["register"]["next"] == [{"node": "greet", "answer": None, "implicit": True}]
    assert nodes["register"]["sop"] == "OTHER-1"
    assert nodes["greet"]["next"] == []
    assert nodes["greet"]["ends"] is True  # the last step: an implicit end
    assert [n["ends"] for n in flow["nodes"]] == [False, False, True]
    other = next(sop for sop in document["sops"] if sop["id"] == "OTHER-1")
    assert other["nodes"][0]["duration"] == {"text": "5m", "seconds": 300}


def test_the_export_is_deterministic_and_refuses_errors(
    write: WriteFile, cli: RunCli, workdir: Path
) -> None:
    shutil.copytree(SOPS, workdir / "sops")
    assert cli("export", "json", "-o", "a.json").exit_code == 0
    assert cli("export", "json", "-o", "b.json").exit_code == 0
    assert (workdir / "a.json").read_bytes() == (workdir / "b.json").read_bytes()
    text = (workdir / "a.json").read_text(encoding="utf-8")
    assert "Διαχείριση παραπόνου πελάτη" in text  # UTF-8 as written, not \\u escapes

    write("sops/broken.yaml", "sopkit: 1\nid: BROKEN-1\ntitle: Broken\n")
    result = cli("export", "json", "-o", "c.json")
    assert result.exit_code == 1
    assert "not exporting: fix these errors first" in result.output
    assert "broken.yaml:" in result.output
    assert not (workdir / "c.json").exists()


def test_many_sops_are_exported_by_every_core_to_the_same_bytes(tmp_path: Path) -> None:
    from sopkit import parallel
    from sopkit.discovery import discover
    from sopkit.exportjson import export_document, export_sources, to_json
    from tests.generate import generate

    generate(tmp_path / "many", parallel.PARALLEL_FROM + 2, nodes=12)
    files = [f.display for f in discover([str(tmp_path / "many")])]
    assert parallel.worker_count(len(files)) > 1 or (os.cpu_count() or 1) == 1  # the pool
    whole = to_json(export_document(load_sop(path) for path in files))
    assert export_sources(files) == whole
    assert export_sources([]) == to_json(export_document([]))
