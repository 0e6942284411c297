"""A SOP's site page is written from its context; it must read as its Markdown page does.

The oracle: with a copy of sopkit's own `sop.md.j2` among the user's templates, the
site converts the Markdown page whole (as it does for any user's `sop.md.j2`). Both
pages must show a reader the same text, the same anchors and the same links.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import markdown
from hypothesis import assume, given
from hypothesis import strategies as st
from markdown.extensions.toc import slugify_unicode

from sopkit.render import htmltext
from tests.conftest import EXAMPLES, TODAY, RunCli

MARKDOWN_RICH = """\
id: RICH-1
title: 'Rich & <odd> "page"'
department: Support
owner: Ana <ana@example.com>
version: "2"
language: en
review_by: 2026-01-01
purpose: |
  Say *why*, with a [link](https://example.com) and `code`.

  A second paragraph: 1. not a list.
scope: |
  - phone
  - e-mail
terms:
  CSM: Customer success manager.
  Handover: |
    First paragraph.

    Second paragraph with **bold**.
roles:
  agent: Tier-1 *support* agent | with a pipe
kpis:
  - {name: "ART_time", target: "< 1h", description: "From **first** message."}
related: [RICH-2]
changelog:
  - {version: "1", date: 2025-01-01, author: Ana, summary: "First *draft*."}
steps:
  - id: a
    step: Ask the CSM about the Handover
    role: agent
    duration: 5m
    details: |
      1. first
      2. second

      See [the other](RICH-2.md) and ![a picture](https://example.com/p.png).
  - id: b
    decision: Solved?
    branches: {"Yes": c, "No *really*": d}
  - {id: c, sop: RICH-2, step: Follow the other, next: d}
  - {id: d, end: Done}
"""

OTHER = """\
id: RICH-2
title: Ελληνικά & Slovenščina
department: Support
owner: Ana
purpose: Plain purpose.
steps:
  - {id: a, step: Zapiši klic, next: b}
  - {id: b, step: Πες ευχαριστώ, next: c}
  - {id: c, end: Konec}
"""


class _Reading(HTMLParser):
    """What a reader gets from a page's <main>: its words, anchors and links."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.words: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "main":
            self.inside += 1
        if self.inside and tag != "svg":
            values = dict(attrs)
            if values.get("id"):
                self.ids.append(str(values["id"]))
            if tag == "a" and values.get("href"):
                self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.words.extend(data.split())


def _read(page: Path) -> _Reading:
    reading = _Reading()
    reading.feed(page.read_text(encoding="utf-8"))
    return reading


def test_a_page_from_its_context_reads_as_its_markdown_page(cli: RunCli, workdir: Path) -> None:
    sources = workdir / "sources"
    shutil.copytree(EXAMPLES, sources)
    shutil.copytree(Path(__file__).parent.parent / "sops", sources / "sops")
    (sources / "rich.yaml").write_text(MARKDOWN_RICH, encoding="utf-8")
    (sources / "other.yaml").write_text(OTHER, encoding="utf-8")
    direct = cli("render", "sources", "-o", "direct", "--html", "--today", TODAY)
    assert direct.exit_code == 0, direct.output
    mine = workdir / "mine"
    mine.mkdir()
    packaged = resources.files("sopkit.templates").joinpath("sop.md.j2").read_text("utf-8")
    (mine / "sop.md.j2").write_text(packaged, encoding="utf-8")
    (workdir / "sopkit.toml").write_text('templates = "mine"\n', encoding="utf-8")
    converted = cli("render", "sources", "-o", "converted", "--html", "--today", TODAY)
    assert converted.exit_code == 0, converted.output
    pages = sorted((workdir / "direct" / "site").glob("*.html"))
    sop_pages = [p for p in pages if not p.name.endswith(".card.html") and "-" in p.stem]
    assert len(sop_pages) >= 8
    for page in sop_pages:
        ours, theirs = _read(page), _read(workdir / "converted" / "site" / page.name)
        assert ours.words == theirs.words, page.name
        assert ours.ids == theirs.ids, page.name
        assert ours.links == theirs.links, page.name
    rich = (workdir / "direct" / "site" / "RICH-1.html").read_text(encoding="utf-8")
    assert "&lt;odd&gt;" in rich
    assert "<odd>" not in rich
    assert "<ol>\n<li>first</li>" in rich  # the details' own list
    assert 'href="RICH-2.html"' in rich
    assert 'class="external-image"' in rich
    assert "<img" not in rich.split("<main>")[1]


def _converted(text: str) -> str:
    engine = markdown.Markdown(
        extensions=["tables", "attr_list", "toc"],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2-3"}},
    )
    html: str = engine.convert(text)
    return htmltext.html_links(htmltext.clean(htmltext.external_images_as_links(html)))


PLAIN_ALPHABET = "abcXYZ αβγ ΔčšžĆ 0123 .,;:?!'\"()/%+=@$€–—’“”«»…·-\n"
ANY_ALPHABET = PLAIN_ALPHABET + "*_`[]#<>&|{}~\\ \t\n1."


@given(st.text(alphabet=PLAIN_ALPHABET, max_size=60) | st.text(alphabet=ANY_ALPHABET, max_size=40))
def test_text_that_skips_the_converter_converts_to_itself(text: str) -> None:
    assert htmltext.convert(text) == _converted(text)


def test_plain_sentences_skip_the_converter() -> None:
    """The point of the shortcut: ordinary sentences in any script are taken as they are."""
    for text in ("Log the ticket.", "Πες ευχαριστώ (αμέσως).", "Zapiši klic — hitro!\nNato: 5 %."):
        assert htmltext._plain(text), text
    for text in ("1. first", "- item", "a *b*", "a  \nb", "# h", "a\n\nb", "x <y>", "Q&A"):
        assert not htmltext._plain(text), text


def test_a_long_text_that_is_not_plain_is_refused_at_once() -> None:
    """A long line that turns out not to be plain at its end (a purpose ending in an
    emphasis) once took the shortcut's pattern seconds, exponentially in its length:
    with the old pattern this test would not end."""
    sentence = " ".join(["Customers"] * 40 + ["wait"] * 40)
    for end in ("*", " `code`", "\n\n- item", "  \n"):
        assert not htmltext._plain(sentence + end)
        assert htmltext.convert(sentence + end) == _converted(sentence + end)
    assert htmltext._plain(sentence)


CELL_ALPHABET = "abc αβ čš 09 .,:-!?'\"()*_`[]#<>&{}~\\ >+"


@given(st.text(alphabet=CELL_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool))
def test_a_line_converts_as_the_same_text_in_a_table_cell(text: str) -> None:
    # Python-Markdown's table leaves `&#0` (no `;`) for the HTML parser, which reads it as
    # U+FFFD; the line keeps the text as written. The oracle is wrong there, not the line.
    assume(not re.search(r"&#\d", text))
    table = _converted(f"| h |\n|---|\n| {text} |\n")
    cell = table.split("<td>", 1)[1].rsplit("</td>", 1)[0]
    assert htmltext.inline(text) == cell
