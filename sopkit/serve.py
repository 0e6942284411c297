"""`sopkit serve`: the HTML handbook on a local address, rebuilt when a SOP changes.

Editors save by deleting and re-creating files, and `git checkout` swaps whole
folders: a SOP or a folder that is missing for a moment is a state to watch,
never an error. The site folder itself is never replaced by a render (files
are moved into it), so the last good handbook stays served throughout.
"""

from __future__ import annotations

import functools
import http.server
import os
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from sopkit.discovery import discover
from sopkit.errors import SopkitError


def snapshot(paths: Sequence[str]) -> dict[str, tuple[int, int]]:
    """What a change looks like: each SOP file's size and modification time.

    Missing paths and files that vanish while being looked at are simply absent.
    """
    state = {}
    for path in paths:
        try:
            sources = discover([path])
        except SopkitError:
            continue
        for source in sources:
            try:
                stat = os.stat(source.real)
            except OSError:
                continue
            state[source.real] = (stat.st_size, stat.st_mtime_ns)
    return state


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


def _server_class(host: str) -> type[http.server.ThreadingHTTPServer]:
    """A server for the host's address family: `::1` and other IPv6 hosts work too."""
    try:
        family = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise SopkitError(f"cannot listen on {host}: {exc.strerror}") from None

    class Server(http.server.ThreadingHTTPServer):
        address_family = family

    return Server


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    site: Path,
    host: str,
    port: int,
    paths: Sequence[str],
    rebuild: Callable[[], None],
    stop: threading.Event,
    ready: Callable[[str], None] = lambda url: None,
    interval: float = 0.5,
) -> None:
    """Serve `site` until `stop` is set, calling `rebuild` whenever the SOPs change.

    `ready` is called with the address once the server is listening (with port 0, on
    the port the system chose).
    """
    handler = functools.partial(_QuietHandler, directory=str(site))
    try:
        server = _server_class(host)((host, port), handler)
    except OSError as exc:
        raise SopkitError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    with server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        ready(url_of(host, server.server_address[1]))
        try:
            seen = snapshot(paths)
            while not stop.wait(interval):
                current = snapshot(paths)
                if current != seen:
                    seen = current
                    rebuild()
        finally:
            server.shutdown()
