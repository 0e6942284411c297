"""Rules about what a SOP says: acronyms, terms, ownership, review date and SLA."""

from __future__ import annotations

from collections.abc import Iterator

from sopkit.model import Sop
from sopkit.problems import FILE_START, Severity
from sopkit.rules.registry import Report, SopContext, sop_rule
from sopkit.text import WORD, WordsSeen, acronym_of, locate, whole_word
from sopkit.values import format_seconds


@sop_rule("undefined-acronym", Severity.WARNING)
def undefined_acronyms(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """An all-capitals word is used in the text but not defined in `terms`.

    A new hire does not know what TTR, CSAT or ΚΥΑ mean. Any script counts
    (Greek `ΤΤΡ` too); digits may be part of it (`2FA`), a plural `s` is
    ignored (`SLAs` is `SLA`), but a word needs two capital letters (`P1` is
    not an acronym). Reported once per SOP, at its first use.

    Bad:

        step: Prepare the quote with prices without DDV

    Good:

        terms:
          DDV: Davek na dodano vrednost (value added tax).
    """
    defined: set[str] = set()
    for term in sop.terms:
        for word in WORD.findall(term.name):
            defined.add(word)
            defined.add(acronym_of(word) or word)
    pieces = ctx.pieces(sop)
    # Most SOPs define what they use: one look at all the distinct words settles that.
    # Words never span whitespace, and an acronym needs two capitals in one word, so
    # only the few distinct tokens that have two are searched for words.
    tokens = set("\n".join(piece.text for piece in pieces).split())
    # A token whose letters after the first are all lower case has one capital at most.
    words = {word for token in tokens if not token[1:].islower() for word in WORD.findall(token)}
    undefined = {acronym_of(word) for word in words} - defined - {None}
    if not undefined:
        return
    reported: set[str] = set()
    for piece in pieces:  # in file order, so that each is reported at its first use
        for word in WORD.findall(piece.text):
            acronym = acronym_of(word)
            if acronym not in undefined or acronym in reported:
                continue
            assert acronym is not None
            reported.add(acronym)
            yield Report(
                locate(word, piece.at, ctx.lines),
                f"'{acronym}' is not defined in terms; "
                "add it there so new readers know what it means",
            )


MANY_TERMS = 8


@sop_rule("unused-term", Severity.WARNING)
def unused_terms(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """A term is defined in `terms` but used nowhere in the SOP's text.

    A glossary entry nobody reads is noise, and often a sign that the step
    that needed it was reworded. Use counts as a whole word or phrase,
    ignoring case, anywhere in the text except the term's own definition.

    Bad:

        terms:
          NPS: Net promoter score.
        # ...and no step, KPI or text mentions NPS

    Good: remove the term, or use it (`kpis: [{name: NPS, target: "> 40"}]`).
    """
    if not sop.terms:
        return
    pieces = ctx.pieces(sop)
    # Counting the words costs about as much as a few searches: worth it for many terms.
    seen = WordsSeen(pieces) if len(sop.terms) > MANY_TERMS else None
    for term in sop.terms:
        if seen is not None and seen.used(term.name):
            continue
        # One search over all the text but the term's own definition; NUL between the
        # pieces keeps a phrase from matching across two of them.
        text = "\0".join(piece.text for piece in pieces if piece.definition_of != term.name)
        if not whole_word(term.name).search(text):
            yield Report(
                term.at,
                f"term '{term.name}' is defined but not used in the text; remove it or use it",
            )


@sop_rule("missing-owner", Severity.WARNING)
def missing_owner(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """The SOP has no `owner`.

    New hires need a named person to ask when the procedure does not fit the
    case in front of them, and somebody must keep it current.

    Bad: no `owner:` line.

    Good:

        owner: Maria P. <maria@example.com>
    """
    if sop.owner is None and not sop.where.has("owner"):
        yield Report(
            FILE_START,
            "no owner: add `owner: Name <e-mail>` so readers know whom to ask",
        )


@sop_rule("review-overdue", Severity.WARNING)
def review_overdue(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """The `review_by` date has passed.

    An SOP nobody reviews drifts away from what the team really does. The
    date is compared with `--today`, the config's `today`, or the clock; on
    the day itself it is not yet overdue.

    Bad (checked on 2026-11-23):

        review_by: 2026-07-15

    Good: review the SOP with the team, then set the next date:

        review_by: 2027-05-15
    """
    if sop.review_by is not None and ctx.today > sop.review_by:
        days = (ctx.today - sop.review_by).days
        yield Report(
            sop.where.value("review_by"),
            f"review_by {sop.review_by.isoformat()} has passed ({days} day"
            f"{'' if days == 1 else 's'} ago); review the SOP and set the next date",
        )


@sop_rule("sla-exceeded", Severity.WARNING)
def sla_exceeded(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """The longest path's total `duration` from start to an end is over the SOP's `sla`.

    If following the slowest path through the procedure already breaks the
    promise to the customer, the procedure cannot keep it. Loops count once
    (an edge back to a node on the current path is dropped); a `sop:` step
    counts its own `duration` only.

    Bad:

        sla: 4h
        steps:
          - {id: investigate, step: Investigate, duration: 3h}
          - {id: answer, step: Answer the customer, duration: 2h}

    Good: shorten the steps, split the work, or set an honest `sla: 6h`.
    """
    if sop.sla is None:
        return

    total = sop.expected_seconds
    if total is not None and total > sop.sla.seconds:
        yield Report(
            sop.where.value("sla"),
            f"the longest path takes {format_seconds(total)}, over the SLA of {sop.sla.text}",
        )


@sop_rule("too-many-nodes", Severity.OFF)
def too_many_nodes(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """The SOP has more nodes than `max_nodes` in the config (default 40); off unless enabled.

    A procedure that does not fit on a page is hard to follow on the phone and
    hard to keep current: split it, and let the parts call each other with `sop:`.
    Turn it on in sopkit.toml: `[rules] too-many-nodes = "warning"`, and set
    `max_nodes = 30` to choose the limit.

    Bad: one SOP of 60 steps covering triage, escalation and refunds.

    Good: three SOPs of 20 steps, the first calling the others with `sop:`.
    """
    if len(sop.nodes) > ctx.max_nodes:
        yield Report(
            sop.where.value("steps"),
            f"{len(sop.nodes)} nodes, more than max_nodes = {ctx.max_nodes}; "
            "split the procedure and call the parts with `sop:`",
        )
