"""Living SOPs: translations kept in sync (with real git history), read-and-acknowledge
(with a real `git merge`), reviews due and CODEOWNERS, through the CLI as users run it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SOPS, RunCli, WriteFile
from tests.helpers import TEAM

GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
       "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"]  # fmt: skip


def git(folder: Path, *arguments: str) -> str:
    done = subprocess.run([*GIT, *arguments], cwd=folder, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repository(workdir: Path) -> Path:
    """An English source (CS-ESC-002) and its triage caller, committed to git."""
    (workdir / "sops").mkdir()
    for name in ("escalation.en.yaml", "triage.en.yaml"):
        text = (SOPS / "support" / name).read_text(encoding="utf-8")
        text = text.replace("related: [CS-ESC-002, CS-CALL-004]", "related: [CS-ESC-002]")
        (workdir / "sops" / name).write_text(text, encoding="utf-8")
    (workdir / "sopkit.toml").write_text('languages = ["en", "el", "sl"]\n', encoding="utf-8")
    git(workdir, "init", "-q")
    git(workdir, "add", "-A")
    git(workdir, "commit", "-qm", "the English SOPs")
    return workdir


def _table(cli: RunCli) -> dict[tuple[str, str], dict[str, Any]]:
    result = cli("translations", "--format", "json")
    assert result.exit_code == 0, result.output
    cells = json.loads(result.stdout)["translations"]
    return {(cell["source"], cell["language"]): cell for cell in cells}


def _translate(path: Path) -> None:
    """A translator's work on the scaffold: texts in the language, markers gone."""
    text = path.read_text(encoding="utf-8")
    text = text.replace("Escalating a ticket to the shift lead", "Κλιμάκωση αιτήματος")
    text = re.sub(r" +# translate( the descriptions, keep the ids)?$", "", text, flags=re.M)
    path.write_text(text, encoding="utf-8")


def test_a_translation_from_scaffold_to_outdated_and_back(repository: Path, cli: RunCli) -> None:
    assert _table(cli)[("CS-ESC-002", "el")]["state"] == "missing"
    assert _table(cli)[("CS-ESC-002", "en")]["state"] == "source"

    for language in ("el", "sl"):
        made = cli("translations", "new", "CS-ESC-002", "--language", language)
        assert made.exit_code == 0, made.output
    greek = repository / "sops" / "escalation.el.yaml"
    slovenian = repository / "sops" / "escalation.sl.yaml"
    scaffold = greek.read_text(encoding="utf-8")
    assert "translation_of: CS-ESC-002" in scaffold
    assert "id: CS-ESC-002-el" in scaffold
    assert "# translate" in scaffold
    checked = cli("check", "--format", "json", "sops")
    rules = [problem["rule"] for problem in json.loads(checked.stdout)["problems"]]
    assert rules == ["translation-outdated", "translation-outdated"]  # only: not yet reviewed
    assert _table(cli)[("CS-ESC-002", "el")]["state"] == "not reviewed"

    _translate(greek)
    for path in (greek, slovenian):
        acknowledged = cli("translations", "ack", str(path.relative_to(repository)))
        assert acknowledged.exit_code == 0, acknowledged.output
    assert "Κλιμάκωση αιτήματος" in greek.read_text(encoding="utf-8")  # the edit kept the text
    assert cli("check", "--strict", "sops").exit_code == 0  # translated: clean
    assert cli("fmt", "--check", "sops").exit_code == 0
    assert _table(cli)[("CS-ESC-002", "el")]["state"] == "up to date"
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "Greek and Slovenian")

    source = repository / "sops" / "escalation.en.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace(
        "Hand the ticket to the shift lead with the summary",
        "Hand the ticket to the shift lead with the summary and the customer's words"),
        encoding="utf-8")  # fmt: skip
    git(repository, "commit", "-qam", "a clearer hand-over")
    cells = _table(cli)
    for language in ("el", "sl"):
        assert cells[("CS-ESC-002", language)]["state"] == "outdated"
        assert cells[("CS-ESC-002", language)]["changed"] == ["hand_over"]
    warned = cli("check", "sops")
    assert "translation-outdated" in warned.output
    assert "changed since: hand_over" in warned.output

    assert cli("translations", "ack", "sops/escalation.el.yaml").exit_code == 0
    cells = _table(cli)
    assert cells[("CS-ESC-002", "el")]["state"] == "up to date"
    assert cells[("CS-ESC-002", "sl")]["state"] == "outdated"
    text = cli("translations").stdout
    assert "outdated: hand_over changed" in text


def test_an_old_hash_outside_the_history_says_it_cannot_tell(repository: Path,
                                                             cli: RunCli) -> None:  # fmt: skip
    assert cli("translations", "new", "CS-ESC-002", "--language", "sl").exit_code == 0
    slovenian = repository / "sops" / "escalation.sl.yaml"
    recorded = 'translation_of: CS-ESC-002\ntranslated_from: "0123456789ab"'
    text = slovenian.read_text(encoding="utf-8").replace("translation_of: CS-ESC-002", recorded)
    slovenian.write_text(text, encoding="utf-8")
    cell = _table(cli)[("CS-ESC-002", "sl")]
    assert cell["state"] == "outdated"
    assert cell["changed"] is None
    assert "no commit of sops/escalation.en.yaml has the hash 0123456789ab" in cell["why"]


def test_a_rewired_branch_is_a_structure_error(repository: Path, cli: RunCli) -> None:
    assert cli("translations", "new", "CS-ESC-002", "--language", "el").exit_code == 0
    greek = repository / "sops" / "escalation.el.yaml"
    assert cli("translations", "ack", "sops/escalation.el.yaml").exit_code == 0
    greek.write_text(greek.read_text(encoding="utf-8").replace(
        '"No": specialist', '"No": tell_customer'), encoding="utf-8")  # fmt: skip
    checked = cli("check", "sops")
    assert checked.exit_code == 1
    assert "error translation-structure: node 'lead_can_solve' leads to" in checked.output
    assert _table(cli)[("CS-ESC-002", "el")]["state"] == "structure differs"
    refused = cli("translations", "ack", "sops/escalation.el.yaml")
    assert refused.exit_code == 2
    assert "differs at node 'lead_can_solve'" in refused.output


def test_new_refuses_what_it_cannot_do(repository: Path, cli: RunCli) -> None:
    same = cli("translations", "new", "CS-ESC-002", "--language", "en")
    assert same.exit_code == 2
    assert "is written in en already" in same.output
    assert cli("translations", "new", "CS-ESC-002", "--language", "el").exit_code == 0
    again = cli("translations", "new", "CS-ESC-002", "--language", "el", "--id", "CS-ESC-EL")
    assert again.exit_code == 2
    assert "exists already; it is never replaced" in again.output
    taken = cli("translations", "new", "CS-ESC-002", "--language", "sl", "--id", "cs-esc-002-EL")
    assert taken.exit_code == 2
    assert "a SOP has the id 'cs-esc-002-EL' already" in taken.output


def _status(cli: RunCli, *options: str) -> dict[tuple[str, str], dict[str, Any]]:
    result = cli("ack", "status", "--format", "json", *options)
    found = json.loads(result.stdout)["standings"]
    return {(s["person"], s["sop"]): s for s in found}


def test_acknowledgements_follow_versions(repository: Path, write: WriteFile,
                                         cli: RunCli) -> None:  # fmt: skip
    write("team.yaml", TEAM)
    before = _status(cli)
    assert before[("Ana Novak", "CS-ESC-002")]["state"] == "never"
    assert ("Ana Novak", "CS-TRIAGE-001") in before  # she holds `agent`, which both name
    assert ("Support Operations Lead", "CS-TRIAGE-001") not in before  # no `specialist` role
    assert cli("ack", "status", "--strict").exit_code == 1

    for person, sop in [("anovak", "CS-ESC-002"), ("ana.novak@example.com", "CS-TRIAGE-001"),
                        ("Nikos Alexiou", "CS-ESC-002"), ("Nikos Alexiou", "CS-TRIAGE-001"),
                        ("@acme/support-ops", "sops/escalation.en.yaml")]:  # fmt: skip
        recorded = cli("ack", sop, "--by", person)
        assert recorded.exit_code == 0, recorded.output
    assert "/acknowledgements.csv merge=union" in (repository / ".gitattributes").read_text()
    assert cli("ack", "status", "--strict").exit_code == 0
    assert "everyone has read the current SOPs" in cli("ack", "status").stdout

    escalation = repository / "sops" / "escalation.en.yaml"
    text = escalation.read_text(encoding="utf-8")
    escalation.write_text(text.replace('version: "1.4"', 'version: "1.5"').replace(
        "Write a three-line summary", "Write a short summary"), encoding="utf-8")  # fmt: skip
    after = _status(cli)
    assert after[("Ana Novak", "CS-ESC-002")]["state"] == "behind"
    assert after[("Ana Novak", "CS-ESC-002")]["acknowledged_version"] == "1.4"
    assert after[("Ana Novak", "CS-TRIAGE-001")]["state"] == "current"
    assert "behind since version 1.4 (now 1.5)" in cli("ack", "status", "--person", "anovak").stdout
    assert cli("ack", "status", "--strict").exit_code == 1
    assert cli("ack", "status", "--strict", "--sop", "CS-TRIAGE-001").exit_code == 0

    # Layout alone is no new content: `fmt` never asks anyone to read again.
    escalation.write_text(escalation.read_text(encoding="utf-8").replace(
        "sla: 8h", "sla: 8h   # a working day"), encoding="utf-8")  # fmt: skip
    assert _status(cli)[("Nikos Alexiou", "CS-TRIAGE-001")]["state"] == "current"

    unknown = cli("ack", "CS-ESC-002", "--by", "Ana Novack")
    assert unknown.exit_code == 2
    assert "did you mean 'Ana Novak'" in unknown.output


def test_two_branches_acknowledging_at_once_merge_cleanly(repository: Path, write: WriteFile,
                                                        cli: RunCli) -> None:  # fmt: skip
    write("team.yaml", TEAM)
    assert cli("ack", "CS-ESC-002", "--by", "Ana Novak").exit_code == 0
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "the team and a first acknowledgement")
    git(repository, "checkout", "-qb", "nikos")
    assert cli("ack", "CS-ESC-002", "--by", "Nikos Alexiou").exit_code == 0
    git(repository, "commit", "-qam", "Nikos read it")
    git(repository, "checkout", "-q", "main")
    assert cli("ack", "CS-TRIAGE-001", "--by", "Ana Novak").exit_code == 0
    git(repository, "commit", "-qam", "Ana read triage")
    git(repository, "merge", "-q", "--no-edit", "nikos")  # no conflict: union merge
    rows = (repository / "acknowledgements.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "sop,version,content,person,time"
    assert sorted((r.split(",")[0], r.split(",")[3]) for r in rows[1:]) == [
        ("CS-ESC-002", "Ana Novak"), ("CS-ESC-002", "Nikos Alexiou"),
        ("CS-TRIAGE-001", "Ana Novak")]  # fmt: skip
    status = _status(cli)
    assert status[("Nikos Alexiou", "CS-ESC-002")]["state"] == "current"
    assert status[("Ana Novak", "CS-TRIAGE-001")]["state"] == "current"


def test_a_translation_is_acknowledged_as_its_source(repository: Path, write: WriteFile,
                                                    cli: RunCli) -> None:  # fmt: skip
    write("team.yaml", TEAM)
    assert cli("translations", "new", "CS-ESC-002", "--language", "el").exit_code == 0
    outdated = cli("ack", "CS-ESC-002-el", "--by", "Ana Novak")
    assert outdated.exit_code == 2
    assert "is out of date with CS-ESC-002" in outdated.output
    assert cli("translations", "ack", "sops/escalation.el.yaml").exit_code == 0
    assert cli("ack", "CS-ESC-002-el", "--by", "Ana Novak").exit_code == 0
    assert _status(cli)[("Ana Novak", "CS-ESC-002")]["state"] == "current"


def test_reviews_due_by_owner_with_a_pinned_date(workdir: Path, cli: RunCli) -> None:
    shutil.copytree(SOPS, workdir / "sops")
    none = cli("due", "--today", "2026-12-03")
    assert none.exit_code == 0
    assert none.stdout == "no reviews due by 2027-01-02\n"
    soon = cli("due", "--today", "2027-03-20", "--within", "30d", "--format", "json")
    data = json.loads(soon.stdout)
    owners = {o["owner"]: [s["id"] for s in o["sops"]] for o in data["owners"]}
    assert owners == {"Ana Novak <ana.novak@example.com>": ["CS-CALL-004"],
                      "Ελένη Παπαδοπούλου <eleni@example.com>": ["CS-COMP-003"]}  # fmt: skip
    call = data["owners"][0]["sops"][0]
    assert call["days_left"] == -69  # 2027-01-10 was 69 days before
    body = data["owners"][0]["body"]
    assert "- [ ] **CS-CALL-004** Sprejem telefonskega klica" in body
    assert "69 days overdue" in body
    markdown = cli("due", "--today", "2027-03-20", "--format", "markdown").stdout
    assert markdown.startswith("## Ana Novak &lt;ana.novak@example.com&gt;\n")  # as GitHub shows
    assert "due in 12 days" in markdown  # CS-COMP-003, 2027-04-01
    only = cli("due", "--today", "2027-03-20", "--owner", "eleni@example.com").stdout
    assert "CS-COMP-003" in only
    assert "CS-CALL-004" not in only
    bad = cli("due", "--within", "a month")
    assert bad.exit_code == 2
    assert "is not a duration" in bad.output
    far = cli("due", "--within", "99999999999999d")  # was an OverflowError
    assert far.exit_code == 2
    assert "is further than 36,500 days (100 years) ahead" in far.output
    last = cli("due", "--today", "9999-12-01", "--within", "36500d", "--format", "json")
    assert last.exit_code == 0, last.output
    assert json.loads(last.stdout)["owners"]  # every SOP is due by the last day there is


def test_codeowners_and_its_check(repository: Path, write: WriteFile, cli: RunCli) -> None:
    write("team.yaml", TEAM)
    write("sops/orphan.yaml", """\
sopkit: 1
id: ORPHAN-1
title: Nobody's
department: Support
purpose: A SOP whose owner has no handle and no e-mail.
owner: The night shift
steps:
  - id: done
    end: Done
""")  # fmt: skip
    (repository / ".github").mkdir()
    made = cli("codeowners", "-o", ".github/CODEOWNERS")
    assert made.exit_code == 0
    text = (repository / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["/sops/escalation.en.yaml @acme/support-ops",
                     "/sops/triage.en.yaml @acme/support-ops"]  # fmt: skip
    assert "ORPHAN-1: owner 'The night shift' has no handle" in made.output
    assert cli("codeowners", "-o", ".github/CODEOWNERS", "--check").exit_code == 0

    triage = repository / "sops" / "triage.en.yaml"
    triage.write_text(triage.read_text(encoding="utf-8").replace(
        "owner: Support Operations Lead <support-ops@example.com>",
        "owner: Ana Novak <ana.novak@example.com>"), encoding="utf-8")  # fmt: skip
    stale = cli("codeowners", "-o", ".github/CODEOWNERS", "--check")
    assert stale.exit_code == 1
    assert "is stale" in stale.output
    assert "/sops/triage.en.yaml @anovak" in cli("codeowners").stdout

    (repository / "team.yaml").unlink()  # no team file: the e-mail in `owner:` is used
    assert "/sops/triage.en.yaml ana.novak@example.com" in cli("codeowners").stdout


def test_a_broken_team_file_points_at_the_line(repository: Path, write: WriteFile,
                                               cli: RunCli) -> None:  # fmt: skip
    write("team.yaml", "people:\n  - name: Ana\n    emial: ana@example.com\n")
    result = cli("ack", "status")
    assert result.exit_code == 2
    assert "team.yaml:3:5: unknown field 'emial' (did you mean 'email'?)" in result.output


def test_the_handbook_switches_language_warns_when_outdated_and_counts_readers(
    repository: Path, write: WriteFile, cli: RunCli
) -> None:
    from tests.helpers import chromium

    write("team.yaml", TEAM)
    assert cli("translations", "new", "CS-ESC-002", "--language", "el").exit_code == 0
    _translate(repository / "sops" / "escalation.el.yaml")
    assert cli("translations", "new", "CS-ESC-002", "--language", "sl").exit_code == 0
    assert cli("translations", "ack", "sops/escalation.sl.yaml").exit_code == 0
    assert cli("ack", "CS-ESC-002", "--by", "Ana Novak").exit_code == 0
    rendered = cli("render", "sops", "--html", "-o", "handbook", "--today", "2026-12-03")
    assert rendered.exit_code == 0, rendered.output
    book = repository / "handbook"

    english = (book / "CS-ESC-002.md").read_text(encoding="utf-8")
    assert (
        "Also in: [Ελληνικά](CS-ESC-002-el.md) · **English** · [Slovenščina](CS-ESC-002-sl.md)"
        in english
    )
    assert (
        "Read by 1 of 3 who hold its roles · not yet: Nikos Alexiou, Support Operations Lead"
        in english
    )
    assert "| agent | Tier-1 support agent | Ana Novak, Nikos Alexiou |" in english  # held by
    greek = (book / "CS-ESC-002-el.md").read_text(encoding="utf-8")
    assert "> ⚠ Αυτή η μετάφραση είναι παλαιότερη από την τρέχουσα διαδικασία" in greek  # not acked
    assert "→ [CS-ESC-002](CS-ESC-002.md)" in greek
    slovenian = (book / "CS-ESC-002-sl.md").read_text(encoding="utf-8")
    assert "⚠" not in slovenian  # reviewed: up to date
    assert "Tudi v: [Ελληνικά](CS-ESC-002-el.md) · [English](CS-ESC-002.md)" in slovenian
    agent = (book / "roles" / "agent.md").read_text(encoding="utf-8")
    assert (
        "- Ana Novak: still to read: [Triaging a new ticket by SLA](../CS-TRIAGE-001.md)" in agent
    )

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((book / "site" / "CS-ESC-002-el.html").as_uri())
        banner = page.locator("div.banner[role=note]")
        assert banner.is_visible()
        assert "Όπου διαφέρουν, ακολουθήστε το πρωτότυπο" in banner.inner_text()
        switcher = page.locator("p.languages")
        assert switcher.inner_text() == "Και σε: Ελληνικά · English · Slovenščina"
        switcher.get_by_text("Slovenščina").click()
        page.wait_for_load_state()
        assert page.url.endswith("/CS-ESC-002-sl.html")
        assert page.locator("div.banner").count() == 0
        held = page.locator("table").first.inner_text()
        assert "Ana Novak, Nikos Alexiou" in held  # who holds each role, on the site too
        assert page.locator("p.languages a[hreflang=en]").get_attribute("href") == "CS-ESC-002.html"
        assert errors == []


def test_the_tables_in_markdown_for_a_wiki_or_a_pull_request(
    repository: Path, write: WriteFile, cli: RunCli
) -> None:
    write("team.yaml", TEAM)
    assert cli("translations", "new", "CS-ESC-002", "--language", "el").exit_code == 0
    table = cli("translations", "--format", "markdown").stdout.splitlines()
    assert table[0] == "| SOP | en | el | sl |"
    assert table[2].startswith("| CS-ESC-002 Escalating a ticket to the shift lead | source |")
    assert "not reviewed" in table[2]
    assert table[2].endswith("| missing |")
    status = cli("ack", "status", "--format", "markdown").stdout.splitlines()
    assert status[0] == "| person | SOP | version | state |"
    assert (
        "| Ana Novak | CS-ESC-002 Escalating a ticket to the shift lead | 1.4 | never read |"
        in status
    )
