"""Procedures followed step by step by an agent: runs, their steps, and hand-offs.

Pure: no MCP here (`server` speaks the protocol). A run is `sopkit walk`'s state
machine (`sopkit.walk.Walk`) with an id, a start time and a last use; runs are
independent, at most `limit` at once (the least recently used goes), and gone
after `idle` seconds without a call. Every step says how to hand off to a human,
so an agent never has to guess the way out.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sopkit.labels import labels_for
from sopkit.lookup import Library
from sopkit.model import Decision, End, Node, Sop, Step, duration_of
from sopkit.values import did_you_mean, format_seconds
from sopkit.walk import Walk, answer_of

RUN_LIMIT = 1000
IDLE_SECONDS = 3600

HAND_OFF = (
    "If you cannot do this, the customer asks for a person, or anything is unclear: call "
    "hand_off(run, reason). It returns a summary for the colleague who takes over."
)


class AgentError(Exception):
    """A call an agent can correct: the message says how (valid choices, did you mean)."""


@dataclass
class Run:
    id: str
    walk: Walk
    started: float
    used: float
    language: str
    handed_off: str | None = None  # who took over, once handed off


def _role(sop: Sop, node: Node) -> dict[str, str] | None:
    if not node.role:
        return None
    descriptions = {role.id: role.description for role in sop.roles}
    return {"id": node.role, "description": descriptions.get(node.role, node.role)}


@dataclass
class Runs:
    library: Callable[[], Library]
    clock: Callable[[], float] = time.time
    limit: int = RUN_LIMIT
    idle: float = IDLE_SECONDS
    default_language: str = "en"
    runs: dict[str, Run] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def start(self, sop_id: str) -> dict[str, Any]:
        self._expire()
        sops = self.library().sops
        sop = sops.get(sop_id)
        if sop is None:
            raise AgentError(f"no SOP has the id '{sop_id}'{did_you_mean(sop_id, sops)}; "
                             "search_sops finds SOPs by words")  # fmt: skip
        if not sop.nodes:
            raise AgentError(f"{sop_id} has no steps to follow")
        while len(self.runs) >= self.limit:
            oldest = min(self.runs.values(), key=lambda run: run.used)
            del self.runs[oldest.id]
        now = self.clock()
        run_id = f"run-{next(self._numbers)}-{secrets.token_hex(3)}"
        language = sop.language or self.default_language
        run = Run(run_id, Walk.start(sop, self.library()), now, now, language)
        self.runs[run_id] = run
        return self.view(run, "started")

    def get(self, run_id: str) -> Run:
        self._expire()
        run = self.runs.get(run_id)
        if run is None:
            active = ", ".join(sorted(self.runs)[:10]) or "none"
            raise AgentError(f"no run '{run_id}' (runs end after {format_seconds(int(self.idle))} "
                             f"without a call); active runs: {active}. start_procedure begins "
                             "a new one")  # fmt: skip
        if run.handed_off is not None:
            raise AgentError(f"run '{run_id}' was handed off to {run.handed_off}; "
                             "start_procedure begins a new one")  # fmt: skip
        run.used = self.clock()
        return run

    def answer(self, run_id: str, answer: str = "") -> dict[str, Any]:
        run = self.get(run_id)
        state = run.walk
        if state.finished:
            raise AgentError(f"run '{run_id}' is finished; back() goes back one step, "
                             "start_procedure begins again")  # fmt: skip
        options = state.answers()
        chosen = None
        if options:
            chosen = answer_of(answer, options)
            if chosen is None:
                listing = ", ".join(f"'{o}'" for o in options)
                hint = did_you_mean(answer, options)
                raise AgentError(f"'{answer}' is not an answer to “{state.node.text}”; "
                                 f"answer one of {listing}{hint}")  # fmt: skip
        before = state.frame.sop
        event = state.choose(chosen)
        if event == "call":
            return self.view(run, f"entered {state.frame.sop.id}, which {before.id} follows here")
        if event == "return" and not state.finished:
            return self.view(run, f"{before.id} is done: back in {state.frame.sop.id}")
        return self.view(run, "finished" if state.finished else "next step")

    def back(self, run_id: str) -> dict[str, Any]:
        run = self.get(run_id)
        if not run.walk.back():
            raise AgentError("this is the first step: there is nothing to go back to")
        return self.view(run, "went back one step")

    def hand_off(self, run_id: str, reason: str) -> dict[str, Any]:
        run = self.get(run_id)
        summary = hand_off_summary(run, reason, self.clock())
        run.handed_off = summary["take_over"]["name"]
        return summary

    def _expire(self) -> None:
        now = self.clock()
        for run in [r for r in self.runs.values() if now - r.used > self.idle]:
            del self.runs[run.id]

    def view(self, run: Run, event: str) -> dict[str, Any]:
        state = run.walk
        walked = state.frames[0].sop
        if state.finished:
            last = state.taken[-1] if state.taken else None
            return {
                "run": run.id,
                "event": event,
                "finished": True,
                "sop": {"id": walked.id, "title": walked.title},
                "outcome": _text_of(walked, last.node_id) if last else None,
                "path": _path(state),
                "expected_time": format_seconds(state.seconds),
                "next": "The procedure is done. back(run) undoes the last answer.",
                "hand_off": HAND_OFF,
            }
        node, sop = state.node, state.frame.sop
        duration = duration_of(node)
        step: dict[str, Any] = {
            "id": node.id,
            "kind": node.kind.value,
            "number": node.index + 1,
            "of": len(sop.nodes),
            "text": node.text,
            "role": _role(sop, node),
            "expected_time": duration.text if duration else None,
            "details": node.details,
        }
        if isinstance(node, Step) and node.sop is not None:
            called = state.library.get(node.sop.id)
            step["follows"] = {"id": node.sop.id, "title": called.title if called else None}
        view: dict[str, Any] = {
            "run": run.id,
            "event": event,
            "finished": False,
            "sop": {"id": sop.id, "title": sop.title, "language": sop.language or run.language},
            "within": [frame.sop.id for frame in state.frames[:-1]],
            "step": step,
        }
        if isinstance(node, Decision):
            view["answers"] = state.answers()
            view["next"] = (
                "Ask or find out the answer, then call answer(run, answer) with one of answers."
            )
        elif isinstance(node, End):
            view["next"] = "This is the outcome. Call answer(run) to finish."
        else:
            view["next"] = "Do this step, then call answer(run) to go on."
        view["hand_off"] = HAND_OFF
        return view


def _text_of(sop: Sop, node_id: str) -> str | None:
    node = sop.node(node_id)
    return node.text if node else None


def _path(state: Walk) -> list[dict[str, Any]]:
    path = []
    for visit in state.taken:
        sop = state.library.get(visit.sop_id) or state.frames[0].sop
        node = sop.node(visit.node_id)
        text = node.text if node else visit.node_id
        path.append({"sop": visit.sop_id, "node": visit.node_id, "text": text,
                     "answer": visit.answer})  # fmt: skip
    return path


def _take_over(sop: Sop, node: Node | None) -> dict[str, str]:
    """The next step's role, else the SOP's owner."""
    if node is not None and node.role:
        role = _role(sop, node) or {}
        return {"kind": "role", "name": node.role, "description": role.get("description", "")}
    owner = sop.owner or "the team lead"
    return {"kind": "owner", "name": owner, "description": f"owner of {sop.id}"}


def hand_off_summary(run: Run, reason: str, now: float) -> dict[str, Any]:
    state = run.walk
    walked = state.frames[0].sop
    sop = state.frame.sop
    node = None if state.finished else state.node
    words: Mapping[str, str] = labels_for(run.language)
    spent = max(0, int(now - run.started))
    sla = walked.sla.seconds if walked.sla else None
    take_over = _take_over(sop, node)
    path = _path(state)
    lines = [f"## {words['handoff_heading']}: {walked.title} ({walked.id})", ""]
    lines.append(f"- **{words['handoff_reason']}:** {reason.strip() or '-'}")
    who = take_over["name"] + (f" ({take_over['description']})" if take_over["kind"] == "role"
                               else "")  # fmt: skip
    lines.append(f"- **{words['handoff_take_over']}:** {who}")
    if node is not None:
        lines.append(f"- **{words['handoff_stopped_at']}:** {node.text} ({sop.id}, {node.id})")
    timing = format_seconds(spent)
    if sla is not None and walked.sla is not None:
        share = round(100 * spent / sla) if sla else 0
        timing += f" / {words['sla']} {walked.sla.text} ({share}%)"
    lines.append(f"- **{words['handoff_time']}:** {timing}")
    if walked.owner:
        lines.append(f"- **{words['owner']}:** {walked.owner}")
    lines += ["", f"### {words['walk_path']}", ""]
    for number, hop in enumerate(path, start=1):
        answer = f" → {hop['answer']}" if hop["answer"] else ""
        lines.append(f"{number}. {hop['text']}{answer}")
    if not path:
        lines.append("-")
    return {
        "run": run.id,
        "sop": {"id": walked.id, "title": walked.title, "owner": walked.owner},
        "reason": reason,
        "take_over": take_over,
        "stopped_at": None if node is None else {"sop": sop.id, "node": node.id, "text": node.text},
        "path": path,
        "time_spent_s": spent,
        "sla_s": sla,
        "within_sla": None if sla is None else spent <= sla,
        "summary": "\n".join(lines) + "\n",
    }
