"""A cache of SOP models between runs of `sopkit mcp`, so that a large repository is
served within a second of starting (reading 1,000 SOPs takes two).

A file's model is reused while the file's size and modification time are the
same. Models are kept without source positions, which only `check` needs: that
makes the cache a fifth of the size and five times quicker to load. The cache
lives in the user's cache folder (`$SOPKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/sopkit`,
else `~/.cache/sopkit`), one file per source folder, written atomically; a cache
that cannot be read or written is simply not used.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import sys
from collections.abc import Mapping
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import NamedTuple

from sopkit import __version__
from sopkit.files import replace_file
from sopkit.model import Sop, Where
from sopkit.problems import FILE_START, Loc
from sopkit.search import Text

_NOWHERE = Where(FILE_START, {})
_KIND = f"sopkit {__version__} python {sys.version_info[:2]}"


class Stamp(NamedTuple):
    """What says a file is unchanged."""

    size: int
    mtime_ns: int


def stamp_of(path: str) -> Stamp | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return Stamp(status.st_size, status.st_mtime_ns)


def cache_folder() -> Path:
    chosen = os.environ.get("SOPKIT_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sopkit"


def cache_file(source: Path) -> Path:
    key = hashlib.sha256(os.fsencode(os.path.realpath(source))).hexdigest()[:20]
    return cache_folder() / f"models-{key}.pickle"


def without_positions(value: object) -> object:
    """The same model with every source position one shared value (pickled once)."""
    if isinstance(value, Loc):
        return FILE_START
    if isinstance(value, Where):
        return _NOWHERE
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: without_positions(getattr(value, f.name)) for f in fields(value)}
        return replace(value, **changes)
    if isinstance(value, tuple):
        items = [without_positions(item) for item in value]
        named = getattr(type(value), "_make", None)  # a NamedTuple
        return named(items) if named is not None else tuple(items)
    return value


def _stripped(sop: Sop) -> Sop:
    stripped = without_positions(sop)
    assert isinstance(stripped, Sop)
    return stripped


class Known(NamedTuple):
    """A SOP file as last read: its stamp, its model and its search texts."""

    stamp: Stamp
    sop: Sop
    texts: tuple[Text, ...]


Entries = dict[str, Known]
"""By the file's path relative to the source folder: the same however the folder is named."""


def load(source: Path) -> Entries:
    """The cached models of `source`'s files; empty when there is no usable cache."""
    try:
        data = cache_file(source).read_bytes()
    except OSError:
        return {}
    gc.disable()  # unpickling makes many objects and no cycles: collections only cost
    try:
        kind, entries = pickle.loads(data)
    except Exception:  # a cache from another version, or damaged: read the SOPs instead
        return {}
    finally:
        gc.freeze()  # the models live as long as the server: no collection need scan them
        gc.enable()
    return entries if kind == _KIND and isinstance(entries, dict) else {}


BACKGROUND_FROM = 200
"""From this many SOPs the cache is written by a child process, so that the server answers
at once (pickling 1,000 SOPs takes a second); fewer take no time worth a process."""


def save_soon(source: Path, entries: Mapping[str, Known]) -> None:
    """`save`, by a grandchild process when the library is large: the models are already
    in memory (a fork shares them), and the server goes on without waiting."""
    if len(entries) < BACKGROUND_FROM or not hasattr(os, "fork"):
        save(source, entries)
        return
    child = os.fork()
    if child == 0:  # the child: fork again and leave, so nobody waits for the writer
        try:
            os.setsid()  # a session of its own: a client that ends the server's group spares it
            if os.fork() == 0:
                try:
                    save(source, entries)
                finally:
                    os._exit(0)
        finally:
            os._exit(0)
    os.waitpid(child, 0)


def save(source: Path, entries: Mapping[str, Known]) -> None:
    stripped = {path: known._replace(sop=_stripped(known.sop)) for path, known in entries.items()}
    try:
        folder = cache_folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        replace_file(cache_file(source), pickle.dumps((_KIND, stripped), protocol=5))
    except OSError:
        return  # a read-only home: the next start reads the SOPs again
