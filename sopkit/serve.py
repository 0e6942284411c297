"""`sopkit serve`: the HTML handbook on 127.0.0.1, rebuilt when a SOP changes."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from sopkit.discovery import discover


def snapshot(paths: Sequence[str]) -> dict[str, tuple[int, int]]:
    """What a change looks like: each SOP file's size and modification time."""
    state = {}
    for source in discover(paths):
        stat = os.stat(source.real)
        state[source.real] = (stat.st_size, stat.st_mtime_ns)
    return state


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


def serve(
    site: Path,
    host: str,
    port: int,
    paths: Sequence[str],
    rebuild: Callable[[], None],
    stop: threading.Event,
    interval: float = 0.5,
) -> None:
    """Serve `site` until `stop` is set, calling `rebuild` whenever the SOPs change."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            seen = snapshot(paths)
            while not stop.wait(interval):
                current = snapshot(paths)
                if current != seen:
                    seen = current
                    rebuild()
        finally:
            server.shutdown()
