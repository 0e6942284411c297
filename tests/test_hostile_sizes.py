"""Texts that once made a render take minutes, crash, or lose its flowchart: an owner of
thousands of spaces (a pattern tried every way of sharing them), thousands of `[`
(Python-Markdown's link search), a list nested thousands deep (the converter recursed
once a level), a label over Graphviz's 16 KB string limit. Each is rendered for real; a
regression shows as a test that does not end, a traceback or a missing chart."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sopkit.escape import BRACKETS_KEPT, md_block, md_line
from sopkit.problems import Loc
from sopkit.render import htmltext
from sopkit.render.flowchart import LABEL_CHARS
from sopkit.render.summary import name_and_mail, owner_link
from sopkit.team import Person, Team, email_in
from sopkit.text import Piece, WordsSeen, clip, whole_word
from tests.conftest import RunCli, WriteFile

# The patterns the code above replaced, kept here as the oracle for short texts.
OLD_OWNER = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<mail>[^<>@\s]+@[^<>\s]+)>\s*$")
OLD_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+")
OWNER_ALPHABET = "ab .@<>x\t-"


@given(st.text(alphabet=OWNER_ALPHABET, max_size=24))
def test_an_owner_is_taken_apart_as_the_old_pattern_did(owner: str) -> None:
    old = OLD_OWNER.match(owner)
    expected = None if old is None else (old.group("name"), old.group("mail"))
    assert name_and_mail(owner) == expected


@given(st.text(alphabet=OWNER_ALPHABET, max_size=24))
def test_an_email_is_found_as_the_old_pattern_found_it(text: str) -> None:
    old = OLD_EMAIL.search(text)
    assert email_in(text) == (old.group(0) if old else None)


def test_huge_owners_and_addresses_are_read_at_once() -> None:
    assert owner_link(" " * 20_000 + "x*") == "x*"
    assert (
        owner_link("Ana " + " " * 20_000 + "<ana@example.com>") == "[Ana](mailto:ana@example.com)"
    )
    assert email_in("x" * 100_000) is None
    assert email_in("x" * 100_000 + " ana@example.com") == "ana@example.com"
    team = Team((Person("Ana", "ana@example.org", None, ()),), "team.yaml")
    assert team.owner("<" * 200_000) is None  # took minutes: each `<` scanned to the end
    assert team.owner("Ana" + " <x>" * 50_000) == team.people[0]


@given(st.text(alphabet="Ana <>b@.", max_size=16))
def test_an_owner_is_matched_by_name_as_before(owner: str) -> None:
    """As the old pattern did, except in `<a<b>`, where the new one keeps `<a`."""
    assume(not re.search(r"<[^>]*<", owner))
    team = Team((Person("Ana", None, None, ()), Person("Ana b", None, None, ())), "team.yaml")
    name = re.sub(r"<[^>]*>", "", owner).strip().casefold()
    assert team.owner(owner) == next((p for p in team.people if p.name.casefold() == name), None)


def test_a_line_of_its_own_never_starts_a_block() -> None:
    assert md_line("- first") == "\\- first"
    assert md_line("12. steps") == "12\\. steps"
    assert md_line("> quoted") == "\\> quoted"
    assert md_line("#hashtag stays") == "#hashtag stays"  # not a heading without a space
    assert md_line("Plain **bold**") == "Plain **bold**"


def test_thousands_of_brackets_are_shown_as_brackets() -> None:
    few = "[a](b.md) " + "[" * (BRACKETS_KEPT - 1)
    assert md_block(few).count("\\[") == 0  # links still work below the limit
    many = "[" * (BRACKETS_KEPT + 1) + " [a](b.md)"
    html = htmltext.convert(md_block(many))
    assert html.count("[") == BRACKETS_KEPT + 2
    assert "<a" not in html


def test_a_list_nested_thousands_deep_is_shown_as_its_text() -> None:
    text = "- " * 2_000 + "x &lt;y&gt;"
    html = htmltext.convert(text)
    assert html.startswith("<pre>- - - ")
    assert html.endswith("x &lt;y&gt;</pre>")
    assert htmltext.convert("a **bold** *move*") == "<p>a <strong>bold</strong> <em>move</em></p>"


def test_clip_cuts_at_a_word() -> None:
    assert clip("short", 10) == "short"
    assert clip("one two three four", 12) == "one two…"
    assert clip("x" * 30, 10) == "x" * 9 + "…"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_a_sop_of_hostile_sizes_renders_whole(cli: RunCli, write: WriteFile, workdir: Path) -> None:
    greek = "λέξη " * 2_000  # 18 KB in UTF-8: over Graphviz's limit for a quoted string
    nested = "- " * 2_000 + "x"
    brackets = "[" * 3_000 + "x"
    write("sops/hostile.yaml", f"""\
id: HOSTILE-1
title: Hostile sizes
department: QA
owner: {json.dumps(" " * 5_000 + "x*")}
purpose: {json.dumps(nested)}
steps:
  - id: a
    step: {json.dumps(greek)}
    details: {json.dumps(brackets)}
  - id: done
    end: Done
""")  # fmt: skip
    result = cli("render", "sops", "-o", "out", "--html")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    chart = (workdir / "out" / "HOSTILE-1.svg").read_text(encoding="utf-8")
    assert "λέξη" in chart
    assert "…" in chart  # the label is cut; the page has the whole text
    assert len(" ".join(greek.split())) > LABEL_CHARS
    page = (workdir / "out" / "site" / "HOSTILE-1.html").read_text(encoding="utf-8")
    assert greek.split()[0] in page
    index = (workdir / "out" / "index.md").read_text(encoding="utf-8")
    assert "\\- - - " in index  # the purpose's first "sentence", as text


def test_a_message_quotes_a_long_bpmn_name_cut(cli: RunCli, write: WriteFile) -> None:
    name = "Handle the request " * 500
    write("long.bpmn", f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <process id="P" name="{name}">
    <startEvent id="s"/>
    <task id="t" name="{name}"/>
    <endEvent id="e"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </process>
</definitions>
""")  # fmt: skip
    Path("sops").mkdir()
    result = cli("import", "bpmn", "long.bpmn", "-o", "sops")
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "placeholder" in line)
    assert "'Handle the request Handle the request" in warning
    assert len(warning) < 200


def test_a_text_of_hundreds_of_thousands_of_characters_renders_as_text(
    cli: RunCli, write: WriteFile, workdir: Path
) -> None:
    """Python-Markdown rebuilds the rest of a paragraph for each emphasis it finds: a
    paragraph of 400,000 characters took 10 s, one of 7 MB hours."""
    dense = ("Customers wait *a* [x] " * 30_000).strip()
    assert len(dense) > htmltext.FORMATTED_CHARS
    write("sops/dense.yaml", f"""\
id: DENSE-1
title: Dense
department: QA
owner: O <o@example.com>
purpose: {json.dumps(dense)}
terms:
  Wait: {json.dumps(dense)}
steps:
  - id: a
    step: Wait
    details: {json.dumps(dense)}
  - id: done
    end: Done
""")  # fmt: skip
    result = cli("render", "sops", "-o", "out", "--html")
    assert result.exit_code == 0, result.output
    page = (workdir / "out" / "site" / "DENSE-1.html").read_text(encoding="utf-8")
    assert "Customers wait *a* [x] Customers" in page  # as written, Markdown not applied
    assert "<em>a</em>" not in page
    glossary = (workdir / "out" / "glossary.md").read_text(encoding="utf-8")
    assert len(glossary) < 10_000  # the definition cut; the SOP's page has it whole
    index = (workdir / "out" / "index.md").read_text(encoding="utf-8")
    assert len(index) < 5_000


WORDY = "aAsSσςΣİiſ1 -_.K\u212a"


@given(
    st.lists(st.tuples(st.text(alphabet=WORDY, max_size=12), st.booleans()), max_size=5),
    st.text(alphabet=WORDY, min_size=1, max_size=4),
)
def test_a_term_counts_as_used_only_where_its_pattern_finds_it(
    pieces: list[tuple[str, bool]], term: str
) -> None:
    """The counted words answer "used" only where the whole-text search would (the rule
    asks the search for everything else), and for a plain word they always answer."""
    at = Loc(1, 1)
    texts = [Piece(text, at, term if own else None) for text, own in pieces]
    others = "\0".join(piece.text for piece in texts if piece.definition_of != term)
    found = whole_word(term).search(others) is not None
    if WordsSeen(texts).used(term):
        assert found
    elif found and term.isascii() and term.isalnum() and others.isascii():
        pytest.fail("a plain word used in plain text was not counted")


def test_thousands_of_terms_are_checked_at_once(cli: RunCli, write: WriteFile) -> None:
    """A search of the whole text for each term took 6 s for 3,000 terms."""
    terms = "\n".join(f"  TERM{n}: Definition {n}." for n in range(3_000))
    terms += "\n  Unused: Defined, and used only in its own definition (Unused)."
    steps = "\n".join(f"  - id: s{n}\n    step: Use TERM{n} and TERM{n + 1500}"
                      for n in range(1_500))  # fmt: skip
    head = "id: T-1\ntitle: Terms\ndepartment: QA\nowner: O <o@example.com>\npurpose: P.\n"
    end = "  - id: done\n    end: Done\n"
    write("sops/terms.yaml", f"{head}terms:\n{terms}\nsteps:\n{steps}\n{end}")
    result = cli("check", "sops/terms.yaml", "--format", "json")
    problems = json.loads(result.stdout)["problems"]
    assert [p["message"] for p in problems if p["rule"] == "unused-term"] == [
        "term 'Unused' is defined but not used in the text; remove it or use it"
    ]


OLD_SPELLED = re.compile(r"(\d+)\s*([A-Za-z]+)")
OLD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@given(st.text(alphabet="12 hoursmin\t!", max_size=20))
def test_a_duration_in_words_gets_the_hint_it_got(text: str) -> None:
    """The old pattern is the oracle wherever a number is not glued to a digit before it."""
    from sopkit.values import _SPELLED

    assert _SPELLED.findall(text) == OLD_SPELLED.findall(text)


@given(st.text(alphabet="[]()ab *", max_size=20))
def test_a_link_reads_in_the_terminal_as_it_read(text: str) -> None:
    """As the old pattern did, except for a bracket inside a link's text or target."""
    from sopkit.cli.walking import _plain

    for link in OLD_LINK.finditer(text):
        assume(not re.search(r"[\[(]", link.group(0)[1:].replace("](", "", 1)))
    assert _plain(text) == OLD_LINK.sub(r"\1", text).replace("*", "").replace("`", "").strip()


def test_a_huge_duration_or_role_is_checked_at_once_and_quoted_cut(
    cli: RunCli, write: WriteFile
) -> None:
    """A `duration:` of 100,000 digits took minutes: the hint's pattern was tried from every
    digit. And the message quoted all of it."""
    write("sops/d.yaml", "id: D-1\ntitle: T\ndepartment: D\npurpose: P.\nowner: O <o@example.com>\n"
          f"roles:\n  a: A\nsteps:\n  - id: a\n    step: A\n    role: {'r' * 5_000}\n"
          f"    duration: \"{'1' * 100_000} hours\"\n")  # fmt: skip
    result = cli("check", "sops/d.yaml", "--format", "json")
    problems = json.loads(result.stdout)["problems"]
    assert [p["rule"] for p in problems] == ["unknown-role", "schema"]
    for problem in problems:
        assert len(problem["message"]) < 300
        assert "…'" in problem["message"]
    assert problems[0]["message"] == f"role '{'r' * 79}…' is not in roles"


def test_thousands_of_brackets_read_in_the_terminal_at_once() -> None:
    from sopkit.cli.walking import _plain

    assert _plain("[" * 200_000 + "a](b)") == "[" * 199_999 + "a"
