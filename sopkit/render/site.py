"""The handbook as a static website.

A SOP's page is written as HTML from its context (`sitepage`); the index and the
glossary are sopkit's Markdown pages converted. Whatever a SOP wrote in Markdown is
converted with the `markdown` package and passed through nh3 (`htmltext`), so nothing
a SOP says can become markup or script; the flowchart SVG (text escaped by Graphviz)
is inlined so its links work. Search
runs in the browser over an index written beside the pages, as a script file
so that it works from `file://` too. No external fonts, scripts or CDNs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, select_autoescape
from markupsafe import Markup, escape

from sopkit.collation import fold
from sopkit.labels import labels_for
from sopkit.model import Sop
from sopkit.render import htmltext, sitepage
from sopkit.render.context import Digest, Handbook, SopPage, term_anchor
from sopkit.render.overviews import RoleDuty, RolePage
from sopkit.templating import render_template, template_loader

# sop.md.j2 marks its flowchart image with this comment. A SOP cannot write it: every
# `<` of user text is escaped, so the image that follows is sopkit's, wherever it stands.
FIGURE_MARK = "<!-- sopkit:flowchart -->"
_FIGURE_IMAGE = re.compile(re.escape(FIGURE_MARK) + r"\n!\[[^\n]*\]\([^\n]*\)")


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    return re.sub(r'(xlink:href|href)="([^"#:]+)\.md(#[^"]*)?"', r'\1="\2.html\3"', text)


_SIZE = re.compile(rb'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')
WIDE = 520  # points: wider than the text of a portrait A4 page


def place_figure(html: bytes, svg: bytes | None) -> bytes:
    """The flowchart, inline so that its links work, where the page left its slot. A wide
    one is printed on a landscape page of its own."""
    size = _SIZE.search(svg) if svg else None
    wide = " wide" if size and float(size.group(1)) > WIDE else ""
    figure = f'<figure class="flowchart{wide}">{_inline_svg(svg)}</figure>' if svg else ""
    return html.replace(htmltext.FIGURE_SLOT.encode(), figure.encode(), 1)


# The summary line and the chart's legend on a SOP's page (sop.md.j2 marks them) get a
# class: the summary's role names become chips. A SOP cannot write the marks (every `<`
# of its text is escaped), as it cannot write the flowchart's.
_MARKED = re.compile(r"<!-- sopkit:(summary|legend) -->\n([^\n]+)\n")
# A step's anchor moves onto its list item: a link to it lands on the numbered item, and
# `:target` highlights the step, not an empty element before its text.
_STEP_ANCHOR = re.compile(r'<li>(\s*(?:<p>)?)<a id="(step-\d+)"></a>')


def _convert(markdown_text: str) -> tuple[str, str]:
    """A whole Markdown page (a user's own sop.md.j2, the index, the glossary) as HTML."""
    if max(map(len, markdown_text.split("\n\n")), default=0) > htmltext.FORMATTED_CHARS:
        return htmltext.unformatted(markdown_text), ""
    marked = _MARKED.sub(r"\2\n{: .\1 }\n", markdown_text, count=2)
    body = htmltext.converted(_FIGURE_IMAGE.sub(htmltext.FIGURE_SLOT, marked, count=1))
    body = htmltext.external_images_as_links(body)
    toc = str(getattr(htmltext.converter(), "toc", ""))
    clean = _STEP_ANCHOR.sub(r'<li id="\2">\1', htmltext.clean(body))
    return htmltext.wrapping_code(htmltext.html_links(clean)), htmltext.clean(toc)


@dataclass(frozen=True)
class Page:
    file: str  # path of the .html file inside the site
    template: str
    title: str
    language: str
    body: str
    toc: str = ""
    overdue: bool = False


def environment(user_templates: Path | None) -> Environment:
    env = Environment(
        loader=template_loader(user_templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["code"] = htmltext.inline_code
    return env


def _page_html(env: Environment, page: Page, labels: Mapping[str, str], **values: object) -> bytes:
    root = "../" * page.file.count("/")
    values = {"body": Markup(page.body), "toc": Markup(page.toc), **values}
    return render_template(env, page.template, page=page, L=labels, root=root, **values)


def sop_html(env: Environment, view: SopPage, page_markdown: bytes | None, repo: Handbook) -> bytes:
    """A SOP's page of the site, with a slot for its flowchart (see `place_figure`): from
    its context, or converted from `page_markdown` (a user's own `sop.md.j2` made it)."""
    sop = view.sop
    if page_markdown is not None:
        body, toc = _convert(page_markdown.decode("utf-8"))
    else:
        body, toc = sitepage.body(env, view, repo)
    overdue = bool(sop.review_by and repo.today > sop.review_by)
    language = sop.language or repo.language
    page = Page(f"{sop.id}.html", "sop.html.j2", sop.title, language, body, toc, overdue)
    return _page_html(env, page, labels_for(language))  # the chrome speaks the page's language


def own_sop_template(user_templates: Path | None) -> bool:
    """Whether the user's templates word a SOP's page themselves: the site follows them."""
    return user_templates is not None and (user_templates / "sop.md.j2").is_file()


def card_html(env: Environment, sop: Sop, repo: Handbook) -> bytes:
    """A SOP's quick card (`<id>.card.html`): its steps on one printed page."""
    from sopkit.render.card import card_lines

    language = sop.language or repo.language
    labels = labels_for(language)
    page = Page(f"{sop.id}.card.html", "card.html.j2", sop.title, language, "")
    return _page_html(env, page, labels, sop=sop, lines=card_lines(sop, labels))


def _role_rows(role: RolePage, step: str, root: str) -> list[tuple[RoleDuty, Markup]]:
    """A role page's list items per SOP, escaped here: a role can have tens of thousands
    of rows, too many for a template loop with an escape per value."""
    word = escape(step)
    groups = []
    for first, duties in role.by_procedure:
        page = f"{root}{escape(first.sop_id)}.html#step-"
        rows = "".join(f'<li>{word} <a href="{page}{duty.number}">{duty.number}</a>: '
                       f"{escape(duty.plain)}</li>\n" for duty in duties)  # fmt: skip
        groups.append((first, Markup(rows)))
    return groups


def search_index(
    sops: Sequence[Digest], role_files: Mapping[str, str], folded: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """What search.js searches: each entry's text (`t`), kind (`y`: title, term, role or
    step), page (`u`), SOP (`g`, its title `k` and page `p`) and folded text (`f`).

    `folded`: texts folded before, by text, taken where they recur and given those of
    this index (`sopkit serve` keeps it from one edit to the next).
    """
    entries = []
    for sop in sops:
        page = f"{sop.id}.html"
        group = {"g": sop.id, "k": sop.title, "p": page}
        entries.append({"t": sop.title, "y": "title", "u": page, **group})
        for node in sop.nodes:
            entries.append({"t": node.text, "y": "step", "u": f"{page}#step-{node.number}",
                            **group})  # fmt: skip
        for name, definition in sop.terms:
            entries.append({"t": f"{name}: {definition}", "y": "term",
                            "u": f"{page}#{term_anchor(name)}", **group})  # fmt: skip
        for role_id, description in sop.roles:
            role_page = role_files.get(role_id, "").removesuffix(".md") + ".html"
            entries.append({"t": f"{role_id}: {description}", "y": "role", "u": role_page,
                            **group})  # fmt: skip
    known = folded or {}
    for entry in entries:
        entry["f"] = known.get(entry["t"]) or fold(entry["t"])
    if folded is not None:
        folded.clear()
        folded.update((entry["t"], entry["f"]) for entry in entries)
    return entries


def handbook_html(
    sops: Sequence[Digest],
    pages: Mapping[str, bytes],
    role_pages: Sequence[RolePage],
    repo: Handbook,
    user_templates: Path | None = None,
) -> dict[str, bytes]:
    """The site's files that are not a SOP's page: index, glossary, roles, search, assets.

    `pages` are the Markdown pages about all SOPs (a SOP's own page comes from
    `sop_html`, where its model is). Paths are relative to the site folder.
    """
    return dict(site_overviews(sops, pages, role_pages, repo, user_templates))


def site_overviews(
    sops: Sequence[Digest],
    pages: Mapping[str, bytes],
    role_pages: Sequence[RolePage],
    repo: Handbook,
    user_templates: Path | None = None,
    folded: dict[str, str] | None = None,
    env: Environment | None = None,
) -> Iterator[tuple[str, bytes]]:
    """`handbook_html`'s files one at a time (`folded`: see `search_index`; `env`: the
    site's templates, compiled already)."""
    env = env or environment(user_templates)
    labels = labels_for(repo.language)
    roles = {role.file: role for role in role_pages}
    for role in roles.values():  # sopkit's own tables: straight to HTML, escaped by Jinja
        file = role.file.removesuffix(".md") + ".html"
        page = Page(file, "role.html.j2", role.plain_title, repo.language, "")
        rows = _role_rows(role, labels["step"], "../" * file.count("/"))
        yield file, _page_html(env, page, labels, role=role, titles=repo.titles,
                               rows_by_procedure=rows)  # fmt: skip
    for name in sorted(pages):
        if not name.endswith(".md") or name in roles:
            continue
        body, _ = _convert(pages[name].decode("utf-8"))
        stem = name.removesuffix(".md")
        if name == "index.md":
            page = Page("index.html", "index.html.j2", labels["handbook"], repo.language, body)
        elif name == "glossary.md":
            page = Page(
                "glossary.html", "glossary.html.j2", labels["glossary"], repo.language, body
            )
        else:
            title = Markup(body.split("</h1>")[0]).striptags() if "</h1>" in body else stem
            page = Page(f"{stem}.html", "page.html.j2", title, repo.language, body)
        yield page.file, _page_html(env, page, labels)
    assets = resources.files("sopkit.templates").joinpath("assets")
    for asset in ("style.css", "search.js", "chart.js"):
        yield f"assets/{asset}", assets.joinpath(asset).read_bytes()
    index = search_index(sops, repo.role_pages, folded)
    payload = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    yield "search-index.json", payload.encode()
    yield "assets/search-index.js", f"window.SOPKIT_INDEX = {payload};\n".encode()
