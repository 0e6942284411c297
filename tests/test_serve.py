"""`sopkit serve` as a real process on loopback: it survives SOPs and folders that
vanish and come back (editor saves, `git checkout`), says where it serves only once
it listens, and serves IPv6 hosts. Every wait is bounded."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, python_env
from tests.helpers import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


class Served:
    def __init__(self, process: subprocess.Popen[str], url: str, log: list[str]) -> None:
        self.process, self.url, self.log = process, url, log

    def get(self, page: str) -> str:
        with urllib.request.urlopen(self.url + page, timeout=10) as response:
            assert response.status == 200
            return str(response.read().decode("utf-8"))

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.log):
                return
            assert self.process.poll() is None, "\n".join(self.log)
            time.sleep(0.05)
        raise AssertionError(f"never said {text!r}: {self.log}")


@contextlib.contextmanager
def _serve(workdir: Path, host: str = "127.0.0.1") -> Iterator[Served]:
    command = [sys.executable, "-u", "-m", "sopkit", "serve", "sops", "-o", "out",
               "--port", "0", "--host", host]  # fmt: skip
    process = subprocess.Popen(command, cwd=workdir, env=python_env(), text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stderr is not None
    log: list[str] = []
    url = ""
    try:
        deadline = time.monotonic() + 120
        while not url and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            log.append(line.rstrip("\n"))
            found = re.search(r"at (http://\S+/) \(Ctrl-C", line)
            url = found.group(1) if found else ""
        assert url, log
        import threading

        def keep_reading() -> None:
            assert process.stderr is not None
            for rest in process.stderr:
                log.append(rest.rstrip("\n"))

        threading.Thread(target=keep_reading, daemon=True).start()
        yield Served(process, url, log)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


@pytest.fixture
def served(workdir: Path) -> Iterator[Served]:
    shutil.copytree(EXAMPLES, workdir / "sops")
    with _serve(workdir) as running:
        yield running


def test_serve_survives_deleted_and_recreated_sops_and_folders(
    served: Served, workdir: Path
) -> None:
    assert served.log[-1].startswith("serving out/site at http://127.0.0.1:")
    assert "CS-ESC-001" in served.get("index.html")
    sop = workdir / "sops" / "escalation.en.yaml"
    text = sop.read_text(encoding="utf-8")
    sop.unlink()  # an editor's save: delete, then write anew
    time.sleep(1.2)
    sop.write_text(
        text.replace("Escalating a customer request", "Escalating a request now"), "utf-8"
    )
    served.wait_for("rebuilt out", timeout=60)
    deadline = time.monotonic() + 30
    while "request now" not in served.get("CS-ESC-001.html") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "request now" in served.get("CS-ESC-001.html")
    shutil.move(workdir / "sops", workdir / "elsewhere")  # a checkout takes the folder away
    time.sleep(1.5)
    assert served.process.poll() is None, served.log
    assert "CS-ESC-001" in served.get("index.html")  # the last good handbook
    shutil.move(workdir / "elsewhere", workdir / "sops")
    time.sleep(1.5)
    assert served.process.poll() is None, served.log
    assert "CS-ESC-001" in served.get("index.html")
    assert not [line for line in served.log if "Traceback" in line or "cannot listen" in line]


def test_a_port_in_use_is_said_before_anything_claims_to_serve(workdir: Path) -> None:
    shutil.copytree(EXAMPLES, workdir / "sops")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sopkit", "serve", "sops", "-o", "out", "--port", str(port)],
            cwd=workdir, env=python_env(), capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "serving" not in done.stderr
    assert not (workdir / "out").exists()  # said before rendering, not after


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_an_ipv6_host_is_served(workdir: Path) -> None:
    shutil.copytree(EXAMPLES, workdir / "sops")
    with _serve(workdir, "::1") as served:
        assert served.url.startswith("http://[::1]:")
        assert "CS-ESC-001" in served.get("index.html")


def _status_with_host(url: str, page: str, host: str) -> int:
    import http.client
    from urllib.parse import urlsplit

    where = urlsplit(url)
    connection = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        connection.putrequest("GET", "/" + page, skip_host=True)
        connection.putheader("Host", host)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_page_asked_for_under_another_name_is_refused(served: Served) -> None:
    """DNS rebinding: a web site's own name pointed at 127.0.0.1 must not read the handbook."""
    port = served.url.rsplit(":", 1)[1].rstrip("/")
    for page in ("index.html", "CS-ESC-001.html", "assets/style.css", "__sopkit/reload"):
        assert _status_with_host(served.url, page, f"attacker.example:{port}") == 403
    assert _status_with_host(served.url, "index.html", f"localhost:{port}") == 200
    assert _status_with_host(served.url, "index.html", f"127.0.0.1:{port}") == 200


@pytest.mark.parametrize(
    ("header", "bound", "answered"),
    [("localhost:8000", "127.0.0.1", True), ("app.localhost:8000", "127.0.0.1", True),
     ("[::1]:8000", "::1", True), ("10.0.0.5:8000", "127.0.0.1", True),
     ("attacker.example", "127.0.0.1", False), ("attacker.example:80", "::1", False),
     ("attacker.example:80", "localhost", False), (None, "127.0.0.1", True),
     ("handbook.intranet:8000", "0.0.0.0", True), ("handbook.intranet", "192.168.1.4", True)],
)  # fmt: skip
def test_which_host_names_are_answered(header: str | None, bound: str, answered: bool) -> None:
    """On loopback only addresses and localhost; a server put on another address on
    purpose answers every name it is reached by."""
    from sopkit.serve import allowed_host

    assert allowed_host(header, bound) is answered


def test_an_open_page_reloads_itself_after_an_edit(workdir: Path) -> None:
    """The browser is told, not polled by the reader: the edit shows without a reload."""
    from playwright.sync_api import sync_playwright

    shutil.copytree(EXAMPLES, workdir / "sops")
    with _serve(workdir) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(served.url + "CS-ESC-001.html")
        assert page.locator("h1").inner_text() == "Escalating a customer request"
        page.wait_for_function("document.readyState === 'complete'")
        time.sleep(0.5)  # the page's event stream is open
        sop = workdir / "sops" / "escalation.en.yaml"
        sop.write_text(
            sop.read_text("utf-8").replace("Escalating a customer request", "Escalating now"),
            encoding="utf-8",
        )
        started = time.monotonic()
        page.wait_for_function(
            "document.querySelector('h1') && document.querySelector('h1').innerText === "
            "'Escalating now'",
            timeout=30_000,
        )
        assert time.monotonic() - started < 30
        written = (workdir / "out" / "site" / "CS-ESC-001.html").read_text(encoding="utf-8")
        assert "__sopkit/reload" not in written  # only served pages listen, never the files
        browser.close()


def test_only_the_pages_an_edit_changed_reload(workdir: Path) -> None:
    """An edit to one SOP's step reloads that SOP's open page, never another SOP's (a
    reader in the middle of it keeps their place)."""
    from playwright.sync_api import sync_playwright

    shutil.copytree(EXAMPLES, workdir / "sops")
    with _serve(workdir) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        edited, other = browser.new_page(), browser.new_page()
        for tab, sop_id in ((edited, "CS-ESC-001"), (other, "CS-COMP-002")):
            tab.goto(f"{served.url}{sop_id}.html")
            tab.wait_for_function("document.readyState === 'complete'")
            tab.evaluate("window.sopkitTestMark = 1")  # gone if the page reloads
        time.sleep(0.5)  # both event streams are open
        sop = workdir / "sops" / "escalation.en.yaml"
        sop.write_text(
            sop.read_text("utf-8").replace(
                "Log the request as a ticket", "Log the request as one ticket"
            ),
            encoding="utf-8",
        )
        edited.wait_for_function(
            "document.body.innerText.includes('Log the request as one ticket')", timeout=30_000
        )
        assert edited.evaluate("window.sopkitTestMark") is None
        deadline = time.monotonic() + 30  # the rest of the update: the search index too
        while "as one ticket" not in served.get("assets/search-index.js"):
            assert time.monotonic() < deadline, served.log
            time.sleep(0.2)
        time.sleep(0.5)
        assert other.evaluate("window.sopkitTestMark") == 1
        assert any(line.startswith("updated CS-ESC-001: ") for line in served.log), served.log
        browser.close()
