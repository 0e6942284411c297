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
from ruamel.yaml.nodes import Node, ScalarNode
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

from sopkit.guards import control_characters, depth_overflow, looks_deep, scan
from sopkit.problems import FILE_START, YAML_SYNTAX, Finding, Loc
from sopkit.yamlnodes import PLAIN_TAGS, loc_of, tag_of

__all__ = ["PLAIN_TAGS", "Document", "load_bytes", "load_text", "loc_of", "tag_of"]

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
    if looks_deep(text):
        too_deep = depth_overflow(_YAML.parse(text))
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
        doc.findings.extend(scan(doc.root, text))
        # YAML refuses raw control characters except NEL; the others can only come in
        # through a double-quoted escape, so a file with no backslash needs no look.
        if "\\" in text or "\x85" in text:
            doc.findings.extend(control_characters(doc.root))
    return doc


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
