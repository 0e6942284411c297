"""The loader: the C parser is really used, and the pure fallback gives the same results."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sopkit import guards, loader
from sopkit.build import build_sop
from tests.conftest import EXAMPLES, ROOT

CONTRACT_LIKE = sorted(
    [*EXAMPLES.glob("*.yaml"), *(ROOT / "sops").rglob("*.yaml"),
     *(ROOT / "tests" / "rules" / "cases").glob("*.yaml")]
)  # fmt: skip


def test_the_c_parser_is_in_use() -> None:
    assert loader.uses_c_parser(), "ruamel.yaml.clib is missing: install ruamel.yaml[oldlibyaml]"


@pytest.mark.parametrize("path", CONTRACT_LIKE, ids=lambda p: p.name)
def test_pure_fallback_gives_the_same_model_and_findings(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    fast = loader.load_bytes(data, path.name)
    monkeypatch.setattr(loader, "_YAML", loader._make_yaml(pure=True))
    monkeypatch.setattr(loader, "_C_COMPOSER", None)
    assert not loader.uses_c_parser()
    slow = loader.load_bytes(data, path.name)
    assert fast.findings == slow.findings
    assert build_sop(fast.root, path.name) == build_sop(slow.root, path.name)


def test_yaml_1_2_scalars() -> None:
    doc = loader.load_text("a: Yes\nb: on\nc: 017\nd: 0o17\ne:\n", "t.yaml")
    assert doc.root is not None
    tags = [loader.tag_of(value).rsplit(":", 1)[1] for _, value in doc.root.value]
    assert tags == ["str", "str", "int", "int", "null"]


def test_every_position_is_one_based() -> None:
    doc = loader.load_text("id: x\nsteps:\n  - id: a\n", "t.yaml")
    assert doc.root is not None
    key, value = doc.root.value[1]
    assert loader.loc_of(key) == (2, 1, 2)
    assert loader.loc_of(value.value[0]).line == 3


@pytest.mark.parametrize("path", CONTRACT_LIKE, ids=lambda p: p.name)
def test_refs_only_agrees_with_the_full_model(path: Path) -> None:
    from sopkit.build import refs_only
    from sopkit.model import SopRefs

    document = loader.load_bytes(path.read_bytes(), path.name)
    sop, _ = build_sop(document.root, path.name)
    quick = refs_only(document.root, path.name)
    if sop is None or not sop.id:
        return
    full = SopRefs.of(sop)
    assert quick is not None
    assert (quick.id, quick.calls, quick.related) == (full.id, full.calls, full.related)


LINE_ENDS = st.sampled_from(["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e",
                             "\x85", "\u2028", "\u2029", "\x1f", " "])  # fmt: skip
LINES = st.lists(st.tuples(st.integers(0, 300), st.sampled_from("a-[ "), LINE_ENDS), max_size=6)


@given(LINES)
def test_the_deep_nesting_guard_measures_lines_as_splitlines_does(
    lines: list[tuple[int, str, str]],
) -> None:
    text = "".join(char * length + end for length, char, end in lines)
    longest = max(map(len, text.splitlines()), default=0)
    expected = (
        text.count("[") + text.count("{") > guards.MAX_DEPTH
        or longest > 4 * guards.MAX_DEPTH
        or text.count("- - ") > guards.MAX_DEPTH // 2
    )
    assert guards.looks_deep(text) == expected
