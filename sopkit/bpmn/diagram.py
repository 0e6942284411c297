"""A BPMN document read by the standard: its processes, their flow nodes, sequence flows
and lanes, whatever prefix the modeller gave the namespace and whatever extension
elements it added (those are skipped, sopkit's own attributes excepted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from sopkit.bpmn.xmlfile import BpmnError

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SOPKIT = "urn:sopkit:bpmn:1"  # sopkit's own attributes: ids, durations, the SLA
XSI = "http://www.w3.org/2001/XMLSchema-instance"

TASKS = frozenset({"task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask",
                   "scriptTask", "businessRuleTask"})  # fmt: skip
SUB_PROCESSES = frozenset({"subProcess", "adHocSubProcess", "transaction"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway",
                      "eventBasedGateway", "complexGateway"})  # fmt: skip
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent",
                    "intermediateThrowEvent", "boundaryEvent"})  # fmt: skip
FLOW_NODES = TASKS | SUB_PROCESSES | GATEWAYS | EVENTS | {"callActivity"}


@dataclass
class Node:
    id: str
    kind: str  # the element's local name: userTask, exclusiveGateway, ...
    name: str
    line: int
    documentation: str = ""
    lane: str | None = None  # the innermost lane's id
    attached_to: str | None = None  # a boundary event's activity
    default: str | None = None  # a gateway's default flow
    called: str | None = None  # a call activity's calledElement
    handler: bool = False  # an event sub-process: started by an event, not by a flow
    events: tuple[str, ...] = ()  # event definitions: timer, message, ...
    sub: Process | None = None  # an embedded sub-process's contents
    extra: dict[str, str] = field(default_factory=dict)  # sopkit's own attributes
    assigned: str | None = None  # a Camunda user task's candidate group, else its assignee


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str
    condition: str
    line: int


@dataclass
class Lane:
    id: str
    name: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Process:
    id: str
    name: str
    line: int
    documentation: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)  # in document order
    flows: list[Flow] = field(default_factory=list)
    lanes: list[Lane] = field(default_factory=list)  # innermost lanes, in document order
    participant: str = ""  # the pool's name, when a collaboration names the process
    annotations: dict[str, list[str]] = field(default_factory=dict)  # node id -> texts
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Document:
    path: str
    processes: list[Process]
    messages: list[tuple[str, str, str, int]]  # message flows: name, source, target, line


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 1


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _model(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)
            and child.tag == f"{{{MODEL}}}{name}"]  # fmt: skip


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _documentation(element: etree._Element) -> str:
    parts = [_plain("".join(d.itertext())) for d in _model(element, "documentation")]
    return "\n\n".join(part for part in parts if part)


_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HTML_BREAK = re.compile(r"(?i)</(?:p|div|li|h[1-6]|tr)\s*>|<br\s*/?>")


def _plain(text: str) -> str:
    """Documentation as text: some modellers (Signavio) store it as HTML."""
    if _HTML_TAG.search(text) is None:
        return text.strip()
    text = lxml.html.fromstring(f"<div>{_HTML_BREAK.sub(chr(10) * 2, text)}</div>").text_content()
    return re.sub(r"\n\s*\n\s*", "\n\n", text).strip()


def _extra(element: etree._Element) -> dict[str, str]:
    prefix = f"{{{SOPKIT}}}"
    return {key[len(prefix):]: value for key, value in element.attrib.items()
            if key.startswith(prefix)}  # fmt: skip


def _name(element: etree._Element) -> str:
    return " ".join((element.get("name") or "").split())


def read_document(root: etree._Element, path: str) -> Document:
    if root.tag != f"{{{MODEL}}}definitions":
        raise BpmnError(
            f"{path}:{_line(root)}: not BPMN 2.0: the root element is "
            f"<{etree.QName(root).localname}>, not <definitions> of {MODEL}"
        )
    participants: dict[str, str] = {}
    messages: list[tuple[str, str, str, int]] = []
    for collaboration in _model(root, "collaboration"):
        for participant in _model(collaboration, "participant"):
            if participant.get("processRef"):
                participants[participant.get("processRef", "")] = _name(participant)
        for message in _model(collaboration, "messageFlow"):
            messages.append((_name(message), message.get("sourceRef", ""),
                             message.get("targetRef", ""), _line(message)))  # fmt: skip
    processes = []
    for element in _model(root, "process"):
        process = _read_process(element, path)
        process.participant = participants.get(process.id, "")
        processes.append(process)
    return Document(path, processes, messages)


def _read_process(element: etree._Element, path: str) -> Process:
    process = Process(element.get("id") or f"process-{element.sourceline}", _name(element),
                      _line(element), _documentation(element),
                      extra=_extra(element))  # fmt: skip
    lane_sets = []
    for child in element:
        kind = _local(child)
        if kind in FLOW_NODES:
            node = _read_node(child, kind, path)
            process.nodes[node.id] = node
        elif kind == "sequenceFlow":
            condition = _model(child, "conditionExpression")
            process.flows.append(Flow(child.get("id", ""), child.get("sourceRef", ""),
                                      child.get("targetRef", ""), _name(child),
                                      _text(condition[0]) if condition else "",
                                      _line(child)))  # fmt: skip
        elif kind == "laneSet":
            lane_sets.append(child)  # read once the nodes they name are known
    for lane_set in lane_sets:
        _read_lanes(lane_set, process)
    if not process.lanes:
        _lanes_of_assignments(process)
    _read_annotations(element, process)
    return process


CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _assigned(element: etree._Element) -> str | None:
    """Whom a Camunda user task is for: its first candidate group, else its assignee.
    Camunda 7 writes them as attributes, Camunda 8 in an `assignmentDefinition`; an
    expression (`=group`, `${user}`) names nobody yet."""
    groups, assignee = (
        element.get(f"{{{CAMUNDA}}}candidateGroups"),
        element.get(f"{{{CAMUNDA}}}assignee"),
    )
    for extension in _model(element, "extensionElements"):
        for child in extension.iter():
            if isinstance(child.tag, str) and _local(child) == "assignmentDefinition":
                groups = groups or child.get("candidateGroups")
                assignee = assignee or child.get("assignee")
    for value in (groups, assignee):
        first = (value or "").split(",")[0].strip()
        if first and not first.startswith(("=", "$", "#")):
            return first
    return None


def _lanes_of_assignments(process: Process) -> None:
    """A model without lanes that assigns its user tasks (Camunda's way) gets a lane per
    candidate group or assignee, so that they become the SOP's roles."""
    for node in process.nodes.values():
        if node.assigned is None:
            continue
        lane_id = f"assigned-{node.assigned}"
        if all(lane.id != lane_id for lane in process.lanes):
            process.lanes.append(Lane(lane_id, node.assigned))
        node.lane = lane_id


def _read_node(element: etree._Element, kind: str, path: str) -> Node:
    definitions = tuple(sorted({_local(c).removesuffix("EventDefinition") for c in element
                                if _local(c).endswith("EventDefinition")}))  # fmt: skip
    node = Node(
        element.get("id") or f"node-{element.sourceline}",
        kind,
        _name(element),
        _line(element),
        _documentation(element),
        attached_to=element.get("attachedToRef"),
        default=element.get("default"),
        called=element.get("calledElement") or _called_in_extension(element),
        handler=element.get("triggeredByEvent") == "true",
        events=definitions,
        extra=_extra(element),
        assigned=_assigned(element) if kind == "userTask" else None,
    )
    if kind in SUB_PROCESSES:
        node.sub = _read_process(element, path)
        node.sub.name = node.sub.name or node.name
    return node


def _called_in_extension(element: etree._Element) -> str | None:
    """Camunda 8 names the called process in an extension (`zeebe:calledElement processId`)
    when the standard attribute is missing."""
    for extension in _model(element, "extensionElements"):
        for child in extension.iter():
            if isinstance(child.tag, str) and _local(child) == "calledElement":
                called: str | None = child.get("processId")
                return called
    return None


def _read_lanes(lane_set: etree._Element, process: Process) -> None:
    for lane in _model(lane_set, "lane"):
        children = _model(lane, "childLaneSet")
        refs = [ref.text.strip() for ref in _model(lane, "flowNodeRef") if ref.text]
        if children and any(_model(child, "lane") for child in children):
            for child in children:
                _read_lanes(child, process)
            # nodes named only by the outer lane keep it
            outer = Lane(lane.get("id", ""), _name(lane), _extra(lane))
            orphans = [r for r in refs if r in process.nodes and process.nodes[r].lane is None]
            if orphans:
                process.lanes.append(outer)
                for ref in orphans:
                    process.nodes[ref].lane = outer.id
            continue
        entry = Lane(lane.get("id", ""), _name(lane), _extra(lane))
        process.lanes.append(entry)
        for ref in refs:
            if ref in process.nodes:
                process.nodes[ref].lane = entry.id


def _read_annotations(element: etree._Element, process: Process) -> None:
    """A text annotation joined to a node by an association adds to that node's details."""
    texts = {a.get("id"): _text(_model(a, "text")[0]) for a in _model(element, "textAnnotation")
             if _model(a, "text")}  # fmt: skip
    for association in _model(element, "association"):
        source, target = association.get("sourceRef"), association.get("targetRef")
        for node_id, note in ((source, target), (target, source)):
            if node_id in process.nodes and note in texts and texts[note]:
                process.annotations.setdefault(node_id, []).append(texts[note])
