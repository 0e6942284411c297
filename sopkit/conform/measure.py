"""What happened, measured against the SOP: fitting cases, deviations, where time goes,
the SLA, path variants and the answers at each decision (docs/conform.md).

Medians are the middle value (the mean of the two middle ones for an even count);
P90 is the nearest rank (the smallest value with at least 90% of the values at or
below it).
"""

from __future__ import annotations

import math
import operator
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sopkit.conform.align import Alignment, Model
from sopkit.conform.logs import START, Event, Log
from sopkit.conform.mapping import Resolved
from sopkit.model import Decision, Sop, seconds_of

SLOW_FACTOR = 2.0
"""A node whose median time is this many times its declared duration is flagged."""


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Deviation:
    kind: str  # skipped, unexpected, unknown-activity, not-finished
    node: str | None
    activity: str | None
    time: str


@dataclass(slots=True)
class CaseResult:
    case: str
    fits: bool
    deviations: list[Deviation]
    duration_s: float
    within_sla: bool | None
    events: int


@dataclass
class NodeStats:
    id: str
    text: str
    kind: str
    silent: bool
    declared_s: int | None
    cases: int = 0
    events: int = 0
    reached: int = 0  # cases whose path passes the node (events or silent)
    times: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def p90_s(self) -> float | None:
        return p90(self.times) if self.times else None

    @property
    def slow(self) -> bool:
        median = self.median_s
        return bool(self.declared_s and median is not None
                    and median >= SLOW_FACTOR * self.declared_s)  # fmt: skip


@dataclass(frozen=True)
class Variant:
    activities: tuple[str, ...]
    cases: int
    fits: bool


@dataclass
class DecisionStats:
    id: str
    text: str
    cases: int
    answers: list[tuple[str, int]]  # (answer, cases), in the SOP's order


@dataclass
class Report:
    sop: Sop
    logs: list[str]
    cases: int
    events: int
    fitting: int
    bad_rows: int
    bad_examples: list[tuple[str, int, str]]  # (file, line, why)
    unknown: list[tuple[str, int]]  # (activity, events), most first
    never_logged: list[str]
    case_results: list[CaseResult]
    nodes: list[NodeStats]
    variants: list[Variant]
    decisions: list[DecisionStats]
    edges: dict[tuple[int, int], int]  # (source, target) -> cases
    durations: list[float]  # per case
    csat: float | None = None
    csat_cases: int = 0
    csat_column: str | None = None  # the attribute --csat named
    time_hint: str | None = None  # how to read the times that were not understood

    @property
    def fitness(self) -> float:
        return self.fitting / self.cases if self.cases else 0.0

    @property
    def sla_s(self) -> int | None:
        return self.sop.sla.seconds if self.sop.sla else None

    @property
    def duration_median_s(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    @property
    def duration_p90_s(self) -> float | None:
        return p90(self.durations) if self.durations else None

    @property
    def within_sla(self) -> float | None:
        if self.sla_s is None or not self.durations:
            return None
        limit = self.sla_s
        return sum(1 for d in self.durations if d <= limit) / len(self.durations)

    @property
    def bottleneck(self) -> NodeStats | None:
        timed = [n for n in self.nodes if n.times]
        if not timed:
            return None
        return max(timed, key=lambda n: (sum(n.times), -self.nodes.index(n)))

    def time_share(self, node: NodeStats) -> float:
        total = sum(sum(n.times) for n in self.nodes)
        return sum(node.times) / total if total else 0.0


_time = operator.itemgetter(0)
_activity = operator.itemgetter(1)


def _durations(events: Sequence[Event], paired: bool) -> dict[int, float]:
    """Position in `events` -> how long that completed activity took: from its start
    event, its row's start time, or else from the event before it (completion to
    completion)."""
    took: dict[int, float] = {}
    open_starts: dict[int, list[float]] = {}
    previous: float | None = None
    for position, event in enumerate(events):
        if event.lifecycle == START:
            open_starts.setdefault(event.activity, []).append(event.time)
            continue
        if event.started is not None:
            took[position] = event.time - event.started
        elif paired:
            starts = open_starts.get(event.activity)
            if starts:
                took[position] = event.time - starts.pop()
        elif previous is not None:
            took[position] = event.time - previous
        previous = event.time
    return took


class _Variant:
    """What every case with the same kept activities shares: worked out once. A fitting
    variant keeps no alignment: only deviations need it, and a log can have 100,000
    variants."""

    __slots__ = ("alignment", "answers", "cases", "edges", "fits", "mapped", "nodes", "passed",
                 "sequence", "timed", "unknown")  # fmt: skip

    def __init__(self, key: tuple[int, ...], model: Model, node_of: Sequence[int | None]) -> None:
        self.mapped = [place for place, code in enumerate(key) if node_of[code] is not None]
        self.unknown = [place for place, code in enumerate(key) if node_of[code] is None]
        self.sequence = [node_of[key[place]] for place in self.mapped]
        sequence = self.sequence
        # (place, node) of the events timed from the event before them (completion to completion)
        self.timed = [(place, node) for place, node in zip(self.mapped, sequence, strict=True)
                      if place > 0 and node is not None]  # fmt: skip
        self.alignment: Alignment | None = model.align(sequence)
        self.fits = model.fits(sequence) and not self.unknown
        self.nodes: Counter[int] = Counter(n for n in sequence if n is not None)  # node -> events
        moves = self.alignment.moves if self.alignment is not None else ()
        walked = [m for m in moves if m.kind in ("step", "silent") and m.node is not None]
        self.passed: set[int] = {m.node for m in walked if m.node is not None}
        self.edges = {(m.came_from, m.node) for m in walked if m.came_from is not None}
        self.answers: dict[int, set[str]] = {}
        for move in moves:
            if move.came_from is not None and move.answer is not None and move.kind != "unexpected":
                self.answers.setdefault(move.came_from, set()).add(move.answer)
        self.cases = 0
        if self.fits:
            self.alignment = None
            self.sequence = []


def _deviations(
    variant: _Variant,
    kept: Sequence[tuple[int, Event]],
    last: tuple[int, float],
    sop: Sop,
    names: Sequence[str],
) -> list[Deviation]:
    """A case's deviations, in time order, each at the time of its event (skipped and
    not-finished: the next event in step, else the case's last)."""
    found: list[tuple[float, int, Deviation]] = []
    for place in variant.unknown:
        position, event = kept[place]
        activity = names[event.activity]
        found.append((event.time, position, Deviation("unknown-activity", None, activity,
                                                      iso(event.time))))  # fmt: skip
    assert variant.alignment is not None  # kept for variants that do not fit
    moves = variant.alignment.moves
    for order, move in enumerate(moves):
        if move.kind == "unexpected":
            assert move.event is not None
            position, event = kept[variant.mapped[move.event]]
            target = variant.sequence[move.event]  # the node the activity is, out of place
            found.append((event.time, position, Deviation(
                "unexpected", None if target is None else sop.nodes[target].id,
                names[event.activity], iso(event.time))))  # fmt: skip
        elif move.kind in ("skipped", "not-finished"):
            following = next((m.event for m in moves[order:]
                              if m.event is not None and m.kind == "step"), None)  # fmt: skip
            position, when = last
            if following is not None:
                position, event = kept[variant.mapped[following]]
                when = event.time
            node_id = sop.nodes[move.node].id if move.node is not None else None
            found.append((when, position, Deviation(move.kind, node_id, None, iso(when))))
    found.sort(key=lambda item: (item[0], item[1]))
    return [deviation for _, _, deviation in found]


def measure(sop: Sop, log: Log, resolved: Resolved, csat: str | None = None) -> Report:
    model = Model(sop, resolved.silent)
    names = log.activities
    node_of, ignored = resolved.node_of, resolved.ignored
    paired = log.starts
    nodes = [
        NodeStats(n.id, n.text, n.kind.value, n.index in resolved.silent, seconds_of(n) or None)
        for n in sop.nodes
    ]
    variants: dict[tuple[int, ...], _Variant] = {}
    results: list[CaseResult] = []
    durations: list[float] = []
    sla = sop.sla.seconds if sop.sla else None
    csat_values: list[float] = []
    # The usual log (completions only, nothing ignored, no start times): every event is kept,
    # a step's time is from the event before it, and no per-event work is needed beyond that.
    simple = not paired and not any(ignored) and not log.timed_rows
    times_of = [node.times for node in nodes]
    for case in sorted(log.cases, key=_case_order):
        events = sorted(log.cases[case], key=_time)
        if simple:
            key = tuple(map(_activity, events))
            variant = variants.get(key)
            if variant is None:
                variant = variants[key] = _Variant(key, model, node_of)
            for place, node in variant.timed:
                times_of[node].append(events[place][0] - events[place - 1][0])
            kept = list(enumerate(events)) if not variant.fits else []
        else:
            took = _durations(events, paired)
            kept = [(p, e) for p, e in enumerate(events)
                    if e.lifecycle != START and not ignored[e.activity]]  # fmt: skip
            key = tuple(e.activity for _, e in kept)
            variant = variants.get(key)
            if variant is None:
                variant = variants[key] = _Variant(key, model, node_of)
            for place in variant.mapped:
                position, event = kept[place]
                spent = took.get(position)
                target = node_of[event.activity]
                if spent is not None and target is not None:
                    times_of[target].append(spent)
        variant.cases += 1
        deviations = [] if variant.fits else _deviations(
            variant, kept, (len(events), events[-1].time), sop, names)  # fmt: skip
        duration = events[-1].time - events[0].time
        durations.append(duration)
        within = None if sla is None else duration <= sla
        results.append(CaseResult(case, variant.fits, deviations, duration, within, len(events)))
        if csat is not None:
            number = _number(log.attributes.get(case, {}).get(csat))
            if number is not None:
                csat_values.append(number)
    unknown: Counter[str] = Counter()
    edges: Counter[tuple[int, int]] = Counter()
    answered = {n.index: Counter[str]() for n in sop.nodes if isinstance(n, Decision)}
    asked: Counter[int] = Counter()
    for key, variant in variants.items():
        count = variant.cases
        for place in variant.unknown:
            unknown[names[key[place]]] += count
        for node, events_here in variant.nodes.items():
            nodes[node].cases += count
            nodes[node].events += events_here * count
        for node in variant.passed:
            nodes[node].reached += count
        for edge in variant.edges:
            edges[edge] += count  # type: ignore[index]
        for decided, given in variant.answers.items():
            if decided in answered:
                asked[decided] += count
                for answer in given:
                    answered[decided][answer] += count
    ordered = sorted(variants.items(), key=lambda item: (-item[1].cases,
                                                         [names[a] for a in item[0]]))  # fmt: skip
    decision_stats: list[DecisionStats] = []
    for index, counted in answered.items():
        question = sop.nodes[index]
        assert isinstance(question, Decision)
        shares = [(branch.label, counted[branch.label]) for branch in question.branches]
        decision_stats.append(DecisionStats(question.id, question.text, asked[index], shares))
    fitting = sum(variant.cases for variant in variants.values() if variant.fits)
    return Report(
        sop=sop,
        logs=log.files,
        cases=len(log.cases),
        events=log.events,
        fitting=fitting,
        bad_rows=log.bad_count,
        bad_examples=[(file, row.line, row.why) for file, row in log.bad],
        unknown=sorted(unknown.items(), key=lambda item: (-item[1], item[0])),
        never_logged=resolved.never_logged,
        case_results=results,
        nodes=nodes,
        variants=[Variant(tuple(names[a] for a in key), v.cases, v.fits) for key, v in ordered],
        decisions=decision_stats,
        edges=dict(edges),
        durations=durations,
        csat=statistics.fmean(csat_values) if csat_values else None,
        csat_cases=len(csat_values),
        csat_column=csat,
        time_hint=log.time_hint(),
    )


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _case_order(case: str) -> tuple[str, int, str]:
    """`Case 2` before `Case 10`: the text before a trailing number, the number, the text."""
    stem = case.rstrip("0123456789")
    digits = case[len(stem) :]
    return (stem, int(digits) if digits and len(digits) < 19 else -1, case)
