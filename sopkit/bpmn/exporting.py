"""`sopkit export bpmn`: a SOP as BPMN 2.0 XML that modellers open as drawn.

One collaboration with one participant and its process; a lane per role; steps as
tasks (a `sop:` step as a call activity), decisions as exclusive gateways with a
named flow per answer, ends as end events, a start event before the start node.
A node that several flows reach gets a merging gateway in front (BPMN reads flows
into a task as "wait for all"). sopkit's own values (ids, durations, the SLA) ride
along as attributes in sopkit's namespace, so `import bpmn` gives the SOP back.
The diagram (BPMNDI) comes from `layout`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from sopkit import __version__
from sopkit.bpmn.diagram import MODEL, SOPKIT
from sopkit.bpmn.layout import Box, Placed, lay_out
from sopkit.model import Decision, End, Sop, Step, duration_of

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NAMESPACES = {"bpmn": MODEL, "bpmndi": BPMNDI, "dc": DC, "di": DI, "sopkit": SOPKIT}


def process_id(sop_id: str) -> str:
    """An XML id (an NCName) for a SOP's process; `sop:` calls name it as calledElement."""
    return f"Process_{sop_id}"


@dataclass
class Element:
    """A flow node of the exported process."""

    id: str
    tag: str  # task | callActivity | exclusiveGateway | startEvent | endEvent
    name: str
    lane: str | None
    documentation: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Connection:
    id: str
    source: str
    target: str
    name: str = ""


class _Graph:
    def __init__(self, sop: Sop) -> None:
        self.sop = sop
        self.elements: dict[str, Element] = {}
        self.connections: list[Connection] = []
        self.lanes = [(role.id, role.description) for role in sop.roles]
        self.ends_lane = self._ends_lanes()
        if self.lanes and any(node.role is None and node.id not in self.ends_lane
                              for node in sop.nodes):  # fmt: skip
            self.lanes.append(("", "Unassigned"))
        self._build()

    def _ends_lanes(self) -> dict[str, str]:
        """An end with no role is drawn in the lane of a node that leads to it."""
        lanes: dict[str, str] = {}
        if not self.lanes:
            return lanes
        for node in self.sop.nodes:
            for edge in self.sop.flow.edges[node.index]:
                target = self.sop.nodes[edge.target] if edge.target is not None else None
                if isinstance(target, End) and target.role is None and node.role is not None:
                    lanes.setdefault(target.id, node.role)
        return lanes

    def lane_of(self, role: str | None) -> str | None:
        if not self.lanes:
            return None
        return role if role is not None else ""

    def _build(self) -> None:
        sop = self.sop
        for node in sop.nodes:
            element_id = f"Node_{node.id}"
            attributes = {"id": node.id}
            duration = duration_of(node)
            if duration is not None:
                attributes["duration"] = duration.text
            if isinstance(node, Decision):
                tag = "exclusiveGateway"
            elif isinstance(node, End):
                tag = "endEvent"
            elif isinstance(node, Step) and node.sop is not None:
                tag = "callActivity"
                attributes["sop"] = node.sop.id
            else:
                tag = "task"
            lane = self.lane_of(node.role)
            if node.id in self.ends_lane:
                lane = self.ends_lane[node.id]
                attributes["role"] = ""  # drawn in a lane, but the SOP gave it no role
            self.elements[element_id] = Element(element_id, tag, node.text, lane,
                                                node.details or "", attributes)  # fmt: skip
        targets: list[tuple[str, str, str]] = []  # source, target, name
        start = sop.flow.start
        if start is not None:
            first = sop.nodes[start]
            self.elements["Start"] = Element("Start", "startEvent", "Start",
                                             self.lane_of(first.role))  # fmt: skip
            targets.append(("Start", f"Node_{first.id}", ""))
        for node in sop.nodes:
            source = f"Node_{node.id}"
            edges = [e for e in sop.flow.edges[node.index] if e.target is not None]
            for edge in edges:
                reached = sop.nodes[edge.target or 0]
                name = (edge.label or "") if isinstance(node, Decision) else ""
                targets.append((source, f"Node_{reached.id}", name))
            if node.index in sop.flow.terminals and not isinstance(node, End):
                end = f"End_{node.id}"
                self.elements[end] = Element(end, "endEvent", "Done", self.lane_of(node.role),
                                             attributes={"implicit": "true"})  # fmt: skip
                targets.append((source, end, ""))
        into: dict[str, int] = {}
        for _, target, _ in targets:
            into[target] = into.get(target, 0) + 1
        merges = {t for t, count in into.items() if count > 1}
        for target in sorted(merges, key=list(self.elements).index):
            merge = f"Merge_{target.removeprefix('Node_')}"
            self.elements[merge] = Element(merge, "exclusiveGateway", "",
                                           self.elements[target].lane)  # fmt: skip
        number = 0
        for source, target, name in targets:
            number += 1
            onward = f"Merge_{target.removeprefix('Node_')}" if target in merges else target
            self.connections.append(Connection(f"Flow_{number}", source, onward, name))
        for target in sorted(merges, key=list(self.elements).index):
            number += 1
            merge = f"Merge_{target.removeprefix('Node_')}"
            self.connections.append(Connection(f"Flow_{number}", merge, target))


def _child(parent: etree._Element, prefix: str, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{tag}", attributes)


def _sopkit(name: str) -> str:
    return f"{{{SOPKIT}}}{name}"


def export_sop(sop: Sop) -> bytes:
    """The SOP as a BPMN 2.0 document: the same SOP gives the same bytes."""
    graph = _Graph(sop)
    pid = process_id(sop.id)
    root = etree.Element(f"{{{MODEL}}}definitions", nsmap=NAMESPACES)
    root.set("id", f"Definitions_{sop.id}")
    root.set("targetNamespace", f"{SOPKIT}/{sop.id}")
    root.set("exporter", "sopkit")
    root.set("exporterVersion", __version__)
    collaboration = _child(root, "bpmn", "collaboration", id=f"Collaboration_{sop.id}")
    _child(collaboration, "bpmn", "participant", id=f"Participant_{sop.id}", name=sop.title,
           processRef=pid)  # fmt: skip
    process = _child(root, "bpmn", "process", id=pid, name=sop.title, isExecutable="false")
    for key, value in _process_attributes(sop):
        process.set(_sopkit(key), value)
    _child(process, "bpmn", "documentation").text = sop.purpose.strip()
    if graph.lanes:
        lane_set = _child(process, "bpmn", "laneSet", id=f"LaneSet_{sop.id}")
        for role, description in graph.lanes:
            lane = _child(lane_set, "bpmn", "lane", id=f"Lane_{role or 'unassigned'}",
                          name=description)  # fmt: skip
            lane.set(_sopkit("role"), role)
            for element in graph.elements.values():
                if element.lane == role:
                    _child(lane, "bpmn", "flowNodeRef").text = element.id
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for connection in graph.connections:
        outgoing.setdefault(connection.source, []).append(connection.id)
        incoming.setdefault(connection.target, []).append(connection.id)
    for element in graph.elements.values():
        node = _child(process, "bpmn", element.tag, id=element.id)
        if element.name:
            node.set("name", element.name)
        for key, value in element.attributes.items():
            node.set(_sopkit(key), value)
        if element.tag == "callActivity":
            node.set("calledElement", process_id(element.attributes["sop"]))
        if element.documentation:
            _child(node, "bpmn", "documentation").text = element.documentation.strip()
        for flow in incoming.get(element.id, []):
            _child(node, "bpmn", "incoming").text = flow
        for flow in outgoing.get(element.id, []):
            _child(node, "bpmn", "outgoing").text = flow
    for connection in graph.connections:
        flow = _child(process, "bpmn", "sequenceFlow", id=connection.id,
                      sourceRef=connection.source, targetRef=connection.target)  # fmt: skip
        if connection.name:
            flow.set("name", connection.name)
    _diagram(root, sop, graph)
    document: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                     pretty_print=True)  # fmt: skip
    return document


def _process_attributes(sop: Sop) -> Iterator[tuple[str, str]]:
    yield "id", sop.id
    yield "department", sop.department
    if sop.owner:
        yield "owner", sop.owner
    if sop.language:
        yield "language", sop.language
    if sop.sla:
        yield "sla", sop.sla.text


def _diagram(root: etree._Element, sop: Sop, graph: _Graph) -> None:
    placed = lay_out(
        [(e.id, e.tag, e.lane) for e in graph.elements.values()],
        [(c.source, c.target) for c in graph.connections],
        [role for role, _ in graph.lanes],
    )
    diagram = _child(root, "bpmndi", "BPMNDiagram", id=f"Diagram_{sop.id}")
    plane = _child(diagram, "bpmndi", "BPMNPlane", id=f"Plane_{sop.id}",
                   bpmnElement=f"Collaboration_{sop.id}")  # fmt: skip
    _shape(plane, f"Participant_{sop.id}", placed.pool, horizontal=True)
    for role, _ in graph.lanes:
        _shape(plane, f"Lane_{role or 'unassigned'}", placed.lanes[role], horizontal=True)
    for element in graph.elements.values():
        _shape(plane, element.id, placed.boxes[element.id])
    for connection in graph.connections:
        edge = _child(plane, "bpmndi", "BPMNEdge", id=f"{connection.id}_di",
                      bpmnElement=connection.id)  # fmt: skip
        for x, y in _waypoints(placed, connection.source, connection.target):
            _child(edge, "di", "waypoint", x=_number(x), y=_number(y))


def _shape(plane: etree._Element, element: str, box: Box, horizontal: bool = False) -> None:
    shape = _child(plane, "bpmndi", "BPMNShape", id=f"{element}_di", bpmnElement=element)
    if horizontal:
        shape.set("isHorizontal", "true")
    _child(shape, "dc", "Bounds", x=_number(box.x), y=_number(box.y),
           width=_number(box.width), height=_number(box.height))  # fmt: skip


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _waypoints(placed: Placed, source: str, target: str) -> list[tuple[float, float]]:
    a, b = placed.boxes[source], placed.boxes[target]
    if placed.column[target] > placed.column[source]:
        start, end = (a.x + a.width, a.y + a.height / 2), (b.x, b.y + b.height / 2)
        if start[1] == end[1]:
            return [start, end]
        middle = (start[0] + end[0]) / 2
        return [start, (middle, start[1]), (middle, end[1]), end]
    # back (or down the same column): under both shapes, out of the others' way
    below = max(a.y + a.height, b.y + b.height) + placed.gap
    return [(a.x + a.width / 2, a.y + a.height), (a.x + a.width / 2, below),
            (b.x + b.width / 2, below), (b.x + b.width / 2, b.y + b.height)]  # fmt: skip
