"""`sopkit conform`: event logs with known answers, through the CLI as users run it."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sopkit.conform.align import Model
from sopkit.conform.logs import Log
from sopkit.conform.mapping import ActivityMap, resolve
from tests.conftest import EXAMPLES, ROOT, RunCli, WriteFile, python_env

SOP = """\
sopkit: 1
id: T-1
title: Answering a ticket
department: Support
purpose: A small procedure with a loop, a silent decision and an end.
sla: 2h
roles: {agent: Agent}
steps:
  - id: receive
    step: Receive the ticket
    role: agent
    duration: 10m
  - id: check
    step: Check the contract
    role: agent
    duration: 5m
  - id: urgent
    decision: Is it urgent?
    role: agent
    branches: {"Yes": escalate, "No": answer}
  - id: escalate
    step: Escalate the ticket
    role: agent
    duration: 1h
    next: answer
  - id: answer
    step: Answer the customer
    role: agent
    duration: 30m
  - id: satisfied
    decision: Is the customer satisfied?
    role: agent
    branches: {"Yes": done, "No": answer}
  - id: done
    end: The customer has an answer
"""

HEADER = "Case ID,Activity,Complete Timestamp,Resource\n"


def _rows(case: str, steps: list[tuple[str, str]]) -> str:
    return "".join(f"{case},{activity},{time},ann\n" for activity, time in steps)


def _conform(cli: RunCli, *args: str) -> dict[str, Any]:
    result = cli("conform", "sops/t1.yaml", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _case(data: dict[str, Any], case: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["case_results"] if c["case"] == case)
    return found


@pytest.fixture
def sop(write: WriteFile) -> Path:
    return write("sops/t1.yaml", SOP)


def test_every_kind_of_deviation_and_a_fitting_loop(sop: Path, write: WriteFile,
                                                    cli: RunCli) -> None:  # fmt: skip
    day = "2026-01-05T09:"
    write(
        "log.csv",
        HEADER
        + _rows(
            "fits",
            [
                ("Receive the ticket", f"{day}00:00Z"),
                ("check", f"{day}05:00Z"),
                ("answer", f"{day}40:00Z"),
            ],
        )
        + _rows(
            "loop",
            [
                ("receive", f"{day}00:00Z"),
                ("check", f"{day}01:00Z"),
                ("answer", f"{day}10:00Z"),
                ("answer", f"{day}20:00Z"),
            ],
        )
        + _rows(
            "urgent",
            [
                ("receive", f"{day}00:00Z"),
                ("check", f"{day}01:00Z"),
                ("escalate", f"{day}30:00Z"),
                ("answer", f"{day}50:00Z"),
            ],
        )
        + _rows("skipped", [("receive", f"{day}00:00Z"), ("answer", f"{day}30:00Z")])
        + _rows(
            "unexpected",
            [
                ("receive", f"{day}00:00Z"),
                ("check", f"{day}01:00Z"),
                ("answer", f"{day}30:00Z"),
                ("receive", f"{day}40:00Z"),
            ],
        )
        + _rows(
            "unknown",
            [
                ("receive", f"{day}00:00Z"),
                ("check", f"{day}01:00Z"),
                ("Coffee break", f"{day}02:00Z"),
                ("answer", f"{day}30:00Z"),
            ],
        )
        + _rows("unfinished", [("receive", f"{day}00:00Z"), ("check", f"{day}01:00Z")]),
    )
    data = _conform(cli, "log.csv")
    assert data["cases"] == 7
    assert [c["case"] for c in data["case_results"] if c["fits"]] == ["fits", "loop", "urgent"]
    assert data["fitness"] == pytest.approx(3 / 7)

    def kinds(case: str) -> list[tuple[str, str | None, str | None]]:
        return [(d["kind"], d["node"], d["activity"]) for d in _case(data, case)["deviations"]]

    assert kinds("skipped") == [("skipped", "check", None)]
    assert _case(data, "skipped")["deviations"][0]["time"] == "2026-01-05T09:30:00Z"
    assert kinds("unexpected") == [("unexpected", "receive", "receive")]
    assert _case(data, "unexpected")["deviations"][0]["time"] == "2026-01-05T09:40:00Z"
    assert kinds("unknown") == [("unknown-activity", None, "Coffee break")]
    assert kinds("unfinished") == [("not-finished", "check", None)]
    assert data["unknown_activities"] == [{"activity": "Coffee break", "events": 1}]
    urgent = next(d for d in data["decisions"] if d["id"] == "urgent")
    answers = {a["answer"]: a["cases"] for a in urgent["answers"]}
    assert answers["Yes"] == 1
    satisfied = next(d for d in data["decisions"] if d["id"] == "satisfied")
    assert {a["answer"]: a["cases"] for a in satisfied["answers"]}["No"] == 1  # the loop


def test_silent_nodes_ignored_activities_and_a_map_file(sop: Path, write: WriteFile,
                                                        cli: RunCli) -> None:  # fmt: skip
    write("log.csv", HEADER + _rows("a", [("Ticket in", "2026-01-05T09:00:00Z"),
                                          ("Wait", "2026-01-05T09:10:00Z"),
                                          ("Reply sent", "2026-01-05T09:20:00Z")]))  # fmt: skip
    write("map.yaml", 'activities: {"Ticket in": receive, "Reply sent": answer}\n'
                      "silent: [check]\nignore: [Wait]\n")  # fmt: skip
    data = _conform(cli, "log.csv", "--map", "map.yaml")
    assert data["fitting"] == 1
    assert data["unknown_activities"] == []
    check = next(n for n in data["nodes"] if n["id"] == "check")
    assert check["silent"] is True
    assert check["reached"] == 1  # on the path, passed silently: receive, check, urgent, answer

    without = _conform(cli, "log.csv")
    assert without["fitting"] == 0
    assert {a["activity"] for a in without["unknown_activities"]} == {"Ticket in", "Wait",
                                                                      "Reply sent"}  # fmt: skip

    write("bad-map.yaml", "activities: {Ticket in: recieve}\n")
    result = cli("conform", "sops/t1.yaml", "log.csv", "--map", "bad-map.yaml")
    assert result.exit_code == 2
    assert ("bad-map.yaml:1:25: 'Ticket in' is mapped to 'recieve', which is no node of T-1 "
            "(did you mean 'receive'?)") in result.output  # fmt: skip
    write("bad-silent.yaml", "silent:\n  - check\n  - chek\n")
    result = cli("conform", "sops/t1.yaml", "log.csv", "--map", "bad-silent.yaml")
    assert "bad-silent.yaml:3:5: silent names 'chek', which is no node of T-1" in result.output
    write("typo-map.yaml", "activity: {}\n")
    result = cli("conform", "sops/t1.yaml", "log.csv", "--map", "typo-map.yaml")
    assert result.exit_code == 2
    assert "typo-map.yaml:1:1: unknown key 'activity' (did you mean 'activities'?)" in result.output


def test_unsorted_rows_repeated_times_and_time_zones(sop: Path, write: WriteFile,
                                                     cli: RunCli) -> None:  # fmt: skip
    rows = [("a", "answer", "2026-01-05T11:30:00+02:00"),  # 09:30 UTC
            ("a", "receive", "2026-01-05T09:00:00Z"),
            ("a", "check", "2026-01-05 09:05:00.000"),  # no zone: UTC
            ("b", "receive", "2026/01/05 09:00:00.000"),
            ("b", "check", "2026/01/05 09:00:00.000"),  # the same time: file order decides
            ("b", "answer", "2026/01/05 09:00:00.000")]  # fmt: skip
    first = rows[:3]
    random.Random(3).shuffle(first)
    rows[:3] = first
    write("log.csv", HEADER + "".join(f"{c},{a},{t},ann\n" for c, a, t in rows))
    data = _conform(cli, "log.csv")
    assert [c["fits"] for c in data["case_results"]] == [True, True]
    assert _case(data, "a")["duration_s"] == 30 * 60
    answer = next(n for n in data["nodes"] if n["id"] == "answer")
    assert answer["events"] == 2
    assert answer["median_s"] == (25 * 60 + 0) / 2  # 25 min (a) and 0 (b)

    zoned = _conform(cli, "log.csv", "--timezone", "Europe/Ljubljana")
    # 09:05 in Ljubljana is 08:05Z: the check now comes before the ticket arrived.
    assert _case(zoned, "a")["duration_s"] == 85 * 60
    assert _case(zoned, "a")["fits"] is False


def test_start_and_complete_pairs_time_each_step(sop: Path, write: WriteFile,
                                                 cli: RunCli) -> None:  # fmt: skip
    write(
        "log.csv",
        "case:concept:name;concept:name;time:timestamp;lifecycle:transition\n"
        "x;receive;2026-01-05T09:00:00Z;start\nx;receive;2026-01-05T09:07:00Z;complete\n"
        "x;check;2026-01-05T09:20:00Z;start\nx;check;2026-01-05T09:22:00Z;complete\n"
        "x;answer;2026-01-05T09:30:00Z;start\nx;answer;2026-01-05T10:30:00Z;complete\n",
    )
    data = _conform(cli, "log.csv")
    assert data["fitting"] == 1
    timed = {n["id"]: n["median_s"] for n in data["nodes"]}
    assert timed["receive"] == 7 * 60  # start to complete, not the wait before
    assert timed["check"] == 2 * 60
    assert timed["answer"] == 60 * 60
    slow = {n["id"]: n["slow"] for n in data["nodes"]}
    assert slow["answer"] is True  # 1h against 30m: twice the SOP's duration
    assert slow["receive"] is False


def test_bad_rows_are_counted_with_their_lines_and_non_logs_refused(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    write("log.csv", HEADER + "a,receive,2026-01-05T09:00:00Z,ann\n"
          ",check,2026-01-05T09:01:00Z,ann\n"
          "a,check,yesterday,ann\n"
          "a,answer,2026-01-05T09:30:00Z,ann\n")  # fmt: skip
    data = _conform(cli, "log.csv")
    assert data["bad_rows"]["count"] == 2
    assert [(b["line"], b["why"]) for b in data["bad_rows"]["examples"]] == [
        (3, "no case"), (4, "'yesterday' is not a time")]  # fmt: skip

    write("notes.csv", "name,colour\nann,blue\n")
    result = cli("conform", "sops/t1.yaml", "notes.csv")
    assert result.exit_code == 2
    assert "notes.csv:1: this does not look like an event log" in result.output
    assert "--case COLUMN --activity COLUMN --timestamp COLUMN" in result.output
    write("binary.csv", "")
    (Path("binary.csv")).write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    result = cli("conform", "sops/t1.yaml", "binary.csv")
    assert result.exit_code == 2
    assert "error:" in result.output
    result = cli("conform", "sops/t1.yaml", "missing.csv")
    assert result.exit_code == 2
    assert "no such file: missing.csv" in result.output
    write("named.csv", "Ticket;What;When\nt;receive;2026-01-05T09:00:00Z\n")
    result = cli("conform", "sops/t1.yaml", "named.csv", "--case", "Tiket")
    assert result.exit_code == 2
    assert "no column 'Tiket' (given with --case) (did you mean 'Ticket'?)" in result.output
    named = _conform(cli, "named.csv", "--case", "Ticket", "--activity", "What",
                     "--timestamp", "When")  # fmt: skip
    assert named["cases"] == 1


def test_min_fitness_decides_the_exit_status(sop: Path, write: WriteFile, cli: RunCli) -> None:
    write("log.csv", HEADER + _rows("a", [("receive", "2026-01-05T09:00:00Z"),
                                          ("check", "2026-01-05T09:01:00Z"),
                                          ("answer", "2026-01-05T09:02:00Z")])
          + _rows("b", [("receive", "2026-01-05T09:00:00Z")]))  # fmt: skip
    assert cli("conform", "sops/t1.yaml", "log.csv", "--min-fitness", "0.5").exit_code == 0
    failed = cli("conform", "sops/t1.yaml", "log.csv", "--min-fitness", "0.9")
    assert failed.exit_code == 1
    assert "fitness 0.500 is below --min-fitness 0.9" in failed.output


def test_csat_is_averaged_from_a_case_attribute(sop: Path, write: WriteFile,
                                                cli: RunCli) -> None:  # fmt: skip
    write("log.csv", "Case ID,Activity,Complete Timestamp,CSAT\n"
          "a,receive,2026-01-05T09:00:00Z,\na,check,2026-01-05T09:01:00Z,\n"
          "a,answer,2026-01-05T09:02:00Z,4\nb,receive,2026-01-05T09:00:00Z,5\n")  # fmt: skip
    data = _conform(cli, "log.csv", "--csat", "CSAT")
    assert data["csat"] == {"average": 4.5, "cases": 2}


def test_walk_record_then_conform_every_recorded_run_fits(write: WriteFile,
                                                          cli: RunCli) -> None:  # fmt: skip
    write("sops/t1.yaml", SOP)
    for answers in ["No,Yes", "Yes,Yes", "No,No,Yes", "Yes,No,No,Yes"]:
        walked = cli("walk", "T-1", "--answers", answers, "--record", "practice.csv", "--by",
                     "Ana Novak")  # fmt: skip
        assert walked.exit_code == 0, walked.output
    text = Path("practice.csv").read_text(encoding="utf-8")
    assert text.startswith("case,activity,timestamp,resource\n")
    assert text.count("case,activity") == 1
    assert ",Ana Novak\n" in text
    data = _conform(cli, "practice.csv")
    assert data["cases"] == 4
    assert data["fitting"] == 4

    Path("other.csv").write_text("when,who\n", encoding="utf-8")
    refused = cli("walk", "T-1", "--answers", "No,Yes", "--record", "other.csv")
    assert refused.exit_code == 2
    assert "is not a log that `walk --record` writes" in refused.output


def test_two_walks_recording_at_once_lose_nothing(write: WriteFile, workdir: Path) -> None:
    write("sops/t1.yaml", SOP)
    command = [sys.executable, "-m", "sopkit", "walk", "T-1", "--answers", "No,Yes",
               "--record", "shared.csv"]  # fmt: skip
    env = {**python_env(), "PYTHONPATH": str(ROOT)}
    walkers = [subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE) for _ in range(6)]  # fmt: skip
    for walker in walkers:
        _, errors = walker.communicate(timeout=60)
        assert walker.returncode == 0, errors
    lines = (workdir / "shared.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case,activity,timestamp,resource"
    assert len(lines) == 1 + 6 * 6  # receive, check, urgent, answer, satisfied, done
    assert len({line.split(",")[0] for line in lines[1:]}) == 6


def test_xes_reads_as_the_same_csv(sop: Path, write: WriteFile, cli: RunCli) -> None:
    write("log.csv", HEADER + _rows("a", [("receive", "2026-01-05T09:00:00Z"),
                                          ("check", "2026-01-05T09:05:00Z"),
                                          ("answer", "2026-01-05T09:40:00Z")])
          + _rows("b", [("receive", "2026-01-05T10:00:00Z"),
                        ("answer", "2026-01-05T10:40:00Z")]))  # fmt: skip
    event = ('<event><string key="concept:name" value="{}"/>'
             '<date key="time:timestamp" value="{}"/></event>')  # fmt: skip
    write("log.xes", "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">',
        '<trace><string key="concept:name" value="a"/>',
        event.format("receive", "2026-01-05T09:00:00.000+00:00"),
        event.format("check", "2026-01-05T10:05:00.000+01:00"),
        event.format("answer", "2026-01-05T09:40:00Z"),
        "</trace>",
        '<trace><string key="concept:name" value="b"/>',
        event.format("receive", "2026-01-05T10:00:00Z"),
        event.format("answer", "2026-01-05T10:40:00Z"),
        "</trace>",
        "</log>",
    ]))  # fmt: skip  # fmt: skip
    from_csv, from_xes = _conform(cli, "log.csv"), _conform(cli, "log.xes")
    del from_csv["logs"], from_xes["logs"]
    assert from_csv == from_xes
    started = (
        Path("log.xes")
        .read_text(encoding="utf-8")
        .replace(
            '<trace><string key="concept:name" value="b"/>',
            '<trace><string key="concept:name" value="b"/><event><string key="concept:name" '
            'value="receive"/><string key="lifecycle:transition" value="start"/><date '
            'key="time:timestamp" value="2026-01-05T09:58:00Z"/></event>',
        )
    )
    write("started.xes", started)
    timed = {n["id"]: n["median_s"] for n in _conform(cli, "started.xes")["nodes"]}
    assert timed["receive"] == 120  # from its start event to its completion
    write("evil.xes", '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY x "y">]>\n<log/>\n')
    refused = cli("conform", "sops/t1.yaml", "evil.xes")
    assert refused.exit_code == 2
    assert "a DOCTYPE is not accepted" in refused.output


def _fits_by_simulation(model: Model, nodes: list[int]) -> bool:
    """An independent oracle: run the SOP as a nondeterministic automaton over the events,
    silent nodes as empty moves."""

    def closure(states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            node = todo.pop()
            for target, _ in model.successors(node):
                if target in model.silent and target not in seen:
                    seen.add(target)
                    todo.append(target)
        return seen

    states = closure({-1})
    for node in nodes:
        states = closure({t for s in states for t, _ in model.successors(s) if t == node})
        if not states:
            return False
    return bool(states & model.ends)


def _model_and_nodes(activities: list[str], check_silent: bool) -> tuple[Model, list[int]]:
    """The test SOP as an alignment model, and the activities as its nodes (`check` silent
    when asked, and then never logged)."""
    sop = load_sop_text(SOP)
    silent = ["check"] if check_silent else []
    activities = [a for a in activities if a not in silent]
    resolved = resolve(sop, activities, ActivityMap(silent=tuple(silent)))
    return Model(sop, resolved.silent), [n for n in resolved.node_of if n is not None]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["receive", "check", "escalate", "answer", "urgent"]),
                max_size=8), st.booleans())  # fmt: skip
def test_fitting_agrees_with_an_automaton_and_alignments_explain_every_event(
    activities: list[str], check_silent: bool
) -> None:
    model, nodes = _model_and_nodes(activities, check_silent)
    expected = _fits_by_simulation(model, nodes)
    assert model.fits(nodes) == expected
    alignment = model.align(nodes)
    assert alignment.fits == expected
    explained = sorted(m.event for m in alignment.moves if m.event is not None)
    assert explained == list(range(len(nodes)))  # each event once: in step or unexpected
    assert not expected or all(m.kind in ("step", "silent") for m in alignment.moves)


def _fewest_deviations(model: Model, nodes: list[int]) -> int:
    """An independent oracle for the alignment's cost: Dijkstra over (events consumed,
    node), run to the end, with the moves of the definition in docs/conform.md."""
    import heapq

    best = {(0, -1): 0}
    heap = [(0, 0, -1)]
    fewest = len(nodes) + 1  # every event unexpected, the case not finished
    while heap:
        cost, position, node = heapq.heappop(heap)
        if cost > best[(position, node)]:
            continue
        if position == len(nodes):
            fewest = min(fewest, cost + (node not in model.ends))
        moves = [(1, position + 1, node)] if position < len(nodes) else []
        for target, _ in model.successors(node):
            if target in model.silent:
                moves.append((0, position, target))
                continue
            moves.append((1, position, target))
            if position < len(nodes) and nodes[position] == target:
                moves.append((0, position + 1, target))
        for step, at, reached in moves:
            if cost + step < best.get((at, reached), len(nodes) * 99 + 99):
                best[(at, reached)] = cost + step
                heapq.heappush(heap, (cost + step, at, reached))
    return fewest


@given(st.lists(st.sampled_from(["receive", "check", "escalate", "answer", "urgent", "done"]),
                max_size=12), st.booleans())  # fmt: skip
def test_an_alignment_has_the_fewest_deviations_and_follows_the_sop(
    activities: list[str], check_silent: bool
) -> None:
    model, nodes = _model_and_nodes(activities, check_silent)
    alignment = model.align(nodes)
    assert len(alignment.deviations) == _fewest_deviations(model, nodes)
    at = -1  # the path's moves go from node to node along the SOP's edges
    for move in alignment.moves:
        if move.kind in ("step", "silent", "skipped"):
            assert move.came_from == (None if at == -1 else at)
            assert move.node in [target for target, _ in model.successors(at)]
            at = move.node


def load_sop_text(text: str) -> Any:
    from sopkit.reading import read_sop

    reading = read_sop(text.encode(), "t1.yaml")
    assert reading.sop is not None
    return reading.sop


def test_the_help_desk_log_against_its_sop(cli: RunCli, workdir: Path) -> None:
    """The real log (1,000 of its cases) against sops/helpdesk/tickets.en.yaml; the
    numbers are checked against a computation written here, from the rows."""
    import csv
    import shutil
    import statistics
    from datetime import UTC, datetime

    shutil.copytree(ROOT / "sops", workdir / "sops")
    log = ROOT / "tests" / "conform" / "helpdesk-1000.csv"
    data = json.loads(cli("conform", "HD-TICKET-007", str(log), "--map",
                          str(ROOT / "tests" / "conform" / "helpdesk.map.yaml"),
                          "--format", "json").stdout)  # fmt: skip
    cases: dict[str, list[tuple[datetime, str]]] = {}
    with log.open(encoding="utf-8", newline="") as handle:
        for row in list(csv.reader(handle))[1:]:
            moment = datetime.strptime(row[3], "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=UTC)
            cases.setdefault(row[0], []).append((moment, row[1]))
    assert data["cases"] == len(cases) == 1000
    assert data["events"] == 4621
    spans = [(max(e)[0] - min(e)[0]).total_seconds() for e in cases.values()]
    assert data["case_duration"]["median_s"] == statistics.median(spans)
    assert data["case_duration"]["within_sla"] == sum(s <= 42 * 86400 for s in spans) / 1000
    closed = sum(1 for e in cases.values() if "Closed" in {a for _, a in e})
    close = next(n for n in data["nodes"] if n["id"] == "close")
    assert close["cases"] == closed
    unknown = {a for e in cases.values() for _, a in e} - {
        "Insert ticket", "Assign seriousness", "Take in charge ticket", "Wait",
        "Require upgrade", "Create SW anomaly", "Resolve SW anomaly", "Schedule intervention",
        "Resolve ticket", "Closed"}  # fmt: skip
    assert {a["activity"] for a in data["unknown_activities"]} == unknown
    # The most common path (Assign, Take in charge, Resolve, Closed) fits; a second
    # "Assign seriousness" in a row does not: the SOP has no way back to it.
    variants = {tuple(v["activities"]): v["fits"] for v in data["variants"]}
    assert variants[("Assign seriousness", "Take in charge ticket", "Resolve ticket", "Closed")]
    assert not variants[("Assign seriousness", "Assign seriousness", "Take in charge ticket",
                         "Resolve ticket", "Closed")]  # fmt: skip
    assert 0.6 < data["fitness"] < 0.9
    assert sum(v["cases"] for v in data["variants"] if v["fits"]) == data["fitting"]


def test_the_html_report_opens_in_chromium_without_errors(cli: RunCli, workdir: Path) -> None:
    import shutil

    from tests.helpers import chromium

    shutil.copytree(ROOT / "sops", workdir / "sops")
    result = cli("conform", "HD-TICKET-007", str(ROOT / "tests" / "conform" / "helpdesk-1000.csv"),
                 "--map", str(ROOT / "tests" / "conform" / "helpdesk.map.yaml"),
                 "--format", "html", "-o", "report.html")  # fmt: skip
    assert result.exit_code == 0, result.output
    page_html = (workdir / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page_html  # the flowchart, laid out by the real dot
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)  # fmt: skip
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((workdir / "report.html").as_uri())
        assert errors == []
        text = page.inner_text("body")
        assert "of cases follow the SOP" in text
        assert "Handling a help desk ticket from arrival to closing" in text
        assert page.locator(".chart svg g.node").count() == 15  # every node of the SOP
        assert page.locator("svg.histogram rect").count() == 20
        assert "SLA 42d" in (page.locator("svg.histogram").text_content() or "")


def test_user_text_is_data_in_every_report(write: WriteFile, cli: RunCli) -> None:
    hostile = SOP.replace("Receive the ticket", '<script>alert(1)</script> "]; x [')
    write("sops/t1.yaml", hostile)
    write("log.csv", HEADER + _rows("<b>c</b>", [("receive", "2026-01-05T09:00:00Z"),
                                                  ("<img src=x onerror=alert(1)>",
                                                   "2026-01-05T09:01:00Z")]))  # fmt: skip
    html = cli("conform", "sops/t1.yaml", "log.csv", "--format", "html").stdout
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    markdown = cli("conform", "sops/t1.yaml", "log.csv", "--format", "markdown").stdout
    assert "<img src=x" not in markdown


def test_an_empty_log_and_a_log_of_only_bad_rows_are_errors(sop: Path, write: WriteFile,
                                                           cli: RunCli) -> None:  # fmt: skip
    write("empty.csv", "")
    result = cli("conform", "sops/t1.yaml", "empty.csv")
    assert result.exit_code == 2
    assert "empty" in result.output
    write("bad.csv", HEADER + ",receive,2026-01-05T09:00:00Z,ann\n")
    result = cli("conform", "sops/t1.yaml", "bad.csv")
    assert result.exit_code == 2
    assert "no events in bad.csv (1 rows could not be read)" in result.output


def test_the_log_reader_keeps_events_of_unsorted_cases_apart() -> None:
    log = Log(["x"])
    log.add("b", "receive", 2.0, 0)
    log.add("a", "receive", 1.0, 0)
    log.add("b", "answer", 1.5, 0)
    assert sorted(log.cases) == ["a", "b"]
    assert [log.activities[e.activity] for e in sorted(log.cases["b"])] == ["answer", "receive"]


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1971, 1, 2), max_value=datetime(2200, 1, 1)),
    st.sampled_from(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f",
                     "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+02:00"]),
    st.sampled_from(["UTC", "+05:30", "Europe/Ljubljana"]),
)  # fmt: skip
def test_the_quick_time_reading_equals_the_standard_one(
    moment: datetime, layout: str, zone_name: str
) -> None:
    from datetime import UTC, timedelta, timezone
    from zoneinfo import ZoneInfo

    from sopkit.conform.times import TimeParser, parse_time

    zone = {"UTC": UTC, "+05:30": timezone(timedelta(hours=5, minutes=30))}.get(
        zone_name
    ) or ZoneInfo(zone_name)
    text = moment.strftime(layout)
    assert TimeParser(zone)(text) == pytest.approx(parse_time(text, zone), abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.booleans(), st.sampled_from(["log.csv", "log.xes"]))
def test_any_bytes_are_a_log_or_a_clear_error(data: bytes, header: bool, name: str) -> None:
    """Whatever a file holds, reading it gives events or a `LogError`, never a traceback."""
    import tempfile
    from datetime import UTC

    from sopkit.conform.logs import Columns, LogError, read_logs

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes((b"Case ID,Activity,Complete Timestamp\n" if header else b"") + data)
        message = ""
        try:
            log = read_logs([str(path)], Columns(), UTC)
        except LogError as problem:
            message = problem.message
        else:
            assert log.events >= 1
        assert message or log.events


def test_a_terminal_hears_how_far_it_got_and_a_pipe_does_not(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    write("log.csv", HEADER + _rows("a", [("receive", "2026-01-05T09:00:00Z")]))
    shown = cli("conform", "sops/t1.yaml", "log.csv", env={"FORCE_COLOR": "1", "CI": ""})
    assert "checking 1 events of 1 cases against T-1" in shown.stderr
    piped = cli("conform", "sops/t1.yaml", "log.csv", env={"NO_COLOR": "1"})
    assert "checking" not in piped.stderr
    assert piped.stdout.startswith("T-1: Answering a ticket")


def test_every_report_is_the_same_bytes_each_time(cli: RunCli, workdir: Path) -> None:
    import shutil

    shutil.copytree(ROOT / "sops", workdir / "sops")
    log = str(ROOT / "tests" / "conform" / "helpdesk-1000.csv")
    mapping = str(ROOT / "tests" / "conform" / "helpdesk.map.yaml")
    for output_format in ("text", "json", "markdown", "html"):
        runs = [cli("conform", "HD-TICKET-007", log, "--map", mapping, "--format", output_format,
                    "-o", f"{output_format}-{n}.out") for n in (1, 2)]  # fmt: skip
        assert all(run.exit_code == 0 for run in runs)
        first, second = ((workdir / f"{output_format}-{n}.out").read_bytes() for n in (1, 2))
        assert first == second, output_format


def test_a_log_that_is_wide_or_has_an_open_quote_is_told_in_one_short_line(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    write("wide.csv", ",".join(f"c{n}" for n in range(10_000)) + "\n1,2,3\n")
    result = cli("conform", "sops/t1.yaml", "wide.csv")
    assert result.exit_code == 2
    assert "c28, c29 and 9,970 more" in result.output
    assert len(result.output) < 1_000
    write("open.csv", HEADER + "a,receive,2026-01-05T09:00:00Z,ann\n"
          'b,"receive\n' + "more\n" * 70_000)  # fmt: skip
    result = cli("conform", "sops/t1.yaml", "open.csv")
    assert result.exit_code == 2
    assert ('open.csv:3: a field of over 131,072 characters: is a quote (") opened and never '
            "closed?") in result.output  # fmt: skip


def test_a_case_of_thousands_of_events_is_aligned_and_its_variant_shown_cut(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    """A log read with the wrong case column has a few huge cases: their alignment once
    kept an object per state (1.6 GB for 300,000 events)."""
    from datetime import UTC, timedelta

    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    steps = [("receive", "check", "answer", "satisfied")[n % 4] for n in range(20_000)]
    write("log.csv", HEADER + _rows("all", [(s, (start + timedelta(seconds=n)).isoformat())
                                            for n, s in enumerate(steps)]))  # fmt: skip
    data = _conform(cli, "log.csv")
    assert len(data["variants"][0]["activities"]) == 20_000
    deviations = Counter(d["kind"] for d in _case(data, "all")["deviations"])
    # after the first round, `receive` and `check` come where `answer` (the decision's
    # "No") or the end must: each round after the first has two unexpected events
    assert deviations == {"unexpected": 2 * 4_999}
    text = cli("conform", "sops/t1.yaml", "log.csv").output
    assert "receive > check > answer > satisfied > receive" in text
    assert "… (19,960 more)" in text
    assert len(max(text.splitlines(), key=len)) < 2_000


def test_xml_beyond_the_safe_readers_limits_is_said_in_words(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    """libxml2's own words advised switching its limits off (`try XML_PARSE_HUGE`)."""
    head = '<?xml version="1.0"?>\n<log xmlns="http://www.xes-standard.org/"><trace>'
    write("deep.xes", head + '<list key="x">' * 300 + "</list>" * 300 + "</trace></log>\n")
    write("huge.xes", head + '<event><string key="concept:name" value="'
          + "a" * 11_000_000 + '"/></event></trace></log>\n')  # fmt: skip
    for name, said in (("deep.xes", "elements nested more than 256 deep"),
                       ("huge.xes", "a text or value over 10 MB")):  # fmt: skip
        result = cli("conform", "sops/t1.yaml", name)
        assert result.exit_code == 2
        assert f": {said}: not read (a safety limit)" in result.output
        assert result.output.startswith(f"error: {name}:")
        assert "XML_PARSE_HUGE" not in result.output
    write("broken.xes", head + "<event></trace></log>\n")
    assert (
        "broken.xes:2: not well-formed XML: " in cli("conform", "sops/t1.yaml", "broken.xes").output
    )


def test_a_log_given_twice_a_pipe_and_a_csat_without_numbers_are_said(
    sop: Path, write: WriteFile, cli: RunCli, workdir: Path
) -> None:
    import os

    write("log.csv", "Case ID,Activity,Complete Timestamp,CSAT\n"
          "a,receive,2026-01-05T09:00:00Z,n/a\n")  # fmt: skip
    (workdir / "again.csv").symlink_to(workdir / "log.csv")
    twice = cli("conform", "sops/t1.yaml", "log.csv", "again.csv")
    assert twice.exit_code == 2
    assert "again.csv is given twice (as log.csv too): its events would count twice" in (
        twice.output
    )
    os.mkfifo(workdir / "pipe.csv")
    piped = cli("conform", "sops/t1.yaml", "pipe.csv")
    assert piped.exit_code == 2
    assert "pipe.csv is not a regular file: save the log to a file first" in piped.output
    for form, said in (("text", "CSAT: no case has a number in its 'CSAT' attribute"),
                       ("markdown", "CSAT: no case has a number in its 'CSAT' attribute"),
                       ("html", "CSAT: no case has a number in its “CSAT” attribute")):  # fmt: skip
        result = cli("conform", "sops/t1.yaml", "log.csv", "--csat", "CSAT", "-f", form)
        assert said in result.stdout, form


def test_times_in_a_spreadsheets_layout_are_read_with_the_layout_the_hint_names(
    sop: Path, write: WriteFile, cli: RunCli
) -> None:
    write("eu.csv", HEADER + _rows("a", [("receive", "05.01.2026 09:00"),
                                         ("check", "05.01.2026 09:01"),
                                         ("answer", "13.01.2026 09:02")]))  # fmt: skip
    unread = cli("conform", "sops/t1.yaml", "eu.csv")
    assert unread.exit_code == 2
    assert ("hint: times such as '05.01.2026 09:00' are not ISO 8601: give --time-format "
            "'%d.%m.%Y %H:%M'") in unread.output  # fmt: skip
    read = _conform(cli, "eu.csv", "--time-format", "%d.%m.%Y %H:%M")
    assert read["events"] == 3
    assert _case(read, "a")["duration_s"] == 8 * 86400 + 120
    write("us.csv", HEADER + _rows("b", [("receive", "01/05/2026 09:00"),
                                         ("check", "2026-01-05T09:01:00Z")]))  # fmt: skip
    either = cli("conform", "sops/t1.yaml", "us.csv").output  # one row read, one not
    assert ("'01/05/2026 09:00' are not ISO 8601: give --time-format '%d/%m/%Y %H:%M' or "
            "--time-format '%m/%d/%Y %H:%M'") in either  # fmt: skip
    wrong = cli("conform", "sops/t1.yaml", "eu.csv", "--time-format", "dd.mm.yyyy")
    assert wrong.exit_code == 2
    assert "--time-format 'dd.mm.yyyy' names no day" in wrong.output


def test_a_greek_sops_report_is_english_with_its_greek_texts_marked(
    write: WriteFile, cli: RunCli, workdir: Path
) -> None:
    """The report's own words are English; the SOP's texts carry their language, so a
    screen reader speaks each in its own voice."""
    import shutil

    shutil.copytree(EXAMPLES, workdir / "sops")
    write("log.csv", HEADER + _rows("a", [("listen", "2026-01-05T09:00:00Z")]))
    page = cli("conform", "CS-COMP-002", "log.csv", "--format", "html").stdout
    assert '<html lang="en">' in page
    assert '<h1 lang="el">Διαχείριση παραπόνου πελάτη</h1>' in page
    assert '<div class="chart" lang="el">' in page  # the flowchart, laid out by the real dot
