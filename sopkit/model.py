"""The SOP model: frozen, typed, and carrying the source position of everything.

Built once by `sopkit.build` from composed YAML; read by rules, renderers and
every other command. The flow of a procedure (which node follows which,
including the contract's implicit `next`) is resolved here and only here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from sopkit.problems import Loc

if TYPE_CHECKING:  # translation.py imports this module
    from sopkit.translation import TranslationKey


class NodeKind(StrEnum):
    STEP = "step"
    DECISION = "decision"
    END = "end"


KIND_NAMES = {kind: kind.value for kind in NodeKind}
"""`kind.value` without the enum's property, which costs more than a look-up."""


class Status(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class Where(NamedTuple):
    """Where an object and each of its fields stand in the file.

    `values` has an entry for every field present; `id_key` is where a
    problem about the whole object points (its `id:` key).
    """

    at: Loc
    values: Mapping[str, Loc]
    id_key: Loc | None = None

    def has(self, name: str) -> bool:
        return name in self.values

    def value(self, name: str) -> Loc:
        return self.values.get(name, self.at)


class Duration(NamedTuple):
    """An expected time: `1h30m` keeps its text for display and its seconds for sums."""

    seconds: int
    text: str


class Ref(NamedTuple):
    """An id written somewhere (a `sop:` call, a `related:` entry), with its position."""

    id: str
    at: Loc


class Branch(NamedTuple):
    label: str
    target: str
    label_at: Loc
    target_at: Loc


@dataclass(frozen=True)
class Node:
    """A node of the procedure graph; `index` is its place in the written list."""

    index: int
    id: str
    text: str
    where: Where
    role: str | None = None
    details: str | None = None

    kind: ClassVar[NodeKind] = NodeKind.STEP

    @property
    def at(self) -> Loc:
        """Where a problem about the whole node points: its `id`."""
        return self.where.id_key or self.where.at


@dataclass(frozen=True)
class Step(Node):
    duration: Duration | None = None
    next: str | None = None
    sop: Ref | None = None

    kind: ClassVar[NodeKind] = NodeKind.STEP


@dataclass(frozen=True)
class Decision(Node):
    duration: Duration | None = None
    branches: tuple[Branch, ...] = ()

    kind: ClassVar[NodeKind] = NodeKind.DECISION


@dataclass(frozen=True)
class End(Node):
    kind: ClassVar[NodeKind] = NodeKind.END


def duration_of(node: Node) -> Duration | None:
    return node.duration if isinstance(node, Step | Decision) else None


def seconds_of(node: Node) -> int:
    """A node's expected time in seconds; 0 when it has none."""
    duration = duration_of(node)
    return duration.seconds if duration else 0


class Edge(NamedTuple):
    """One way out of a node. `target` is None when the id names no node."""

    source: int
    target: int | None
    target_id: str
    label: str | None
    at: Loc
    implicit: bool = False


class Flow(NamedTuple):
    """The resolved graph: who follows whom, where it starts, where it may end."""

    edges: tuple[tuple[Edge, ...], ...]
    start: int | None
    terminals: frozenset[int]
    first_index: Mapping[str, int]

    def successors(self, index: int) -> list[int]:
        return [e.target for e in self.edges[index] if e.target is not None]


_new_tuple = tuple.__new__  # Edge's own constructor is a Python function; SOPs have many


def resolve_flow(nodes: tuple[Node, ...], start: str | None) -> Flow:
    """Apply the contract's flow rules once, for every consumer.

    A step goes to its `next`, else to the node after it in the list; the last
    step with no `next` ends the procedure. Ids resolve to the first node that
    declares them, so a duplicated id cannot hide the copy after it.
    """
    first_index: dict[str, int] = {}
    for node in nodes:
        if node.id and node.id not in first_index:
            first_index[node.id] = node.index
    edges: list[tuple[Edge, ...]] = []
    terminals: set[int] = set()
    last = len(nodes) - 1
    for node in nodes:
        index = node.index
        if isinstance(node, Step):
            if node.next is not None:
                at = node.where.value("next")
                target = first_index.get(node.next)
                edges.append((_new_tuple(Edge, (index, target, node.next, None, at, False)),))
            elif index < last:
                following = nodes[index + 1]
                at = node.at
                edges.append((_new_tuple(Edge, (index, index + 1, following.id, None, at, True)),))
            else:
                terminals.add(index)
                edges.append(())
        elif isinstance(node, Decision):
            ways = [(index, first_index.get(b.target), b.target, b.label, b.target_at, False)
                    for b in node.branches]  # fmt: skip
            edges.append(tuple(_new_tuple(Edge, way) for way in ways))
        else:
            terminals.add(index)
            edges.append(())
    start_index: int | None = 0 if nodes else None
    if start is not None and start in first_index:
        start_index = first_index[start]
    return Flow(tuple(edges), start_index, frozenset(terminals), first_index)


class Role(NamedTuple):
    id: str
    description: str
    at: Loc
    description_at: Loc


class Term(NamedTuple):
    name: str
    definition: str
    at: Loc
    definition_at: Loc


class Kpi(NamedTuple):
    name: str
    where: Where
    target: str | None = None
    description: str | None = None


class Change(NamedTuple):
    summary: str
    where: Where
    version: str | None = None
    date: date | None = None
    author: str | None = None


@dataclass(frozen=True)
class Sop:
    """One procedure, as written, with its flow resolved."""

    path: str
    id: str
    title: str
    department: str
    purpose: str
    nodes: tuple[Node, ...]
    flow: Flow
    where: Where
    owner: str | None = None
    version: str | None = None
    status: Status = Status.ACTIVE
    effective: date | None = None
    review_by: date | None = None
    language: str | None = None
    scope: str | None = None
    tags: tuple[str, ...] = ()
    sla: Duration | None = None
    roles: tuple[Role, ...] = ()
    terms: tuple[Term, ...] = ()
    kpis: tuple[Kpi, ...] = ()
    related: tuple[Ref, ...] = ()
    changelog: tuple[Change, ...] = ()
    start: str | None = None
    translation_of: Ref | None = None
    translated_from: Ref | None = None

    @property
    def calls(self) -> tuple[Ref, ...]:
        """Every `sop:` call, in written order."""
        return tuple(n.sop for n in self.nodes if isinstance(n, Step) and n.sop is not None)

    @functools.cached_property
    def expected_seconds(self) -> int | None:
        """The total `duration` of the longest path from start to an end, loops dropped
        (the contract's `sla-exceeded`); None when no end can be reached. Worked out once:
        the rule, the page's summary and the index all ask."""
        from sopkit.graph import longest_path  # graph reads the model's flow

        return longest_path(self.flow, [seconds_of(node) for node in self.nodes].__getitem__)

    def node(self, node_id: str) -> Node | None:
        index = self.flow.first_index.get(node_id)
        return None if index is None else self.nodes[index]


class SopRefs(NamedTuple):
    """What repository-wide rules need of one SOP: small enough to pass between processes."""

    path: str
    id: str
    id_at: Loc
    calls: tuple[Ref, ...]
    related: tuple[Ref, ...]
    language: str | None = None
    translation_of: Ref | None = None
    translated_from: Ref | None = None
    translation: TranslationKey | None = None
    """Structure and translation hash: made for translations here, and for their sources
    only when a run has translations (`checker`), since hashing every SOP costs."""

    @classmethod
    def of(cls, sop: Sop) -> SopRefs:
        key = None
        if sop.translation_of is not None:
            from sopkit.translation import translation_key  # a small module, imported late

            key = translation_key(sop)
        return cls(
            sop.path, sop.id, sop.where.value("id"), sop.calls, sop.related,
            sop.language, sop.translation_of, sop.translated_from, key,
        )  # fmt: skip


_POSITIONS = frozenset(
    {"at", "where", "label_at", "target_at", "description_at", "definition_at", "id_at", "path"}
)


def content_of(value: object) -> object:
    """What a model says, without where it was written: equal before and after `fmt`."""
    if isinstance(value, Loc):
        return None
    if is_dataclass(value) and not isinstance(value, type):
        names = [f.name for f in fields(value)]
    elif isinstance(value, tuple) and hasattr(value, "_fields"):
        names = list(value._fields)
    elif isinstance(value, list | tuple):
        return tuple(content_of(item) for item in value)
    elif isinstance(value, dict):
        return tuple(sorted((str(k), content_of(v)) for k, v in value.items()))
    else:
        return value
    return (
        type(value).__name__,
        tuple((name, content_of(getattr(value, name))) for name in names if name not in _POSITIONS),
    )
