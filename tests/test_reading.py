"""The handbook as a new hire reads it: the numbered procedure is one list in the
browser and on GitHub, every "go to step K" lands on step K, no page repeats an id.

Pages are rendered from SOPs made here (a 20-step procedure, a term three SOPs
define), opened in Debian's Chromium; the Markdown is read with markdown-it-py, a
CommonMark parser like GitHub's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from markdown_it import MarkdownIt
from playwright.sync_api import Browser
from typer.testing import CliRunner

from sopkit.cli import app
from tests.conftest import TODAY
from tests.helpers import chromium, served

STEPS = 20


def long_sop(steps: int = STEPS) -> str:
    """Numbered steps: details on every step, decisions that jump forward and back."""
    lines = [
        f"id: LONG-{steps}", "title: A long procedure" + ("" if steps == STEPS else " indeed"),
        "department: Support",
        "owner: O <o@example.com>", "purpose: Every step of a long procedure reads in order.",
        "terms:", "  CSM: Customer success manager.", "steps:",
    ]  # fmt: skip
    for number in range(1, steps + 1):
        node = f"s{number}"
        if number == steps:
            lines += [f"  - id: {node}", "    end: Done, the CSM is told"]
        elif number % 5 == 0:
            back = f"s{number - 3}"
            lines += [f"  - id: {node}", f"    decision: Is check {number} passed?",
                      "    details: |", f"      Look at the result of step {number - 1}.",
                      "      It is written on two lines.",
                      "    branches:", f'      "Yes": s{number + 1}',
                      f'      "No": {back}']  # fmt: skip
        else:
            lines += [f"  - id: {node}", f"    step: Do thing number {number}",
                      "    duration: 5m", "    details: |",
                      f"      How to do thing {number}, in detail.",
                      "", "      - a list inside the step", "      - with two entries"]  # fmt: skip
    return "\n".join(lines) + "\n"


def sop_with_term(sop_id: str, definition: str) -> str:
    return (
        f"id: {sop_id}\ntitle: Procedure {sop_id}\ndepartment: Support\nowner: O <o@example.com>\n"
        f"purpose: Ask the CSM.\nterms:\n  CSM: {definition}\nsteps:\n"
        "  - {id: ask, step: Ask the CSM}\n  - {id: done, end: Done}\n"
    )


GREEK = """\
id: EL-1
title: Επιστροφή χρημάτων
department: Εξυπηρέτηση
owner: Ελένη <eleni@example.com>
language: el
purpose: Ο πελάτης παίρνει πίσω τα χρήματά του.
steps:
  - {id: check, step: Ελέγξτε την πληρωμή, duration: 2m}
  - {id: done, end: Τα χρήματα επεστράφησαν}
"""


SEARCHED = {
    "incident.yaml": """\
id: INC-1
title: Major incident response
department: Operations
owner: O <o@example.com>
purpose: The IC leads every major incident.
terms:
  IC: Incident Commander, who decides and speaks for the response.
steps:
  - {id: page, step: Page the IC on call}
  - {id: done, end: Incident closed}
""",
    "klic.yaml": """\
id: SL-KLIC
title: Sprejem klica
department: Podpora
owner: O <o@example.com>
language: sl
purpose: Vsak klic dobi odgovor.
steps:
  - {id: greet, step: Pozdravite stranko ob klicu}
  - {id: done, end: Klic je zaključen}
""",
    "paraponа.yaml": """\
id: EL-PAR
title: Διαχείριση παραπόνου
department: Εξυπηρέτηση
owner: O <o@example.com>
language: el
purpose: Κάθε παράπονο καταγράφεται.
steps:
  - {id: log, step: Καταγράψτε το παράπονο του πελάτη}
  - {id: done, end: Το παράπονο έκλεισε}
""",
}


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("reading")
    (work / "sops").mkdir()
    (work / "sopkit.toml").write_text("", encoding="utf-8")
    (work / "sops" / "long.yaml").write_text(long_sop(), encoding="utf-8")
    (work / "sops" / "longer.yaml").write_text(long_sop(30), encoding="utf-8")
    (work / "sops" / "greek.yaml").write_text(GREEK, encoding="utf-8")
    for name, text in SEARCHED.items():
        (work / "sops" / name).write_text(text, encoding="utf-8")
    for sop_id, definition in (("T-A", "Customer success manager."),
                               ("T-B", "Customer success manager."),
                               ("T-C", "Client service manager.")):  # fmt: skip
        (work / "sops" / f"{sop_id}.yaml").write_text(sop_with_term(sop_id, definition), "utf-8")
    cwd = Path.cwd()
    os.chdir(work)
    try:
        result = CliRunner().invoke(app, ["render", "sops", "-o", "out", "--html", "--today",
                                          TODAY], catch_exceptions=False)  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return work / "out"


@pytest.fixture(scope="module")
def server(handbook: Path) -> Iterator[str]:
    with served(handbook / "site") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as instance:
        yield instance


PROCEDURE = """
() => {
  const heading = [...document.querySelectorAll('h2')].find(h => h.textContent === 'Procedure');
  const lists = [];
  for (let next = heading.nextElementSibling; next && next.tagName !== 'H2';
       next = next.nextElementSibling) {
    if (next.tagName === 'OL') lists.push(next);
  }
  return lists.map(ol => ({start: ol.start, items: [...ol.children].map(li => ({
    id: li.id, value: li.value, text: li.innerText.split('\\n')[0]}))}));
}
"""


def test_the_procedure_is_one_list_numbered_1_to_n(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "LONG-20.html")
    lists = page.evaluate(PROCEDURE)
    assert len(lists) == 1, [len(ol["items"]) for ol in lists]
    (procedure,) = lists
    # One list that starts at 1 and sets no number itself: the browser numbers it 1..N.
    assert procedure["start"] == 1
    assert {item["value"] for item in procedure["items"]} == {0}
    assert [item["text"] for item in procedure["items"]][:2] == [
        "Do thing number 1 · Expected time: 5 min",
        "Do thing number 2 · Expected time: 5 min",
    ]
    assert [item["id"] for item in procedure["items"]] == [f"step-{n}" for n in range(1, STEPS + 1)]
    page.close()


def test_every_go_to_step_link_lands_on_that_numbered_step(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "LONG-20.html")
    hrefs = page.eval_on_selector_all(
        "main ol a[href^='#step-']", "links => links.map(a => a.getAttribute('href'))"
    )
    targets = sorted({int(href.removeprefix("#step-")) for href in hrefs})
    assert len(targets) >= 6
    for number in targets:
        page.locator(f"main ol a[href='#step-{number}']").first.click()
        landed = page.evaluate(
            """() => { const t = document.querySelector(':target');
                       const items = [...t.parentElement.children];
                       return {tag: t.tagName, place: items.indexOf(t) + 1,
                               background: getComputedStyle(t).backgroundColor}; }"""
        )
        assert landed["tag"] == "LI"
        assert landed["place"] == number  # the list item the reader sees numbered K
        assert landed["background"] == "rgb(255, 247, 214)"  # highlighted
    page.close()


def test_no_page_has_a_duplicate_id(browser: Browser, server: str, handbook: Path) -> None:
    page = browser.new_page()
    for html in sorted((handbook / "site").rglob("*.html")):
        page.goto(server + html.relative_to(handbook / "site").as_posix())
        repeated = page.evaluate(
            """() => { const seen = {}; for (const e of document.querySelectorAll('[id]'))
                         seen[e.id] = (seen[e.id] || 0) + 1;
                       return Object.keys(seen).filter(id => seen[id] > 1); }"""
        )
        assert repeated == [], html.name
    page.close()


def test_the_glossary_has_one_entry_per_term_and_says_why_it_is_marked(
    handbook: Path,
) -> None:
    glossary = (handbook / "glossary.md").read_text(encoding="utf-8")
    assert glossary.count('<a id="term-csm"></a>') == 1
    assert "**CSM** ⚠ *defined in more than one way" in glossary
    assert re.search(r"- Client service manager\. \(\[Procedure T-C\]", glossary)
    assert (
        "- Customer success manager. ([A long procedure](LONG-20.md), [A long procedure indeed]"
        "(LONG-30.md), [Procedure T-A](T-A.md), [Procedure T-B](T-B.md))\n"
    ) in glossary


def _tokens(markdown: str) -> list[object]:
    return list(MarkdownIt("commonmark").enable("table").parse(markdown))


def test_the_markdown_procedure_is_one_list_on_github_too(handbook: Path) -> None:
    text = (handbook / "LONG-20.md").read_text(encoding="utf-8")
    procedure = text.split("## Procedure\n", 1)[1].split("\n## ", 1)[0]
    tokens = _tokens(procedure)
    kinds = [getattr(t, "type", "") for t in tokens]
    assert kinds.count("ordered_list_open") == 1
    depth, outside = 0, []
    for token in tokens:
        kind = getattr(token, "type", "")
        if kind == "ordered_list_open":
            depth += 1
        elif kind == "ordered_list_close":
            depth -= 1
        elif kind == "paragraph_open" and depth == 0:
            outside.append(token)
    assert outside == []  # every detail and direction stays inside its step
    items = [t for t in tokens if getattr(t, "type", "") == "list_item_open"
             and getattr(t, "level", 0) == 1]  # fmt: skip
    assert len(items) == STEPS


def test_a_hundred_steps_keep_their_details_in_commonmark(tmp_path: Path) -> None:
    """Step 100's marker is five characters wide: its details need five spaces."""
    from sopkit.render.context import item_indent

    assert [len(item_indent(n)) for n in (1, 9, 10, 99, 100)] == [4, 4, 4, 4, 5]
    markdown = "".join(
        f"{n}. Step {n}\n\n{item_indent(n)}Details of {n}.\n\n" for n in (98, 99, 100, 101)
    )
    tokens = _tokens(markdown)
    assert [getattr(t, "type", "") for t in tokens].count("ordered_list_open") == 1


CONTRAST = """
(selector) => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05); };
  const background = getComputedStyle(document.body).backgroundColor;
  const element = document.querySelector(selector);
  return ratio(getComputedStyle(element).color, background);
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_links_are_readable_in_light_and_dark(
    browser: Browser, server: str, scheme: Literal["light", "dark"], tmp_path: Path
) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server + "LONG-20.html")
    for selector in ("main p", "main ol li", "main a[href^='#step-']", "header.site a"):
        assert page.evaluate(CONTRAST, selector) >= 4.5, (scheme, selector)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(17, 24, 39)") == (scheme == "dark")
    chart = page.evaluate("getComputedStyle(document.querySelector('figure svg')).filter")
    assert (chart != "none") == (scheme == "dark")  # the chart is inverted to stay legible
    page.screenshot(path=str(tmp_path / f"sop-{scheme}.png"), full_page=True)
    context.close()


def test_flowchart_text_names_a_sans_serif_font_stack(handbook: Path) -> None:
    svg = (handbook / "LONG-20.svg").read_text(encoding="utf-8")
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families == {"DejaVu Sans,Noto Sans,Arial,sans-serif"}


TEXT_SIZES = """
() => [...document.querySelectorAll('figure.flowchart svg text')].map(t =>
  parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)
"""


@pytest.mark.parametrize("width", [1280, 390])
def test_flowchart_text_is_never_shrunk_below_12_css_pixels(
    browser: Browser, server: str, width: int, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(server + "LONG-20.html")
    sizes = page.evaluate(TEXT_SIZES)
    assert len(sizes) > STEPS
    assert min(sizes) >= 12, min(sizes)
    sideways = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0  # the chart scrolls in its frame, not the page
    page.screenshot(path=str(tmp_path / f"chart-{width}.png"))
    context.close()


def test_every_node_shows_its_step_number_and_the_legend_explains_shapes(
    browser: Browser, server: str
) -> None:
    page = browser.new_page()
    page.goto(server + "LONG-20.html")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('figure.flowchart svg g.node')]
              .map(g => [...g.querySelectorAll('text')].map(t => t.textContent).join(' '))
              .filter(text => text.trim())"""
    )
    numbers = sorted(int(label.split(".")[0]) for label in labels)
    assert numbers == list(range(1, STEPS + 1))
    legend = page.locator("p.legend").inner_text()
    assert "◇ a decision" in legend
    assert "double border follows another procedure" in legend
    page.close()


def test_the_full_size_view_opens_and_closes_with_the_keyboard(
    browser: Browser, server: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "LONG-20.html")
    button = page.locator("figure.flowchart button.zoom")
    button.focus()
    page.keyboard.press("Enter")
    viewer = page.locator("dialog.chart-viewer[open]")
    viewer.wait_for()
    assert viewer.locator("svg text").count() > STEPS
    page.keyboard.press("+")
    assert float(viewer.get_attribute("data-scale") or "0") > 1
    page.screenshot(path=str(tmp_path / "full-size.png"))
    page.keyboard.press("Escape")
    page.locator("dialog.chart-viewer").wait_for(state="detached", timeout=5000)
    assert page.evaluate("document.activeElement.className") == "zoom"  # focus returns
    page.close()


def test_the_page_starts_with_what_a_reader_needs(browser: Browser, server: str) -> None:
    page = browser.new_page()
    page.goto(server + "LONG-20.html")
    summary = page.locator("p.summary")
    assert summary.locator("a[href='mailto:o@example.com']").inner_text() == "O"
    assert "Time: about 1 hour" in summary.inner_text()
    assert page.locator("table").count() == 0  # no metadata table with an empty header row
    first_decision = page.locator("#step-5").inner_text()
    assert first_decision.startswith("◇ Is check 5 passed?")
    assert page.locator("#step-5 ul li").count() == 2  # the answers, as sub-items
    page.close()


def test_a_greek_page_speaks_greek_in_its_chrome_and_durations(
    browser: Browser, server: str, handbook: Path
) -> None:
    greek = handbook / "site" / "EL-1.html"
    assert greek.is_file()
    page = browser.new_page()
    page.goto(server + "EL-1.html")
    header = page.locator("header.site").inner_text()
    assert "Γλωσσάριο" in header
    assert "Εκτύπωση" in header
    assert page.locator("#search").get_attribute("placeholder") == "Αναζήτηση…"
    assert "Αναμενόμενος χρόνος: 2 λεπτά" in page.locator("#step-1").inner_text()
    assert "⤢ Πλήρες μέγεθος" in page.locator("button.zoom").inner_text()
    page.close()


def test_the_index_helps_choose_and_fits_a_phone(browser: Browser, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server + "index.html")
    entry = page.locator("main li", has=page.locator("a[href='LONG-20.html']"))
    text = entry.inner_text()
    assert "Every step of a long procedure reads in order." in text  # the purpose
    assert f"{STEPS} steps" in text
    assert "about 1 hour" in text
    assert "Owner: O" in text
    sideways = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0
    unbroken = page.evaluate(
        """() => [...document.querySelectorAll('main li code, main .nowrap')].every(e => {
             const r = e.getClientRects(); return r.length === 1; })"""
    )
    assert unbroken  # ids and dates on one line each
    context.close()


def test_a_called_sop_says_who_calls_it(tmp_path: Path) -> None:
    (tmp_path / "sops").mkdir()
    (tmp_path / "sopkit.toml").write_text("", encoding="utf-8")
    (tmp_path / "sops" / "a.yaml").write_text(
        "id: A-1\ntitle: Calling\ndepartment: D\npurpose: P.\nowner: O <o@example.com>\n"
        "roles: {agent: Tier-1 agent}\nsteps:\n"
        "  - {id: call, step: Follow B, sop: B-1, role: agent}\n  - {id: done, end: Done}\n",
        encoding="utf-8",
    )
    (tmp_path / "sops" / "b.yaml").write_text(
        "id: B-1\ntitle: Called\ndepartment: D\npurpose: P.\nowner: O <o@example.com>\n"
        "roles: {agent: Tier-1 agent}\nsteps:\n"
        "  - {id: do, step: Do it, role: agent}\n  - {id: done, end: Done}\n",
        encoding="utf-8",
    )
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(app, ["render", "--flowchart", "mermaid", "--today", TODAY])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    called = (tmp_path / "handbook" / "B-1.md").read_text(encoding="utf-8")
    assert "## Called from\n\n- [Calling](A-1.md)\n" in called
    role = (tmp_path / "handbook" / "roles" / "agent.md").read_text(encoding="utf-8")
    assert role.startswith("# Tier-1 agent\n")
    assert "### [Called](../B-1.md)\n\n- Step [1](../B-1.md#step-1): Do it\n" in role
    assert "### [Calling](../A-1.md)\n\n- Step [1](../A-1.md#step-1): Follow B\n" in role


SEARCH_RESULTS = """
() => [...document.querySelectorAll('#results > li.group')].map(group => ({
  title: group.querySelector(':scope > a').textContent,
  hits: [...group.querySelectorAll(':scope > ol a')].map(a => ({
    kind: a.className, text: a.textContent, marked: a.querySelector('mark')?.textContent}))
}))
"""


def _search(browser: Browser, server: str, query: str) -> tuple[list[dict[str, Any]], str]:
    page = browser.new_page()
    page.goto(server + "index.html")
    page.fill("#search", query)
    page.locator("#results li").first.wait_for()
    results = page.evaluate(SEARCH_RESULTS)
    count = page.locator("#results li.count")
    said = count.inner_text() if count.count() else ""
    page.close()
    return results, said


def test_search_ranks_whole_words_before_parts_of_words(browser: Browser, server: str) -> None:
    results, _ = _search(browser, server, "IC")
    assert results[0]["title"] == "Major incident response"  # "IC" is a whole word there
    kinds = [hit["kind"] for hit in results[0]["hits"]]
    assert kinds[0] == "term"  # the definition of IC, before the step that names it
    assert "step" in kinds
    later = [group["title"] for group in results[1:]]
    assert "Sprejem klica" in later  # "klic" holds "ic" inside a word: it comes last


def test_search_in_greek_without_accents_puts_titles_first(browser: Browser, server: str) -> None:
    results, _ = _search(browser, server, "ΔΙΑΧΕΙΡΙΣΗ παραπονου")  # no accents, any case
    assert results[0]["title"] == "Διαχείριση παραπόνου"
    first = results[0]["hits"][0]
    assert first["kind"] == "title"
    assert first["marked"] == "Διαχείριση"  # the accented word, marked as written
    steps, _ = _search(browser, server, "παραπονο")
    assert steps[0]["title"] == "Διαχείριση παραπόνου"
    assert [hit["kind"] for hit in steps[0]["hits"]][:2] == ["step", "step"]  # whole words


def test_search_in_slovenian_groups_results_per_sop(browser: Browser, server: str) -> None:
    results, _ = _search(browser, server, "klic")
    (group,) = [g for g in results if g["title"] == "Sprejem klica"]
    hits = [(hit["kind"], hit["text"]) for hit in group["hits"]]
    # "Klic" is a whole word of the end; "klica" and "klicu" start with it: title first
    assert hits == [("step", "Klic je zaključen"), ("title", "Sprejem klica"),
                    ("step", "Pozdravite stranko ob klicu")]  # fmt: skip


def test_search_says_how_many_when_it_cuts_the_list(browser: Browser, server: str) -> None:
    results, said = _search(browser, server, "thing")  # the long SOP: 16 steps and details
    shown = sum(len(group["hits"]) for group in results)
    assert shown <= 20
    if said:
        total = int(said.split(" of ")[1].split()[0])
        assert said == f"{shown} of {total} results"
        assert total > shown


def _pdf_pages(pdf: bytes, folder: Path, name: str) -> list[str]:
    """The text of each page of a PDF, as pdftotext lays it out."""
    import subprocess

    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def test_the_quick_card_of_30_steps_prints_on_one_a4_page(
    browser: Browser, server: str, tmp_path: Path
) -> None:
    page = browser.new_page()
    page.goto(server + "LONG-30.html")
    page.locator("p.card-link a").click()
    page.wait_for_load_state()
    assert page.url.endswith("LONG-30.card.html")
    assert page.locator("ol.card-steps > li").count() == 30
    assert page.locator("ol.card-steps .tick").count() == 30
    assert page.locator("figure").count() == 0  # no chart on the card
    pages = _pdf_pages(page.pdf(format="A4"), tmp_path, "card")
    assert len(pages) == 1
    assert "Do thing number 29" in pages[0]
    assert "Is check 25 passed?" in pages[0]
    page.close()


def test_no_printed_page_ends_with_a_heading(
    browser: Browser, server: str, handbook: Path, tmp_path: Path
) -> None:
    page = browser.new_page()
    headings = []
    for name in ("LONG-30.html", "LONG-20.html", "INC-1.html"):
        page.goto(server + name)
        headings = page.eval_on_selector_all("main h1, main h2, main h3",
                                             "hs => hs.map(h => h.innerText.trim())")  # fmt: skip
        pages = _pdf_pages(page.pdf(format="A4"), tmp_path, name)
        for number, text in enumerate(pages[:-1], start=1):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            assert lines, (name, number)
            assert lines[-1] not in headings, f"{name}: page {number} ends with {lines[-1]!r}"
    page.close()


def test_screenshots_of_what_a_reader_sees(browser: Browser, server: str, tmp_path: Path) -> None:
    """The pages a new hire opens first, as pictures in the test's folder (for review)."""
    shots = {
        "index-desktop": ("index.html", 1280, "light"),
        "sop-desktop": ("LONG-20.html", 1280, "light"),
        "sop-phone": ("LONG-20.html", 390, "light"),
        "sop-dark": ("LONG-20.html", 1280, "dark"),
        "card": ("LONG-30.card.html", 1280, "light"),
    }
    for name, (url, width, scheme) in shots.items():
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(server + url)
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        context.close()
        picture = (tmp_path / f"{name}.png").read_bytes()
        assert picture.startswith(b"\x89PNG")
        assert int.from_bytes(picture[16:20], "big") == width  # the whole width, as shown
