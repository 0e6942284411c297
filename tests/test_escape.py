"""Markdown escaping: the shortcut for plain text gives what the full treatment gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sopkit.escape import md_text


def _escaped_in_full(text: str) -> str:
    one_line = " ".join(text.split())
    escaped = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|~#!])", r"\\\1", escaped)


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from("aΑčž 1.,:;?\\`*_[]|~#!&<>\t\n\r\u00a0\u2003\x1c"),
               max_size=30))  # fmt: skip
def test_md_text_is_the_full_escape(text: str) -> None:
    assert md_text(text) == _escaped_in_full(text)


def test_plain_text_is_returned_as_it_is() -> None:
    assert md_text("Call the customer back at 10:30, then close the ticket.") == (
        "Call the customer back at 10:30, then close the ticket."
    )
    assert md_text("  two  spaces ") == "two spaces"
    assert md_text("<script>*x*</script>") == r"&lt;script&gt;\*x\*&lt;/script&gt;"
