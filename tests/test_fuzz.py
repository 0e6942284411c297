"""Any YAML document, however wrong, ends in problems: never an exception, never a hang."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from sopkit.build.fieldnames import ALL_NODE_FIELDS, CHANGE_FIELDS, KPI_FIELDS, TOP_FIELDS
from sopkit.checker import CheckOptions, check
from sopkit.config import Config

FIELD_NAMES = st.sampled_from([*TOP_FIELDS, *ALL_NODE_FIELDS, *KPI_FIELDS, *CHANGE_FIELDS,
                               "x-extra", "titel", "Yes", ""])  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(["1h30m", "2026-02-30", "a", "Yes", "n0", "T-1",
                                           "# not", "sopkit: disable=schema", "ΤΤΡ SLA"]),
)  # fmt: skip


def values(depth: int = 3) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(FIELD_NAMES, inner, max_size=5),
    )


NODE = st.dictionaries(FIELD_NAMES, values(2), max_size=6)
DOCUMENT = st.one_of(
    values(3),
    st.fixed_dictionaries(
        {"id": st.sampled_from(["T-1", "T-2"]), "steps": st.lists(st.one_of(NODE, values(1)),
                                                                   max_size=6)},
        optional={name: values(2) for name in TOP_FIELDS if name not in ("id", "steps")},
    ),
)  # fmt: skip


def dump(document: Any) -> str:
    out = io.StringIO()
    yaml = YAML()
    yaml.default_flow_style = None
    yaml.dump(document, out)
    return out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(DOCUMENT, min_size=1, max_size=3))
def test_any_document_ends_in_problems_not_exceptions(documents: list[Any]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for number, document in enumerate(documents):
            (root / f"f{number}.yaml").write_text(dump(document), encoding="utf-8")
        result = check([folder], Config(root=root, source=root), CheckOptions(date(2026, 1, 1)),
                       keep_models=True)  # fmt: skip
        assert result.files_checked == len(documents)
        for problem in result.problems:
            assert problem.line >= 1
            assert problem.column >= 1
            assert problem.message
