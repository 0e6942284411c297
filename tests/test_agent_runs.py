"""The pure core of `sopkit mcp`: runs, their bounds, hand-offs, search and the live
library, with a clock the test moves."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sopkit.agents.live import LiveLibrary
from sopkit.agents.models import without_positions
from sopkit.agents.runs import AgentError, Runs
from sopkit.lookup import library, load_sop
from sopkit.model import content_of
from sopkit.search import QUERY_WORDS, SearchIndex
from tests.conftest import SOPS


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def runs() -> tuple[Runs, Clock]:
    clock = Clock()
    found = library(SOPS)
    return Runs(lambda: found, clock=clock, limit=3, idle=60), clock


def test_runs_end_after_idle_time_and_the_oldest_goes_past_the_limit(
    runs: tuple[Runs, Clock],
) -> None:
    registry, clock = runs
    first = registry.start("CS-ESC-002")["run"]
    clock.now += 30
    second = registry.start("CS-ESC-002")["run"]
    clock.now += 31  # the first is 61 s idle, the second 31 s
    with pytest.raises(AgentError, match="no run"):
        registry.answer(first)
    registry.answer(second)
    third, fourth = (registry.start("CS-TRIAGE-001")["run"] for _ in range(2))
    fifth = registry.start("CS-TRIAGE-001")["run"]  # past the limit of 3: `second` goes
    assert set(registry.runs) == {third, fourth, fifth}


def test_time_spent_is_measured_against_the_sla() -> None:
    clock = Clock()
    found = library(SOPS)
    registry = Runs(lambda: found, clock=clock)  # runs end after an hour without a call
    run = registry.start("CS-TRIAGE-001")["run"]  # SLA 30m
    registry.answer(run)
    clock.now += 45 * 60
    summary = registry.hand_off(run, "stuck")
    assert summary["time_spent_s"] == 45 * 60
    assert summary["within_sla"] is False
    assert "45m / Target time (SLA) 30m (150%)" in summary["summary"]
    assert summary["take_over"]["name"] == "agent"  # the decision waiting is the agent's


def test_a_wrong_answer_lists_the_choices_with_did_you_mean(runs: tuple[Runs, Clock]) -> None:
    registry, _ = runs
    run = registry.start("CS-ESC-002")["run"]
    registry.answer(run)
    registry.answer(run)
    with pytest.raises(AgentError) as raised:
        registry.answer(run, "Yess")
    assert "answer one of 'Yes', 'No'" in str(raised.value)
    assert "did you mean 'Yes'" in str(raised.value)
    assert registry.answer(run, "2")["step"]["id"] == "specialist"


def test_search_ranks_whole_words_before_starts_before_insides() -> None:
    index = SearchIndex([load_sop(str(p)) for p in sorted(SOPS.rglob("*.yaml"))])
    whole = index.search("summary")
    assert whole[0].sop_id == "CS-ESC-002"
    assert whole[0].matches[0].node == "summary"
    assert whole[0].score == 30  # a whole word of a step
    assert index.search("summ")[0].score == 20  # the start of a word
    assert index.search("ummar")[0].score == 10  # inside a word
    assert index.search("SUMMARY three") == index.search("summary THREE")  # case-blind
    both = index.search("three summary")
    assert [hit.sop_id for hit in both] == ["CS-ESC-002"]  # every word, in one text
    assert both[0].together
    spread = index.search("escalate shift lead customer")  # no text has all four
    assert [hit.sop_id for hit in spread] == ["CS-TRIAGE-001"]
    assert not spread[0].together
    texts = [match.text for match in spread[0].matches]
    assert texts[:2] == ["Escalate the ticket at once", "lead: Shift lead"]
    assert index.search("shift lead refund") == []  # each word must still be somewhere
    assert index.search("") == []
    greek = index.search("διαχειριση")  # no accents typed
    assert greek[0].sop_id == "CS-COMP-003"
    assert greek[0].matches[0].kind == "title"
    pasted = "summary " + " ".join(f"word{n}" for n in range(50_000))  # a whole ticket
    assert index.search(pasted) == index.search(
        "summary " + " ".join(f"word{n}" for n in range(QUERY_WORDS - 1))
    )  # its first words count, each once
    assert index.search("summary " * 1_000) == whole


def test_a_model_without_positions_says_the_same(tmp_path: Path) -> None:
    for path in sorted(SOPS.rglob("*.yaml")):
        sop = load_sop(str(path))
        assert content_of(without_positions(sop)) == content_of(sop)


def test_the_live_library_keeps_the_last_good_version(tmp_path: Path) -> None:
    source = tmp_path / "sops"
    shutil.copytree(SOPS, source)
    clock = Clock()
    live = LiveLibrary(source, use_cache=False, clock=clock)
    assert len(live.library.sops) == 7
    first = live.generation
    escalation = source / "support" / "escalation.en.yaml"
    text = escalation.read_text(encoding="utf-8")
    escalation.write_text(text.replace("Escalating a ticket", "Escalating a case"), "utf-8")
    assert live.refresh() is False  # looked less than half a second ago
    clock.now += 1
    assert live.refresh() is True
    assert live.generation == first + 1
    assert live.library.sops["CS-ESC-002"].title.startswith("Escalating a case")
    escalation.write_text("sopkit: 1\nid: [", "utf-8")
    clock.now += 1
    assert live.refresh() is False
    assert live.library.sops["CS-ESC-002"].title.startswith("Escalating a case")
    [(path, problem)] = live.broken.items()
    assert path.endswith("support/escalation.en.yaml")
    assert "escalation.en.yaml:3:1: " in problem  # where the file breaks


def test_a_large_library_is_cached_by_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from sopkit.agents import models

    monkeypatch.setenv("SOPKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "BACKGROUND_FROM", 1)
    live = LiveLibrary(SOPS, use_cache=False)  # reads the SOPs, writes nothing
    assert not (tmp_path / "cache").exists()
    models.save_soon(SOPS, live.entries)  # returns at once; a grandchild writes
    deadline = time.monotonic() + 30
    while not list((tmp_path / "cache").glob("models-*.pickle")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the rename is atomic: a file there is whole
    cached = models.load(SOPS)
    assert sorted(cached) == sorted(live.entries)
    assert all(cached[key].stamp == live.entries[key].stamp for key in cached)
