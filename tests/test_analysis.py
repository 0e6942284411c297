"""`sopkit paths` and `sopkit stats` on real files, through the CLI."""

from __future__ import annotations

import csv
import io
import json

from tests.conftest import SOPS, RunCli, WriteFile

LOOP = """\
id: LOOP-1
title: Password reset
department: QA
purpose: P.
sla: 10m
steps:
  - {id: send, step: Send a code, duration: 2m}
  - id: ok
    decision: Code right?
    branches: {"Yes": done, "No": tries}
  - id: tries
    decision: Tried three times?
    branches: {"Yes": human, "No": send}
  - {id: human, step: Hand over to a person, duration: 15m}
  - {id: done, end: Signed in}
"""


def many_decisions(count: int) -> str:
    lines = ["id: WIDE-1", "title: Wide", "department: QA", "purpose: P.", "steps:"]
    for i in range(count):
        lines += [f"  - id: q{i}", f"    decision: Question {i}?",
                  f'    branches: {{"A": a{i}, "B": q{i + 1}}}',
                  f"  - {{id: a{i}, step: Answer {i}, next: q{i + 1}}}"]  # fmt: skip
    lines.append(f"  - {{id: q{count}, end: Done}}")
    return "\n".join(lines) + "\n"


def test_a_loop_is_gone_round_once(cli: RunCli, write: WriteFile) -> None:
    write("sops/loop.yaml", LOOP)
    result = cli("paths", "LOOP-1")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "LOOP-1: 4 paths, SLA 10m",
        "   1.       2m  send → ok [Yes] → done",
        "   2.      17m  send → ok [No] → tries [Yes] → human → done  ⚠ over SLA",
        "   3.       4m  send → ok [No] → tries [No] → send → ok [Yes] → done",
        "   4.      19m  send → ok [No] → tries [No] → send → ok [No] → tries [Yes] → human → done"
        "  ⚠ over SLA",
    ]


def test_paths_as_json_by_file_path(cli: RunCli, write: WriteFile) -> None:
    write("elsewhere/loop.yaml", LOOP)
    report = json.loads(cli("paths", "elsewhere/loop.yaml", "--format", "json").stdout)
    assert report["sop"] == "LOOP-1"
    assert report["truncated"] is False
    assert [p["over_sla"] for p in report["paths"]] == [False, True, False, True]
    assert report["paths"][1]["nodes"][1] == {
        "id": "ok", "kind": "decision", "text": "Code right?", "answer": "No",
    }  # fmt: skip


def test_too_many_paths_stop_at_the_limit(cli: RunCli, write: WriteFile) -> None:
    write("sops/wide.yaml", many_decisions(12))  # 2**12 = 4096 paths
    result = cli("paths", "WIDE-1")
    assert result.exit_code == 1
    assert result.stdout.startswith("WIDE-1: 1000 paths")
    assert "stopped after 1000 paths" in result.stderr
    assert cli("paths", "WIDE-1", "--limit", "5000").exit_code == 0


def test_an_unknown_id_gets_a_hint(cli: RunCli, write: WriteFile) -> None:
    write("sops/loop.yaml", LOOP)
    result = cli("paths", "LOOP-2")
    assert result.exit_code == 2
    assert "did you mean 'LOOP-1'?" in result.stderr


def test_stats_in_every_format(cli: RunCli, write: WriteFile) -> None:
    write("sops/loop.yaml", LOOP)
    write("sops/wide.yaml", many_decisions(3))
    text = cli("stats").stdout.splitlines()
    assert text[0].split() == ["SOP", "steps", "decisions", "ends", "calls", "paths",
                               "longest", "time", "CC"]  # fmt: skip
    assert text[1].split() == ["LOOP-1", "2", "2", "1", "0", "4", "8", "17m", "3"]
    assert text[-1].split() == ["total", "5", "5", "2", "0", "12"]
    report = json.loads(cli("stats", "--format", "json", "--sort", "paths").stdout)
    assert [s["sop_id"] for s in report["sops"]] == ["WIDE-1", "LOOP-1"]
    assert report["sops"][0]["complexity"] == 4
    rows = list(csv.DictReader(io.StringIO(cli("stats", "--format", "csv").stdout)))
    assert rows[0]["sop_id"] == "LOOP-1"
    assert rows[0]["paths_capped"] == "False"


def test_stats_flags_sops_over_max_nodes(cli: RunCli, write: WriteFile) -> None:
    write("sopkit.toml", "max_nodes = 5\n")
    write("sops/wide.yaml", many_decisions(3))
    assert "⚠ over max_nodes" in cli("stats").stdout
    assert json.loads(cli("stats", "-f", "json").stdout)["sops"][0]["over_max_nodes"]


def test_the_example_sops(cli: RunCli) -> None:
    result = cli("stats", str(SOPS))
    assert result.exit_code == 0
    assert "CS-PWD-006" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()[1:]]
    assert len(rows) == 8  # seven SOPs and the total
    assert rows[-1][:2] == ["total", str(sum(int(row[1]) for row in rows[:-1]))]
