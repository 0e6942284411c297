"""The small YAML files sopkit reads beside the SOPs (the team, a `conform` map): read
with their positions, and every way they fail one error at `file:line:column`."""

from __future__ import annotations

from typing import Any

from sopkit.errors import SopkitError
from sopkit.sources import Unreadable, read_text


def load_data_file(path: str, error: type[SopkitError] = SopkitError) -> Any:
    """The file's YAML (ruamel's round-trip types, which know where each key stands)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = read_text(path)
    if isinstance(text, Unreadable):
        raise error(f"{path}: {text.message}")
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        raise error(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def where(path: str, node: Any, key: object = None, *, value: bool = False) -> str:
    """`path:line:column` of `node`'s `key` (of `node` itself without one; with `value`, of
    what a mapping holds at `key` or a list at index `key`); 1:1 when the node keeps no
    position (a plain value)."""
    lc = getattr(node, "lc", None)
    try:
        if lc is None:
            line, column = 0, 0
        elif key is None:
            line, column = lc.line, lc.col
        elif value:
            line, column = lc.value(key) if isinstance(node, dict) else lc.item(key)
        else:
            line, column = lc.key(key)
    except (KeyError, IndexError, AttributeError, TypeError):
        line, column = 0, 0
    return f"{path}:{line + 1}:{column + 1}"
