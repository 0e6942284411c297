"""`sopkit fmt`: one canonical layout, every comment kept, meaning never changed.

Round-trip YAML (ruamel) puts keys in the contract's order, indents by two
spaces and quotes values only where a reader needs it: `"Yes"`, `"1.0"` and
anything YAML 1.1 or 1.2 would not read as text keep their quotes. ruamel hangs
the comment lines that stand *before* a key on the end of the previous key's
value, so reordering moves each key's leading comments along with it.

Two checks guard every write: the result must load into the same model
(positions aside) and keep every comment line; otherwise the file is left
alone and reported. Writes go through `files.replace_file`: atomic, the
original's mode, owner and links kept, and only over the bytes that were read
(an edit saved meanwhile wins). A BOM and CRLF line ends are kept.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.resolver import implicit_resolvers
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    PlainScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from sopkit.build.fieldnames import CHANGE_FIELDS, KINDS, KPI_FIELDS, NODE_FIELDS, TOP_FIELDS
from sopkit.loader import load_text
from sopkit.model import content_of
from sopkit.reading import read_sop


@dataclass(frozen=True)
class Formatted:
    path: str
    original: str
    formatted: str | None  # None when the file could not be formatted
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original

    def diff(self) -> str:
        if self.formatted is None:
            return ""
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.formatted.splitlines(keepends=True),
                f"a/{self.path.lstrip('/')}",
                f"b/{self.path.lstrip('/')}",
            )
        )


def round_trip_yaml() -> YAML:
    """ruamel's round-trip YAML as `fmt` lays files out: for edits that keep comments."""
    return _yaml()


def _yaml() -> YAML:
    yaml = YAML()
    yaml.version = None
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never re-wrap anybody's sentences
    yaml.allow_duplicate_keys = False
    return yaml


def reformat_text(text: str, path: str) -> Formatted:
    """Format one file's text; refuse (formatted=None) rather than risk a change of meaning."""
    before = load_text(text, path)
    if not before.readable or before.root is None:
        return Formatted(path, text, None, "it has YAML errors; fix them first")
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        return Formatted(path, text, None, f"round-trip loading failed: {exc}")
    if not isinstance(data, CommentedMap):
        return Formatted(path, text, None, "it is not a mapping")
    _canonicalise(data)
    out = io.StringIO()
    _yaml().dump(data, out)
    result = out.getvalue()
    problem = _changed_meaning(text, result, path)
    if problem:
        return Formatted(path, text, None, problem)
    return Formatted(path, text, result)


def with_top_level(text: str, path: str, values: dict[str, str]) -> str:
    """`text` with these top-level keys set (a `DoubleQuotedScalarString` keeps a hash like
    `0123` a string), then formatted: every comment stays. A file that cannot be
    formatted safely is a `SopkitError`."""
    from sopkit.errors import SopkitError

    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise SopkitError(f"{path}: cannot edit it: {exc}") from None
    if not isinstance(data, CommentedMap):
        raise SopkitError(f"{path}: cannot edit it: it is not a mapping")
    for key, value in values.items():
        data[key] = DoubleQuotedScalarString(value)
    out = io.StringIO()
    _yaml().dump(data, out)
    formatted = reformat_text(out.getvalue(), path)
    if formatted.formatted is None:
        raise SopkitError(f"{path}: cannot edit it: {formatted.reason}")
    return formatted.formatted


def _changed_meaning(original: str, result: str, path: str) -> str:
    after = read_sop(result.encode("utf-8"), path)
    if not after.document.readable:
        return "formatting would break the YAML; the file was left as it is"
    old_model = content_of(read_sop(original.encode("utf-8"), path).sop)
    new_model = content_of(after.sop)
    if old_model != new_model:
        return "formatting would change the SOP's meaning; the file was left as it is"
    if sorted(_comments(original)) != sorted(_comments(result)):
        return "formatting would lose a comment; the file was left as it is"
    return ""


_QUOTED_TEXT = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^']|'')*'""")


def _comments(text: str) -> list[str]:
    """Comment lines and end-of-line comments, ignoring `#` inside quoted values."""
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            found.append(stripped)
            continue
        bare = _QUOTED_TEXT.sub(lambda m: "_" * len(m.group(0)), line)
        if " #" in bare:
            found.append(line[bare.index(" #") + 1 :].strip())
    return found


# -- key order ----------------------------------------------------------------


# Every implicit type of YAML 1.1 and 1.2: a text that looks like one of these
# (`Yes`, `on`, `1.0`, `2026-01-15`, `~`) keeps its quotes, for every reader.
_NOT_TEXT = tuple(
    regexp for versions, tag, regexp, _ in implicit_resolvers if not tag.endswith(":str")
)


def _needs_quotes(text: str) -> bool:
    if not text or text != text.strip() or "\n" in text or "\t" in text:
        return True
    return any(regexp.match(text) for regexp in _NOT_TEXT)


def _drop_needless_quotes(value: Any) -> None:
    """Quoted values that read the same unquoted lose their quotes (keys keep theirs)."""
    if isinstance(value, CommentedMap):
        for key in value:
            item = value[key]
            if isinstance(item, _QUOTED) and not _needs_quotes(str(item)):
                value[key] = PlainScalarString(str(item))
            else:
                _drop_needless_quotes(item)
    elif isinstance(value, CommentedSeq):
        for index, item in enumerate(value):
            if isinstance(item, _QUOTED) and not _needs_quotes(str(item)):
                value[index] = PlainScalarString(str(item))
            else:
                _drop_needless_quotes(item)


def _canonicalise(top: CommentedMap) -> None:
    _drop_needless_quotes(top)
    for node in top.get("steps") or []:
        if isinstance(node, CommentedMap):
            kind = next((k for k in node if k in KINDS), "step")
            _reorder(node, NODE_FIELDS[kind] + KINDS)
    for field, order in (("kpis", KPI_FIELDS), ("changelog", CHANGE_FIELDS)):
        for entry in top.get(field) or []:
            if isinstance(entry, CommentedMap):
                _reorder(entry, order)
    _reorder(top, TOP_FIELDS, top=True)


def _prepend_to_document(top: CommentedMap, text: str) -> None:
    """Add comment lines after the file's opening comments (before its first key)."""
    if top.ca.comment is None:
        top.ca.comment = [None, []]
    while len(top.ca.comment) < 2:
        top.ca.comment.append([])
    if top.ca.comment[1] is None:
        top.ca.comment[1] = []
    for line in text.splitlines(keepends=True):
        top.ca.comment[1].append(CommentToken(line.lstrip(" "), CommentMark(0), None))


def _reorder(mapping: CommentedMap, order: Sequence[str], top: bool = False) -> None:
    """Put keys in `order` (unknown keys last, as written), each with its leading comments."""
    keys = list(mapping)
    rank: dict[str, int] = {}
    for position, name in enumerate(order):
        rank.setdefault(name, position)
    wanted = sorted(keys, key=lambda k: (rank.get(str(k), len(rank)), keys.index(k)))
    if wanted == keys:
        return
    leading = {key: _take_trailing(_last_holder(mapping, prev)) for prev, key in pairwise(keys)}
    tail = _take_trailing(_last_holder(mapping, keys[-1]))
    for key in wanted:
        mapping.move_to_end(key)
    # A key that moves to the front has no key before it to hold its comments:
    # at the top of the file they join the file's opening comments; elsewhere
    # they go to the key that now follows it, so nothing is lost.
    carried = leading.pop(wanted[0], "")
    if top and carried:
        _prepend_to_document(mapping, carried)
        carried = ""
    for prev, key in pairwise(wanted):
        _give_trailing(_last_holder(mapping, prev), carried + leading.get(key, ""))
        carried = ""
    _give_trailing(_last_holder(mapping, wanted[-1]), carried + tail)


_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)
Holder = tuple[Any, Any, int]  # (container, key or index, slot of the comment token)


def _last_holder(container: Any, key: Any) -> Holder:
    """Where ruamel keeps the comments that follow `container[key]`: its deepest last item."""
    value = container[key]
    if isinstance(value, CommentedMap) and len(value):
        return _last_holder(value, list(value)[-1])
    if isinstance(value, CommentedSeq) and len(value):
        return _last_holder(value, len(value) - 1)
    return container, key, 0 if isinstance(container, CommentedSeq) else 2


def _take_trailing(holder: Holder) -> str:
    container, key, slot = holder
    entry = container.ca.items.get(key)
    token = entry[slot] if entry and len(entry) > slot else None
    if not isinstance(token, CommentToken):
        return ""
    value = token.value
    cut = value.find("\n")
    if cut < 0:
        return ""
    token.value = value[: cut + 1]
    return value[cut + 1 :]


def _give_trailing(holder: Holder, text: str) -> None:
    if not text:
        return
    container, key, slot = holder
    entry = container.ca.items.setdefault(key, [None] * (slot + 2))
    while len(entry) <= slot:
        entry.append(None)
    token = entry[slot]
    if isinstance(token, CommentToken):
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + text
    else:
        # A block scalar (`|`, `>`) has ended its line already; anything else has not.
        ended = isinstance(container[key], LiteralScalarString | FoldedScalarString)
        entry[slot] = CommentToken(("" if ended else "\n") + text, CommentMark(0), None)
