"""Parsers for the contract's value types, each returning a value or a reason."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import date

from sopkit.model import Duration

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LANGUAGE_PATTERN = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
DATE_PATTERN = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_DURATION_GROUP = re.compile(r"(\d+)([smhdw])")
_SPELLED_UNITS = {
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
    "w": ("w", "wk", "wks", "week", "weeks"),
}
# Only where a number starts, and possessive: tried from every digit of a long number,
# the pattern took minutes for a `duration:` of 100,000 digits.
_SPELLED = re.compile(r"(?<!\d)(\d++)\s*+([A-Za-z]++)")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest candidate, or an empty string."""
    from difflib import get_close_matches  # only when something is misspelt

    pool = sorted(set(candidates))
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    close = get_close_matches(word, pool, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


@functools.lru_cache(maxsize=4096)  # SOPs say "5m", "15m" and "1h" again and again
def parse_duration(text: str) -> Duration | None:
    compact = text.strip()
    if not _DURATION.fullmatch(compact):
        return None
    seconds = sum(int(n) * UNIT_SECONDS[u] for n, u in _DURATION_GROUP.findall(compact))
    return Duration(seconds, compact)


def duration_hint(text: str) -> str:
    """Suggest the contract form of a duration written in words (`2 hours` -> `2h`)."""
    groups = _SPELLED.findall(text)
    if not groups:
        return ""
    spelled: list[str] = []
    for number, word in groups:
        unit = next((u for u, names in _SPELLED_UNITS.items() if word.lower() in names), None)
        if unit is None:
            return ""
        spelled.append(f"{number}{unit}")
    return f" (did you mean '{''.join(spelled)}'?)"


def format_seconds(seconds: int) -> str:
    """Seconds back to the compact duration form (`5400` -> `1h30m`)."""
    if seconds == 0:
        return "0m"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_date(text: str) -> date | None:
    match = DATE_PATTERN.fullmatch(text.strip())
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def is_valid_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None


def is_language_tag(text: str) -> bool:
    return LANGUAGE_PATTERN.fullmatch(text) is not None
