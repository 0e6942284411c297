"""The one-pass node builder agrees with the field-by-field one wherever it answers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

from sopkit import loader
from sopkit.build import build_sop, checked_node
from sopkit.build.fields import FieldReader
from sopkit.build.plain import plain_node
from tests.conftest import EXAMPLES, ROOT

YAML_FILES = sorted([*EXAMPLES.glob("*.yaml"), *(ROOT / "sops").rglob("*.yaml")])
CASE_FILES = sorted((ROOT / "tests" / "rules" / "cases").glob("*.yaml"))


def _items(text: str) -> Iterator[Node]:
    """Every entry of a document's `steps`."""
    root = loader.load_text(text, "t.yaml").root
    if not isinstance(root, MappingNode):
        return
    for key, value in root.value:
        if key.value == "steps" and isinstance(value, SequenceNode):
            yield from value.value


def _case_texts() -> Iterator[str]:
    yaml = YAML(typ="safe")
    for path in CASE_FILES:
        for case in yaml.load(path.read_text(encoding="utf-8"))["cases"]:
            if "sop" in case:
                yield case["sop"]


def _agrees(item: Node, index: int = 0) -> bool:
    """True when the plain builder answered (and agreed); False when it left the node."""
    if not isinstance(item, MappingNode):
        return False
    plain = plain_node(index, item)
    if plain is None:
        return False
    reader = FieldReader()
    assert checked_node(reader, index, item) == plain
    assert reader.findings == []
    return True


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_every_node_of_a_clean_sop_is_plain(path: Path) -> None:
    items = list(_items(path.read_text(encoding="utf-8")))
    assert items
    assert all(_agrees(item, index) for index, item in enumerate(items))


def test_rule_cases_agree_and_their_mistakes_are_left_to_the_checks() -> None:
    answered = left = 0
    for text in _case_texts():
        for index, item in enumerate(_items(text)):
            if _agrees(item, index):
                answered += 1
            else:
                left += 1
    assert answered > 50
    assert left >= 5  # the cases' broken nodes went the long way, where problems are told


def test_a_node_with_a_problem_is_never_plain() -> None:
    broken = [
        "{id: a, step: 5}",  # a number where text belongs
        "{id: a, step: ''}",
        "{id: 'a b', step: Go}",  # not an id
        "{id: a, step: Go, duration: 10}",  # no unit
        "{id: a, step: Go, duration: 2 hours}",
        "{id: a, step: Go, branches: {x: b}}",  # a field of another kind
        "{id: a, step: Go, end: Done}",  # two kinds
        "{id: a, decision: 'Ok?'}",  # no branches
        "{id: a, decision: 'Ok?', branches: {'': b}}",
        "{id: a, decision: 'Ok?', branches: {'Yes': ~}}",
        "{id: a, step: Go, role: ~}",
        "{id: a, step: Go, x-note: kept}",  # extensions are the checks' business
        "{step: Go}",
    ]
    for text in broken:
        (item,) = _items(f"steps:\n  - {text}\n")
        assert isinstance(item, MappingNode)
        assert plain_node(0, item) is None, text


def test_build_takes_the_plain_way_and_the_model_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sopkit import build

    answered: list[bool] = []

    def recording(index: int, item: MappingNode) -> object:
        node = plain_node(index, item)
        answered.append(node is not None)
        return node

    for path in YAML_FILES:
        root = loader.load_bytes(path.read_bytes(), path.name).root
        answered.clear()
        monkeypatch.setattr(build, "plain_node", recording)
        fast = build_sop(root, path.name)
        assert fast[0] is not None
        assert answered == [True] * len(fast[0].nodes)  # every node came the plain way
        monkeypatch.setattr(build, "plain_node", lambda index, item: None)
        assert build_sop(root, path.name) == fast
        monkeypatch.undo()


TEXTS = st.one_of(
    st.sampled_from(["Go", " Go ", "", "  ", "5", "1.5", "true", "~", "null", "2026-01-01",
                     "a b", "n1", "15m", "1h30m", "2 hours", "10", "Yes", "Ναι", "Žogica"]),
    st.text(max_size=8),
    st.integers(-3, 99),
    st.none(),
    st.booleans(),
)  # fmt: skip
BRANCHES = st.dictionaries(TEXTS.map(str), TEXTS, max_size=3)
NODE_FIELDS = st.sampled_from(
    ["id", "step", "decision", "end", "role", "details", "duration", "next", "sop", "branches",
     "x-extra", "stpe"]
)  # fmt: skip
NODES = st.dictionaries(NODE_FIELDS, st.one_of(TEXTS, BRANCHES, st.lists(TEXTS, max_size=2)))


def _dump(value: Any) -> str:
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.dump({"steps": [value]}, out)
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NODES)
def test_generated_nodes_agree(node: dict[str, Any]) -> None:
    for item in _items(_dump(node)):
        _agrees(item)
