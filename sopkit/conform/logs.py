"""Reading event logs: CSV as helpdesks export them, and XES (IEEE 1849), streamed.

An event is one activity of one case at one time. Rows need not be sorted; what
cannot be read (no case, no activity, a time that is not one) is counted with its
line and left out, never a traceback. A file that is not a log at all is a clear
error. Times are kept as seconds since the epoch (UTC); a time without a zone is
in `zone` (UTC unless told).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import NamedTuple

from sopkit.conform.times import TimeParser, layouts_of, parse_time
from sopkit.errors import ExitCode, SopkitError
from sopkit.text import clip
from sopkit.values import did_you_mean

COMPLETE, START = 0, 1


class LogError(SopkitError):
    """An event log sopkit cannot read: names the file, and the line when there is one."""

    exit_code = ExitCode.USAGE


class Event(NamedTuple):
    time: float  # seconds since the epoch, UTC; a case's events are kept in file order, so a
    # stable sort by time keeps the file's order where times tie
    activity: int  # index into `Log.activities`
    lifecycle: int  # COMPLETE or START
    started: float | None = None  # a row's own start time (a `Start Timestamp` column)


@dataclass
class BadRow:
    line: int
    why: str


@dataclass
class Log:
    """Events by case, activities by name, and what could not be read."""

    files: list[str]
    activities: list[str] = field(default_factory=list)
    cases: dict[str, list[Event]] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # case -> name -> value
    bad: list[tuple[str, BadRow]] = field(default_factory=list)  # (file, row)
    bad_count: int = 0
    events: int = 0
    bad_times: list[str] = field(default_factory=list)  # the first times not understood
    timed_rows: bool = False  # some row has its own start time
    starts: bool = False  # some event is a start (lifecycle): steps are timed from them
    _codes: dict[str, int] = field(default_factory=dict)

    def code(self, activity: str) -> int:
        number = self._codes.get(activity)
        if number is None:
            number = self._codes[activity] = len(self.activities)
            self.activities.append(activity)
        return number

    def add(self, case: str, activity: str, time: float, lifecycle: int,
            started: float | None = None) -> None:  # fmt: skip
        event = Event(time, self.code(activity), lifecycle, started)
        self.starts = self.starts or lifecycle == START
        events = self.cases.get(case)
        if events is None:
            self.cases[case] = [event]
        else:
            events.append(event)
        self.events += 1

    def reject(self, file: str, line: int, why: str) -> None:
        self.bad_count += 1
        if len(self.bad) < 1000:  # the count says the rest
            self.bad.append((file, BadRow(line, why)))

    def time_hint(self) -> str | None:
        """How to read the times that were not understood, when they share a layout."""
        layouts = layouts_of(self.bad_times)
        if not layouts:
            return None
        given = " or ".join(f"--time-format '{layout}'" for layout in layouts[:2])
        return f"times such as '{clip(self.bad_times[0], 40)}' are not ISO 8601: give {given}"


# Column names as exporters write them (lowercase, runs of space, `_` and `-` as one space).
COLUMN_NAMES = {
    "case": ("case id", "case:concept:name", "case", "caseid", "case concept name",
             "ticket id", "ticket", "incident id", "trace id"),
    "activity": ("activity", "concept:name", "activity name", "event", "task", "action",
                 "event name"),
    "timestamp": ("complete timestamp", "time:timestamp", "timestamp", "end timestamp",
                  "end time", "completion time", "time", "datetime", "date"),
    "start": ("start timestamp", "start time", "start"),
    "resource": ("resource", "org:resource", "user", "agent", "performer", "owner"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition", "event type"),
}  # fmt: skip
REQUIRED = ("case", "activity", "timestamp")
_SPACES = re.compile(r"[\s_\-]+")


def _normal(name: str) -> str:
    return _SPACES.sub(" ", name.strip().lower())


def _lifecycle(value: str) -> int | None:
    """COMPLETE, START, or None for other transitions (schedule, suspend, ...): left out."""
    word = value.strip().lower()
    if word in ("", "complete", "completed", "end", "finish", "finished"):
        return COMPLETE
    if word in ("start", "started", "begin"):
        return START
    return None


@dataclass(frozen=True)
class Columns:
    """Which column holds what: `--case` and the other options name them; the rest is
    found by the common names."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    resource: str | None = None
    extra: tuple[str, ...] = ()  # case attributes to keep (`--csat`)
    time_format: str | None = None  # strptime codes, for times that are not ISO 8601


def _find_columns(header: Sequence[str], chosen: Columns, path: str) -> dict[str, int]:
    normal = [_normal(name) for name in header]
    found: dict[str, int] = {}
    for role in COLUMN_NAMES:
        named = getattr(chosen, role, None)
        if named is not None:
            if named not in header and _normal(named) not in normal:
                hint = did_you_mean(named, header)
                raise LogError(f"{path}:1: no column '{named}' (given with --{role}){hint}; "
                               f"the columns are: {_listed(header)}")  # fmt: skip
            at = header.index(named) if named in header else normal.index(_normal(named))
            found[role] = at
            continue
        for candidate in COLUMN_NAMES[role]:
            if candidate in normal:
                found[role] = normal.index(candidate)  # the first of a repeated name
                break
    for name in chosen.extra:
        if name not in header and _normal(name) not in normal:
            hint = did_you_mean(name, header)
            raise LogError(f"{path}:1: no column '{clip(name, 60)}'{hint}; the columns are: "
                           f"{_listed(header)}")  # fmt: skip
    missing = [role for role in REQUIRED if role not in found]
    if missing:
        raise LogError(
            f"{path}:1: this does not look like an event log: no {' and no '.join(missing)} "
            f"column among {_listed(header) or 'no columns'}",
            hint="name them: " + " ".join(f"--{role} COLUMN" for role in missing),
        )
    return found


LISTED_COLUMNS = 30


def _listed(header: Sequence[str]) -> str:
    """The columns for a message: the first 30, each cut at 60 characters."""
    shown = ", ".join(clip(name, 60) for name in header[:LISTED_COLUMNS])
    more = len(header) - LISTED_COLUMNS
    return f"{shown} and {more:,} more" if more > 0 else shown


def _sniff(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def read_csv(path: str, log: Log, chosen: Columns, zone: tzinfo) -> None:
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise LogError(f"{path}: cannot read it: {exc.strerror}") from None
    with handle:
        try:
            sample = handle.read(65536)
        except UnicodeDecodeError:
            raise LogError(f"{path}: not UTF-8 text: is it an event log?") from None
        handle.seek(0)
        reader = csv.reader(handle, _sniff(sample))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise LogError(f"{path}:1: {exc}") from None
        if not header:
            raise LogError(f"{path}: empty: an event log has a header row and a row per event")
        columns = _find_columns(header, chosen, path)
        _read_rows(reader, path, log, columns, header, chosen, zone)


def _read_rows(
    reader: Iterator[list[str]],
    path: str,
    log: Log,
    columns: dict[str, int],
    header: Sequence[str],
    chosen: Columns,
    zone: tzinfo,
) -> None:
    case_at, activity_at, time_at = columns["case"], columns["activity"], columns["timestamp"]
    start_at, life_at = columns.get("start"), columns.get("lifecycle")
    normal = [_normal(name) for name in header]
    extra = [(name, header.index(name) if name in header else normal.index(_normal(name)))
             for name in chosen.extra]  # fmt: skip
    width = max(columns.values())
    parse = TimeParser(zone, chosen.time_format)
    cases, codes = log.cases, log._codes  # the loop of a million rows: no method calls
    count = 0
    line = 1
    try:
        for row in reader:
            line = reader.line_num  # type: ignore[attr-defined]
            if len(row) <= width:
                if row and (len(row) > 1 or row[0].strip()):
                    log.reject(path, line, f"{len(row)} columns, {width + 1} expected")
                continue
            case, activity = row[case_at].strip(), row[activity_at].strip()
            if not case:
                log.reject(path, line, "no case")
                continue
            if not activity:
                log.reject(path, line, "no activity")
                continue
            time = parse(row[time_at])
            if time is None:
                log.reject(path, line, f"'{clip(row[time_at], 60)}' is not a time")
                if len(log.bad_times) < 20 and row[time_at].strip():
                    log.bad_times.append(row[time_at].strip())
                continue
            lifecycle = _lifecycle(row[life_at]) if life_at is not None else COMPLETE
            if lifecycle is None:
                continue
            started = None
            if start_at is not None and row[start_at].strip():
                started = parse(row[start_at])
                log.timed_rows = log.timed_rows or started is not None
            code = codes.get(activity)
            if code is None:
                code = log.code(activity)
            count += 1
            if lifecycle == START:
                log.starts = True
            event = Event(time, code, lifecycle, started)
            known = cases.get(case)
            if known is None:
                cases[case] = [event]
            else:
                known.append(event)
            for name, at in extra:
                if at < len(row) and row[at].strip():
                    log.attributes.setdefault(case, {})[name] = row[at].strip()
        log.events += count
    except csv.Error as exc:  # in the row that starts after the last one read
        raise LogError(f"{path}:{line + 1}: {_csv_error(exc)}") from None
    except UnicodeDecodeError:
        raise LogError(f"{path}:{line + 1}: not UTF-8 text") from None


def _csv_error(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return (f"a field of over {csv.field_size_limit():,} characters: "
                'is a quote (") opened and never closed?')  # fmt: skip
    return str(error)


_XES_ROOT = re.compile(rb"<\s*(?:\w+:)?log[\s>]")
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _local(tag: object) -> str:
    name = tag if isinstance(tag, str) else ""
    return name.rsplit("}", 1)[-1]


def read_xes(path: str, log: Log, chosen: Columns, zone: tzinfo) -> None:
    """A XES log, streamed: each trace is read, kept as events, and dropped from memory."""
    from lxml import etree

    from sopkit.xmlerrors import xml_problem

    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise LogError(f"{path}: cannot read it: {exc.strerror}") from None
    if _DOCTYPE.search(head):
        raise LogError(f"{path}: a DOCTYPE is not accepted in XES (no DTDs, no entities)")
    if not _XES_ROOT.search(head):
        raise LogError(f"{path}: not a XES log (no <log> element)")
    case_key = chosen.case or "concept:name"
    activity_key = chosen.activity or "concept:name"
    time_key = chosen.timestamp or "time:timestamp"
    wanted = set(chosen.extra)
    parser = etree.iterparse(path, events=("end",), resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_comments=True)  # fmt: skip
    try:
        for _, element in parser:
            kind = _local(element.tag)
            if kind == "trace":
                _xes_trace(element, log, path, case_key, activity_key, time_key, wanted, zone)
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        line, message = xml_problem(exc)
        raise LogError(f"{path}:{line}: {message}") from None


def _xes_trace(
    trace: object,
    log: Log,
    path: str,
    case_key: str,
    activity_key: str,
    time_key: str,
    wanted: set[str],
    zone: tzinfo,
) -> None:
    attributes: dict[str, str] = {}
    events = []
    for child in trace:  # type: ignore[attr-defined]
        if _local(child.tag) == "event":
            events.append(child)
        elif child.get("key") is not None:
            attributes[child.get("key")] = child.get("value", "")
    case = attributes.get(case_key, "").strip()
    line = getattr(trace, "sourceline", 0) or 0
    if not case:
        log.reject(path, line, f"a trace without '{case_key}'")
        return
    kept = {name: value for name, value in attributes.items() if name in wanted}
    if kept:
        log.attributes[case] = kept
    for event in events:
        values = {child.get("key"): child.get("value", "") for child in event}
        where = event.sourceline or line
        activity = values.get(activity_key, "").strip()
        if not activity:
            log.reject(path, where, "an event without an activity")
            continue
        time = parse_time(values.get(time_key, ""), zone)
        if time is None:
            log.reject(path, where, f"'{clip(values.get(time_key, ''), 60)}' is not a time")
            continue
        lifecycle = _lifecycle(values.get("lifecycle:transition", ""))
        if lifecycle is None:
            continue
        log.add(case, activity, time, lifecycle)


Reader = Callable[[str, Log, Columns, tzinfo], None]


def reader_for(path: str) -> Reader:
    lower = path.lower()
    if lower.endswith((".xes", ".xml")):
        return read_xes
    if lower.endswith(".xes.gz"):
        raise LogError(f"{path}: compressed XES: unpack it first (gunzip {os.path.basename(path)})")
    return read_csv


def read_logs(paths: Sequence[str], chosen: Columns, zone: tzinfo) -> Log:
    log = Log(list(paths))
    seen: dict[str, str] = {}
    for path in paths:
        real = os.path.realpath(path)
        if real in seen:
            raise LogError(f"{path} is given twice (as {seen[real]} too): its events would "
                           "count twice")  # fmt: skip
        seen[real] = path
        if os.path.isdir(path):
            raise LogError(f"{path} is a folder: name the log files")
        if not os.path.exists(path):
            raise LogError(f"no such file: {path}")
        if not os.path.isfile(path):  # read twice (the layout is sniffed first): no pipes
            raise LogError(f"{path} is not a regular file: save the log to a file first")
        reader_for(path)(path, log, chosen, zone)
    if not log.events:
        why = f" ({log.bad_count} rows could not be read)" if log.bad_count else ""
        raise LogError(f"no events in {', '.join(paths)}{why}", hint=log.time_hint())
    return log
