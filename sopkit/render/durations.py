"""Durations in the reader's language: "10 min", "10 λεπτά", "about 2 hours", "1 dan".

The format writes durations for machines (`1h30m`); pages say them as people do.
Each language's words are in its label catalogue (`unit_<u>_<form>` on a step's
line, `word_<u>_<form>` in sentences), with its plural forms: English and Greek
have one and other; Slovenian has one, two, few and other.
"""

from __future__ import annotations

from collections.abc import Mapping

UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def plural_form(language: str | None, count: int) -> str:
    """The CLDR plural category of a whole number in `language`."""
    primary = (language or "en").split("-")[0].lower()
    if primary == "sl":
        rest = count % 100
        return {1: "one", 2: "two", 3: "few", 4: "few"}.get(rest, "other")
    return "one" if count == 1 else "other"


def _parts(seconds: int) -> list[tuple[int, str]]:
    parts = []
    for unit, size in UNITS:
        if seconds >= size:
            parts.append((seconds // size, unit))
            seconds %= size
    return parts


def _word(count: int, unit: str, labels: Mapping[str, str], language: str | None, kind: str) -> str:
    form = plural_form(language, count)
    name = labels.get(f"{kind}_{unit}_{form}") or labels[f"{kind}_{unit}_other"]
    return f"{count} {name}"


def compact(seconds: int, labels: Mapping[str, str], language: str | None) -> str:
    """Exact, short: a step's expected time ("1 h 30 min", "1 ώρα 30 λεπτά")."""
    parts = _parts(seconds) or [(0, "m")]
    return " ".join(_word(count, unit, labels, language, "unit") for count, unit in parts)


def spoken(
    seconds: int, labels: Mapping[str, str], language: str | None, approximate: bool = False
) -> str:
    """In words; `approximate` says "about" and rounds to the largest unit ("about 2 hours")."""
    parts = _parts(seconds) or [(0, "m")]
    if not approximate:
        return " ".join(_word(count, unit, labels, language, "word") for count, unit in parts)
    unit = parts[0][1]
    size = dict(UNITS)[unit]
    words = _word((seconds + size // 2) // size, unit, labels, language, "word")
    return labels["about"].format(words)
