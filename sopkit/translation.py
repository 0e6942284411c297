"""What a translation must follow of its source: the structure and the translation hash.

The hash (format: "Translations") covers the node ids and kinds, `start`, every
successor, branch targets in written order, `sop:` calls, role ids, `sla` and
durations, and every translatable text. It is taken from the model, so layout,
comments and key order never change it: `sopkit fmt` keeps it.
"""

from __future__ import annotations

import hashlib
import json
from typing import NamedTuple

from sopkit.model import KIND_NAMES, Sop, Step, duration_of
from sopkit.problems import Loc


class NodeShape(NamedTuple):
    """What a translation must keep of a node: its id, kind, successors and call."""

    id: str
    kind: str
    targets: tuple[str, ...]
    sop: str | None
    at: Loc


class TranslationKey(NamedTuple):
    """A SOP's structure and translation hash (format: "Translations")."""

    start: str | None
    roles: tuple[str, ...]
    nodes: tuple[NodeShape, ...]
    hash: str


HASH_LENGTH = 12
"""Hex digits of the hash that a translation records in `translated_from`."""


def translation_key(sop: Sop) -> TranslationKey:
    nodes = tuple(
        NodeShape(
            node.id,
            KIND_NAMES[node.kind],
            tuple(edge.target_id for edge in sop.flow.edges[node.index]),
            node.sop.id if isinstance(node, Step) and node.sop else None,
            node.at,
        )
        for node in sop.nodes
    )
    roles = tuple(role.id for role in sop.roles)
    return TranslationKey(sop.start, roles, nodes, translation_hash(sop))


def translation_hash(sop: Sop) -> str:
    """The hash a translation of `sop` records as `translated_from`."""
    material = {
        "start": sop.start,
        "sla": sop.sla.seconds if sop.sla else None,
        "title": sop.title,
        "purpose": sop.purpose,
        "scope": sop.scope,
        "roles": [[role.id, role.description] for role in sop.roles],
        "terms": [[term.name, term.definition] for term in sop.terms],
        "kpis": [[kpi.name, kpi.target, kpi.description] for kpi in sop.kpis],
        "nodes": [
            {
                "id": node.id,
                "kind": KIND_NAMES[node.kind],
                "text": node.text,
                "details": node.details,
                "role": node.role,
                "seconds": duration.seconds if (duration := duration_of(node)) else None,
                "sop": node.sop.id if isinstance(node, Step) and node.sop else None,
                "next": [[edge.label, edge.target_id] for edge in sop.flow.edges[node.index]],
            }
            for node in sop.nodes
        ],
    }
    canonical = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def first_difference(source: TranslationKey, translation: TranslationKey) -> int | None:
    """The index of the translation's first node whose shape differs from the source's.

    None when the node lists agree; the length of the shorter list when one list
    is a prefix of the other.
    """
    for index, (theirs, ours) in enumerate(zip(source.nodes, translation.nodes, strict=False)):
        if theirs[:4] != ours[:4]:
            return index
    if len(source.nodes) != len(translation.nodes):
        return min(len(source.nodes), len(translation.nodes))
    return None
