"""One BPMN process -> the nodes of one SOP (format 1), and what had to be approximated.

The table in docs/bpmn.md is the contract of this module. In short: tasks, call
activities, sub-processes and intermediate events become steps; an exclusive or
event-based gateway that splits becomes a decision; a gateway that only merges
disappears; the branches of a parallel or inclusive split are done one after
another; a boundary event becomes a decision after its task; ends stay ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sopkit.bpmn.diagram import GATEWAYS, SUB_PROCESSES, Flow, Node, Process
from sopkit.text import clip

SOP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
DURATION = re.compile(r"(?:\d+[smhdw])+")
SPLITTING = frozenset({"exclusiveGateway", "eventBasedGateway"})
PARALLEL = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
WORDS = {"parallelGateway": "parallel", "inclusiveGateway": "inclusive",
         "complexGateway": "complex", "eventBasedGateway": "event-based"}  # fmt: skip


def named(element: Node | Process) -> str:
    """An element as a message quotes it: its name (cut when long), else its id."""
    return clip(" ".join((element.name or element.id).split()), 60)


@dataclass
class Approximation:
    """What the SOP says differently from the diagram, and the BPMN line it comes from."""

    line: int
    message: str


@dataclass
class SopNode:
    id: str
    kind: str  # step | decision | end
    text: str
    line: int
    role: str | None = None
    details: list[str] = field(default_factory=list)
    duration: str | None = None
    next: str | None = None  # a BPMN-side key until `finish` renames
    branches: list[tuple[str, str]] = field(default_factory=list)
    sop: str | None = None
    implicit: bool = False  # an end sopkit's export drew for a step the SOP ends with


def _duration(node: Node) -> str | None:
    value = node.extra.get("duration", "")
    return value if DURATION.fullmatch(value) else None


def _spaced(kind: str) -> str:
    """`userTask` -> `user task`."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", kind).lower()


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()


def safe_id(text: str, fallback: str = "node") -> str:
    """An id of the format (`[A-Za-z0-9][A-Za-z0-9._-]*`, at most 64) from any BPMN id."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-_.")
    return cleaned[:64].rstrip("-_.") or fallback


class Ids:
    """Unique ids, ignoring case, as the format compares them."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, wanted: str) -> str:
        base = wanted[:60].rstrip("-_.") or "node"
        candidate, n = base, 1
        while candidate.casefold() in self.taken:
            n += 1
            candidate = f"{base}-{n}"
        self.taken.add(candidate.casefold())
        return candidate


@dataclass
class Converted:
    nodes: list[SopNode]
    start: str
    related: list[str]  # SOPs made of event sub-processes
    warnings: list[Approximation]
    subs: list[tuple[Node, str]]  # embedded sub-processes to write as SOPs: node, SOP id


class _Converter:
    def __init__(self, process: Process, calls: Callable[[str], str | None],
                 sub_id: Callable[[Node], str]) -> None:  # fmt: skip
        self.process = process
        self.calls = calls
        self.sub_id = sub_id
        self.nodes = process.nodes
        self.flows = [f for f in process.flows if f.source in self.nodes and f.target in self.nodes]
        self.warnings: list[Approximation] = []
        self.out: dict[str, SopNode] = {}  # by BPMN id (synthetic nodes: made-up keys)
        self.subs: list[tuple[Node, str]] = []
        self.related: list[str] = []

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Approximation(line, message))

    def outgoing(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows if f.source == node_id]

    def incoming(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows if f.target == node_id]

    def described(self, node: Node) -> str:
        return f"{_spaced(node.kind)} '{named(node)}'"

    # Where a flow leads: past gateways that only pass it on, and past start events.
    def lead(self, target: str, seen: frozenset[str] = frozenset()) -> str | None:
        node = self.nodes.get(target)
        if node is None or target in seen:
            return None
        if target in self.out:
            return target
        if node.kind in GATEWAYS or node.kind == "startEvent":
            onward = self.outgoing(target)
            return self.lead(onward[0].target, seen | {target}) if onward else None
        return None

    def convert(self) -> Converted:
        self._sequence_parallel_splits()
        for node in self.nodes.values():
            self._node(node)
        for node in self.nodes.values():
            self._connect(node)
        start = self._start()
        return Converted(list(self.out.values()), start, self.related, self.warnings, self.subs)

    def _sequence_parallel_splits(self) -> None:
        """Each parallel or inclusive split's branches, one after another, up to their join."""
        for node in list(self.nodes.values()):
            flows = self.outgoing(node.id)
            if node.kind not in PARALLEL or len(flows) < 2:
                continue
            join = self._join_of(node, [f.target for f in flows])
            word = WORDS[node.kind]
            targets = [f.target for f in flows]
            if join is None and not self._ends_in_turn(targets):
                continue  # `_node` makes it a decision instead
            names = [self.nodes[t].name or self.nodes[t].id for t in targets]
            for index, flow in enumerate(flows):
                region = self._region(flow.target, join or "")
                following = targets[index + 1] if index + 1 < len(targets) else None
                for inner in self.flows:
                    if inner.source in region and inner.target == join and following:
                        inner.target = following
                others = [n for i, n in enumerate(names) if i != index]
                branch = self.nodes[flow.target]
                branch.documentation = "\n\n".join(
                    filter(
                        None,
                        [branch.documentation, "In any order with: " + "; ".join(others) + "."],
                    )
                )
            self.flows = [f for f in self.flows if f.source != node.id or f is flows[0]]
            done = "its branches are done one after another, in any order"
            self.warn(node.line, f"{word} gateway '{named(node)}' became a sequence: {done}")

    def _ends_in_turn(self, targets: list[str]) -> bool:
        """Branches that never meet, each to its own ends: each branch's ends lead on to the
        next branch (its outcomes read as steps), the last branch's ends stay ends."""
        regions = [self._region(t, "") for t in targets]
        if any(a & b for i, a in enumerate(regions) for b in regions[i + 1 :]):
            return False
        for region, following in zip(regions, targets[1:], strict=False):
            for node_id in sorted(region, key=list(self.nodes).index):
                if self.nodes[node_id].kind == "endEvent":
                    self.nodes[node_id].kind = "intermediateThrowEvent"
                    self.flows.append(Flow(f"{node_id}#then", node_id, following, "", "",
                                           self.nodes[node_id].line))  # fmt: skip
        return True

    def _region(self, start: str, join: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current in seen or current == join:
                continue
            seen.add(current)
            todo.extend(f.target for f in self.outgoing(current))
        return seen

    def _join_of(self, split: Node, targets: list[str]) -> str | None:
        """The nearest gateway with several incoming flows that every branch reaches."""
        reach = [self._distances(t) for t in targets]
        common = [n for n in reach[0] if all(n in r for r in reach)
                  and self.nodes[n].kind in GATEWAYS and len(self.incoming(n)) >= 2
                  and n != split.id]  # fmt: skip
        if not common:
            return None
        return min(common, key=lambda n: (max(r[n] for r in reach), list(self.nodes).index(n)))

    def _distances(self, start: str) -> dict[str, int]:
        distance, frontier = {start: 0}, [start]
        while frontier:
            following = []
            for current in frontier:
                for flow in self.outgoing(current):
                    if flow.target not in distance:
                        distance[flow.target] = distance[current] + 1
                        following.append(flow.target)
            frontier = following
        return distance

    def _node(self, node: Node) -> None:
        details = [node.documentation] if node.documentation else []
        details += self.process.annotations.get(node.id, [])
        text = node.name
        if node.kind == "endEvent":
            if not text:
                text = "Done"
                self.warn(node.line, f"end event '{node.id}' has no name: its end says '{text}'")
            end = SopNode(node.id, "end", text, node.line, node.lane, details)
            end.implicit = node.extra.get("implicit") == "true"
            self.out[node.id] = end
            return
        if node.kind in ("startEvent", "boundaryEvent"):
            return
        if node.handler and node.sub is not None and node.sub.nodes:
            sop_id = self.sub_id(node)
            self.subs.append((node, sop_id))
            self.related.append(sop_id)
            self.warn(node.line, f"event sub-process '{named(node)}' became the SOP "
                                 f"{sop_id}, listed under `related`")  # fmt: skip
            return
        if node.kind in GATEWAYS:
            flows = self.outgoing(node.id)
            if len(flows) < 2:
                return  # only merges: it disappears
            if node.kind in PARALLEL:  # no join to sequence up to: a choice, reported
                became = "no join: it became a decision between its branches"
                self.warn(node.line, f"{WORDS[node.kind]} gateway '{named(node)}' has {became}")
            elif node.kind == "eventBasedGateway":
                self.warn(node.line, f"event-based gateway '{named(node)}' became a "
                                     "decision on which event happened")  # fmt: skip
            question = text or ("Which happened first?" if node.kind == "eventBasedGateway"
                                else "Which way?")  # fmt: skip
            if not text and node.kind == "exclusiveGateway":
                self.warn(node.line, f"exclusive gateway '{node.id}' has no name: its question "
                                     f"says '{question}'")  # fmt: skip
            self.out[node.id] = SopNode(
                node.id, "decision", question, node.line, node.lane, details
            )
            return
        if not text:
            text = self._generated_text(node)
            self.warn(node.line, f"{self.described(node)} has no name: its step says '{text}'")
        if node.kind == "intermediateCatchEvent":
            text = f"Wait for: {text}"
        step = SopNode(node.id, "step", text, node.line, node.lane, details)
        step.duration = _duration(node)
        if node.kind == "callActivity":
            own = node.extra.get("sop", "")  # sopkit wrote the file: the SOP it calls
            step.sop = self.calls(node.called or "") or (own if SOP_ID.fullmatch(own) else None)
            if step.sop is None:
                self.warn(node.line, f"call activity '{named(node)}' calls "
                                     f"'{node.called or '?'}', which is not among the files "
                                     "given: it became a plain step")  # fmt: skip
        elif node.kind in SUB_PROCESSES and node.sub is not None and node.sub.nodes:
            step.sop = self.sub_id(node)
            self.subs.append((node, step.sop))
        self.out[node.id] = step

    def _generated_text(self, node: Node) -> str:
        if node.events:
            return f"{node.events[0].capitalize()} event"
        return _spaced(node.kind).capitalize()

    def _answers(self, flows: Iterable[Flow], default: str | None) -> list[tuple[str, str]]:
        answers: list[tuple[str, str]] = []
        used: set[str] = set()
        for flow in flows:
            target = self.lead(flow.target)
            if target is None:
                continue
            label = flow.name or flow.condition or self.nodes[flow.target].name
            if not label:
                label = "Otherwise" if flow.id == default else f"Way {len(answers) + 1}"
                self.warn(flow.line, f"sequence flow '{flow.id}' has no name or condition: "
                                     f"its answer says '{label}'")  # fmt: skip
            base, n = label, 1
            while label.casefold() in used:
                n += 1
                label = f"{base} ({n})"
            used.add(label.casefold())
            answers.append((label, target))
        return answers

    def _connect(self, node: Node) -> None:
        made = self.out.get(node.id)
        if made is None:
            return
        flows = self.outgoing(node.id)
        if made.kind == "decision":
            made.branches = self._answers(flows, node.default)
            if len({target for _, target in made.branches}) < 2:
                made.kind = "step"
                made.next = made.branches[0][1] if made.branches else None
                made.branches = []
                self.warn(node.line, f"gateway '{named(node)}' leads one way only: it "
                                     "became a step")  # fmt: skip
            return
        if made.kind == "end":
            return
        boundaries = [b for b in self.nodes.values() if b.attached_to == node.id]
        targets = [t for t in (self.lead(f.target) for f in flows) if t is not None]
        if len(flows) > 1:
            self.warn(node.line, f"{self.described(node)} has {len(flows)} outgoing flows: a "
                                 "decision after it chooses one")  # fmt: skip
            choice = SopNode(f"{node.id}#way", "decision", f"After '{made.text}': which way?",
                             node.line, node.lane)  # fmt: skip
            choice.branches = self._answers(flows, node.default)
            self.out[choice.id] = choice
            targets = [choice.id]
        if boundaries:
            outcome = SopNode(f"{node.id}#outcome", "decision", f"How did '{made.text}' end?",
                              node.line, node.lane)  # fmt: skip
            outcome.branches = [("As planned", targets[0] if targets else self._done())]
            for boundary in boundaries:
                label = boundary.name or self._generated_text(boundary)
                onward = [t for t in (self.lead(f.target) for f in self.outgoing(boundary.id)) if t]
                target = onward[0] if onward else self._end_for(boundary, label)
                outcome.branches.append((label, target))
            self.out[outcome.id] = outcome
            targets = [outcome.id]
        made.next = targets[0] if targets else self._done()

    def _done(self) -> str:
        if "#done" not in self.out:
            self.out["#done"] = SopNode("#done", "end", "Done", self.process.line)
        return "#done"

    def _end_for(self, boundary: Node, label: str) -> str:
        key = f"{boundary.id}#end"
        self.out[key] = SopNode(
            key, "end", label, boundary.line, self.nodes[boundary.attached_to or ""].lane
        )
        return key

    def _start(self) -> str:
        starts = [n for n in self.nodes.values() if n.kind == "startEvent"]
        if not starts:  # nodes no flow leads to start it, as BPMN says
            starts = [n for n in self.nodes.values() if n.id in self.out
                      and not self.incoming(n.id) and n.kind != "boundaryEvent"]  # fmt: skip
        leads = [(n, t) for n in starts for t in [self.lead(n.id) if n.id in self.out
                                                   else self._first_of(n)] if t]  # fmt: skip
        if not leads:
            if not self.out:
                return self._done()
            first = next(iter(self.out))
            where = clip(self.out[first].text, 60)
            self.warn(self.process.line, f"process '{named(self.process)}' has no start event "
                      f"and every element has a way in: it starts at '{where}'")  # fmt: skip
            return first
        if len(leads) == 1:
            return leads[0][1]
        choice = SopNode("#start", "decision", "How does it start?", self.process.line)
        choice.branches = []
        used: set[str] = set()
        for node, target in leads:
            label = node.name or self.nodes[target].name or node.id
            while label.casefold() in used:
                label += " (2)"
            used.add(label.casefold())
            choice.branches.append((label, target))
        if len({t for _, t in choice.branches}) < 2:
            return leads[0][1]
        self.out["#start"] = choice
        return "#start"

    def _first_of(self, start: Node) -> str | None:
        flows = self.outgoing(start.id)
        return self.lead(flows[0].target) if flows else None


def convert(process: Process, calls: Callable[[str], str | None],
            sub_id: Callable[[Node], str]) -> Converted:  # fmt: skip
    """The SOP nodes of `process`; `calls` maps a calledElement to a SOP id (or None),
    `sub_id` names the SOP an embedded sub-process becomes."""
    return _Converter(process, calls, sub_id).convert()
