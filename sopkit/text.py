"""Words, acronyms and "the text" of a SOP, as the contract defines them."""

from __future__ import annotations

import functools
import re
import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from sopkit.model import KIND_NAMES, Sop
from sopkit.problems import Loc

WORD = re.compile(r"[^\W_]+")
"""A word is a maximal run of letters and digits, in any script."""


class Piece(NamedTuple):
    """One text field of a SOP; `definition_of` names the term it defines, if any."""

    text: str
    at: Loc
    definition_of: str | None = None


_new_tuple = tuple.__new__


def text_pieces(sop: Sop) -> list[Piece]:
    """Every field the contract counts as "the text", in file order."""
    where = sop.where
    pieces = [
        Piece(value, where.value(name))
        for name in ("title", "purpose", "scope")
        if (value := getattr(sop, name))
    ]
    pieces += [Piece(role.description, role.description_at) for role in sop.roles]
    pieces += [Piece(term.definition, term.definition_at, term.name) for term in sop.terms]
    for kpi in sop.kpis:
        for name in ("name", "target", "description"):
            value = getattr(kpi, name)
            if value:
                pieces.append(Piece(value, kpi.where.value(name)))
    for node in sop.nodes:  # the bulk: made without the tuple's own constructor
        values, at = node.where.values, node.where.at
        kind = KIND_NAMES[node.kind]
        pieces.append(_new_tuple(Piece, (node.text, values.get(kind, at), None)))
        if node.details:
            pieces.append(_new_tuple(Piece, (node.details, values.get("details", at), None)))
        for branch in getattr(node, "branches", ()):
            pieces.append(_new_tuple(Piece, (branch.label, branch.label_at, None)))
    return pieces


def acronym_of(word: str) -> str | None:
    """The acronym a word is (`SLAs` -> `SLA`, `2FA`, `ΤΤΡ`), or None (`P1`, `Tier`)."""
    if word.isupper():  # cheap test first: most words have a lower-case letter
        return word if _is_acronym(word) else None
    if len(word) > 2 and word[-1] == "s" and word[:-1].isupper() and _is_acronym(word[:-1]):
        return word[:-1]
    return None


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


class WordsSeen:
    """The words of a SOP's text pieces, counted once, so that whether a one-word term is
    used takes a look-up: a search of the whole text for each term took 6 s for a SOP of
    3,000 terms. It answers only "yes, as `whole_word` would find it"; anything else
    (a phrase, a term used nowhere) is for `whole_word` to decide."""

    def __init__(self, pieces: Iterable[Piece]) -> None:
        self.counts: Counter[str] = Counter()
        self.own: dict[str, Counter[str]] = {}  # term -> the words of its definition
        for piece in pieces:
            keys = (_case_blind(word) for word in WORD.findall(piece.text))
            words = Counter(key for key in keys if key is not None)
            self.counts.update(words)
            if piece.definition_of is not None:
                self.own.setdefault(piece.definition_of, Counter()).update(words)

    def used(self, term: str) -> bool:
        if not WORD.fullmatch(term):
            return False
        key = _case_blind(term)
        if key is None:
            return False
        own = self.own.get(term, Counter())
        return any(self.counts[form] > own[form] for form in (key, key + "s"))


def _case_blind(word: str) -> str | None:
    """A word as a case-insensitive pattern compares it (σ, ς and Σ alike); None where
    lower case differs in length (`İ`): equal keys might still differ to the pattern,
    so such a word is left to it."""
    lower = word.lower()
    return lower.replace("ς", "σ") if len(lower) == len(word) else None


def whole_word(phrase: str) -> re.Pattern[str]:
    """A case-insensitive pattern for a word or phrase standing alone, plural `s` allowed."""
    body = r"\s+".join(re.escape(part) for part in phrase.split())
    return re.compile(rf"(?<![^\W_]){body}s?(?![^\W_])", re.IGNORECASE)


def locate(word: str, at: Loc, lines: list[str]) -> Loc:
    """The exact line and column of `word` inside a (possibly multi-line) value."""
    pattern = re.compile(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])")
    first = at.line - 1
    for number in range(first, min(at.last_line, len(lines))):
        line = lines[number]
        match = pattern.search(line, at.column - 1 if number == first else 0)
        if match:
            return Loc(number + 1, match.start() + 1)
    return at


def clip(text: str, limit: int) -> str:
    """At most `limit` characters: a longer text is cut at a word where it can be, and
    ends in "…"."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip() + "…"


QUOTED_CHARS = 80
"""A value a problem's message quotes is cut to this when it is much longer: the message
stays one readable line and its position points at the whole value."""
_LONG_QUOTE = re.compile(r"'([^'\n]{200,})'")


def short_quotes(message: str) -> str:
    """The message with every quoted value of 200 characters or more cut to QUOTED_CHARS."""
    if len(message) < 200:
        return message
    return _LONG_QUOTE.sub(lambda m: f"'{clip(m.group(1), QUOTED_CHARS)}'", message)


@functools.cache
def _line_pattern(width: int) -> re.Pattern[str]:
    """The longest run of at most `width` characters that ends before a space or at the end."""
    return re.compile(rf"(.{{1,{width}}})(?: |\Z)")


def wrap(text: str, width: int) -> list[str]:
    """`textwrap.wrap(text, width)`, quicker for the usual label.

    For words one space apart, text that fits is one line, and with no hyphen and no
    word longer than `width`, textwrap's rules come down to filling each line greedily:
    one regular expression does that (charts wrap every label). Anything else goes to
    textwrap itself.
    """
    # isprintable: no tab, newline or other space than " " (textwrap treats those its way).
    plain = text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "
    if plain and len(text) <= width:  # one line, even where a hyphen would allow a break
        return [text] if text else []
    if not plain or "-" in text:
        return textwrap.wrap(text, width)
    lines = _line_pattern(width).findall(text)
    if " ".join(lines) == text:  # else a word was longer than a line and was skipped
        return lines
    return textwrap.wrap(text, width)
