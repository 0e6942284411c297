"""User text is data: escaping for Markdown and Mermaid, and Unicode slugs.

`Md` marks text that is already Markdown; everything else printed by a
template is escaped by the Jinja environment (see `templates.py`).
"""

from __future__ import annotations

import re
import unicodedata


class Md(str):
    """Markdown produced by sopkit itself: printed as is."""

    __slots__ = ()


_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~#!])")
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]|~#!&<>]")


def md_text(text: str) -> Md:
    """Plain text shown as itself in Markdown: one line, no formatting, no HTML."""
    text = str(text)
    # Most text needs nothing: no character to escape, and no spacing to tidy (every
    # space but " " is unprintable, so isprintable() rules out tabs, newlines and the like).
    if (
        text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
        and _MARKDOWN_SPECIAL.search(text) is None
    ):
        return Md(text)
    one_line = " ".join(text.split())
    escaped = one_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _INLINE_SPECIAL.search(escaped) is None:  # most text: no substitution to prepare
        return Md(escaped)
    return Md(_INLINE_SPECIAL.sub(r"\\\1", escaped))


BRACKETS_KEPT = 1_000
"""More `[` than this in one text and they are all shown as brackets, no link made:
Python-Markdown looks for each one's link to the end of its paragraph, which took
0.9 s for a text of 3,000 (and a page has a text in several places)."""


def _tame(text: str) -> str:
    if text.count("[") <= BRACKETS_KEPT:
        return text
    return re.sub(r"(?<!\\)\[", r"\\[", text)


def md_block(text: str) -> Md:
    """A user's Markdown (purpose, details, terms): formatting kept, raw HTML shown as text."""
    return Md(_tame(str(text).strip().replace("<", "&lt;")))


def md_cell(text: str) -> Md:
    """A user's Markdown squeezed into one table cell: one line, pipes escaped."""
    one_line = _tame(" ".join(str(text).split()).replace("<", "&lt;"))
    return Md(re.sub(r"(?<!\\)\|", r"\\|", one_line))


_BLOCK_START = re.compile(r"(?:[-+*>#]|\d{1,9}[.)])(?=\s|$)")


def md_line(text: str) -> Md:
    """A user's Markdown shown as one line of its own (the purpose's first sentence in
    the index): formatting kept, but a leading `- `, `> `, `# ` or `1. ` is text, never
    a list, quote or heading (`- - - - …` was a list nested thousands deep)."""
    cell = md_cell(text)
    marker = _BLOCK_START.match(cell)
    if marker is None:
        return cell
    end = marker.end()  # `1.` -> `1\.`: a backslash escapes punctuation only
    return Md(f"{cell[: end - 1]}\\{cell[end - 1 :]}")


def slug(text: str) -> str:
    """A stable anchor or file name from any script: `Εκπρόσωπος εξυπηρέτησης` stays Greek."""
    normal = unicodedata.normalize("NFC", str(text)).lower()
    return re.sub(r"[^\w]+", "-", normal).strip("-_") or "x"


# Mermaid reads `#name;` and `#123;` as characters. `:` and `;` are written so too: before
# parsing, Mermaid cuts the last `;` off any line that matches `style.*:\S*#.*;` (a label
# reading "style:" and a quote lost its closing quote's `;`).
_MERMAID_ENTITIES = {
    '"': "#quot;",
    ":": "#58;",
    ";": "#59;",
    "\\": "#92;",  # `\n` in a label would be a line break
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    "`": "#96;",
    "&": "#amp;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
    "(": "#40;",
    ")": "#41;",
}


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: no character can end the label or the chart."""
    one_line = " ".join(str(text).split())
    return "".join(_MERMAID_ENTITIES.get(ch, ch) for ch in one_line)
