"""`sopkit serve`: the HTML handbook on a local address, rebuilt when a SOP changes, and
every open page reloaded once the rebuild is written (as `mkdocs serve` does).

Editors save by deleting and re-creating files, and `git checkout` swaps whole
folders: a SOP or a folder that is missing for a moment is a state to watch,
never an error. The site folder itself is never replaced by a render (files
are moved into it), so the last good handbook stays served throughout.

The reload: pages served here (never the files written) get a small script that
listens on `/__sopkit/reload`, a stream of server-sent events that says when a
new handbook is in place.
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

RELOAD_PATH = "/__sopkit/reload"
RELOAD_SCRIPT = (
    b"<script>(function(){var seen=null;var events=new EventSource('" + RELOAD_PATH.encode()
    + b"');events.onmessage=function(e){if(seen!==null&&e.data!==seen){location.reload();}"
    b"seen=e.data;};})();</script>"
)  # fmt: skip


class Builds:
    """How many handbooks have been written; pages wait on it to reload."""

    def __init__(self) -> None:
        self.generation = 0
        self.changed = threading.Condition()
        self.stopping = False

    def done(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen or self.stopping, timeout)
            return self.generation

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


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


class _Handler(http.server.SimpleHTTPRequestHandler):
    builds: Builds

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == RELOAD_PATH:
            self._events()
            return
        target = self.translate_path(self.path)
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
        if not target.endswith(".html") or not os.path.isfile(target):
            super().do_GET()
            return
        try:
            with open(target, "rb") as handle:
                page = handle.read()
        except OSError:
            self.send_error(404)
            return
        page = page.replace(b"</body>", RELOAD_SCRIPT + b"</body>", 1)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(page)

    def _events(self) -> None:
        """Server-sent events: the build generation now, then each time it changes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.builds.generation
        try:
            self.wfile.write(f"data: {seen}\n\n".encode())
            self.wfile.flush()
            while not self.builds.stopping:
                now = self.builds.wait(seen, timeout=15)
                # a comment line when nothing happened: a closed page shows up as an error
                line = f"data: {now}\n\n" if now != seen else ": waiting\n\n"
                self.wfile.write(line.encode())
                self.wfile.flush()
                seen = now
        except OSError:  # the page was closed or reloaded
            return


def _server_class(host: str) -> type[http.server.ThreadingHTTPServer]:
    """A server for the host's address family: `::1` and other IPv6 hosts work too."""
    try:
        family = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise SopkitError(f"cannot listen on {host}: {exc.strerror}") from None

    class Server(http.server.ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    return Server


def url_of(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    site: Path,
    host: str,
    port: int,
    paths: Sequence[str],
    rebuild: Callable[[], bool],
    stop: threading.Event,
    ready: Callable[[str], None] = lambda url: None,
    interval: float = 0.2,
) -> None:
    """Serve `site` until `stop` is set, calling `rebuild` whenever the SOPs change; when it
    says it wrote a new handbook, open pages reload.

    `ready` is called with the address once the server is listening (with port 0, on
    the port the system chose).
    """
    builds = Builds()
    handler = functools.partial(type("Handler", (_Handler,), {"builds": builds}),
                                directory=str(site))  # fmt: skip
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
                    if rebuild():
                        builds.done()
        finally:
            builds.stop()
            server.shutdown()
