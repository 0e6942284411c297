"""A change to a SOP as a change to the process: nodes matched by id, not YAML lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sopkit.escape import md_text
from sopkit.model import Decision, Node, Sop, Step, duration_of


@dataclass(frozen=True)
class ProcessChange:
    area: str  # "process" or "metadata"
    kind: str  # added, removed, reworded, rewired, changed
    subject: str  # a node id, or a metadata field
    template: str  # a sentence with {0}, {1}, ... for the user's words; *...* for emphasis
    values: tuple[str, ...]
    old: str | None = None
    new: str | None = None

    @property
    def text(self) -> str:
        return self.template.replace("*", "").format(*self.values)

    def markdown(self) -> str:
        return self.template.format(*(md_text(v) for v in self.values))


@dataclass(frozen=True)
class SopDiff:
    old_id: str
    new_id: str
    changes: tuple[ProcessChange, ...]

    @property
    def process_changed(self) -> bool:
        return any(c.area == "process" for c in self.changes)

    @property
    def warnings(self) -> tuple[str, ...]:
        touched = {c.subject for c in self.changes if c.area == "metadata"}
        if self.process_changed and not touched & {"version", "changelog"}:
            return ("the process changed, but neither `version` nor `changelog` did",)
        return ()


def _kind(node: Node) -> str:
    return node.kind.value


def _successor(sop: Sop, node: Node) -> str | None:
    if not isinstance(node, Step):
        return None
    edges = sop.flow.edges[node.index]
    return edges[0].target_id if edges else None


def _node_changes(old_sop: Sop, new_sop: Sop) -> list[ProcessChange]:
    old = {n.id: n for n in old_sop.nodes if n.id}
    new = {n.id: n for n in new_sop.nodes if n.id}
    changes = []
    for node_id in [n.id for n in old_sop.nodes if n.id and n.id not in new]:
        node = old[node_id]
        changes.append(ProcessChange("process", "removed", node_id, "{0} *{1}* removed: “{2}”",
                              (_kind(node), node_id, node.text), node.text))  # fmt: skip
    for node_id in [n.id for n in new_sop.nodes if n.id and n.id not in old]:
        node = new[node_id]
        changes.append(ProcessChange("process", "added", node_id, "{0} *{1}* added: “{2}”",
                              (_kind(node), node_id, node.text), None, node.text))  # fmt: skip
    for node_id in [n.id for n in new_sop.nodes if n.id in old]:
        changes.extend(_compare_node(old_sop, old[node_id], new_sop, new[node_id]))
    if old_sop.start != new_sop.start:
        changes.append(_changed("process", "start", old_sop.start, new_sop.start))
    return changes


def _compare_node(old_sop: Sop, a: Node, new_sop: Sop, b: Node) -> list[ProcessChange]:
    node_id = a.id
    out = []
    if _kind(a) != _kind(b):
        out.append(ProcessChange("process", "changed", node_id,
                                 "*{0}* is now a {1} instead of a {2}",
                                 (node_id, _kind(b), _kind(a)), _kind(a), _kind(b)))  # fmt: skip
    if a.text != b.text:
        out.append(ProcessChange("process", "reworded", node_id, "*{0}* reworded: “{1}” → “{2}”",
                          (node_id, a.text, b.text), a.text, b.text))  # fmt: skip
    for label, old_value, new_value in (
        ("role", a.role, b.role),
        ("duration", _text(duration_of(a)), _text(duration_of(b))),
        ("details", a.details, b.details),
        ("sop", _ref(a), _ref(b)),
    ):
        if old_value != new_value:
            out.append(_changed("process", label, old_value, new_value, node_id))
    old_next, new_next = _successor(old_sop, a), _successor(new_sop, b)
    if isinstance(a, Step) and isinstance(b, Step) and old_next != new_next:
        out.append(ProcessChange("process", "rewired", node_id,
                                 "*{0}* now goes to *{1}* instead of *{2}*",
                                 (node_id, new_next or "the end", old_next or "the end"),
                                 old_next, new_next))  # fmt: skip
    if isinstance(a, Decision) and isinstance(b, Decision):
        out.extend(_branch_changes(node_id, a, b))
    return out


def _branch_changes(node_id: str, a: Decision, b: Decision) -> list[ProcessChange]:
    old = {br.label: br.target for br in a.branches}
    new = {br.label: br.target for br in b.branches}
    out = []
    for label in old:
        if label not in new:
            out.append(ProcessChange("process", "removed", node_id,
                              "*{0}*: answer *{1}* removed (went to *{2}*)",
                              (node_id, label, old[label]), old[label]))  # fmt: skip
        elif old[label] != new[label]:
            out.append(ProcessChange("process", "rewired", node_id,
                              "*{0}*: *{1}* now goes to *{2}* instead of *{3}*",
                              (node_id, label, new[label], old[label]),
                              old[label], new[label]))  # fmt: skip
    for label in new:
        if label not in old:
            out.append(ProcessChange("process", "added", node_id,
                              "*{0}*: new answer *{1}* goes to *{2}*",
                              (node_id, label, new[label]), None, new[label]))  # fmt: skip
    return out


def _text(value: object) -> str | None:
    if value is None:
        return None
    return getattr(value, "text", None) or str(value)


def _ref(node: Node) -> str | None:
    return node.sop.id if isinstance(node, Step) and node.sop else None


def _changed(
    area: str, field: str, old: str | None, new: str | None, node_id: str | None = None
) -> ProcessChange:
    where, subject = ("*{0}*: {1}", (node_id, field)) if node_id else ("{0}", (field,))
    n = len(subject)
    if old is None:
        template, values = f"{where} set to “{{{n}}}”", (*subject, str(new))
    elif new is None:
        template, values = f"{where} removed (was “{{{n}}}”)", (*subject, old)
    else:
        template, values = f"{where}: “{{{n}}}” → “{{{n + 1}}}”", (*subject, old, new)
    return ProcessChange(area, "changed", node_id or field, template, values, old, new)


_METADATA: tuple[tuple[str, Callable[[Sop], str | None]], ...] = (
    ("id", lambda s: s.id),
    ("title", lambda s: s.title),
    ("department", lambda s: s.department),
    ("owner", lambda s: s.owner),
    ("version", lambda s: s.version),
    ("status", lambda s: s.status.value),
    ("effective", lambda s: s.effective.isoformat() if s.effective else None),
    ("review_by", lambda s: s.review_by.isoformat() if s.review_by else None),
    ("language", lambda s: s.language),
    ("sla", lambda s: s.sla.text if s.sla else None),
    ("purpose", lambda s: " ".join(s.purpose.split())),
    ("scope", lambda s: " ".join(s.scope.split()) if s.scope else None),
    ("tags", lambda s: ", ".join(s.tags) or None),
    ("related", lambda s: ", ".join(r.id for r in s.related) or None),
    ("roles", lambda s: "; ".join(f"{r.id}: {r.description}" for r in s.roles) or None),
    ("terms", lambda s: "; ".join(f"{t.name}: {t.definition}" for t in s.terms) or None),
    ("kpis", lambda s: "; ".join(f"{k.name} {k.target or ''}".strip() for k in s.kpis) or None),
    ("changelog", lambda s: "; ".join(c.summary for c in s.changelog) or None),
)


def diff_sops(old: Sop, new: Sop) -> SopDiff:
    changes = _node_changes(old, new)
    for field, read in _METADATA:
        before, after = read(old), read(new)
        if before != after:
            changes.append(_changed("metadata", field, before, after))
    return SopDiff(old.id, new.id, tuple(changes))


def as_text(diff: SopDiff) -> str:
    if not diff.changes:
        return f"{diff.new_id}: no change to the process or its metadata\n"
    lines = [f"{diff.new_id}: {len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''}"]
    mark = {"added": "+", "removed": "-", "reworded": "~", "rewired": ">", "changed": "~"}
    for change in diff.changes:
        lines.append(f"  {mark[change.kind]} {change.text}")
    return "\n".join(lines) + "\n"


def as_markdown(diff: SopDiff) -> str:
    lines = [f"### Changes to {md_text(diff.new_id)}", ""]
    for area, heading in (("process", "Process"), ("metadata", "Metadata")):
        items = [c for c in diff.changes if c.area == area]
        if items:
            lines += [f"**{heading}**", ""] + [f"- {c.markdown()}" for c in items] + [""]
    if not diff.changes:
        lines += ["No change to the process or its metadata.", ""]
    lines += [f"> ⚠ {warning}" for warning in diff.warnings]
    return "\n".join(lines).rstrip() + "\n"


def _change_dict(change: ProcessChange) -> dict[str, str | None]:
    keys = ("area", "kind", "subject", "text", "old", "new")
    return {key: getattr(change, key) for key in keys}


def as_json(diff: SopDiff) -> str:
    document = {
        "old": diff.old_id,
        "new": diff.new_id,
        "process_changed": diff.process_changed,
        "warnings": list(diff.warnings),
        "changes": [_change_dict(c) for c in diff.changes],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


DIFF_FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
