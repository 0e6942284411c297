"""What happened, measured against the SOP: fitting cases, deviations, where time goes,
the SLA, path variants and the answers at each decision (docs/conform.md).

Medians are the middle value (the mean of the two middle ones for an even count);
P90 is the nearest rank (the smallest value with at least 90% of the values at or
below it).
"""

from __future__ import annotations

import math
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


@dataclass
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
    timed_from_starts: bool = False

    @property
    def fitness(self) -> float:
        return self.fitting / self.cases if self.cases else 0.0

    @property
    def sla_s(self) -> int | None:
        return self.sop.sla.seconds if self.sop.sla else None

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


def measure(sop: Sop, log: Log, resolved: Resolved, csat: str | None = None) -> Report:
    model = Model(sop, resolved.silent)
    names = log.activities
    node_of, ignored = resolved.node_of, resolved.ignored
    paired = any(e.lifecycle == START for events in log.cases.values() for e in events)
    nodes = [
        NodeStats(n.id, n.text, n.kind.value, n.index in resolved.silent, seconds_of(n) or None)
        for n in sop.nodes
    ]
    decisions = {n.index: Counter[str]() for n in sop.nodes if isinstance(n, Decision)}
    decision_cases: Counter[int] = Counter()
    edges: Counter[tuple[int, int]] = Counter()
    variants: Counter[tuple[int, ...]] = Counter()
    variant_fits: dict[tuple[int, ...], bool] = {}
    alignments: dict[tuple[int | None, ...], Alignment] = {}
    unknown: Counter[str] = Counter()
    results: list[CaseResult] = []
    durations: list[float] = []
    fitting = 0
    sla = sop.sla.seconds if sop.sla else None
    csat_values: list[float] = []
    for case in sorted(log.cases, key=_case_order):
        events = sorted(log.cases[case])
        took = _durations(events, paired)
        kept = [(p, e) for p, e in enumerate(events) if e.lifecycle != START
                and not ignored[e.activity]]  # fmt: skip
        deviations: list[tuple[float, int, Deviation]] = []
        mapped: list[tuple[int, Event]] = []
        for position, event in kept:
            node = node_of[event.activity]
            if node is None:
                unknown[names[event.activity]] += 1
                deviations.append((event.time, position, Deviation(
                    "unknown-activity", None, names[event.activity], iso(event.time))))  # fmt: skip
                continue
            mapped.append((position, event))
            stats = nodes[node]
            stats.events += 1
            if position in took:
                stats.times.append(took[position])
        for node in {node_of[e.activity] for _, e in mapped}:
            assert node is not None
            nodes[node].cases += 1
        sequence = tuple(node_of[e.activity] for _, e in mapped)
        alignment = alignments.get(sequence)
        if alignment is None:
            alignment = alignments[sequence] = model.align(sequence)
        last_time = events[-1].time
        for order, move in enumerate(alignment.moves):
            if move.kind == "unexpected":
                assert move.event is not None
                position, event = mapped[move.event]
                node = node_of[event.activity]
                deviation = Deviation(
                    "unexpected",
                    sop.nodes[node].id if node is not None else None,
                    names[event.activity],
                    iso(event.time),
                )
                deviations.append((event.time, position, deviation))
            elif move.kind in ("skipped", "not-finished"):
                following = next((m.event for m in alignment.moves[order:] if m.event is not None
                                  and m.kind == "step"), None)  # fmt: skip
                when = mapped[following][1].time if following is not None else last_time
                where = mapped[following][0] if following is not None else len(events)
                node_id = sop.nodes[move.node].id if move.node is not None else None
                deviations.append((when, where, Deviation(move.kind, node_id, None, iso(when))))
        passed = {
            m.node for m in alignment.moves if m.kind in ("step", "silent") and m.node is not None
        }
        for node in passed:
            nodes[node].reached += 1
        taken_edges = {(m.came_from, m.node) for m in alignment.moves
                       if m.kind in ("step", "silent") and m.came_from is not None}  # fmt: skip
        for edge in taken_edges:
            edges[edge] += 1  # type: ignore[index]
        answers: dict[int, set[str]] = {}
        for move in alignment.moves:
            if (
                move.came_from in decisions
                and move.answer is not None
                and move.kind != "unexpected"
            ):
                answers.setdefault(move.came_from, set()).add(move.answer)
        for asked, given in answers.items():
            decision_cases[asked] += 1
            for answer in given:
                decisions[asked][answer] += 1
        fits = alignment.fits and not any(d.kind == "unknown-activity" for _, _, d in deviations)
        fitting += fits
        key = tuple(e.activity for _, e in kept)
        variants[key] += 1
        variant_fits[key] = fits
        duration = events[-1].time - events[0].time
        durations.append(duration)
        deviations.sort(key=lambda item: (item[0], item[1]))
        results.append(
            CaseResult(
                case,
                fits,
                [d for _, _, d in deviations],
                duration,
                None if sla is None else duration <= sla,
                len(events),
            )
        )
        if csat is not None:
            value = log.attributes.get(case, {}).get(csat)
            number = _number(value)
            if number is not None:
                csat_values.append(number)
    ordered_variants = sorted(
        variants.items(), key=lambda item: (-item[1], [names[a] for a in item[0]])
    )
    decision_stats: list[DecisionStats] = []
    for index, counted in decisions.items():
        decision = sop.nodes[index]
        assert isinstance(decision, Decision)
        decision_stats.append(
            DecisionStats(
                decision.id,
                decision.text,
                decision_cases[index],
                [(b.label, counted[b.label]) for b in decision.branches],
            )
        )
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
        variants=[
            Variant(tuple(names[a] for a in key), count, variant_fits[key])
            for key, count in ordered_variants
        ],
        decisions=decision_stats,
        edges=dict(edges),
        durations=durations,
        csat=statistics.fmean(csat_values) if csat_values else None,
        csat_cases=len(csat_values),
        timed_from_starts=paired,
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
