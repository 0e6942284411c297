"""Read a SOP file into composed YAML nodes that keep their line and column.

`check` must be fast, so this composes with ruamel.yaml's C parser (falling
back to the pure-Python one with the same results) and never builds Python
objects from the YAML: the model is built straight from the composed nodes.
Everything hostile in a file ends as a `yaml-syntax` finding with a position,
never as an exception: bad UTF-8, control bytes, syntax errors, tags, duplicate
keys, alias bombs, recursive aliases and absurd nesting.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

from sopkit.problems import FILE_START, SCHEMA, YAML_SYNTAX, Finding, Loc
from sopkit.sources import Unreadable, read_source

MAX_DEPTH = 64
"""A SOP is at most five levels deep; 64 leaves room and stops stack-crushing input."""

EXPANSION_SLACK = 100_000
"""Aliases may expand a document to its own size plus this many nodes, no more."""

_TAG_PREFIX = "tag:yaml.org,2002:"
PLAIN_TAGS = frozenset(
    _TAG_PREFIX + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


Rules = tuple[tuple[Tag, Any], ...]


def _yaml12_rules() -> dict[str | None, Rules]:
    """ruamel's YAML 1.2 implicit rules by first character, each with its catch-all rules."""
    by_first: dict[str | None, list[tuple[Tag, Any]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if (1, 2) in versions:
            chars: list[str | None] = list(first) if first else [None]
            for char in chars:
                by_first.setdefault(char, []).append((Tag(suffix=tag), regexp))
    catch_all = by_first.get(None, [])
    return {char: (*rules, *catch_all) for char, rules in by_first.items()}


_YAML12_RULES = _yaml12_rules()
_CATCH_ALL = _YAML12_RULES.get(None, ())


_PLAIN_TAGS: dict[str, Any] = {}
_PLAIN_TAGS_KEPT = 50_000


class Yaml12Resolver(VersionedResolver):
    """Always YAML 1.2, as the contract says, with its rule table built once.

    ruamel's own resolver re-derives the version for every scalar, and on the
    C path it does so through a caught AttributeError: half of compose time.
    """

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)

    # The composer calls these around every node, for path-dependent resolvers, which
    # ruamel runs only when some are registered (sopkit registers none). Builtins that
    # return at once cost a tenth of its Python methods: a tenth of composing a file.
    descend_resolver = staticmethod(operator.is_)  # type: ignore[assignment]
    ascend_resolver = staticmethod(tuple)  # type: ignore[assignment]

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            # Keys and many values repeat from node to node and file to file.
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = self._plain_tag(value)
                if len(_PLAIN_TAGS) < _PLAIN_TAGS_KEPT:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def _plain_tag(self, value: str) -> Any:
        for tag, regexp in _YAML12_RULES.get(value[:1], _CATCH_ALL):
            if regexp.match(value):
                return tag
        return self.DEFAULT_SCALAR_TAG


def _make_yaml(pure: bool) -> YAML:
    yaml = YAML(typ="safe", pure=pure)
    yaml.Resolver = Yaml12Resolver
    return yaml


_YAML = _make_yaml(pure=False)


def _c_composer() -> type | None:
    """ruamel's C parser and composer with our resolver, as one class made once.

    `YAML.compose` defines such a class (and a constructor nobody uses) on every
    call; composing needs only the parser and the resolver.
    """
    try:
        from ruamel.yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # ruamel.yaml.clib is not installed
        return None

    class CComposer(CParser, Yaml12Resolver):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            Yaml12Resolver.__init__(self, version=None, loadumper=self)

    return CComposer


_C_COMPOSER = _c_composer()


def uses_c_parser() -> bool:
    """True when composing runs on ruamel.yaml's C extension."""
    return _C_COMPOSER is not None


@dataclass
class Document:
    """A file's text and its composed root node, or the findings that stopped it."""

    path: str
    text: str
    root: Node | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return not any(f.rule == YAML_SYNTAX for f in self.findings)


_new_tuple = tuple.__new__


def loc_of(node: Node) -> Loc:
    """The 1-based start of a node, with the last line it covers."""
    start, end = node.start_mark, node.end_mark
    line = start.line + 1
    end_line = end.line + 1 if end.column > 0 else end.line
    # tuple.__new__, not Loc(...): the model holds hundreds of these per SOP, and a
    # NamedTuple's own constructor is a Python function.
    return _new_tuple(Loc, (line, start.column + 1, end_line if end_line > line else line))


def decode(data: bytes, path: str) -> tuple[str, list[Finding]]:
    """UTF-8 (a BOM tolerated) to text; bad bytes become a positioned finding."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        message = (
            f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        )
        return "", [Finding(YAML_SYNTAX, Loc(line, column), message)]


def load_text(text: str, path: str) -> Document:
    """Compose one YAML document from text, turning every failure into a finding."""
    doc = Document(path, text, None)
    if _looks_deep(text):
        too_deep = _depth_overflow(text)
        if too_deep is not None:
            doc.findings.append(too_deep)
            return doc
    try:
        doc.root = _compose(text)
    except YAMLError as exc:
        doc.findings.append(_syntax_finding(exc, text))
        return doc
    except RecursionError:
        doc.findings.append(Finding(YAML_SYNTAX, FILE_START, "the document is nested too deeply"))
        return doc
    if doc.root is not None:
        doc.findings.extend(_scan(doc.root, text))
        # YAML refuses raw control characters except NEL; the others can only come in
        # through a double-quoted escape, so a file with no backslash needs no look.
        if "\\" in text or "\x85" in text:
            doc.findings.extend(_control_characters(doc.root))
    return doc


def load_file(real: str, display: str) -> Document:
    """Read and compose one SOP file; a file that is not read is a finding at 1:1."""
    data = read_source(real)
    if isinstance(data, Unreadable):
        return Document(display, "", None, [Finding(YAML_SYNTAX, FILE_START, data.message)])
    return load_bytes(data, display)


SOP_MARKS = frozenset({"sopkit", "id", "title", "department", "purpose", "steps"})
_TOP_LEVEL_MARK = re.compile(
    rb"""(?m)^["']?(?:sopkit|id|title|department|purpose|steps)["']?[ \t]*:"""
)


def looks_like_sop(real: str) -> bool:
    """Whether a YAML file outside the source folder is meant as a SOP.

    A workflow file or a `.pre-commit-config.yaml` given to `check` or `fmt` (a
    pre-commit hook passes every changed YAML) must not be judged as a broken SOP.
    Only a mapping with keys, none of them a required SOP field or `sopkit`, is not
    a SOP (workflows, compose files, manifests and tool configs); anything else is
    checked as one, so that an empty or broken SOP is reported, never skipped.
    A top-level key at the start of a line settles it without parsing (a thousand
    files outside the source folder must not be composed twice).
    """
    data = read_source(real)
    if isinstance(data, Unreadable) or _TOP_LEVEL_MARK.search(data):
        return True
    document = load_bytes(data, real)
    root = document.root
    if not document.readable or root is None:
        return True
    if not isinstance(root, MappingNode) or not root.value:
        return True
    keys = {str(key.value) for key, _ in root.value if isinstance(key, ScalarNode)}
    return bool(keys & SOP_MARKS)


def load_bytes(data: bytes, path: str) -> Document:
    text, findings = decode(data, path)
    if findings:
        return Document(path, text, None, findings)
    return load_text(text, path)


def _compose(text: str) -> Node | None:
    try:
        if _C_COMPOSER is None:
            root: Node | None = _YAML.compose(text)
        else:
            composer = _C_COMPOSER(text)
            try:
                root = composer.get_single_node()
            finally:
                composer.dispose()
    except YAMLError:
        raise
    except (ValueError, TypeError, AttributeError):
        # The C extension rejects a few inputs the pure parser explains properly.
        root = _make_yaml(pure=True).compose(text)
    return root


def _looks_deep(text: str) -> bool:
    """Cheap guard: only text with many brackets or very long lines can nest deeply."""
    if text.count("[") + text.count("{") > MAX_DEPTH:
        return True
    # Not a regular expression for "a long line": sre tries it from every character,
    # which took thirty times as long as splitting the lines.
    longest = max(map(len, text.splitlines()), default=0)
    return longest > 4 * MAX_DEPTH or text.count("- - ") > MAX_DEPTH // 2


def _depth_overflow(text: str) -> Finding | None:
    """Walk the event stream (which never recurses) and stop at the first level too deep."""
    depth = 0
    try:
        for event in _YAML.parse(text):
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


def _syntax_finding(exc: YAMLError, text: str) -> Finding:
    mark = None
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
    if mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        line, column = _position_of(exc, text)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}: {problem}" if context and "document" not in str(context) else problem
    message = str(message).strip()
    lines = text.splitlines()
    if 0 < line <= len(lines):
        source_line = lines[line - 1]
        if "\t" in source_line[: len(source_line) - len(source_line.lstrip())]:
            message += " (a tab is not allowed for indentation in YAML; indent with spaces)"
    if isinstance(exc, MarkedYAMLError) and "expected a single document" in str(exc):
        message = "a SOP file holds one YAML document; split this file at '---'"
    return Finding(YAML_SYNTAX, Loc(line, column), _clean(message))


def _position_of(exc: YAMLError, text: str) -> tuple[int, int]:
    position = getattr(exc, "position", None)
    if not isinstance(position, int) or position < 0:
        return 1, 1
    before = text[: min(position, len(text))]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _clean(message: str) -> str:
    message = message.replace("\n", " ").replace('in "<unicode string>", ', "")
    return re.sub(r"\s+", " ", message).strip() or "the file is not valid YAML"


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _control_characters(root: Node) -> list[Finding]:
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
            found = _CONTROL.search(str(node.value))
            if found:
                char = found.group()
                message = (
                    f"the text holds the control character U+{ord(char):04X} "
                    f"({_CONTROL_NAMES.get(char, 'control')}); texts may hold only newline "
                    "and tab: remove it"
                )
                findings.append(Finding(SCHEMA, loc_of(node), message))
        else:
            stack.extend(reversed(_children(node)))
    findings.sort(key=lambda f: (f.loc.line, f.loc.column))
    return findings


_CONTROL_NAMES = {
    "\x00": "NUL", "\x07": "BEL", "\x08": "backspace", "\x0b": "vertical tab",
    "\x0c": "form feed", "\r": "carriage return", "\x1b": "ESC", "\x7f": "DEL",
}  # fmt: skip


def tag_of(node: Node) -> str:
    """A node's tag as a string; resolved tags skip ruamel's slow `Node.tag` property."""
    ctag = node.ctag
    if ctag is None:
        return ""
    if ctag.handle is None and isinstance(ctag.suffix, str):
        return ctag.suffix
    return str(ctag)


def _scan(root: Node, text: str) -> list[Finding]:
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
            expanded[key] = 1 + sum(expanded.get(id(child), 1) for child in _children(node))
            continue
        if key in expanded:
            continue
        on_path.add(key)
        stack.append((node, True))
        _check_node(node, findings, check_tags)
        for child in _children(node):
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


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return node.value  # type: ignore[no-any-return]
    return []


def _check_node(node: Node, findings: list[Finding], check_tags: bool) -> None:
    if check_tags:
        tag = tag_of(node)
        if tag not in PLAIN_TAGS:
            shown = tag.replace(_TAG_PREFIX, "!!")
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
