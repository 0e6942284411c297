"""Rules about the shape of one procedure's graph."""

from __future__ import annotations

from collections.abc import Iterator

from sopkit import graph
from sopkit.model import Decision, Sop
from sopkit.problems import Severity
from sopkit.rules.registry import Report, SopContext, sop_rule
from sopkit.values import did_you_mean


@sop_rule("duplicate-node-id", Severity.ERROR)
def duplicate_node_ids(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """Two nodes of one SOP share an id.

    `next`, branches and the handbook's step links all name nodes by id; with
    two nodes of one name, every reference is ambiguous. The second copy is
    reported.

    Bad:

        - id: confirm
          step: Confirm the visit by e-mail
        - id: confirm
          step: Confirm the visit by SMS

    Good:

        - id: confirm_email
          step: Confirm the visit by e-mail
        - id: confirm_sms
          step: Confirm the visit by SMS
    """
    for node in sop.nodes:
        first = sop.flow.first_index.get(node.id)
        if node.id and first is not None and first != node.index:
            line = sop.nodes[first].at.line
            yield Report(
                node.at,
                f"node id '{node.id}' is already used on line {line}; give each node its own id",
            )


@sop_rule("unknown-target", Severity.ERROR)
def unknown_targets(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """`next`, a branch or `start` names no node of the SOP.

    A reader following the procedure would reach a dead end. The message
    suggests the closest node id.

    Bad:

        start: triag
        steps:
          - id: triage
            step: Sort the ticket by urgency

    Good:

        start: triage
    """
    ids = list(sop.flow.first_index)
    if sop.start is not None and sop.start not in sop.flow.first_index:
        yield Report(
            sop.where.value("start"),
            f"start '{sop.start}' names no node{did_you_mean(sop.start, ids)}",
        )
    for edges in sop.flow.edges:
        for edge in edges:
            if edge.target is None:
                what = f"branch '{edge.label}'" if edge.label is not None else "next"
                yield Report(
                    edge.at,
                    f"{what} '{edge.target_id}' names no node{did_you_mean(edge.target_id, ids)}",
                )


@sop_rule("decision-branches", Severity.ERROR)
def decision_branches(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """A decision has fewer than two branches, or all its branches lead to the same node.

    A question with one possible answer, or with answers that all do the same
    thing, decides nothing: make it a step, or send the answers to different
    nodes.

    Bad:

        - id: copy_wanted
          decision: Does the customer want a copy?
          branches: {"Yes": transfer, "No": transfer}

    Good:

        - id: copy_wanted
          decision: Does the customer want a copy?
          branches: {"Yes": send_copy, "No": transfer}
    """
    for node in sop.nodes:
        if not isinstance(node, Decision) or not node.where.has("branches"):
            continue
        targets = {b.target for b in node.branches}
        if len(node.branches) < 2:
            yield Report(
                node.at,
                f"decision '{node.id}' has {len(node.branches)} branch"
                f"{'' if len(node.branches) == 1 else 'es'}; a decision needs at least two answers",
            )
        elif len(targets) == 1:
            yield Report(
                node.at,
                f"every branch of decision '{node.id}' leads to '{targets.pop()}'; "
                "the question decides nothing",
            )


@sop_rule("unreachable-node", Severity.ERROR)
def unreachable_nodes(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """A node cannot be reached from the start.

    Nobody following the procedure will ever do this step, so either a
    `next` or a branch forgot to point at it, or it is left over.

    Bad:

        - id: describe
          step: Ask for a description of the lost item
          next: search
        - id: photo
          step: Ask for a photo
        - id: search
          step: Search the lost-property shelf

    Good (drop `next: search` so `describe` falls through to `photo`).
    """
    seen = graph.reachable(sop.flow)
    for node in sop.nodes:
        if node.index not in seen:
            yield Report(
                node.at,
                f"node '{node.id or node.index + 1}' cannot be reached from the start",
            )


@sop_rule("no-exit", Severity.ERROR)
def no_exit(sop: Sop, ctx: SopContext) -> Iterator[Report]:
    """A node from which no end can be reached: a loop with no way out.

    Customer service always needs a way out, to an end or to a human. A loop
    such as remind -> wait -> remind with no decision that leaves it traps
    the customer and the agent.

    Bad:

        - id: remind
          step: Send a reminder
          next: wait
        - id: wait
          step: Wait three days
          next: remind

    Good:

        - id: wait
          decision: Did the customer answer within three days?
          branches: {"Yes": approve, "No": remind}
    """
    finishing = graph.can_finish(sop.flow)
    for node in sop.nodes:
        if node.index not in finishing:
            yield Report(
                node.at,
                f"no end can be reached from node '{node.id or node.index + 1}': "
                "it is caught in a loop with no way out",
            )
