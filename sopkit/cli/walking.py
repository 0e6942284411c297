"""The terminal side of `sopkit walk`: prompts, answers, and a clean exit on Ctrl-C."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from datetime import datetime

from sopkit.labels import labels_for
from sopkit.lookup import Library
from sopkit.model import Decision, End, Sop, Step, duration_of
from sopkit.values import format_seconds
from sopkit.walk import Visit, Walk, answer_of

Ask = Callable[[str], str]
Recorder = Callable[[Walk, list[datetime]], None]
"""Hears a finished walk, with the time each of its visits was left."""


def _plain(markdown: str) -> str:
    """Markdown made readable in a terminal: emphasis marks and link targets dropped."""
    # A link's parts cannot hold another bracket: each `[` is then tried once, so a text
    # of thousands of them takes no time (`[^\]]*` ran from every one to the end).
    text = re.sub(r"\[([^\[\]]*)\]\([^()]*\)", r"\1", markdown)
    text = re.sub(r"(\*\*|__|\*|`)", "", text)
    return text.strip()


def _bold(text: str, color: bool) -> str:
    return f"\033[1m{text}\033[0m" if color else text


def _show(state: Walk, labels: Mapping[str, str], out: Callable[[str], None], color: bool) -> None:
    node, sop = state.node, state.frame.sop
    indent = "    " * state.depth
    facts = [f"{labels['step']} {node.index + 1} {labels['walk_of']} {len(sop.nodes)}"]
    role = {r.id: r.description for r in sop.roles}.get(node.role or "", node.role)
    if role:
        facts.append(role)
    duration = duration_of(node)
    if duration:
        facts.append(duration.text)
    out("")
    out(indent + " · ".join(facts))
    marker = f"{labels['outcome']}: " if isinstance(node, End) else ""
    out(indent + _bold(marker + node.text, color))
    if node.details:
        for line in _plain(node.details).splitlines():
            out(indent + "  " + line)
    if isinstance(node, Step) and node.sop is not None:
        called = state.library.get(node.sop.id)
        title = called.title if called else node.sop.id
        out(f"{indent}  → {labels['walk_calls']}: {title} ({node.sop.id})")
    if isinstance(node, Decision):
        for number, label in enumerate(state.answers(), start=1):
            out(f"{indent}  {number}) {label}")


def _visited(visit: Visit, walked: str) -> str:
    """A node of the path; one of a called procedure is named with its SOP."""
    name = visit.node_id if visit.sop_id == walked else f"{visit.sop_id}:{visit.node_id}"
    return name + (f" [{visit.answer}]" if visit.answer else "")


def _listing(options: list[str]) -> str:
    return " | ".join(f"{number}) {label}" for number, label in enumerate(options, start=1))


def run_walk(
    sop: Sop,
    library: Library,
    scripted: list[str] | None,
    color: bool = False,
    ask: Ask = input,
    out: Callable[[str], None] = print,
    recorder: Recorder | None = None,
) -> int:
    """Walk `sop`; return the exit status (0 done, 1 a scripted answer was wrong, 130 stopped)."""
    labels = labels_for(sop.language)
    state = Walk.start(sop, library)
    left: list[datetime] = []  # when each visit of `state.taken` was left
    out(f"{labels['walk_start']}: {_bold(sop.title, color)} ({sop.id})")
    pending = list(scripted) if scripted is not None else None
    try:
        while not state.finished:
            labels = labels_for(state.frame.sop.language or sop.language)
            _show(state, labels, out, color)
            options = state.answers()
            if pending is not None:
                if options and not pending:
                    sys.stderr.write(
                        f"error: the answers ran out at “{state.node.text}” "
                        f"({state.frame.sop.id}, node {state.node.id}); the next answer is one "
                        f"of: {_listing(options)}\n"
                    )
                    return 1
                reply = pending.pop(0) if options else ""
                if options and answer_of(reply, options) is None:
                    sys.stderr.write(
                        f"error: '{reply}' is not an answer to “{state.node.text}”. "
                        f"{labels['walk_invalid']}: {_listing(options)}\n"
                    )
                    return 1
            else:
                hint = labels["walk_next"] if not options else (
                    f"{labels['walk_choose']} 1-{len(options)} · b · q"
                )  # fmt: skip
                reply = ask(f"{'    ' * state.depth}[{hint}] ")
                if reply.strip().lower() == "q":
                    out(labels["walk_stopped"])
                    return 130
                if reply.strip().lower() == "b":
                    state.back()
                    del left[len(state.taken) :]
                    continue
                if options and answer_of(reply, options) is None:
                    out(f"{labels['walk_invalid']}: {_listing(options)}")
                    continue
            before = state.frame.sop
            event = state.choose(answer_of(reply, options) if options else None)
            left.append(datetime.now().astimezone())
            if event == "return" and not state.finished:
                caller = state.frame.sop
                words = labels_for(caller.language or sop.language)
                out(f"{words['walk_returns']}: {caller.title} (← {before.id})")
    except (KeyboardInterrupt, EOFError) as stopped:
        out("")
        out(labels["walk_input_ended" if isinstance(stopped, EOFError) else "walk_interrupted"])
        return 130
    if pending:
        sys.stderr.write(
            f"error: {len(pending)} answer(s) left over ({', '.join(pending)}): the walk ended "
            "before they were asked\n"
        )
        return 1
    if recorder is not None:
        recorder(state, left)
    route = " → ".join(_visited(visit, sop.id) for visit in state.taken)
    out("")
    out(f"{labels['walk_path']}: {route}")
    out(f"{labels['walk_total']}: {format_seconds(state.seconds)}")
    return 0
