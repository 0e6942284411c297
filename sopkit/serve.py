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
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from sopkit.discovery import discover
from sopkit.errors import SopkitError

RELOAD_PATH = "/__sopkit/reload"
RELOAD_SCRIPT = (
    b"<script>(function(){var here=decodeURIComponent(location.pathname).slice(1);"
    b"if(here===''||here.slice(-1)==='/'){here+='index.html';}"
    b"var seen=null;var events=new EventSource('" + RELOAD_PATH.encode() + b"');"
    b"events.onmessage=function(e){var m=JSON.parse(e.data);"
    b"if(seen!==null&&m.g!==seen&&(m.pages===null||m.pages.indexOf(here)>=0)){location.reload();}"
    b"seen=m.g;};})();</script>"
)  # fmt: skip
HISTORY = 64  # builds a page that missed a few can still tell whether it changed


class Builds:
    """The handbooks written so far, each with the pages it changed; pages wait on it to
    reload when theirs is one of them."""

    def __init__(self) -> None:
        self.generation = 0
        self.changed = threading.Condition()
        self.stopping = False
        self._pages: dict[int, frozenset[str] | None] = {}  # generation -> its pages

    def done(self, pages: Iterable[str] | None = None) -> None:
        """A build is in place; `pages` it changed (site paths), None when it may be all."""
        with self.changed:
            self.generation += 1
            self._pages[self.generation] = None if pages is None else frozenset(pages)
            self._pages.pop(self.generation - HISTORY, None)
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen or self.stopping, timeout)
            return self.generation

    def pages_since(self, seen: int, now: int) -> list[str] | None:
        """The pages the builds after `seen` up to `now` changed; None: any may have."""
        with self.changed:
            found: set[str] = set()
            for generation in range(seen + 1, now + 1):
                pages = self._pages.get(generation)
                if pages is None:
                    return None
                found |= pages
            return sorted(found)

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()


def site_pages(written: Iterable[str], site: str) -> list[str] | None:
    """The site's pages among files written (relative to the output folder, the site in
    its folder `site`), as the browser names them; None when a style sheet or script
    changed, which every page uses."""
    pages = []
    for name in written:
        folder, _, page = name.partition("/")
        if folder != site:
            continue
        if page.startswith("assets/") and page != "assets/search-index.js":
            return None
        pages.append(page)
    return pages


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


def allowed_host(header: str | None, bound: str) -> bool:
    """Whether a request's Host header may be answered by a server bound to `bound`.

    A page on any web site can make the reader's browser ask a name of its own that
    it has pointed at 127.0.0.1 (DNS rebinding) and read the handbook. On a loopback
    address only an IP address, localhost or the host served are answered, as
    webpack and Vite do; a server put on another address on purpose answers all.
    """
    if header is None or not _is_loopback(bound):
        return True
    name = header[1 : header.find("]")] if header.startswith("[") else header.rpartition(":")[0]
    name = (name or header).rstrip(".").lower()
    if name in ("localhost", bound.lower()) or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


class _Handler(http.server.SimpleHTTPRequestHandler):
    builds: Builds
    bound: str  # the host the server listens on

    def log_message(self, format: str, *args: object) -> None:
        return None

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if allowed_host(self.headers.get("Host"), self.bound):
            return True
        self.send_error(403, "Host not served here", "sopkit serve answers its own address "
                        "only: open the address it printed.")  # fmt: skip
        return False

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
            # the first message only says where the builds are: a page that reconnects
            # after missing some (or a restarted server) reloads
            self.wfile.write(_event(seen, None))
            self.wfile.flush()
            while not self.builds.stopping:
                now = self.builds.wait(seen, timeout=15)
                # a comment line when nothing happened: a closed page shows up as an error
                if now == seen:
                    self.wfile.write(b": waiting\n\n")
                else:
                    self.wfile.write(_event(now, self.builds.pages_since(seen, now)))
                self.wfile.flush()
                seen = now
        except OSError:  # the page was closed or reloaded
            return


def _event(generation: int, pages: list[str] | None) -> bytes:
    message = json.dumps({"g": generation, "pages": pages}, ensure_ascii=False)
    return f"data: {message}\n\n".encode()


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


Rebuild = Callable[[set[str]], Iterable[Sequence[str] | None]]
"""Bring the site up to date after these SOP files changed; yields, for each step put in
place, the site's pages it changed (None: any page may have)."""


class Listening(NamedTuple):
    """A server bound to its address, not yet answering, and its builds."""

    server: http.server.ThreadingHTTPServer
    builds: Builds
    host: str


def listen(site: Path, host: str, port: int) -> Listening:
    """Bind the address first: a port in use or a host that is not this machine's is
    said at once, not after a render of the whole handbook."""
    builds = Builds()
    handler = functools.partial(type("Handler", (_Handler,), {"builds": builds, "bound": host}),
                                directory=str(site))  # fmt: skip
    try:
        server = _server_class(host)((host, port), handler)
    except OSError as exc:
        raise SopkitError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return Listening(server, builds, host)


def serve(
    listening: Listening,
    paths: Sequence[str],
    rebuild: Rebuild,
    stop: threading.Event,
    ready: Callable[[str], None] = lambda url: None,
    interval: float = 0.2,
) -> None:
    """Answer on the address `listen` bound until `stop` is set, calling `rebuild`
    whenever the SOPs change; open pages reload when a step of it changed them.

    A newer change stops a rebuild between its steps: the next one writes what is left.
    `ready` is called with the address once the server answers (with port 0, on the
    port the system chose).
    """
    server, builds, host = listening
    with server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        ready(url_of(host, server.server_address[1]))
        try:
            seen = snapshot(paths)
            while not stop.wait(interval):
                current = snapshot(paths)
                if current == seen:
                    continue
                changed = {path for path in current.keys() | seen.keys()
                           if current.get(path) != seen.get(path)}  # fmt: skip
                seen = current
                steps = iter(rebuild(changed))
                for pages in steps:
                    if pages is None or pages:
                        builds.done(pages)
                    if snapshot(paths) != seen:
                        break  # a newer change: its rebuild does what is left
                close = getattr(steps, "close", None)
                if close is not None:
                    close()
        finally:
            builds.stop()
            server.shutdown()
