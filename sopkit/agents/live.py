"""The SOPs of a source folder, kept current while a server runs.

Files are looked at again at most every `interval` seconds, when a request
comes. A changed file is read again; while it does not load (a typo mid-edit), its
last good version is served and the problem is remembered for `broken`. A removed
file's SOP is gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sopkit.agents import models
from sopkit.agents.models import Entries, Known, Stamp, stamp_of
from sopkit.discovery import discover, shown
from sopkit.errors import SopkitError
from sopkit.lookup import Library, load_sop
from sopkit.search import SearchIndex, texts_of


class LiveLibrary:
    def __init__(
        self,
        source: Path,
        language: str = "en",
        use_cache: bool = True,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.language = language
        self.use_cache = use_cache
        self.interval = interval
        self.clock = clock
        self.entries: Entries = models.load(source) if use_cache else {}
        self.broken: dict[str, str] = {}  # path -> why it does not load
        self.generation = 0
        self._library: Library | None = None
        self._search: SearchIndex | None = None
        self._looked = float("-inf")
        if self.refresh(force=True) and use_cache:
            models.save_soon(source, self.entries)

    def refresh(self, force: bool = False) -> bool:
        """Read what changed since the last look; whether anything did."""
        now = self.clock()
        if not force and now - self._looked < self.interval:
            return False
        self._looked = now
        found = discover([shown(self.source)]) if self.source.is_dir() else []
        paths = {os.path.relpath(f.display, self.source): f.display for f in found}
        changed = False
        for gone in self.entries.keys() - paths.keys():
            del self.entries[gone]
            changed = True
        for gone in self.broken.keys() - set(paths.values()):
            del self.broken[gone]
        for key, path in paths.items():
            stamp = stamp_of(path)
            known = self.entries.get(key)
            if stamp is None:
                continue
            if known is not None and known.stamp == stamp:
                if known.sop.path != path:  # from the cache, read under another name
                    self.entries[key] = known._replace(sop=replace(known.sop, path=path))
                continue
            if self._read(key, path, stamp):
                changed = True
        if changed or self._library is None:
            self.generation += 1
            self._library, self._search = None, None
        return changed

    def _read(self, key: str, path: str, stamp: Stamp) -> bool:
        try:
            sop = load_sop(path)
        except SopkitError as problem:
            self.broken[path] = problem.message
            return False  # the last good version stays
        self.broken.pop(path, None)
        self.entries[key] = Known(stamp, sop, texts_of(sop))
        return True

    def _winners(self) -> list[Known]:
        """One file per SOP id: the first in path order, as `sopkit.lookup` chooses."""
        chosen: dict[str, Known] = {}
        for key in sorted(self.entries):
            known = self.entries[key]
            chosen.setdefault(known.sop.id, known)
        return sorted(chosen.values(), key=lambda known: known.sop.id)

    @property
    def library(self) -> Library:
        if self._library is None:
            self._library = Library({known.sop.id: known.sop for known in self._winners()})
        return self._library

    @property
    def search(self) -> SearchIndex:
        if self._search is None:
            winners = self._winners()
            self._search = SearchIndex([known.sop for known in winners], self.language,
                                       [known.texts for known in winners])  # fmt: skip
        return self._search
