"""`sopkit conform` against pm4py, a process-mining library, as an independent oracle.

pm4py is AGPL: it is the optional `oracle` test extra (scripts/test installs it),
never a dependency of sopkit. The SOP becomes a Petri net here (a place before
and after each node, a labelled transition per activity mapped to a node, silent
transitions for silent nodes and for the flow), and pm4py's token-based replay and
alignments decide which cases fit. docs/conform.md explains where the two differ.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sopkit.conform.mapping import read_map
from sopkit.lookup import load_sop
from tests.conftest import ROOT, RunCli

with contextlib.redirect_stdout(io.StringIO()):  # its licence banner
    pm4py = pytest.importorskip(
        "pm4py", reason="the `oracle` test extra: pip install -e '.[oracle]'"
    )

LOG = ROOT / "tests" / "conform" / "helpdesk-1000.csv"
MAP = ROOT / "tests" / "conform" / "helpdesk.map.yaml"
SOP = ROOT / "sops" / "helpdesk" / "tickets.en.yaml"


def _petri_net() -> tuple[Any, Any, Any]:
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils import petri_utils

    sop = load_sop(str(SOP))
    labels: dict[str, list[str]] = {}
    for activity, node in read_map(str(MAP)).activities.items():
        labels.setdefault(node, []).append(activity)
    net = PetriNet("sop")
    ready = {n.index: PetriNet.Place(f"ready_{n.id}") for n in sop.nodes}
    done = {n.index: PetriNet.Place(f"done_{n.id}") for n in sop.nodes}
    source, sink = PetriNet.Place("source"), PetriNet.Place("sink")
    for place in [*ready.values(), *done.values(), source, sink]:
        net.places.add(place)

    def transition(name: str, label: str | None, before: Any, after: Any) -> None:
        made = PetriNet.Transition(name, label)
        net.transitions.add(made)
        petri_utils.add_arc_from_to(before, made, net)
        petri_utils.add_arc_from_to(made, after, net)

    assert sop.flow.start is not None
    transition("start", None, source, ready[sop.flow.start])
    for step in sop.nodes:
        for number, activity in enumerate(labels.get(step.id, [])):
            transition(f"do_{step.id}_{number}", activity, ready[step.index], done[step.index])
        if step.id not in labels:  # a silent node
            transition(f"do_{step.id}", None, ready[step.index], done[step.index])
        for edge in sop.flow.edges[step.index]:
            assert edge.target is not None
            transition(f"go_{step.id}_{edge.target}", None, done[step.index], ready[edge.target])
        if step.index in sop.flow.terminals and not sop.flow.edges[step.index]:
            transition(f"end_{step.id}", None, done[step.index], sink)
    return net, Marking({source: 1}), Marking({sink: 1})


def _event_log() -> Any:
    import pandas as pd

    frame = pd.read_csv(LOG)[["Case ID", "Activity", "Complete Timestamp"]]
    frame["Complete Timestamp"] = pd.to_datetime(
        frame["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f", utc=True
    )
    return pm4py.format_dataframe(frame, case_id="Case ID", activity_key="Activity",
                                  timestamp_key="Complete Timestamp")  # fmt: skip


def _ours(cli: RunCli, workdir: Path, log: Path) -> dict[str, Any]:
    import shutil

    shutil.copytree(ROOT / "sops", workdir / "sops", dirs_exist_ok=True)
    result = cli("conform", "HD-TICKET-007", str(log), "--map", str(MAP), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(autouse=True)
def _pm4py_warns() -> Iterator[None]:
    """pm4py's own deprecation warnings (turned into errors by this suite) are its matter;
    its soundness check fails quietly when one is raised inside it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_the_same_cases_fit_as_pm4py_says(cli: RunCli, workdir: Path) -> None:
    net, initial, final = _petri_net()
    frame = _event_log()
    ours = {c["case"]: c["fits"] for c in _ours(cli, workdir, LOG)["case_results"]}
    with contextlib.redirect_stdout(io.StringIO()):
        log = pm4py.convert_to_event_log(frame)
    cases = [trace.attributes["concept:name"] for trace in log]
    aligned = pm4py.conformance_diagnostics_alignments(log, net, initial, final)
    theirs = {case: result["fitness"] == 1.0 for case, result in zip(cases, aligned, strict=True)}
    assert theirs == ours
    tokens = pm4py.conformance_diagnostics_token_based_replay(log, net, initial, final)
    replayed = {case: result["trace_is_fit"] for case, result in zip(cases, tokens, strict=True)}
    assert replayed == ours


def test_a_xes_written_by_pm4py_reads_as_the_csv(cli: RunCli, workdir: Path) -> None:
    xes = workdir / "helpdesk.xes"
    with contextlib.redirect_stdout(io.StringIO()):
        pm4py.write_xes(_event_log(), str(xes))
    from_csv, from_xes = _ours(cli, workdir, LOG), _ours(cli, workdir, xes)
    del from_csv["logs"], from_xes["logs"]
    assert from_csv == from_xes
