"""A handbook kept up to date edit by edit (`sopkit serve`), on real files with the real
`dot`: after every edit the folder holds exactly what `sopkit render` would write, which
`render --check` (a whole render, compared file by file) is the judge of."""

from __future__ import annotations

import re
import shutil
from collections.abc import Generator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from sopkit.config import load_config
from sopkit.render.chartstyle import ChartStyle
from sopkit.render.handbook import RenderOptions, render
from sopkit.render.incremental import LiveHandbook, Update
from sopkit.rules import RULES
from sopkit.serve import Builds, site_pages
from tests.conftest import SOPS, RunCli, WriteFile
from tests.helpers import TEAM

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

TODAY = date(2026, 12, 3)


@pytest.fixture
def library(workdir: Path, write: WriteFile, cli: RunCli) -> Path:
    """The example SOPs (calls between them, three languages), a Greek translation of
    CS-ESC-002 and a team file: every kind of page that shows another SOP."""
    shutil.copytree(SOPS, workdir / "sops")
    write("sopkit.toml", 'languages = ["en", "el", "sl"]\n')
    write("team.yaml", TEAM)
    made = cli("translations", "new", "CS-ESC-002", "--language", "el")
    assert made.exit_code == 0, made.output
    return workdir


def _live(folder: Path) -> LiveHandbook:
    config = load_config(folder, known_rules=RULES)
    options = RenderOptions(out=folder / "handbook", today=TODAY, language=config.language,
                            html=True, chart=ChartStyle(), templates=config.templates)  # fmt: skip
    live = LiveHandbook([str(config.source)], config, options)
    first = list(live.render())
    assert len(first) == 1
    assert first[0].everything
    assert not first[0].refused
    return live


def _up_to_date(live: LiveHandbook) -> None:
    """`render --check`: a whole render compared with the folder, file by file."""
    options = replace(live.options, keep=False, check_only=True)
    result = render(live.paths, live.config, options)
    assert not result.refused
    assert result.stale == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _title(path: Path) -> str:
    found = re.search(r"(?m)^title: (.+)$", path.read_text(encoding="utf-8"))
    assert found is not None
    return found.group(1)


def _changed(live: LiveHandbook, *paths: Path) -> Generator[Update, None, None]:
    return live.edit({str(path.resolve()) for path in paths})


def test_after_every_edit_the_folder_is_what_a_render_writes(library: Path) -> None:
    live = _live(library)
    for number, path in enumerate(sorted((library / "sops").rglob("*.yaml"))):
        sop_id = re.search(r"(?m)^id: (\S+)", path.read_text(encoding="utf-8"))
        assert sop_id is not None
        _edit(path, f"title: {_title(path)}", f"title: Edited {number} <b>&")
        updates = list(_changed(live, path))
        pages, *overviews = updates
        assert pages.edited == (sop_id.group(1),)
        assert not pages.everything
        assert not pages.refused
        assert f"site/{sop_id.group(1)}.html" in pages.written
        assert "index.md" in overviews[-1].written  # the index lists every title
        assert all(not update.written for update in overviews[:-1])  # progress only
        page = (library / "handbook" / "site" / f"{sop_id.group(1)}.html").read_text("utf-8")
        assert f"Edited {number} &lt;b&gt;&amp;" in page
        _up_to_date(live)


def test_a_title_is_rewritten_on_the_pages_that_show_it_and_nowhere_else(
    library: Path,
) -> None:
    live = _live(library)
    refund = library / "sops" / "exypiretisi" / "epistrofi.el.yaml"  # CS-COMP-003 calls it
    _edit(refund, f"title: {_title(refund)}", "title: Νέος τίτλος επιστροφής")
    pages = next(_changed(live, refund))
    assert set(pages.written) == {
        "CS-REFUND-005.md", "site/CS-REFUND-005.html", "site/CS-REFUND-005.card.html",
        "CS-COMP-003.md", "site/CS-COMP-003.html",  # "follow CS-REFUND-005" names it
    }  # fmt: skip
    caller = (library / "handbook" / "site" / "CS-COMP-003.html").read_text(encoding="utf-8")
    assert "Νέος τίτλος επιστροφής" in caller


def test_a_detail_changes_only_its_own_page(library: Path) -> None:
    live = _live(library)
    triage = library / "sops" / "support" / "triage.en.yaml"
    text = triage.read_text(encoding="utf-8")
    step = re.search(r"(?m)^    step: (.+)$", text)
    assert step is not None
    _edit(triage, f"step: {step.group(1)}", "step: Read the ticket twice")
    pages = next(_changed(live, triage))
    assert {name for name in pages.written if name.startswith("site/")} == {
        "site/CS-TRIAGE-001.html", "site/CS-TRIAGE-001.card.html",
    }  # fmt: skip
    assert "CS-TRIAGE-001.dot" in pages.written
    assert "CS-TRIAGE-001.svg" in pages.written  # the new text is in the chart: laid out
    for _ in _changed(live):  # nothing else changed: the rest of the update is done
        pass
    _up_to_date(live)


def test_errors_write_nothing_and_their_fix_writes_everything_held_back(
    library: Path,
) -> None:
    live = _live(library)
    site = library / "handbook" / "site"
    escalation = library / "sops" / "support" / "escalation.en.yaml"
    triage = library / "sops" / "support" / "triage.en.yaml"
    before = (site / "CS-TRIAGE-001.html").read_bytes()
    _edit(triage, f"title: {_title(triage)}", "title: Triage, edited while broken")
    _edit(escalation, "id: CS-ESC-002", "id: CS-ESC-002\nowner_typo: x")
    refused = list(_changed(live, triage, escalation))
    assert [update.refused for update in refused] == [True]
    assert refused[0].check is not None
    assert refused[0].check.errors
    assert (site / "CS-TRIAGE-001.html").read_bytes() == before  # the last good handbook
    _edit(escalation, "id: CS-ESC-002\nowner_typo: x", "id: CS-ESC-002")
    fixed = list(_changed(live, escalation))
    assert not fixed[0].refused
    assert "site/CS-TRIAGE-001.html" in fixed[0].written  # held back by the error
    assert "Triage, edited while broken" in (site / "CS-TRIAGE-001.html").read_text("utf-8")
    _up_to_date(live)


def test_an_update_stopped_after_the_pages_is_finished_by_the_next_edit(
    library: Path,
) -> None:
    live = _live(library)
    call = library / "sops" / "podpora" / "klic.sl.yaml"
    _edit(call, f"title: {_title(call)}", "title: Sprejem klica")
    updates = _changed(live, call)
    next(updates)  # the SOP's pages; then a newer edit comes, and the rest is dropped
    updates.close()
    assert "Sprejem klica" not in (library / "handbook" / "index.md").read_text("utf-8")
    password = library / "sops" / "podpora" / "geslo.sl.yaml"
    _edit(password, f"title: {_title(password)}", "title: Novo geslo")
    list(_changed(live, password))
    index = (library / "handbook" / "index.md").read_text(encoding="utf-8")
    assert "Sprejem klica" in index
    assert "Novo geslo" in index
    _up_to_date(live)


def test_what_an_edit_cannot_do_alone_renders_everything(library: Path, write: WriteFile) -> None:
    live = _live(library)
    tickets = library / "sops" / "helpdesk" / "tickets.en.yaml"  # no other SOP names it
    _edit(tickets, "id: HD-TICKET-007", "id: HD-TICKET-009")  # files are named by the id
    renamed = list(_changed(live, tickets))
    assert [update.everything for update in renamed] == [True]
    assert "site/HD-TICKET-009.html" in renamed[0].written
    assert not (library / "handbook" / "site" / "HD-TICKET-007.html").exists()
    _up_to_date(live)

    added = write("sops/support/new.en.yaml", (SOPS / "support" / "triage.en.yaml").read_text(
        encoding="utf-8").replace("id: CS-TRIAGE-001", "id: CS-NEW-010"))  # fmt: skip
    assert [update.everything for update in _changed(live, added)] == [True]
    _up_to_date(live)

    write("team.yaml", TEAM.replace("Ana Novak", "Ana Kovač"))  # not a SOP, but read
    _edit(added, "id: CS-NEW-010", "id: CS-NEW-010\n# a comment")
    assert [update.everything for update in _changed(live, added)] == [True]
    assert "Ana Kovač" in (library / "handbook" / "site" / "CS-NEW-010.html").read_text("utf-8")
    _up_to_date(live)


def test_the_browser_hears_which_pages_changed() -> None:
    written = ("CS-1.md", "site/CS-1.html", "site/roles/agent.html", "site/assets/search-index.js")
    pages = site_pages(written, "site")
    assert pages == ["CS-1.html", "roles/agent.html", "assets/search-index.js"]
    styled = ("site/assets/style.css", "site/CS-1.html")
    assert site_pages(styled, "site") is None  # every page uses the style sheet
    builds = Builds()
    builds.done(["a.html"])
    builds.done(["b.html", "a.html"])
    assert builds.pages_since(0, 2) == ["a.html", "b.html"]
    assert builds.pages_since(1, 2) == ["a.html", "b.html"]
    builds.done(None)
    assert builds.pages_since(1, 3) is None
    for _ in range(100):
        builds.done(["c.html"])
    assert builds.pages_since(1, builds.generation) is None  # too long ago to tell
    assert builds.pages_since(builds.generation - 2, builds.generation) == ["c.html"]


def test_an_edited_source_makes_its_translation_outdated_at_once(
    library: Path, cli: RunCli
) -> None:
    greek = library / "sops" / "support" / "escalation.el.yaml"
    acknowledged = cli("translations", "ack", str(greek.relative_to(library)))
    assert acknowledged.exit_code == 0, acknowledged.output
    live = _live(library)
    source = library / "sops" / "support" / "escalation.en.yaml"
    step = re.search(r"(?m)^    step: (.+)$", source.read_text(encoding="utf-8"))
    assert step is not None
    _edit(source, f"step: {step.group(1)}", "step: A new first step")
    pages = next(_changed(live, source))
    assert pages.check is not None
    outdated = [p for p in pages.check.problems if p.rule == "translation-outdated"]
    assert [p.path.endswith("escalation.el.yaml") for p in outdated] == [True]
    assert "site/CS-ESC-002-el.html" in pages.written  # its banner: older than its source
    for _ in _changed(live):
        pass
    _up_to_date(live)


def test_without_graphviz_an_edit_still_writes_its_pages(
    library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(library / "no-graphviz-here"))
    live = _live(library)
    call = library / "sops" / "podpora" / "klic.sl.yaml"
    _edit(call, f"title: {_title(call)}", "title: Sprejem klica brez slik")
    pages, *_ = _changed(live, call)
    assert "site/CS-CALL-004.html" in pages.written
    assert "CS-CALL-004.dot" not in pages.written  # the graph did not change
    assert not any(name.endswith(".svg") for name in pages.written)
    assert "Sprejem klica brez slik" in (library / "handbook" / "CS-CALL-004.md").read_text("utf-8")
    _up_to_date(live)


def test_a_team_file_or_a_template_changed_while_serving_reaches_every_later_edit(
    library: Path, write: WriteFile
) -> None:
    (library / "team.yaml").unlink()
    write("sopkit.toml", 'languages = ["en", "el", "sl"]\ntemplates = "ours"\n')
    footer = '{% extends "sopkit/base.EXT.j2" %}{% block footer %}FOOTER-1{% endblock %}\n'
    for kind in ("html", "md"):  # the site's and the Markdown pages' (compiled once)
        write(f"ours/base.{kind}.j2", footer.replace("EXT", kind))
    live = _live(library)
    password = library / "sops" / "podpora" / "geslo.sl.yaml"
    _edit(password, f"title: {_title(password)}", "title: Geslo")
    assert not any(update.everything for update in _changed(live, password))
    write("team.yaml", TEAM)
    for kind in ("html", "md"):
        write(f"ours/base.{kind}.j2", footer.replace("EXT", kind).replace("FOOTER-1", "FOOTER-2"))
    call = library / "sops" / "podpora" / "klic.sl.yaml"
    _edit(call, f"title: {_title(call)}", "title: Sprejem klica")
    assert [update.everything for update in _changed(live, call)] == [True]
    _edit(password, "title: Geslo", "title: Novo geslo")
    updates = list(_changed(live, password))
    assert not updates[0].everything  # an edit again, with the new template and team
    page = (library / "handbook" / "site" / "CS-PWD-006.html").read_text(encoding="utf-8")
    assert "Ana Novak" in page
    assert "FOOTER-2" in page
    assert "FOOTER-2" in (library / "handbook" / "CS-PWD-006.md").read_text(encoding="utf-8")
    _up_to_date(live)


def test_serving_a_handbook_that_is_current_tells_no_page_to_reload(library: Path) -> None:
    first = _live(library)
    assert first.kept is not None
    assert "site/index.html" in first.kept.files
    again = LiveHandbook(first.paths, first.config, first.options)
    updates = list(again.render())
    assert [update.written for update in updates] == [()]  # the same bytes as before
    assert again.kept is not None  # and ready for edits


def test_a_handbook_written_by_somebody_else_meanwhile_is_rendered_whole(
    library: Path, cli: RunCli
) -> None:
    live = _live(library)
    shutil.rmtree(library / "handbook")  # deleted while serving
    call = library / "sops" / "podpora" / "klic.sl.yaml"
    _edit(call, f"title: {_title(call)}", "title: Sprejem klica")
    assert [update.everything for update in _changed(live, call)] == [True]
    assert (library / "handbook" / "site" / "index.html").is_file()
    _up_to_date(live)
    rendered = cli("render", "sops", "-o", "handbook", "--html", "--today", TODAY.isoformat(),
                   "--flowchart", "mermaid")  # fmt: skip
    assert rendered.exit_code == 0, rendered.output  # another writer, other options
    _edit(call, "title: Sprejem klica", "title: Sprejem klica znova")
    assert [update.everything for update in _changed(live, call)] == [True]
    _up_to_date(live)
