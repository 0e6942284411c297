"""`sopkit import bpmn`: BPMN files -> SOP files, one per process that has flow nodes.

Files given together are one repository: a call activity's `calledElement` may
name a process of another file. Nothing is written unless every SOP can be:
an existing file is never replaced.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from sopkit.bpmn import mapping
from sopkit.bpmn.diagram import Document, Node, Process, read_document
from sopkit.bpmn.mapping import Approximation, Converted, Ids, SopNode, ascii_slug, safe_id
from sopkit.bpmn.xmlfile import BpmnError, read_xml
from sopkit.files import create_file
from sopkit.fmt import reformat_text


@dataclass(frozen=True)
class ImportOptions:
    language: str | None = None
    department: str | None = None


@dataclass
class Imported:
    sop_id: str
    file: Path  # where it goes
    text: str  # the SOP's YAML
    source: str  # the BPMN file


@dataclass
class _Pending:
    process: Process
    document: Document
    sop_id: str
    parent: str | None = None  # the SOP an embedded sub-process belongs to
    node: Node | None = None


def _sop_id_for(process: Process, document: Document, alone: bool, ids: Ids) -> str:
    """sopkit's own id when sopkit wrote the file; else the file's name, and the process's
    when the file has several (modellers' process ids, `Process_1`, say little)."""
    wanted = process.extra.get("id", "")
    if mapping.SOP_ID.fullmatch(wanted):
        return ids.make(wanted)
    stem = safe_id(Path(document.path).stem, "process")
    if alone:
        return ids.make(stem)
    return ids.make(f"{stem}-{ascii_slug(process.name) or safe_id(process.id, 'process')}"[:64])


def import_files(
    paths: Sequence[str], out: Path | None, options: ImportOptions
) -> tuple[list[Imported], list[tuple[str, Approximation]]]:
    """The SOPs the files hold, and the warnings (file, line, message) of the mapping."""
    documents = [read_document(read_xml(path), path) for path in paths]
    ids = Ids()
    pending: list[_Pending] = []
    by_process: dict[str, str] = {}
    for document in documents:
        usable = [p for p in document.processes if p.nodes]
        if not usable:
            raise BpmnError(f"{document.path}: no process with flow nodes to import")
        for process in usable:
            sop_id = _sop_id_for(process, document, len(usable) == 1, ids)
            pending.append(_Pending(process, document, sop_id))
            by_process.setdefault(process.id, sop_id)
    warnings: list[tuple[str, Approximation]] = []
    for document in documents:
        warnings += [(document.path, w) for w in _note_messages(document)]
    results: list[Imported] = []
    index = 0
    while index < len(pending):  # sub-processes join the queue as they are found
        item = pending[index]
        index += 1

        def sub_id(node: Node, parent: _Pending = item) -> str:
            wanted = f"{parent.sop_id}-{ascii_slug(node.name) or safe_id(node.id)}"
            made = ids.make(wanted[:64])
            assert node.sub is not None
            pending.append(_Pending(node.sub, parent.document, made, parent.sop_id, node))
            return made

        converted = mapping.convert(item.process, by_process.get, sub_id)
        text, notes = _sop_text(item, converted, options)
        warnings += [(item.document.path, w) for w in converted.warnings + notes]
        folder = out if out is not None else Path(item.document.path).parent
        results.append(Imported(item.sop_id, folder / f"{item.sop_id}.yaml", text,
                                item.document.path))  # fmt: skip
    return results, warnings


def _note_messages(document: Document) -> list[Approximation]:
    """A message flow between pools: a note in the details of the steps it joins."""
    nodes = {node_id: node for p in document.processes for node_id, node in p.nodes.items()}
    notes = []
    for name, source, target, line in document.messages:
        what = f"'{name}'" if name else "a message"
        flow = f"message flow '{name}'" if name else "a message flow"
        if source in nodes:
            receiver = nodes[target].name if target in nodes else "another participant"
            _add_detail(nodes[source], f"Sends {what} to: {receiver}.")
        if target in nodes:
            sender = nodes[source].name if source in nodes else "another participant"
            _add_detail(nodes[target], f"Receives {what} from: {sender}.")
        notes.append(Approximation(line, f"{flow} between pools is kept only as a note in the "
                                   "details of the steps it joins"))  # fmt: skip
    return notes


def _add_detail(node: Node, text: str) -> None:
    node.documentation = "\n\n".join(filter(None, [node.documentation, text]))


def _reading_order(converted: Converted) -> tuple[list[SopNode], list[SopNode]]:
    """The nodes reached from the start, depth first (the way a reader follows them), and
    those no path reaches."""
    by_key = {node.id: node for node in converted.nodes}
    order: list[SopNode] = []
    seen: set[str] = set()
    stack = [converted.start]
    while stack:
        key = stack.pop()
        if key in seen or key not in by_key:
            continue
        seen.add(key)
        node = by_key[key]
        order.append(node)
        onward = [node.next] if node.next else [target for _, target in node.branches]
        stack.extend(reversed([k for k in onward if k]))
    return order, [n for n in converted.nodes if n.id not in seen]


def _implicit_end_last(order: list[SopNode]) -> list[SopNode]:
    """The end sopkit's export drew after a SOP's last step goes again: that step comes
    last, with no `next`, as the SOP had it."""
    implicit = [n for n in order if n.kind == "end" and n.implicit]
    if len(implicit) != 1:
        return order
    end = implicit[0]
    leading = [n for n in order if n.next == end.id or any(t == end.id for _, t in n.branches)]
    if len(leading) != 1 or leading[0].kind != "step":
        return order
    step = leading[0]
    step.next = None
    return [n for n in order if n is not end and n is not step] + [step]


def _sop_text(
    item: _Pending, converted: Converted, options: ImportOptions
) -> tuple[str, list[Approximation]]:
    process, path = item.process, item.document.path
    notes: list[Approximation] = []
    order, unreached = _reading_order(converted)
    order = _implicit_end_last(order)
    for node in unreached:
        if "#" not in node.id:
            notes.append(
                Approximation(node.line, f"'{node.text}' is reached from no start: left out")
            )
    node_ids = Ids()
    names: dict[str, str] = {}
    originals = {n.id: n for n in process.nodes.values()}
    for node in order:
        wanted = originals[node.id].extra.get("id", "") if node.id in originals else ""
        if not mapping.SOP_ID.fullmatch(wanted):
            wanted = ascii_slug(node.text)[:40].rstrip("-") or safe_id(node.id.split("#")[0])
        names[node.id] = node_ids.make(wanted)
    lanes = {lane.id: lane for lane in process.lanes}
    role_ids = Ids()
    roles: dict[str, tuple[str, str]] = {}  # lane id -> role id, description
    for node in order:
        if node.id in originals and originals[node.id].extra.get("role") == "":
            node.role = None  # drawn in a lane, but sopkit's SOP gave it no role
        lane = lanes.get(node.role or "")
        if lane is None or lane.id in roles or lane.extra.get("role") == "":
            continue
        wanted = lane.extra.get("role", "")
        if not mapping.SOP_ID.fullmatch(wanted):
            wanted = ascii_slug(lane.name) or safe_id(lane.id, "role")
        roles[lane.id] = (role_ids.make(wanted), lane.name or lane.id)
    sop = CommentedMap()
    sop["sopkit"] = 1
    sop["id"] = item.sop_id
    sop["title"] = _title(item)
    sop["department"] = process.extra.get("department") or options.department or "Unassigned"
    if process.extra.get("owner"):
        sop["owner"] = process.extra["owner"]
    language = options.language or process.extra.get("language")
    if language:
        sop["language"] = language
    purpose = process.documentation
    if not purpose:
        purpose = (f"Imported from {Path(path).name} (process '{process.id}'). Say here why "
                   "this procedure exists and whom it serves.")  # fmt: skip
        placeholder = "has no documentation: its purpose is a placeholder"
        notes.append(
            Approximation(process.line, f"process '{mapping.named(process)}' {placeholder}")
        )
    sop["purpose"] = _block(purpose)
    if mapping.DURATION.fullmatch(process.extra.get("sla", "")):
        sop["sla"] = process.extra["sla"]
    if roles:
        sop["roles"] = CommentedMap((role, text) for role, text in roles.values())
    if converted.related:
        sop["related"] = list(converted.related)
    steps = []
    for position, node in enumerate(order):
        following = order[position + 1].id if position + 1 < len(order) else None
        steps.append(_node_map(node, names, roles, following))
    sop["steps"] = steps
    return _yaml_text(sop, path), notes


def _title(item: _Pending) -> str:
    process = item.process
    if process.name:
        return process.name
    if item.node is not None and item.node.handler:
        starts = [n.name for n in process.nodes.values() if n.kind == "startEvent" and n.name]
        return f"When: {starts[0]}" if starts else f"Event sub-process {process.id}"
    if process.participant:
        return process.participant
    stem = Path(item.document.path).stem
    return f"{stem} {process.id}" if len(item.document.processes) > 1 else stem


def _block(text: str) -> str:
    return LiteralScalarString(text.strip() + "\n") if "\n" in text.strip() else text.strip()


def _node_map(node: SopNode, names: dict[str, str], roles: dict[str, tuple[str, str]],
              following: str | None) -> CommentedMap:  # fmt: skip
    entry = CommentedMap()
    entry["id"] = names[node.id]
    entry[node.kind] = node.text
    if node.role in roles:
        entry["role"] = roles[node.role or ""][0]
    if node.details:
        entry["details"] = _block("\n\n".join(node.details))
    if node.duration and node.kind != "end":
        entry["duration"] = node.duration
    if node.sop and node.kind == "step":
        entry["sop"] = node.sop
    if node.kind == "step" and node.next and (node.next != following or node.next not in names):
        entry["next"] = names.get(node.next, node.next)
    if node.kind == "decision":
        entry["branches"] = CommentedMap((_answer(label), names[target])
                                         for label, target in node.branches)  # fmt: skip
    return entry


_YAML11_WORDS = re.compile(r"(?i)y|n|yes|no|on|off|true|false")


def _answer(label: str) -> str:
    """ "Yes" and "No" quoted, as people write them: a YAML 1.1 reader would see booleans."""
    return DoubleQuotedScalarString(label) if _YAML11_WORDS.fullmatch(label) else label


def _yaml_text(sop: CommentedMap, path: str) -> str:
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(sop, stream)
    text = stream.getvalue()
    formatted = reformat_text(text, path).formatted
    return formatted if formatted is not None else text


def write_new(imported: Sequence[Imported]) -> None:
    """Write every SOP, or none: a file already there, or two SOPs for one file, stop all."""
    clashes = [str(item.file) for item in imported if os.path.lexists(item.file)]
    names = [str(item.file).casefold() for item in imported]
    clashes += sorted({str(i.file) for i in imported if names.count(str(i.file).casefold()) > 1})
    if clashes:
        raise BpmnError("not importing: these files exist already (nothing was written): "
                        + ", ".join(clashes))  # fmt: skip
    missing = sorted({str(item.file.parent) for item in imported if not item.file.parent.is_dir()})
    if missing:
        raise BpmnError(f"not importing: no such folder: {', '.join(missing)}")
    written: list[Path] = []
    try:
        for item in imported:
            create_file(item.file, item.text.encode())
            written.append(item.file)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise BpmnError(
            f"cannot write {exc.filename}: {exc.strerror}; nothing was written"
        ) from None
