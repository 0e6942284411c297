"""Times in event logs: ISO 8601 read quickly, a spreadsheet's own layout read with
strptime codes (`--time-format`), and that layout named when times are not understood."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from sopkit.errors import SopkitError


def parse_time(text: str, zone: tzinfo) -> float | None:
    """ISO 8601 (`2012-10-09T14:50:17.000+02:00`, `...Z`) and `2012/10/09 14:50:17.000`;
    None when it is not a time."""
    value = text.strip()
    if len(value) >= 10 and value[4] == "/" and value[7] == "/":
        value = value[:4] + "-" + value[5:7] + "-" + value[8:]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


class TimeParser:
    """`parse_time` with a short way for the common `YYYY-MM-DD hh:mm:ss[.fff]` without a
    zone, when `zone` has a fixed offset: each date is converted once, the time of day is
    added (a million events have a few thousand dates)."""

    def __init__(self, zone: tzinfo, layout: str | None = None) -> None:
        self.zone = zone
        self.fixed = zone.utcoffset(None) is not None  # UTC, +02:00; not Europe/Ljubljana
        self.days: dict[str, float | None] = {}
        self.layout = layout

    def __call__(self, text: str) -> float | None:
        value = text.strip()
        if self.layout is not None:
            return _laid_out(value, self.layout, self.zone)
        size = len(value)
        fraction_ok = size == 19 or (size > 20 and value[19] == "." and value[20:].isdigit())
        if (self.fixed and fraction_ok and value[10] in " T" and value[13] == ":"
                and value[16] == ":" and value[11:13].isdigit() and value[14:16].isdigit()
                and value[17:19].isdigit()):  # fmt: skip
            date = value[:10]
            day = self.days.get(date, -1.0)
            if day == -1.0:
                day = self.days[date] = parse_time(date + " 00:00:00", self.zone)
            hours, minutes, seconds = int(value[11:13]), int(value[14:16]), int(value[17:19])
            if day is not None and hours < 24 and minutes < 60 and seconds < 60:
                fraction = float("0" + value[19:]) if size > 20 else 0.0
                return day + hours * 3600 + minutes * 60 + seconds + fraction
        return parse_time(value, self.zone)


def _laid_out(value: str, layout: str, zone: tzinfo) -> float | None:
    try:
        moment = datetime.strptime(value, layout)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


# Layouts that spreadsheets and helpdesks write, tried on the times that were not
# understood: day first (Slovenia, Greece, most of Europe) before month first (the US).
LAYOUTS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d. %m. %Y %H:%M:%S", "%d. %m. %Y %H:%M",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
    "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y",
)  # fmt: skip


def time_layout(given: str | None) -> str | None:
    """`--time-format` checked: strptime codes that hold a date."""
    if given is None:
        return None
    if not any(code in given for code in ("%d", "%j", "%U", "%W")) or "%" not in given:
        raise SopkitError(f"--time-format '{given}' names no day: write strptime codes such as "
                       "'%d.%m.%Y %H:%M' (15.01.2026 09:30)")  # fmt: skip
    try:
        datetime.now().strftime(given)
    except ValueError as exc:
        raise SopkitError(f"--time-format '{given}': {exc}") from None
    return given


def layouts_of(values: Sequence[str]) -> list[str]:
    """The layouts of LAYOUTS that read every one of `values` (two when the day and the
    month could be either way round)."""
    if not values:
        return []
    return [layout for layout in LAYOUTS
            if all(_laid_out(v, layout, UTC) is not None for v in values)]  # fmt: skip
