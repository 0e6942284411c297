"""`sopkit export json`: every SOP as one JSON document, its flow resolved, for programs.

The stable interface for chatbots, helpdesk automations and other tools
(docs/export.md); its shape is `sopkit/data/sopkit-export-1.schema.json`. What a
reader of the YAML must know of the contract's flow rules is worked out here: each
node lists its successors (`next` filled in, the step after it when it has none),
and `ends` says where the procedure is over, implicit ends included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sopkit import __version__, parallel
from sopkit.analysis import stats_of
from sopkit.lookup import load_sop
from sopkit.model import Decision, Duration, Node, Sop, Step, duration_of

SCHEMA_ID = "https://sopkit.invalid/sopkit-export-1.schema.json"
EXPORT_VERSION = 1


def _duration(duration: Duration | None) -> dict[str, Any] | None:
    return None if duration is None else {"text": duration.text, "seconds": duration.seconds}


def _node(sop: Sop, node: Node) -> dict[str, Any]:
    edges = sop.flow.edges[node.index]
    data: dict[str, Any] = {
        "id": node.id,
        "kind": node.kind.value,
        "text": node.text,
        "role": node.role,
        "details": node.details,
        "duration": _duration(duration_of(node)),
        "sop": node.sop.id if isinstance(node, Step) and node.sop is not None else None,
        "next": [
            {"node": edge.target_id, "answer": edge.label, "implicit": edge.implicit}
            for edge in edges
        ],
        "ends": node.index in sop.flow.terminals and not edges,
    }
    if isinstance(node, Decision):
        data["answers"] = [branch.label for branch in node.branches]
    return data


def sop_document(sop: Sop) -> dict[str, Any]:
    """One SOP, as the export shows it."""
    summary = stats_of(sop).as_dict()
    del summary["sop_id"], summary["title"]
    start = sop.nodes[sop.flow.start].id if sop.flow.start is not None else None
    return {
        "id": sop.id,
        "title": sop.title,
        "department": sop.department,
        "purpose": sop.purpose,
        "file": sop.path,
        "owner": sop.owner,
        "version": sop.version,
        "status": sop.status.value,
        "effective": sop.effective.isoformat() if sop.effective else None,
        "review_by": sop.review_by.isoformat() if sop.review_by else None,
        "language": sop.language,
        "scope": sop.scope,
        "tags": list(sop.tags),
        "sla": _duration(sop.sla),
        "roles": [{"id": role.id, "description": role.description} for role in sop.roles],
        "terms": [{"name": term.name, "definition": term.definition} for term in sop.terms],
        "kpis": [
            {"name": kpi.name, "target": kpi.target, "description": kpi.description}
            for kpi in sop.kpis
        ],
        "related": [ref.id for ref in sop.related],
        "changelog": [
            {
                "summary": change.summary,
                "version": change.version,
                "date": change.date.isoformat() if change.date else None,
                "author": change.author,
            }
            for change in sop.changelog
        ],
        "translation_of": sop.translation_of.id if sop.translation_of else None,
        "translated_from": sop.translated_from.id if sop.translated_from else None,
        "start": start,
        "nodes": [_node(sop, node) for node in sop.nodes],
        "summary": summary,
    }


def _header() -> dict[str, Any]:
    return {
        "$schema": SCHEMA_ID,
        "format": "sopkit-export",
        "version": EXPORT_VERSION,
        "generator": f"sopkit {__version__}",
    }


def export_document(sops: Iterable[Sop]) -> dict[str, Any]:
    """All SOPs, ordered by id so the document does not depend on the order of reading."""
    ordered = sorted(sops, key=lambda sop: (sop.id, sop.path))
    return {**_header(), "sops": [sop_document(sop) for sop in ordered]}


def to_json(document: dict[str, Any]) -> bytes:
    """Readable, deterministic bytes: UTF-8 text as written, not `\\u` escapes."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _entry(source: str) -> tuple[str, str, str]:
    """One SOP file's entry, laid out as `to_json` lays it out inside the document."""
    sop = load_sop(source)
    text = json.dumps(sop_document(sop), ensure_ascii=False, indent=2)
    return sop.id, sop.path, "    " + text.replace("\n", "\n    ")


def export_sources(sources: Sequence[str]) -> bytes:
    """`to_json(export_document(...))` of the SOP files `sources`, byte for byte, with
    the SOPs read and laid out by every core (path counting makes a big SOP costly)."""
    workers = parallel.worker_count(len(sources))
    if workers == 1:
        entries = [_entry(source) for source in sources]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunk = max(1, len(sources) // (workers * 4))
            entries = list(pool.map(_entry, sources, chunksize=chunk))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    head = json.dumps(_header(), ensure_ascii=False, indent=2)[:-2]  # without "\n}"
    if not entries:
        return (head + ',\n  "sops": []\n}\n').encode("utf-8")
    body = ",\n".join(text for _, _, text in entries)
    return (head + ',\n  "sops": [\n' + body + "\n  ]\n}\n").encode("utf-8")
