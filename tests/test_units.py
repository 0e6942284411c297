"""The modules that end-to-end tests used to cover alone, one by one: the walk's state
machine, finding SOPs, a change as a process change, paths and stats, suppressions."""

from __future__ import annotations

from pathlib import Path

import pytest

from sopkit.analysis import all_paths, stats_of
from sopkit.errors import SopkitError
from sopkit.lookup import Library, find, load_sop
from sopkit.model import Sop
from sopkit.problems import Finding, Loc
from sopkit.procdiff import diff_sops
from sopkit.reading import read_sop
from sopkit.rules.suppressions import apply_suppressions, find_suppressions
from sopkit.walk import Walk

CALLER = """\
id: A-1
title: Calling
department: D
purpose: P.
owner: O <o@example.com>
version: "1.0"
steps:
  - {id: take, step: Take it, duration: 5m}
  - id: ask
    decision: Simple?
    branches: {"Yes": done, "No": handover}
  - {id: handover, step: Hand over, sop: B-1, duration: 10m}
  - {id: done, end: Done}
"""

CALLED = """\
id: B-1
title: Called
department: D
purpose: P.
owner: O <o@example.com>
steps:
  - {id: look, step: Look into it, duration: 1h}
  - id: again
    decision: Solved?
    branches: {"Yes": solved, "No": look}
  - {id: solved, end: Solved}
"""


def sop(text: str) -> Sop:
    reading = read_sop(text.encode(), "x.yaml")
    assert reading.sop is not None
    assert reading.usable, reading.findings
    return reading.sop


# -- walk --------------------------------------------------------------------------


def test_a_walk_steps_into_a_called_sop_returns_and_goes_back() -> None:
    caller, called = sop(CALLER), sop(CALLED)
    walk = Walk.start(caller, Library({"B-1": called}))
    assert walk.node.id == "take"
    walk.choose()
    assert walk.answers() == ["Yes", "No"]
    with pytest.raises(ValueError, match="Perhaps"):
        walk.choose("Perhaps")
    walk.choose("No")
    assert walk.choose() == "call"  # handover follows B-1
    assert (walk.frame.sop.id, walk.node.id, walk.depth) == ("B-1", "look", 1)
    walk.choose()
    assert walk.choose("Yes") is None
    assert walk.choose() == "return"  # B-1 ended: back after the calling step
    assert (walk.frame.sop.id, walk.node.id) == ("A-1", "done")
    assert walk.seconds == 15 * 60  # the calling step's own 10 minutes, not B-1's hour
    assert walk.back()
    assert (walk.frame.sop.id, walk.node.id) == ("B-1", "solved")
    walk.choose()
    walk.choose()
    assert walk.finished
    assert [v.node_id for v in walk.taken] == ["take", "ask", "handover", "look", "again",
                                                "solved", "done"]  # fmt: skip


def test_a_walk_into_a_missing_sop_goes_on_after_the_step() -> None:
    walk = Walk.start(sop(CALLER), Library({}))
    walk.choose()
    walk.choose("No")
    assert walk.choose() is None
    assert walk.node.id == "done"


# -- lookup ------------------------------------------------------------------------


def test_find_by_id_or_path_with_a_hint_for_a_typo(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(CALLER, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(CALLED, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    found, library = find("A-1", tmp_path)
    assert found.id == "A-1"
    assert set(library.sops) == {"A-1", "B-1"}  # the broken file is simply not there
    by_path, _ = find(str(tmp_path / "b.yaml"), tmp_path)
    assert by_path.id == "B-1"
    with pytest.raises(SopkitError, match=r"did you mean 'A-1'"):
        find("A-11", tmp_path)
    with pytest.raises(SopkitError, match=r"broken\.yaml:2:1: while parsing a flow node"):
        load_sop(str(tmp_path / "broken.yaml"))


# -- procdiff ----------------------------------------------------------------------


def test_a_change_reads_as_a_process_change() -> None:
    old = sop(CALLER)
    new = sop(CALLER.replace("Take it", "Take it now").replace('"No": handover', '"No": done')
              .replace("owner: O", "owner: P"))  # fmt: skip
    diff = diff_sops(old, new)
    kinds = {(c.area, c.kind, c.subject) for c in diff.changes}
    assert ("process", "reworded", "take") in kinds
    assert ("process", "rewired", "ask") in kinds
    assert ("metadata", "changed", "owner") in kinds
    assert diff.warnings == ("the process changed, but neither `version` nor `changelog` did",)
    bumped = diff_sops(old, sop(CALLER.replace("Take it", "Take it now")
                                .replace('version: "1.0"', 'version: "1.1"')))  # fmt: skip
    assert bumped.warnings == ()
    assert diff_sops(old, old).changes == ()


# -- analysis ----------------------------------------------------------------------


def test_paths_go_round_each_loop_once_and_stats_count_what_is_there() -> None:
    called = sop(CALLED)
    search = all_paths(called)
    routes = [[called.nodes[h.index].id for h in path.hops] for path in search.paths]
    assert routes == [["look", "again", "solved"], ["look", "again", "look", "again", "solved"]]
    assert [path.seconds for path in search.paths] == [3600, 7200]
    stats = stats_of(sop(CALLER))
    assert (stats.steps, stats.decisions, stats.ends, stats.calls) == (2, 1, 1, 1)
    assert (stats.paths, stats.complexity, stats.longest_seconds) == (2, 2, 15 * 60)


# -- suppressions ------------------------------------------------------------------


def test_suppressions_silence_their_line_and_report_what_is_wrong_with_them() -> None:
    text = CALLER.replace(
        "  - {id: take, step: Take it, duration: 5m}",
        "  - {id: take, step: Take it, duration: 5m}  # sopkit: disable=unknown-role -- legacy",
    ).replace("    decision: Simple?", "    decision: Simple?  # sopkit: disable=no-exit")
    model = sop(text)
    suppressions = find_suppressions(text, model)
    assert [(s.at.line, s.rules, s.reason) for s in suppressions] == [
        (8, ("unknown-role",), "legacy"), (10, ("no-exit",), ""),
    ]  # fmt: skip
    silenced = Finding("unknown-role", Loc(8, 40), "role 'x' is not in roles")
    kept = Finding("unknown-role", Loc(9, 5), "role 'y' is not in roles")
    rules_known = {"unknown-role", "no-exit"}
    result = apply_suppressions([silenced, kept], suppressions, rules_known, rules_known)
    rules = sorted((f.rule, f.loc.line) for f in result)
    assert ("unknown-role", 8) not in rules
    assert ("unknown-role", 9) in rules
    assert ("suppression-reason", 10) in rules  # no reason after `--`
    assert ("unused-suppression", 10) in rules  # nothing on that line to silence
