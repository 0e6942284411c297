"""Reading typed values out of composed YAML, with a positioned problem for every mistake.

`FieldReader` is what `sopkit.build` uses for each field of a SOP: text, ids,
dates, durations, versions, lists and mappings, each checked against the
contract and reported at the value (or the key, for empty values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import TypeVar

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopkit.loader import loc_of, tag_of
from sopkit.model import Duration, Ref, Status, Where
from sopkit.problems import SCHEMA, Finding, Loc
from sopkit.values import did_you_mean, duration_hint, is_valid_id, parse_date, parse_duration

_T = "tag:yaml.org,2002:"
NULL, INT, FLOAT, BOOL = _T + "null", _T + "int", _T + "float", _T + "bool"
NOT_TEXT_TAGS = frozenset({INT, FLOAT, BOOL, _T + "timestamp"})

Pair = tuple[ScalarNode, Node]
_V = TypeVar("_V")


def shape_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return "a value"


class FieldReader:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def problem(self, loc: Loc, message: str, rule: str = SCHEMA) -> None:
        self.findings.append(Finding(rule, loc, message))

    # -- mappings ---------------------------------------------------------------

    def fields(
        self,
        node: MappingNode,
        allowed: Iterable[str],
        on_unknown: Callable[[ScalarNode, str], None],
    ) -> dict[str, Pair]:
        """Known fields by name; unknown ones go to `on_unknown`. `x-` keys are extensions."""
        allowed = tuple(allowed)
        known: dict[str, Pair] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                continue  # the loader reported it
            name = str(key.value)
            if name in known or name.startswith("x-"):
                continue  # a duplicate is a yaml-syntax problem already
            if name in allowed:
                known[name] = (key, value)
            else:
                on_unknown(key, name)
        return known

    def unknown(self, allowed: tuple[str, ...], where: str) -> Callable[[ScalarNode, str], None]:
        def report(key: ScalarNode, name: str) -> None:
            hint = did_you_mean(name, allowed)
            self.problem(loc_of(key), f"unknown field '{name}'{where}{hint}")

        return report

    def require(self, fields: dict[str, Pair], names: Iterable[str], at: Loc, where: str) -> None:
        for name in names:
            if name not in fields:
                self.problem(at, f"missing required field '{name}'{where}")

    # -- scalar values ----------------------------------------------------------

    def scalar(self, pair: Pair, label: str) -> ScalarNode | None:
        value = pair[1]
        if not isinstance(value, ScalarNode):
            self.problem(loc_of(value), f"{label} must be a single value, not {shape_of(value)}")
            return None
        if tag_of(value) == NULL or not str(value.value).strip():
            self.problem(loc_of(pair[0]), f"{label} is empty")
            return None
        return value

    def text(self, pair: Pair | None, label: str) -> str | None:
        """Non-empty text; a bare number, boolean or date is a wrong type."""
        if pair is None:
            return None
        value = self.scalar(pair, label)
        if value is None:
            return None
        if tag_of(value) in NOT_TEXT_TAGS and not value.style:
            self.problem(
                loc_of(value),
                f"{label} must be text, but {value.value} reads as a "
                f"{tag_of(value).removeprefix(_T)}; put it in quotes",
            )
            return None
        return str(value.value)

    def raw(self, pair: Pair | None, label: str) -> str | None:
        """A value taken as written (ids, labels, KPI targets)."""
        if pair is None:
            return None
        value = self.scalar(pair, label)
        return None if value is None else str(value.value).strip()

    def ident(self, pair: Pair | None, label: str) -> str | None:
        text = self.raw(pair, label)
        if text is not None and pair is not None and not is_valid_id(text):
            self.problem(
                loc_of(pair[1]),
                f"{label} '{text}' is not a valid id: start with a letter or digit, then use "
                "only letters, digits, '.', '_' or '-' (at most 64 characters)",
            )
        return text

    def parsed(
        self, pair: Pair | None, label: str, parse: Callable[[str], _V | None], explain: str
    ) -> _V | None:
        text = self.raw(pair, label)
        if text is None or pair is None:
            return None
        result = parse(text)
        if result is None:
            hint = did_you_mean(text, [s.value for s in Status]) if "{hint}" in explain else ""
            self.problem(loc_of(pair[1]), f"{label} '{text}' {explain.replace('{hint}', hint)}")
        return result

    def duration(self, pair: Pair | None, label: str) -> Duration | None:
        if pair is None:
            return None
        value = pair[1]
        if isinstance(value, ScalarNode) and tag_of(value) in (INT, FLOAT):
            self.problem(
                loc_of(value),
                f"{label} {value.value} has no unit: write it as {value.value}m, "
                f"{value.value}h, ... (units s m h d w)",
            )
            return None
        text = self.raw(pair, label)
        if text is None:
            return None
        parsed = parse_duration(text)
        if parsed is None:
            self.problem(
                loc_of(value),
                f"{label} '{text}' is not a duration: write <integer><unit> groups with units "
                f"s, m, h, d, w (90s, 15m, 1h30m, 2d){duration_hint(text)}",
            )
        return parsed

    def date(self, pair: Pair | None, label: str) -> date | None:
        return self.parsed(
            pair, label, parse_date, "is not a date: write a real calendar date as YYYY-MM-DD"
        )

    def version(self, pair: Pair | None, label: str) -> str | None:
        value = pair[1] if pair is not None else None
        if isinstance(value, ScalarNode) and tag_of(value) in (INT, FLOAT) and not value.style:
            self.problem(
                loc_of(value),
                f"{label} {value.value} is a number; quote it so it stays as written: "
                f'{label}: "{value.value}"',
            )
            return None
        return self.text(pair, label)

    # -- collections ------------------------------------------------------------

    def _collection(
        self, pair: Pair | None, label: str, kind: type[Node], shape: str
    ) -> Node | None:
        """The value when it is a collection of `kind`; None when absent, empty or wrong."""
        if pair is None:
            return None
        value = pair[1]
        if isinstance(value, ScalarNode) and tag_of(value) == NULL:
            return None
        if not isinstance(value, kind):
            self.problem(loc_of(value), f"{label} must be {shape}, not {shape_of(value)}")
            return None
        return value

    def items(self, pair: Pair | None, label: str) -> list[Node]:
        value = self._collection(pair, label, SequenceNode, "a list")
        return list(value.value) if value is not None else []

    def entries(self, pair: Pair | None, label: str) -> list[tuple[ScalarNode, Node]]:
        value = self._collection(pair, label, MappingNode, "a mapping")
        if value is None:
            return []
        seen: set[str] = set()
        out = []
        for key, item in value.value:
            if isinstance(key, ScalarNode) and str(key.value) not in seen:
                seen.add(str(key.value))
                out.append((key, item))
        return out

    def texts(self, pair: Pair | None, label: str) -> tuple[str, ...]:
        values = (
            self.text((_key(pair), item), f"each of {label}") for item in self.items(pair, label)
        )
        return tuple(v for v in values if v is not None)

    def refs(self, pair: Pair | None, label: str) -> tuple[Ref, ...]:
        out = []
        for item in self.items(pair, label):
            text = self.raw((_key(pair), item), f"each of {label}")
            if text is not None:
                out.append(Ref(text, loc_of(item)))
        return tuple(out)


def _key(pair: Pair | None) -> ScalarNode:
    assert pair is not None
    return pair[0]


def where_of(at: Loc, fields: dict[str, Pair]) -> Where:
    id_pair = fields.get("id")
    return Where(
        at,
        {name: loc_of(value) for name, (_, value) in fields.items()},
        loc_of(id_pair[0]) if id_pair is not None else None,
    )
