"""Composed YAML -> `Sop`, reporting every schema and node-kind problem on the way.

The builder is lenient: it reports a problem and carries on with a placeholder
so that the graph rules can still speak about the rest of the procedure.
"""

from __future__ import annotations

from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sopkit import FORMAT_VERSION
from sopkit.build.fieldnames import (
    ALL_NODE_FIELDS,
    CHANGE_FIELDS,
    KINDS,
    KPI_FIELDS,
    NODE_FIELDS,
    REQUIRED_TOP,
    TOP_FIELDS,
)
from sopkit.build.fields import NULL, FieldReader, Pair, shape_of, where_of
from sopkit.build.plain import plain_node
from sopkit.build.refs import refs_only

__all__ = ["build_sop", "checked_node", "refs_only"]
from sopkit.loader import loc_of, tag_of
from sopkit.model import (
    Branch,
    Change,
    Decision,
    End,
    Kpi,
    Ref,
    Role,
    Sop,
    Status,
    Step,
    Term,
    Where,
    resolve_flow,
)
from sopkit.model import Node as SopNode
from sopkit.problems import FILE_START, NODE_KIND, Finding, Loc
from sopkit.values import (
    is_language_tag,
)

ARTICLE = {"step": "a step", "decision": "a decision", "end": "an end"}
PLURAL = {"step": "steps", "decision": "decisions", "end": "ends"}


def build_sop(root: Node | None, path: str) -> tuple[Sop | None, list[Finding]]:
    """Build the model of one composed document and the problems found on the way."""
    b = FieldReader()
    if root is None or (isinstance(root, ScalarNode) and tag_of(root) == NULL):
        b.problem(
            FILE_START, "the file is empty: a SOP needs id, title, department, purpose and steps"
        )
        return None, b.findings
    if not isinstance(root, MappingNode):
        b.problem(
            FILE_START,
            "a SOP file must be a mapping of fields (id, title, ...), "
            f"but this one is {shape_of(root)}",
        )
        return None, b.findings
    top = b.fields(root, TOP_FIELDS, b.unknown(TOP_FIELDS, ""))
    b.require(top, REQUIRED_TOP, FILE_START, "")
    _check_format_version(b, top.get("sopkit"))
    nodes = _nodes(b, top.get("steps"))
    start = b.raw(top.get("start"), "start")
    status = b.parsed(
        top.get("status"),
        "status",
        _status,
        "is not a status: use draft, active or retired{hint}",
    )
    language = b.parsed(
        top.get("language"),
        "language",
        _language,
        "is not a BCP 47 language tag (en, el, sl, sl-SI)",
    )
    sop = Sop(
        path=path,
        id=b.ident(top.get("id"), "id") or "",
        title=b.text(top.get("title"), "title") or "",
        department=b.text(top.get("department"), "department") or "",
        purpose=b.text(top.get("purpose"), "purpose") or "",
        nodes=nodes,
        flow=resolve_flow(nodes, start),
        where=where_of(FILE_START, top),
        owner=b.text(top.get("owner"), "owner"),
        version=b.version(top.get("version"), "version"),
        status=status or Status.ACTIVE,
        effective=b.date(top.get("effective"), "effective"),
        review_by=b.date(top.get("review_by"), "review_by"),
        language=language,
        scope=b.text(top.get("scope"), "scope"),
        tags=b.texts(top.get("tags"), "tags"),
        sla=b.duration(top.get("sla"), "sla"),
        roles=_roles(b, top.get("roles")),
        terms=_terms(b, top.get("terms")),
        kpis=_kpis(b, top.get("kpis")),
        related=b.refs(top.get("related"), "related"),
        changelog=_changelog(b, top.get("changelog")),
        start=start,
        translation_of=_ref(b, top.get("translation_of"), "translation_of"),
        translated_from=_ref(b, top.get("translated_from"), "translated_from"),
    )
    return sop, b.findings


def _ref(b: FieldReader, pair: Pair | None, label: str) -> Ref | None:
    text = b.raw(pair, label)
    return None if text is None or pair is None else Ref(text, loc_of(pair[1]))


def _status(text: str) -> Status | None:
    try:
        return Status(text)
    except ValueError:
        return None


def _language(text: str) -> str | None:
    return text if is_language_tag(text) else None


def _check_format_version(b: FieldReader, pair: Pair | None) -> None:
    text = b.raw(pair, "sopkit")
    if pair is not None and text is not None and text != str(FORMAT_VERSION):
        b.problem(
            loc_of(pair[1]),
            f"this sopkit reads format {FORMAT_VERSION}, but the file says sopkit: {text}",
        )


def _roles(b: FieldReader, pair: Pair | None) -> tuple[Role, ...]:
    roles = []
    for key, value in b.entries(pair, "roles"):
        description = b.text((key, value), f"the description of role '{key.value}'")
        roles.append(Role(str(key.value), description or "", loc_of(key), loc_of(value)))
    return tuple(roles)


def _terms(b: FieldReader, pair: Pair | None) -> tuple[Term, ...]:
    terms = []
    for key, value in b.entries(pair, "terms"):
        definition = b.text((key, value), f"the definition of term '{key.value}'")
        terms.append(Term(str(key.value), definition or "", loc_of(key), loc_of(value)))
    return tuple(terms)


def _records(
    b: FieldReader, pair: Pair | None, label: str, allowed: tuple[str, ...], required: str
) -> list[tuple[dict[str, Pair], Where]]:
    out = []
    for item in b.items(pair, label):
        if not isinstance(item, MappingNode):
            b.problem(
                loc_of(item), f"each entry of {label} must be a mapping of {', '.join(allowed)}"
            )
            continue
        where_text = f" in {label}"
        fields = b.fields(item, allowed, b.unknown(allowed, where_text))
        at = loc_of(item)
        b.require(fields, (required,), at, where_text)
        out.append((fields, where_of(at, fields)))
    return out


def _kpis(b: FieldReader, pair: Pair | None) -> tuple[Kpi, ...]:
    return tuple(
        Kpi(
            name=b.text(f.get("name"), "the KPI name") or "",
            where=where,
            target=b.raw(f.get("target"), "the KPI target"),
            description=b.text(f.get("description"), "the KPI description"),
        )
        for f, where in _records(b, pair, "kpis", KPI_FIELDS, "name")
    )


def _changelog(b: FieldReader, pair: Pair | None) -> tuple[Change, ...]:
    return tuple(
        Change(
            summary=b.text(f.get("summary"), "the change summary") or "",
            where=where,
            version=b.version(f.get("version"), "version"),
            date=b.date(f.get("date"), "the change date"),
            author=b.text(f.get("author"), "the change author"),
        )
        for f, where in _records(b, pair, "changelog", CHANGE_FIELDS, "summary")
    )


def _nodes(b: FieldReader, pair: Pair | None) -> tuple[SopNode, ...]:
    items = b.items(pair, "steps")
    if pair is not None and not items and isinstance(pair[1], SequenceNode | ScalarNode):
        b.problem(loc_of(pair[0]), "steps is empty: a SOP needs at least one node")
    return tuple(_node(b, index, item) for index, item in enumerate(items))


def _node(b: FieldReader, index: int, item: Node) -> SopNode:
    if type(item) is MappingNode:
        plain = plain_node(index, item)
        if plain is not None:
            return plain
    return checked_node(b, index, item)


def checked_node(b: FieldReader, index: int, item: Node) -> SopNode:
    """A node read field by field, with a problem for everything that is wrong in it."""
    at = loc_of(item)
    if not isinstance(item, MappingNode):
        b.problem(
            at,
            "each entry of steps must be a mapping with an id and one of step, decision or end",
        )
        return Step(index, "", "", Where(at, {}))
    present = b.fields(item, ALL_NODE_FIELDS, b.unknown(ALL_NODE_FIELDS, " in this node"))
    kinds = [name for name in present if name in KINDS]
    kind = kinds[0] if kinds else "step"
    fields = _fields_of_kind(b, present, kind)
    node_id = b.ident(fields.get("id"), "node id") or ""
    where = where_of(at, fields)
    id_at = where.id_key or at
    label = f"node '{node_id}'" if node_id else "this node"
    if "id" not in fields:
        b.problem(at, "missing required field 'id' in this node")
    if not kinds:
        b.problem(
            id_at,
            f"{label} has none of step, decision, end: say what it is "
            "(step: an action, decision: a question, end: an outcome)",
            NODE_KIND,
        )
    elif len(kinds) > 1:
        b.problem(
            id_at,
            f"{label} has {' and '.join(kinds)}: a node is exactly one of step, decision, end",
            NODE_KIND,
        )
    text = b.text(fields.get(kind), kind) or ""
    role = b.raw(fields.get("role"), "role")
    details = b.text(fields.get("details"), "details")
    if kind == "decision":
        return Decision(
            index, node_id, text, where, role, details,
            duration=b.duration(fields.get("duration"), "duration"),
            branches=_branches(b, fields.get("branches"), at, label),
        )  # fmt: skip
    if kind == "end":
        return End(index, node_id, text, where, role, details)
    sop_ref = b.raw(fields.get("sop"), "sop")
    return Step(
        index, node_id, text, where, role, details,
        duration=b.duration(fields.get("duration"), "duration"),
        next=b.raw(fields.get("next"), "next"),
        sop=Ref(sop_ref, where.value("sop")) if sop_ref is not None else None,
    )  # fmt: skip


def _fields_of_kind(b: FieldReader, present: dict[str, Pair], kind: str) -> dict[str, Pair]:
    """The fields a node of this kind may have; the others are reported where they stand."""
    allowed = NODE_FIELDS[kind]
    fields = {}
    for name, pair in present.items():
        if name in allowed:
            fields[name] = pair
        elif name not in KINDS:  # a second kind is a node-kind problem, reported once
            owners = [k for k, names in NODE_FIELDS.items() if name in names]
            b.problem(
                loc_of(pair[0]),
                f"'{name}' is not a field of {ARTICLE[kind]} "
                f"(it belongs to {' and '.join(PLURAL[o] for o in owners)})",
            )
    return fields


def _branches(b: FieldReader, pair: Pair | None, at: Loc, label: str) -> tuple[Branch, ...]:
    if pair is None:
        b.problem(
            at,
            f"missing required field 'branches' in {label}: "
            "map each answer to the node it leads to",
        )
        return ()
    out = []
    for key, value in b.entries(pair, "branches"):
        answer = str(key.value).strip()
        if not answer:
            b.problem(loc_of(key), "a branch label is empty")
        target = b.raw((key, value), f"branch '{answer}'")
        if target is not None:
            out.append(Branch(answer, target, loc_of(key), loc_of(value)))
    return tuple(out)
