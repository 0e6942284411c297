"""sopkit's BPMN exports judged by other tools' own checkers: bpmnlint (its `recommended`
rules) and bpmn-js (the bpmn.io viewer) in Chromium. Both come from npm, pinned in
tests/bpmn/node (installed by scripts/test)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page

from sopkit.bpmn.diagram import MODEL
from tests.conftest import EXAMPLES, RunCli
from tests.helpers import chromium

NODE = Path(__file__).parent / "bpmn" / "node"
REFERENCE = Path(__file__).parent / "bpmn" / "reference"
LINT = NODE / "node_modules" / "bpmnlint" / "bin" / "bpmnlint.js"
VIEWER = NODE / "node_modules" / "bpmn-js" / "dist" / "bpmn-viewer.production.min.js"


@pytest.fixture
def exported(cli: RunCli, workdir: Path) -> list[Path]:
    assert LINT.exists(), "npm packages missing: scripts/test installs them"
    assert VIEWER.exists(), "npm packages missing: scripts/test installs them"
    shutil.copytree(Path(__file__).parent.parent / "sops", workdir / "sops")
    shutil.copytree(EXAMPLES, workdir / "examples")
    result = cli("export", "bpmn", "sops", "examples", "-o", "bpmn")
    assert result.exit_code == 0, result.output
    return sorted((workdir / "bpmn").glob("*.bpmn"))


def _lint(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["node", str(LINT), *map(str, paths)], cwd=NODE, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_exports_pass_bpmnlint_recommended(exported: list[Path]) -> None:
    result = _lint(exported)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "problem" not in result.stdout  # not even a warning


def test_bpmnlint_does_flag_a_diagram_with_problems() -> None:
    """The oracle speaks: a reference model with a fake join is reported."""
    result = _lint([REFERENCE / "A.2.0.bpmn"])
    assert result.returncode != 0
    assert "fake-join" in result.stdout


OPEN = """async (xml) => {
  const viewer = new BpmnJS({ container: '#canvas' });
  const { warnings } = await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');
  const drawn = viewer.get('elementRegistry').getAll()
    .filter((e) => e.type !== 'label' && e.businessObject && e.businessObject.$type)
    .map((e) => [e.businessObject.$type, e.id,
                 !!document.querySelector(`[data-element-id="${e.id}"]`)]);
  return { warnings: warnings.map((w) => w.message), drawn };
}"""


def test_exports_open_in_bpmn_js_with_everything_drawn(
    exported: list[Path], tmp_path: Path
) -> None:
    with chromium() as browser:
        page: Page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_content('<div id="canvas" style="width:1400px;height:900px"></div>')
        page.add_script_tag(path=str(VIEWER))
        for path in exported:
            xml = path.read_text(encoding="utf-8")
            opened = page.evaluate(OPEN, xml)
            assert opened["warnings"] == [], (path.name, opened["warnings"])
            drawn = {(kind, element) for kind, element, visible in opened["drawn"] if visible}
            document = etree.fromstring(xml.encode())
            for kind in ("task", "callActivity", "exclusiveGateway", "lane", "endEvent"):
                wanted = {(f"bpmn:{kind[0].upper()}{kind[1:]}", e.get("id"))
                          for e in document.iter(f"{{{MODEL}}}{kind}")}  # fmt: skip
                if kind in ("task", "endEvent"):
                    assert wanted, (path.name, kind)  # every SOP has steps and an end
                assert wanted <= drawn, (path.name, sorted(wanted - drawn))
            if path.stem == "CS-CALL-004":
                page.screenshot(path=str(tmp_path / "CS-CALL-004.bpmn-js.png"))
                assert (tmp_path / "CS-CALL-004.bpmn-js.png").stat().st_size > 10_000
        page.close()
