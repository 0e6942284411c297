"""The common node, built in one pass: every field present, plain text, nothing to report.

Almost every node of a real SOP is written plainly, and a check spends a fifth of
its time building them. `plain_node` builds such a node directly; at the first
thing that is not plain (an unknown or misplaced field, a number where text
belongs, an empty value, a bad id or duration, a duplicate), it gives up and
`sopkit.build` takes the node through `FieldReader`, which explains the problem.
Both ways must give the same node: `tests/test_plain.py` holds them to it.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode

from sopkit.build.fieldnames import KINDS, NODE_FIELDS
from sopkit.loader import loc_of
from sopkit.model import Branch, Decision, End, Ref, Step, Where
from sopkit.model import Node as SopNode
from sopkit.values import is_valid_id, parse_duration

STR = "tag:yaml.org,2002:str"
_new_tuple = tuple.__new__
_FIELDS_OF = {kind: frozenset(names) for kind, names in NODE_FIELDS.items()}


def _text(node: Node) -> str | None:
    """Text as `FieldReader.text` reads it, when it has nothing to say about it."""
    if type(node) is not ScalarNode:
        return None
    tag = node.ctag
    if tag.suffix != STR or tag.handle is not None or not node.value.strip():
        return None
    return node.value  # type: ignore[no-any-return]


def _value(node: Node) -> str | None:
    """A value taken as written (`FieldReader.raw`): text, stripped."""
    text = _text(node)
    return None if text is None else text.strip()


def plain_node(index: int, item: MappingNode) -> SopNode | None:
    """The node `item` describes, or None when anything in it needs a closer look."""
    fields: dict[str, Node] = {}
    kind = None
    id_key = None
    for key, value in item.value:
        if type(key) is not ScalarNode:
            return None
        name = key.value
        if name in fields:
            return None
        if name in KINDS:
            if kind is not None:
                return None
            kind = name
        elif name == "id":
            id_key = key
        fields[name] = value
    if kind is None or id_key is None or not _FIELDS_OF[kind].issuperset(fields):
        return None
    node_id = _value(fields["id"])
    text = _text(fields[kind])
    if node_id is None or text is None or not is_valid_id(node_id):
        return None
    role = details = None
    if "role" in fields and (role := _value(fields["role"])) is None:
        return None
    if "details" in fields and (details := _text(fields["details"])) is None:
        return None
    duration = None
    if "duration" in fields:
        written = _value(fields["duration"])
        if written is None or (duration := parse_duration(written)) is None:
            return None
    where = _new_tuple(
        Where,
        (loc_of(item), {name: loc_of(value) for name, value in fields.items()}, loc_of(id_key)),
    )
    if kind == "end":
        return End(index, node_id, text, where, role, details)
    if kind == "decision":
        branches = _branches(fields.get("branches"))
        if branches is None:
            return None
        return Decision(index, node_id, text, where, role, details, duration, branches)
    follow = call = None
    if "next" in fields and (follow := _value(fields["next"])) is None:
        return None
    if "sop" in fields:
        called = _value(fields["sop"])
        if called is None:
            return None
        call = Ref(called, where.values["sop"])
    return Step(index, node_id, text, where, role, details, duration, follow, call)


def _branches(node: Node | None) -> tuple[Branch, ...] | None:
    if type(node) is not MappingNode:
        return None
    branches = []
    answers: set[str] = set()
    for key, value in node.value:
        answer = _value(key)
        target = _value(value)
        if answer is None or target is None or key.value in answers:
            return None
        answers.add(key.value)
        branches.append(Branch(answer, target, loc_of(key), loc_of(value)))
    return tuple(branches)
