"""Where a composed YAML node stands, and what it is: helpers for every reader of nodes."""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from sopkit.problems import Loc

TAG_PREFIX = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(
    TAG_PREFIX + name for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


_new_tuple = tuple.__new__


def loc_of(node: Node) -> Loc:
    """The 1-based start of a node, with the last line it covers."""
    start, end = node.start_mark, node.end_mark
    line = start.line + 1
    end_line = end.line + 1 if end.column > 0 else end.line
    # tuple.__new__, not Loc(...): the model holds hundreds of these per SOP, and a
    # NamedTuple's own constructor is a Python function.
    return _new_tuple(Loc, (line, start.column + 1, end_line if end_line > line else line))


def tag_of(node: Node) -> str:
    """A node's tag as a string; resolved tags skip ruamel's slow `Node.tag` property."""
    ctag = node.ctag
    if ctag is None:
        return ""
    if ctag.handle is None and isinstance(ctag.suffix, str):
        return ctag.suffix
    return str(ctag)


def children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return node.value  # type: ignore[no-any-return]
    return []
