"""What changed in a SOP since a translation was made from it, from the SOP's git history.

A translation records its source's translation hash (`translated_from`). To say
which nodes changed since, the source's commits are searched back (`git log
--follow`, renames included) for the version whose hash that was, and the two
versions are compared. Every version is read by one `git cat-file --batch`
process. When git, the repository or that version cannot be found, the answer
says why instead.
"""

from __future__ import annotations

import functools
import os
import subprocess
from typing import NamedTuple

from sopkit.model import Sop, Step, seconds_of
from sopkit.reading import read_sop
from sopkit.translation import translation_hash

SEARCHED_COMMITS = 200


class Changes(NamedTuple):
    names: tuple[str, ...] | None  # nodes and fields that changed; None: could not tell
    why: str = ""  # why it could not tell


def _git(arguments: list[str], folder: str, data: bytes | None = None) -> bytes | None:
    try:
        done = subprocess.run(["git", *arguments], cwd=folder, input=data, capture_output=True,
                              timeout=60, check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _versions(path: str) -> list[bytes] | str:
    """The file's committed versions, newest first; or why there are none."""
    folder = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    log = _git(["log", f"-n{SEARCHED_COMMITS}", "--follow", "--format=%x00%H", "--name-only",
                "--", name], folder)  # fmt: skip
    if log is None:
        return f"{path} is not in a git repository, or git is not installed"
    top = _git(["rev-parse", "--show-toplevel"], folder)
    wanted = []
    for entry in log.decode("utf-8", "replace").split("\0")[1:]:
        lines = [line for line in entry.splitlines() if line.strip()]
        if len(lines) >= 2:
            wanted.append(f"{lines[0]}:{lines[-1]}")
    if not wanted or top is None:
        return f"{path} has no commits"
    batch = _git(["cat-file", "--batch"], top.decode().strip(), "\n".join(wanted).encode() + b"\n")
    if batch is None:
        return "git cat-file failed"
    versions, at = [], 0
    while at < len(batch):
        header_end = batch.index(b"\n", at)
        header = batch[at:header_end].split()
        if len(header) < 3 or header[1] == b"missing":
            at = header_end + 1
            continue
        size = int(header[2])
        versions.append(batch[header_end + 1 : header_end + 1 + size])
        at = header_end + 1 + size + 1
    return versions


def _named(sop: Sop) -> dict[str, object]:
    """What a translator follows of each node and of the SOP, by name."""
    parts: dict[str, object] = {
        "title": sop.title, "purpose": sop.purpose, "scope": sop.scope,
        "roles": tuple((r.id, r.description) for r in sop.roles),
        "terms": tuple((t.name, t.definition) for t in sop.terms),
        "kpis": tuple((k.name, k.target, k.description) for k in sop.kpis),
        "sla": sop.sla.seconds if sop.sla else None,
    }  # fmt: skip
    for node in sop.nodes:
        edges = tuple((e.label, e.target_id) for e in sop.flow.edges[node.index])
        call = node.sop.id if isinstance(node, Step) and node.sop else None
        parts[node.id] = (node.kind.value, node.text, node.details, node.role, edges,
                          seconds_of(node), call)  # fmt: skip
    return parts


def changed_between(old: Sop, new: Sop) -> tuple[str, ...]:
    """Names of what differs: node ids (changed, added, removed), then SOP fields."""
    before, after = _named(old), _named(new)
    nodes_before = [n.id for n in old.nodes]
    nodes_after = [n.id for n in new.nodes]
    names = [node for node in nodes_after if before.get(node) != after[node]]
    names += [node for node in nodes_before if node not in after]
    fields = ("title", "purpose", "scope", "roles", "terms", "kpis", "sla")
    names += [field for field in fields if before[field] != after[field]]
    return tuple(names)


@functools.lru_cache(maxsize=64)
def changes_since(path: str, recorded: str) -> Changes:
    """What changed in the SOP at `path` since its translation hash was `recorded`."""
    current = read_sop(path, path).sop
    if current is None:
        return Changes(None, f"{path} does not load")
    versions = _versions(path)
    if isinstance(versions, str):
        return Changes(None, versions)
    for data in versions:
        old = read_sop(data, path).sop
        if old is not None and translation_hash(old) == recorded:
            return Changes(changed_between(old, current))
    return Changes(None, f"no commit of {path} has the hash {recorded}")
