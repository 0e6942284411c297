"""What tests share: rendering the examples, a folder as bytes, generated SOPs, a site
served on loopback and Debian's Chromium. Tests import this, never each other."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import strategies as st
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import EXAMPLES, TODAY, RunCli

NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def render_examples(cli: RunCli, workdir: Path, out: str = "out", *extra: str) -> Path:
    shutil.copytree(EXAMPLES, workdir / "examples", dirs_exist_ok=True)
    result = cli("render", "examples", "-o", out, "--today", TODAY, *extra)
    assert result.exit_code == 0, result.output
    return workdir / out


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


TEXT = st.text(
    alphabet=st.characters(
        whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=" αβγΔčšžĆ#:'-"
    ),
    min_size=1,
    max_size=20,
).map(lambda t: t.strip() or "x")
COMMENT = st.text(alphabet="abc αβ čš 123", min_size=1, max_size=12).map(lambda t: "# " + t.strip())


@st.composite
def generated_sops(draw: st.DrawFn) -> str:
    """A valid SOP with its keys in random order and comments in random places."""
    count = draw(st.integers(2, 7))
    ids = [f"n{i}" for i in range(count)]
    nodes = []
    for index, node_id in enumerate(ids[:-1]):
        fields = [f"id: {node_id}"]
        if draw(st.booleans()) and index + 2 < count:
            fields += [f'decision: "{draw(TEXT)}?"', "branches:",
                       f'  "Yes": {ids[index + 1]}', f'  "No": {ids[-1]}']  # fmt: skip
            fields = [fields[0], fields[1], "\n    ".join(fields[2:])]
        else:
            fields += [f'step: "{draw(TEXT)}"', f"duration: {draw(st.integers(1, 90))}m"]
        nodes.append(draw(st.permutations(fields)))
    nodes.append(draw(st.permutations([f"id: {ids[-1]}", f'end: "{draw(TEXT)}"'])))
    top = [
        f'title: "{draw(TEXT)}"', "id: P-1", f'department: "{draw(TEXT)}"',
        "purpose: |\n  " + draw(TEXT), 'owner: "O <o@example.com>"', 'version: "1.0"',
    ]  # fmt: skip
    lines = list(draw(st.permutations(top)))
    body = ["steps:"]
    for node in nodes:
        first, *rest = node
        body.append(f"  - {first}")
        body.extend(f"    {field}" for field in rest)
    lines.extend(body)
    for _ in range(draw(st.integers(0, 4))):  # comments on their own line, at any depth
        at = draw(st.integers(0, len(lines)))
        indent = " " * (len(lines[at - 1]) - len(lines[at - 1].lstrip())) if at else ""
        lines.insert(at, indent.replace("- ", "  ") + draw(COMMENT))
    return "\n".join(lines) + "\n"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return None


@contextlib.contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1 (a free port): the URL of its root."""
    handler = functools.partial(_Quiet, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
        httpd.shutdown()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    assert Path(CHROMIUM).exists(), "Chromium is missing: scripts/setup.sh installs it"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


# A team file: people, their e-mail and handles, and the roles they hold.
TEAM = """\
people:
  - name: Ana Novak
    email: ana.novak@example.com
    handle: anovak
    roles: [agent]
  - name: Nikos Alexiou
    email: nikos.alexiou@example.com
    roles: [lead, agent]
  - name: Support Operations Lead
    email: support-ops@example.com
    handle: acme/support-ops
    roles: [specialist]
"""
