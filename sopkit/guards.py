"""What the loader refuses or reports in a composed document, hostile input first: absurd
nesting, alias bombs and recursive aliases, tags, duplicate keys, and control
characters in texts. Each is a finding with a position, never an exception or a hang.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent, Event
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopkit.problems import FILE_START, SCHEMA, YAML_SYNTAX, Finding, Loc
from sopkit.yamlnodes import PLAIN_TAGS, TAG_PREFIX, children, loc_of, tag_of

MAX_DEPTH = 64
"""A SOP is at most five levels deep; 64 leaves room and stops stack-crushing input."""

EXPANSION_SLACK = 100_000
"""Aliases may expand a document to its own size plus this many nodes, no more."""


def looks_deep(text: str) -> bool:
    """Cheap guard: only text with many brackets or very long lines can nest deeply."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        return True
    # Not a regular expression for "a long line": sre tries it from every character,
    # which took thirty times as long as splitting the lines.
    longest = max(map(len, text.splitlines()), default=0)
    return longest > 4 * MAX_DEPTH or text.count("- - ") > MAX_DEPTH // 2


def depth_overflow(events: Iterable[Event]) -> Finding | None:
    """Walk the event stream (which never recurses) and stop at the first level too deep."""
    depth = 0
    try:
        for event in events:
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    return Finding(
                        YAML_SYNTAX,
                        Loc(mark.line + 1, mark.column + 1),
                        f"the document is nested more than {MAX_DEPTH} levels deep",
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except YAMLError:
        return None  # composing reports the syntax error with its position
    return None


# Control characters but tab and newline; and the two noncharacters that XML (BPMN, an
# SVG flowchart) cannot hold at all, which lxml refuses and `dot` writes as they are.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def control_character_in(text: str) -> str | None:
    """The first character a text may not hold, and why: `the control character U+001B
    (ESC); texts may hold only newline and tab`."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    char = found.group()
    if char in "\ufffe\uffff":
        return f"the noncharacter U+{ord(char):04X}, which XML (BPMN, SVG) cannot hold"
    return (f"the control character U+{ord(char):04X} ({_CONTROL_NAMES.get(char, 'control')}); "
            "texts may hold only newline and tab")  # fmt: skip


def control_characters(root: Node) -> list[Finding]:
    """Texts may hold newline and tab, and no other control character (the contract)."""
    findings: list[Finding] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            found = control_character_in(str(node.value))
            if found:
                findings.append(Finding(SCHEMA, loc_of(node), f"the text holds {found}: remove it"))
        else:
            stack.extend(reversed(children(node)))
    findings.sort(key=lambda f: (f.loc.line, f.loc.column))
    return findings


_CONTROL_NAMES = {
    "\x00": "NUL", "\x07": "BEL", "\x08": "backspace", "\x0b": "vertical tab",
    "\x0c": "form feed", "\r": "carriage return", "\x1b": "ESC", "\x7f": "DEL",
}  # fmt: skip


def scan(root: Node, text: str) -> list[Finding]:
    """Tags and duplicate keys everywhere; recursion and expansion where anchors exist."""
    if "&" in text or "!" in text:
        return _scan_with_aliases(root, len(text), check_tags="!" in text)
    # No anchors and no tags: only mappings can be wrong, so only collections are visited.
    findings: list[Finding] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            pairs = node.value
            # Distinct text keys, as almost always: nothing to say, so no need to say where.
            if len({k.value for k, _ in pairs if type(k) is ScalarNode}) != len(pairs):
                _check_keys(node, findings)
            stack += [v for _, v in pairs if type(v) is not ScalarNode]
        elif isinstance(node, SequenceNode):
            stack += [v for v in node.value if type(v) is not ScalarNode]
    return findings


def _scan_with_aliases(root: Node, text_size: int, check_tags: bool) -> list[Finding]:
    """One pass over the distinct nodes: recursion, expansion, tags and duplicates.

    Aliases share node objects, so each node is visited once; the expanded size
    of the document is computed from those visits without expanding anything.
    """
    findings: list[Finding] = []
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded.get(id(child), 1) for child in children(node))
            continue
        if key in expanded:
            continue
        on_path.add(key)
        stack.append((node, True))
        _check_node(node, findings, check_tags)
        for child in children(node):
            if id(child) in on_path:
                message = "an alias refers to a node that contains it"
                findings.append(Finding(YAML_SYNTAX, loc_of(child), message))
                return findings
            if id(child) not in expanded:
                stack.append((child, False))
    total = expanded.get(id(root), 1)
    if total > text_size + EXPANSION_SLACK:
        findings.append(
            Finding(
                YAML_SYNTAX,
                FILE_START,
                f"aliases expand this document to {total:,} nodes; refusing it "
                "(an alias bomb?). Repeat the content instead of aliasing it",
            )
        )
    return findings


def _check_node(node: Node, findings: list[Finding], check_tags: bool) -> None:
    if check_tags:
        tag = tag_of(node)
        if tag not in PLAIN_TAGS:
            shown = tag.replace(TAG_PREFIX, "!!")
            findings.append(
                Finding(
                    YAML_SYNTAX,
                    loc_of(node),
                    f"the tag '{shown}' is not allowed: a SOP is plain YAML (remove the tag)",
                )
            )
    if isinstance(node, MappingNode):
        _check_keys(node, findings)


def _check_keys(node: MappingNode, findings: list[Finding]) -> None:
    seen: set[str] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            findings.append(
                Finding(SCHEMA, loc_of(key_node), "a key must be plain text, not a list or mapping")
            )
            continue
        name = key_node.value
        if name not in seen:
            seen.add(name)
            continue
        first = next(k for k, _ in node.value if isinstance(k, ScalarNode) and k.value == name)
        findings.append(
            Finding(
                YAML_SYNTAX,
                loc_of(key_node),
                f"duplicate key '{name}' (first on line {first.start_mark.line + 1}); "
                "YAML keys must be unique",
            )
        )
