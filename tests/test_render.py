"""`sopkit render` end to end: real YAML, the real `dot`, files on disk.

Golden files: tests/golden/examples holds the Markdown and DOT rendered from
tests/examples. After an intended change, regenerate them with

    SOPKIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py

and review the diff like code.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from sopkit.collation import sort_key
from sopkit.render.output import MANIFEST, FolderSink, digest
from tests.conftest import EXAMPLES, TODAY, RunCli, WriteFile
from tests.helpers import NEEDS_DOT, generated_sops, render_examples, tree

GOLDEN = Path(__file__).parent / "golden" / "examples"


def svg_text(svg: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", svg)).split())


STAND_IN_DOT = """\
#!{python}
# A stand-in for Graphviz's dot: the Markdown and DOT golden files need no layout.
import sys
if "-V" in sys.argv:
    sys.stderr.write("dot - graphviz version 0 (a stand-in for the golden files)\\n")
    sys.exit(0)
for _ in range(sys.stdin.read().count("digraph")):
    sys.stdout.write('<svg xmlns="http://www.w3.org/2000/svg" width="8pt" height="8pt"></svg>\\n')
"""


@pytest.fixture
def stand_in_dot(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The only `dot` on PATH draws nothing: pages and DOT are written all the same."""
    import stat
    import sys

    from sopkit.render import graphviz_run

    folder = workdir / "stand-in"
    folder.mkdir()
    (folder / "dot").write_text(STAND_IN_DOT.format(python=sys.executable), encoding="utf-8")
    (folder / "dot").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", str(folder))
    graphviz_run._version_of.cache_clear()
    yield
    graphviz_run._version_of.cache_clear()


@pytest.mark.usefixtures("stand_in_dot")
def test_markdown_and_dot_match_the_golden_files(cli: RunCli, workdir: Path) -> None:
    """Writing DOT and Markdown needs no Graphviz: a stand-in `dot` runs instead."""
    out = render_examples(cli, workdir)
    produced = {name: data for name, data in tree(out).items() if name.endswith((".md", ".dot"))}
    if os.environ.get("SOPKIT_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = tree(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name, data in produced.items():
        assert data.decode() == expected[name].decode(), f"{name} differs from its golden file"


GOLDEN_SITE = Path(__file__).parent / "golden" / "site"


@pytest.mark.usefixtures("stand_in_dot")
def test_an_html_page_matches_its_golden_file(cli: RunCli, workdir: Path) -> None:
    """One SOP's page of the site, byte for byte (its chart drawn by the stand-in)."""
    out = render_examples(cli, workdir, "out", "--html")
    produced = (out / "site" / "CS-ESC-001.html").read_text(encoding="utf-8")
    golden = GOLDEN_SITE / "CS-ESC-001.html"
    if os.environ.get("SOPKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


@NEEDS_DOT
def test_svg_holds_every_node_text_in_every_language(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    expected = {
        "CS-COMP-002": ["Ακούστε ενεργητικά και καταγράψτε το παράπονο", "Το παράπονο έκλεισε"],
        "CS-CALL-003": ["Pozdravite stranko in se predstavite", "Klic je zaključen"],
        "CS-ESC-001": ["Is the customer a VIP or is the SLA at risk?"],
    }
    for sop_id, texts in expected.items():
        svg = (out / f"{sop_id}.svg").read_text(encoding="utf-8")
        assert "DejaVu Sans" in svg
        flat = "".join(svg_text(svg).split())
        for text in texts:
            assert "".join(text.split()) in flat, f"{text!r} missing from {sop_id}.svg"
    call = (out / "CS-CALL-003.svg").read_text(encoding="utf-8")
    assert 'href="CS-COMP-002.md"' in call  # the sop: step links to the called SOP's page


@NEEDS_DOT
def test_every_relative_link_resolves(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    for page in out.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if target.startswith("mailto:"):  # the owner's address: a link, not a file
                assert re.fullmatch(r"mailto:[^@\s]+@[^@\s]+", target), target
                continue
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
        for anchor in re.findall(r"\]\(#([^)]+)\)", text):
            assert f'id="{anchor}"' in text, f"{page.name} links to missing anchor {anchor}"


@NEEDS_DOT
def test_rendering_twice_gives_identical_bytes(cli: RunCli, workdir: Path) -> None:
    first = tree(render_examples(cli, workdir, "one"))
    second = tree(render_examples(cli, workdir, "two"))
    assert first == second
    again = tree(render_examples(cli, workdir, "one"))  # warm: from the SVG cache
    assert again == first


@NEEDS_DOT
def test_check_reports_a_stale_handbook(cli: RunCli, workdir: Path) -> None:
    render_examples(cli, workdir)
    fresh = cli("render", "examples", "-o", "out", "--check", "--today", TODAY)
    assert fresh.exit_code == 0, fresh.output
    source = workdir / "examples" / "klic.sl.yaml"
    source.write_text(
        source.read_text(encoding="utf-8").replace("Klic je zaključen", "Klic je končan"),
        encoding="utf-8",
    )
    before = tree(workdir / "out")
    stale = cli("render", "examples", "-o", "out", "--check", "--today", TODAY)
    assert stale.exit_code == 1
    assert "CS-CALL-003.md" in stale.stderr
    assert "CS-CALL-003.svg" in stale.stderr
    assert tree(workdir / "out") == before  # --check writes nothing


def test_without_dot_markdown_and_dot_are_still_written(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(workdir / "no-graphviz-here"))
    shutil.copytree(EXAMPLES, workdir / "examples")
    result = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert result.exit_code == 1
    assert "apt-get install graphviz" in result.stderr
    assert "brew install graphviz" in result.stderr
    names = set(tree(workdir / "out"))
    assert {"CS-ESC-001.md", "CS-ESC-001.dot", "index.md", "glossary.md"} <= names
    assert not any(name.endswith(".svg") for name in names)
    page = (workdir / "out" / "CS-ESC-001.md").read_text(encoding="utf-8")
    assert ".svg" not in page  # no broken image


def test_mermaid_needs_no_graphviz(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir, "out", "--flowchart", "mermaid")
    page = (out / "CS-ESC-001.md").read_text(encoding="utf-8")
    assert "```mermaid\nflowchart TD" in page
    assert 'n3{"4. Is the customer a VIP or is the SLA at risk?"}' in page
    assert not any(name.endswith((".svg", ".dot")) for name in tree(out))


HOSTILE = {
    "title": '<script>alert(1)</script> "]; evil [label="x',
    "step": "Use {{ 7*7 }} | pipes `ticks` *stars* _under_ and \\N",
    "term": "<b>TERM</b>",
}


def hostile_sop() -> str:
    return f"""\
id: EVIL-1
title: '{HOSTILE["title"]}'
department: "Dept | with pipe"
purpose: |
  Raw <img src=x onerror=alert(1)> stays text; **bold** stays bold.
owner: O <o@example.com>
terms:
  '{HOSTILE["term"]}': "A term with <i>markup</i> | and a pipe."
steps:
  - id: a
    step: '{HOSTILE["step"]}'
    details: "Line one\\nline two"
  - id: b
    decision: 'Is it "end" [or] (not)?'
    branches:
      '"]; x [': c
      "end": c2
  - {{id: c, step: "{HOSTILE["term"]} is used", next: nl}}
  - {{id: nl, step: "first line\\nsecond line", next: c2}}
  - {{id: c2, end: "Done <br> done"}}
"""


@NEEDS_DOT
@pytest.mark.parametrize("flowchart", ["graphviz", "mermaid"])
def test_user_text_is_never_code(cli: RunCli, write: WriteFile, flowchart: str) -> None:
    write("sops/evil.yaml", hostile_sop())
    result = cli("render", "sops", "-o", "out", "--today", TODAY, "--flowchart", flowchart,
                 "--ignore", "undefined-acronym")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = Path("out")
    page = (out / "EVIL-1.md").read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "49" not in page  # {{ 7*7 }} was not evaluated
    assert r"Use {{ 7\*7 }} \| pipes \`ticks\` \*stars\* \_under\_ and \\N" in page
    assert " · Dept \\| with pipe · " in page
    assert "**bold** stays bold" in page
    assert "**first line second line**" in page  # a newline cannot break the list item
    if flowchart == "graphviz":
        dot_source = (out / "EVIL-1.dot").read_text(encoding="utf-8")
        assert 'label="&lt;script' not in dot_source
        svg = svg_text((out / "EVIL-1.svg").read_text(encoding="utf-8"))
        assert "Use {{ 7*7 }} | pipes `ticks` *stars* _under_ and \\N" in svg
        assert '"]; x [' in svg
        assert "<b>TERM</b> is used" in svg
        assert "first line second line" in svg
        raw_svg = (out / "EVIL-1.svg").read_text(encoding="utf-8")
        assert "<script" not in raw_svg
    else:
        assert '-->|"#quot;#93;#59; x #91;"| n2' in page
        assert 'n1{"2. Is it #quot;end#quot; #91;or#93; #40;not#41;?"}' in page


@NEEDS_DOT
def test_foreign_files_survive_and_a_failed_build_keeps_the_old_handbook(
    cli: RunCli, workdir: Path
) -> None:
    out = render_examples(cli, workdir)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(out)
    templates = workdir / "my-templates"
    templates.mkdir()
    (templates / "index.md.j2").write_text("{{ no_such_variable }}", encoding="utf-8")
    (workdir / "sopkit.toml").write_text('templates = "my-templates"\n', encoding="utf-8")
    failed = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert failed.exit_code == 2  # a broken template is the user's to fix
    assert "index.md.j2" in failed.stderr
    assert "'no_such_variable' is undefined; nothing was written" in failed.stderr
    assert tree(out) == before
    assert not [p for p in workdir.iterdir() if "sopkit-staging" in p.name]
    (workdir / "sopkit.toml").write_text("", encoding="utf-8")
    render_examples(cli, workdir)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert "index.md" in manifest["files"]
    assert "notes.txt" not in manifest["files"]


def test_refuses_a_folder_it_did_not_write(cli: RunCli, workdir: Path) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    (workdir / "docs").mkdir()
    (workdir / "docs" / "README.md").write_text("precious", encoding="utf-8")
    result = cli("render", "examples", "-o", "docs", "--today", TODAY)
    assert result.exit_code == 2
    assert "not written by sopkit (it has no .sopkit-manifest.json)" in result.stderr
    assert (workdir / "docs" / "README.md").read_text(encoding="utf-8") == "precious"
    (workdir / "docs" / ".sopkit-manifest.json").write_text("{broken", encoding="utf-8")
    broken = cli("render", "examples", "-o", "docs", "--today", TODAY)
    assert broken.exit_code == 2
    assert "(its .sopkit-manifest.json is not one sopkit wrote)" in broken.stderr
    assert (workdir / "docs" / "README.md").read_text(encoding="utf-8") == "precious"
    inside = cli("render", "examples", "-o", ".", "--today", TODAY)
    assert inside.exit_code == 2
    assert "contains the SOP sources" in inside.stderr


def test_refuses_to_render_while_there_are_errors(cli: RunCli, write: WriteFile) -> None:
    write(
        "sops/a.yaml",
        "id: A\ntitle: T\ndepartment: D\npurpose: P\nsteps:\n  - {id: a, step: S, next: zz}\n",
    )
    result = cli("render", "sops", "-o", "out")
    assert result.exit_code == 1
    assert "unknown-target" in result.stderr
    assert not Path("out").exists()


@NEEDS_DOT
def test_png_on_request(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir, "out", "--png")
    assert (out / "CS-ESC-001.png").read_bytes().startswith(b"\x89PNG")


@NEEDS_DOT
def test_pages_speak_the_sop_language(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    greek = (out / "CS-COMP-002.md").read_text(encoding="utf-8")
    assert "## Διαδικασία" in greek
    assert "    - *Ναι* → βήμα [3](#step-3)\n" in greek
    assert "**Χρόνος:** περίπου 10 λεπτά" in greek
    slovene = (out / "CS-CALL-003.md").read_text(encoding="utf-8")
    assert "## Postopek" in slovene
    assert "Sledite [Διαχείριση παραπόνου πελάτη](CS-COMP-002.md)." in slovene


def test_labels_fall_back_to_english() -> None:
    from sopkit import labels
    from sopkit.labels import labels_for

    assert labels_for("fr")["purpose"] == "Purpose"
    assert labels_for("sl-SI")["purpose"] == "Namen"
    english = set(labels._catalogue("en"))
    for language in ("el", "sl"):
        own = set(labels._catalogue(language))
        assert own >= english  # every word is translated
        # what English lacks are only the plural forms that English does not have
        extra = own - english
        assert all(re.fullmatch(r"(unit|word)_[smhdw]_(one|two|few)", key) for key in extra)


def test_collation_for_greek_and_slovenian() -> None:
    slovene = ["žaba", "čaj", "cena", "dan", "Zelo", "šola", "sova"]
    assert sorted(slovene, key=lambda t: sort_key(t, "sl")) == [
        "cena", "čaj", "dan", "sova", "šola", "Zelo", "žaba",
    ]  # fmt: skip
    greek = ["Ωμέγα", "άλφα", "Βήτα", "αβ"]
    assert sorted(greek, key=lambda t: sort_key(t, "el")) == ["αβ", "άλφα", "Βήτα", "Ωμέγα"]


@NEEDS_DOT
def test_index_glossary_and_role_pages(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    index = (out / "index.md").read_text(encoding="utf-8")
    departments = re.findall(r"^### (.+)$", index, re.M)
    assert departments == ["Customer Support", "Služba za stranke", "Εξυπηρέτηση Πελατών"]
    glossary = (out / "glossary.md").read_text(encoding="utf-8")
    assert '<a id="term-ττρ"></a>**ΤΤΡ**' in glossary
    agent = (out / "roles" / "agent.md").read_text(encoding="utf-8")
    assert "[1](../CS-CALL-003.md#step-1)" in agent
    assert "Εκπρόσωπος εξυπηρέτησης" in agent


@NEEDS_DOT
def test_an_unchanged_handbook_is_not_rebuilt(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert again.exit_code == 0
    assert "up to date" in again.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamp
    later = cli("render", "examples", "-o", "out", "--today", "2027-02-01")
    assert "wrote" in later.stderr  # another day can make a review overdue
    assert "review overdue" in (out / "CS-ESC-001.md").read_text(encoding="utf-8")
    (out / "index.md").unlink()
    repaired = cli("render", "examples", "-o", "out", "--today", "2027-02-01")
    assert "wrote" in repaired.stderr
    assert (out / "index.md").is_file()


@NEEDS_DOT
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=generated_sops())
def test_generated_sops_render_with_every_text_intact(source: str) -> None:
    import subprocess
    import tempfile
    from datetime import date

    from sopkit.build import build_sop
    from sopkit.loader import load_text
    from sopkit.render.chartstyle import ChartStyle
    from sopkit.render.context import Handbook, sop_page
    from sopkit.render.flowchart import to_dot
    from sopkit.templating import environment

    sop, _ = build_sop(load_text(source, "g.yaml").root, "g.yaml")
    assert sop is not None
    repo = Handbook({sop.id: sop.title}, date(2026, 1, 1), "en")
    page = environment().get_template("sop.md.j2").render(page=sop_page(sop, repo))
    flat_page = " ".join(re.sub(r"\\(.)", r"\1", html.unescape(page)).split())
    with tempfile.TemporaryDirectory() as folder:
        dot_file = Path(folder) / "g.dot"
        dot_file.write_text(to_dot(sop, ChartStyle(), {}), encoding="utf-8")
        svg = subprocess.run(["dot", "-Tsvg", str(dot_file)], capture_output=True, check=True)
    drawn = "".join(svg_text(svg.stdout.decode("utf-8")).split())
    for node in sop.nodes:
        assert " ".join(node.text.split()) in flat_page, node.text
        assert "".join(node.text.split()) in drawn, node.text


def test_a_folder_sink_writes_the_exact_bytes_into_subfolders(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path)
    page = "Ελληνικά, slovenščina\r\nline two\n".encode()
    big = bytes(range(256)) * 4096  # larger than a file object's buffer
    sink.write("CS-1.md", page)
    sink.write("site/CS-1.html", big)
    sink.write("site/CS-2.html", b"")
    assert (tmp_path / "CS-1.md").read_bytes() == page
    assert (tmp_path / "site" / "CS-1.html").read_bytes() == big
    assert (tmp_path / "site" / "CS-2.html").read_bytes() == b""
    assert sink.digests == {
        "CS-1.md": digest(page), "site/CS-1.html": digest(big), "site/CS-2.html": digest(b"")
    }  # fmt: skip
    sink.write("CS-1.md", b"x")  # written again, shorter: nothing of the first is left
    assert (tmp_path / "CS-1.md").read_bytes() == b"x"
