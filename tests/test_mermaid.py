"""`--flowchart mermaid` read by Mermaid itself, as GitHub draws it: Mermaid from npm
(pinned in tests/bpmn/node, installed by scripts/test) in Chromium. Every node and answer
shows its text as the SOP wrote it, whatever characters the text holds, and no text can
add a node, an edge, a style or a click to the chart."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.conftest import RunCli, WriteFile
from tests.helpers import chromium

MERMAID = (
    Path(__file__).parent
    / "bpmn"
    / "node"
    / "node_modules"
    / "mermaid"
    / "dist"
    / ("mermaid.min.js")
)

# Texts that end a label, start a statement or mean something to Mermaid or to Markdown.
TEXTS = [
    'He said "stop" [now] {x} (y)',
    "A --> B; click n0 call alert(1)",
    "%%{init: {'theme':'dark'}}%% and :::red",
    "style n0 fill:#f00 |pipe| #35; #quot;",
    "<b>bold</b> &amp; `code` **stars**",
    "C:\\New\\Tickets \\n end\\",
    "Ελέγξτε τον λογαριασμό · Preverite račun",
    "end",
]
ANSWERS = ['"Yes" -->', "No | maybe", "[Escalate]"]


def _sop() -> str:
    steps = [f"  - id: s{n}\n    step: {json.dumps(text)}" for n, text in enumerate(TEXTS)]
    branches = ", ".join(f"{json.dumps(answer)}: s{n}" for n, answer in enumerate(ANSWERS))
    question = json.dumps(TEXTS[0] + "?")
    decision = f"  - id: ask\n    decision: {question}\n    branches: {{{branches}}}"
    end = "  - id: done\n    end: 'Done: \"all\" [ok]'"
    return HEAD.format(id="M-1") + "\n".join([decision, *steps, end]) + "\n"


HEAD = (
    "id: {id}\ntitle: Mermaid\ndepartment: QA\npurpose: Test.\nowner: O <o@example.com>\nsteps:\n"
)
DRAW = """async (code) => {
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  const { svg } = await mermaid.render('chart', code);
  document.body.innerHTML = svg;
  const text = (e) => e.textContent.replace(/\\s+/g, ' ').trim();
  const chart = document.querySelector('svg');
  return {
    nodes: [...chart.querySelectorAll('g.node')].map(text),
    answers: [...chart.querySelectorAll('g.edgeLabel')].map(text).filter((t) => t),
    links: chart.querySelectorAll('a').length,
    handlers: [...chart.querySelectorAll('*')].filter(
      (e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    styled: [...chart.querySelectorAll('g.node')].filter(
      (e) => (e.getAttribute('style') || '').includes('f00')).length,
  };
}"""


def _drawn(cli: RunCli, workdir: Path, sop_id: str) -> dict[str, Any]:
    """The SOP's Mermaid block from its rendered page, as Mermaid draws it in Chromium."""
    assert MERMAID.exists(), "npm packages missing: scripts/test installs them"
    result = cli("render", "sops", "-o", "out", "--flowchart", "mermaid", "--today", "2026-01-01")
    assert result.exit_code == 0, result.output
    page_text = (workdir / "out" / f"{sop_id}.md").read_text(encoding="utf-8")
    found = re.search(r"```mermaid\n(.*?)```", page_text, re.DOTALL)
    assert found is not None
    with chromium() as browser:
        page: Page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=str(MERMAID))
        drawn: dict[str, Any] = page.evaluate(DRAW, found.group(1))
        page.close()
    assert errors == []
    return drawn


def test_mermaid_draws_every_text_as_written(cli: RunCli, write: WriteFile, workdir: Path) -> None:
    """Before `:`, `;` and `\\` were written as entities, Mermaid cut the last `;` off a
    line reading "style ...:#...;" and made `\\n` a line break."""
    write("sops/m.yaml", _sop())
    drawn = _drawn(cli, workdir, "M-1")
    steps = [f"{n + 2}. {' '.join(text.split())}" for n, text in enumerate(TEXTS)]
    expected = [f"1. {TEXTS[0]}?", *steps, f'{len(TEXTS) + 2}. Done: "all" [ok]']
    assert sorted(drawn["nodes"]) == sorted(["", *expected])  # "" is the start dot
    assert sorted(drawn["answers"]) == sorted(ANSWERS)
    assert (drawn["links"], drawn["handlers"], drawn["styled"]) == (0, 0, 0)


@pytest.mark.parametrize("text", ["a\u2028b", "tab\there", "x" * 300])
def test_a_label_mermaid_draws_stays_one_node(
    text: str, cli: RunCli, write: WriteFile, workdir: Path
) -> None:
    """Line separators, tabs and long texts: still one node, cut at 240 characters."""
    write("sops/m.yaml", HEAD.format(id="M-2") + f"  - id: a\n    step: {json.dumps(text)}\n"
          "  - id: done\n    end: Done\n")  # fmt: skip
    drawn = _drawn(cli, workdir, "M-2")
    assert len(drawn["nodes"]) == 3  # the start, the step, the end
    step = next(node for node in drawn["nodes"] if node.startswith("1. "))
    assert step.startswith("1. " + " ".join(text.split())[:200])
    assert len(step) <= 3 + 240
