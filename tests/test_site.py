"""The HTML handbook in a real browser: Debian's Chromium driven by Playwright.

The site is rendered from tests/examples plus a hostile SOP, served by a
local HTTP server on 127.0.0.1, and opened headless. No browser is ever
downloaded: Playwright launches /usr/bin/chromium (installed by scripts/setup.sh).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from playwright.sync_api import Browser, Dialog, Page
from typer.testing import CliRunner

from sopkit.cli import app
from tests.conftest import EXAMPLES, TODAY, python_env
from tests.helpers import chromium, served

EVIL = """\
id: EVIL-1
title: '<script>alert(1)</script> and <img src=x onerror=alert(1)>'
department: Security
owner: O <o@example.com>
review_by: 2026-01-01
purpose: |
  Raw <script>alert(2)</script> and [a link](javascript:alert(3)) stay harmless.
  Also {: onclick="alert(4)" } and <img src=x onerror=alert(5)>.
steps:
  - id: a
    step: '<img src=x onerror=alert(6)>'
    details: |
      <script>alert(7)</script> **bold** stays bold.
  - {id: b, end: 'Done <b onmouseover=alert(8)>x</b>'}
"""


LONG_WORD = "Pneumono" + "ultramicroscopicsilicovolcano" * 70  # about 2,000 characters
LONG_CODE = "C:/Users/agent/AppData/Local/HelpdeskClient/profiles/default/escalation-poster.pdf"

OUTSIDE = f"""\
id: OUT-1
title: Pictures from elsewhere
department: Security
owner: O <o@example.com>
purpose: |
  ![the escalation poster](https://images.example.com/poster.png), printed from
  `{LONG_CODE}`, hangs in the office.
roles:
  customer_success_manager_for_enterprise_accounts: Customer success manager
kpis:
  - name: TTR
    target: < 24h for P1, < 72h for P2, < 5 business days for everything else
    description: Measured on https://support.example.com/reports/time-to-resolution/dashboard
steps:
  - id: a
    step: Look up {LONG_WORD} in the glossary
    details: Then run `{LONG_CODE}`.
    role: customer_success_manager_for_enterprise_accounts
  - {{id: b, end: Done}}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("site")
    shutil.copytree(EXAMPLES, work / "sops")
    (work / "sops" / "evil.yaml").write_text(EVIL, encoding="utf-8")
    (work / "sops" / "outside.yaml").write_text(OUTSIDE, encoding="utf-8")
    (work / "sopkit.toml").write_text("", encoding="utf-8")
    cwd = Path.cwd()
    os.chdir(work)
    try:
        result = CliRunner().invoke(
            app, ["render", "sops", "-o", "out", "--html", "--today", TODAY,
                  "--ignore", "undefined-acronym"],
            catch_exceptions=False,
        )  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return work / "out" / "site"


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


def test_search_a_greek_word_and_follow_the_result(page: Page, server: str) -> None:
    page.goto(server + "index.html")
    assert page.title() == "Handbook"
    page.fill("#search", "παραπονο")  # no accent: finds παράπονο
    first = page.locator("#results a").first
    first.wait_for()
    assert first.inner_text().startswith("Διαχείριση παραπόνου πελάτη")  # accented, found
    first.click()
    page.wait_for_load_state()
    assert page.url.startswith(server + "CS-COMP-002.html")
    assert page.locator("html").get_attribute("lang") == "el"
    page.fill("#search", "ZAHTEVEK")  # case-blind, Slovenian
    page.fill("#search", "pozdravite")
    assert page.locator("#results a").count() >= 1


def test_the_search_index_loads_only_when_the_search_box_is_used(page: Page, server: str) -> None:
    """A page opens without the index (megabytes for a large handbook); the first use of
    the search box loads it and shows what was typed meanwhile."""
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(server + "CS-ESC-001.html")
    page.wait_for_load_state("load")
    assert not [url for url in asked if "search-index" in url]
    page.fill("#search", "knowledge")
    page.locator("#results a").first.wait_for()
    assert [url for url in asked if url.endswith("assets/search-index.js")]
    page.fill("#search", "klica")
    assert page.locator("#results a").first.inner_text().startswith("Sprejem telefonskega klica")


def test_a_sop_node_in_the_flowchart_opens_the_called_sop(page: Page, server: str) -> None:
    page.goto(server + "CS-CALL-003.html")
    node = page.locator('figure.flowchart svg a[*|href="CS-COMP-002.html"]')
    node.click()
    page.wait_for_load_state()
    assert page.url == server + "CS-COMP-002.html"
    assert page.locator("h1").inner_text() == "Διαχείριση παραπόνου πελάτη"


def test_a_step_node_links_to_its_numbered_step(page: Page, server: str) -> None:
    page.goto(server + "CS-ESC-001.html")
    page.locator('figure.flowchart svg a[*|href="#step-4"]').click()
    assert page.url.endswith("#step-4")


def test_hostile_text_fires_no_dialog(page: Page, server: str) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(server + "EVIL-1.html")
    page.wait_for_timeout(300)
    page.hover("main")
    page.fill("#search", "script")
    page.wait_for_timeout(200)
    assert dialogs == []
    heading = page.locator("h1").inner_text()
    assert heading == "<script>alert(1)</script> and <img src=x onerror=alert(1)>"
    assert page.locator("main script, main img, main [onerror], main [onclick]").count() == 0
    assert page.locator('main a[href^="javascript"]').count() == 0
    assert page.locator("main strong", has_text="bold").count() == 1


def test_every_internal_link_resolves(page: Page, server: str) -> None:
    seen: set[str] = set()
    queue = [server + "index.html"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200, url
        if not url.endswith(".html"):
            continue
        page.goto(url)
        hrefs = page.eval_on_selector_all(
            "a[href], svg a, link[href], script[src]",
            "els => els.map(e => e.getAttribute('href') || e.getAttribute('xlink:href') "
            "|| e.getAttribute('src')).filter(Boolean)",
        )
        for href in hrefs:
            target = urldefrag(urljoin(url, href))[0]
            if urlparse(target).netloc == urlparse(server).netloc:
                queue.append(target)
    assert len(seen) > 10
    assert server + "glossary.html" in seen
    assert server + "roles/agent.html" in seen


def test_no_external_assets(site: Path) -> None:
    for file in site.rglob("*.html"):
        text = file.read_text(encoding="utf-8")
        assert 'src="http' not in text, file
        assert 'href="http' not in text.split("</header>")[0], file


def test_screenshots_of_the_index_and_a_sop_page(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server + "index.html")
    page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
    page.goto(server + "CS-ESC-001.html")
    page.screenshot(path=str(tmp_path / "CS-ESC-001.png"), full_page=True)
    for name in ("index.png", "CS-ESC-001.png"):
        picture = (tmp_path / name).read_bytes()
        width, height = (int.from_bytes(picture[at : at + 4], "big") for at in (16, 20))
        # the page as a reader sees it: the window's width, and more than a screen tall
        assert (width, height > 900) == (1100, True), name
    page.set_viewport_size({"width": 375, "height": 800})  # a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1


def test_works_from_file_urls(page: Page, site: Path) -> None:
    page.goto((site / "index.html").as_uri())
    page.fill("#search", "knowledge")
    page.locator("#results a").first.click()
    page.wait_for_load_state()
    assert page.url.startswith((site / "CS-ESC-001.html").as_uri())


def test_serve_rebuilds_when_a_sop_changes(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "sops")
    (tmp_path / "sopkit.toml").write_text("", encoding="utf-8")
    with socket_port() as port:
        pass
    process = subprocess.Popen(
        [sys.executable, "-m", "sopkit", "serve", "--port", str(port)],
        cwd=tmp_path, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/CS-CALL-003.html"
        assert "Sprejem telefonskega klica" in fetch_until(url, "Sprejem")
        source = tmp_path / "sops" / "klic.sl.yaml"
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("Sprejem telefonskega klica", "Sprejem klica"), "utf-8")
        assert "<h1" in fetch_until(url, "Sprejem klica</h1>")
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert b"rebuilt" in errors
    assert b"Traceback" not in errors


def fetch_until(url: str, needle: str, seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                last = str(response.read().decode("utf-8"))
            if needle in last:
                return last
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} never appeared at {url}; last page: {last[:200]!r}")


class socket_port:
    """A free TCP port on 127.0.0.1."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_review_overdue_badge(page: Page, server: str) -> None:
    page.goto(server + "EVIL-1.html")
    assert page.locator(".badge.overdue").is_visible()
    page.goto(server + "CS-ESC-001.html")
    assert page.locator(".badge.overdue").count() == 0


def test_a_printed_sop_fits_a4(page: Page, server: str, tmp_path: Path) -> None:
    page.goto(server + "CS-ESC-001.html")
    page.emulate_media(media="print")
    assert page.locator("header.site").is_hidden()
    chart = page.locator("figure.flowchart svg").bounding_box()
    assert chart is not None
    mm = 96 / 25.4  # CSS pixels per millimetre
    wide = "wide" in (page.locator("figure.flowchart").get_attribute("class") or "")
    width, height = (297 - 30, 170) if wide else (210 - 30, 240)  # landscape when wide
    assert chart["width"] <= width * mm + 1  # the page's width less its margins
    assert chart["height"] <= height * mm + 1
    pdf = page.pdf(format="A4")
    (tmp_path / "CS-ESC-001.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")


def test_user_templates_come_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "sops")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "base.html.j2").write_text(
        '{% extends "sopkit/base.html.j2" %}{% block footer %}Acme support handbook{% endblock %}',
        encoding="utf-8",
    )
    (tmp_path / "sopkit.toml").write_text('templates = "mine"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["render", "--html", "--today", TODAY])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "handbook" / "site" / "CS-ESC-001.html").read_text(encoding="utf-8")
    assert "Acme support handbook" in page
    assert "<h1" in page  # the packaged page template still did its work


def test_an_external_image_is_a_link_and_nothing_loads_from_outside(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto(server + "OUT-1.html")
    tab.wait_for_load_state("networkidle")
    link = tab.locator("a.external-image")
    assert link.inner_text().strip() == "the escalation poster"
    assert link.get_attribute("href") == "https://images.example.com/poster.png"
    assert tab.locator("img").count() == 0
    assert [url for url in requested if not url.startswith(server)] == []
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_a_very_long_word_never_scrolls_the_page_sideways(
    browser: Browser, server: str, width: int
) -> None:
    """Nor does long inline code (a path, a command line), while a short one (an id) stays
    on one line: all inline code was kept whole, and a path scrolled a phone to 860 px."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    tab = context.new_page()
    role = "roles/customer_success_manager_for_enterprise_accounts.html"  # a long role id
    for name in ("OUT-1.html", "index.html", role):
        tab.goto(server + name)
        main = tab.locator("main").inner_text().replace("\n", "")
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, name
        # a table's words stay whole ("In/di/ca/tor" once); a narrow table scrolls in its box
        headers = tab.evaluate("""[...document.querySelectorAll('main th')].map((th) => {
            const range = document.createRange(); range.selectNodeContents(th);
            return [th.innerText, range.getClientRects().length]; })""")
        assert all(lines == 1 for _, lines in headers), (name, headers)
        if name == role:
            continue
        assert LONG_CODE in main  # the index shows the purpose's first sentence
        if name == "OUT-1.html":
            assert LONG_WORD in main
            assert main.count(LONG_CODE) == 2  # in the purpose, and in the step's details
        whole = tab.locator("main code", has_text="OUT-1").first
        assert whole.evaluate("e => e.getClientRects().length") == 1, name
    context.close()
