"""The handbook as a static website: sopkit's Markdown pages turned into HTML.

Each page is sopkit's own Markdown, converted with the `markdown` package and
passed through nh3, so nothing a SOP says can become markup or script; the
flowchart SVG (text escaped by Graphviz) is inlined so its links work. Search
runs in the browser over an index written beside the pages, as a script file
so that it works from `file://` too. No external fonts, scripts or CDNs.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import markdown
import nh3
from jinja2 import Environment, select_autoescape
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

from sopkit.model import Sop
from sopkit.render.collation import sort_key
from sopkit.render.context import Repository, role_pages, term_anchor
from sopkit.render.labels import labels_for
from sopkit.render.templates import template_loader

SITE = "site"
_TAGS = nh3.ALLOWED_TAGS | {"a"}
_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": {"href", "hreflang", "id", "title"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
    "div": {"class"},
}
_MD_LINK = re.compile(r'href="(?![a-z]+:|#)([^"#]*?)\.md(#[^"]*)?"')
_IMAGE = re.compile(r'<p><img alt="[^"]*" src="([^"/]+)\.svg" ?/?></p>')


def _html_links(html: str) -> str:
    """Links between pages point at the .html files of the site."""
    return _MD_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)


def _inline_svg(svg: bytes) -> str:
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    return re.sub(r'(xlink:href|href)="([^"#:]+)\.md(#[^"]*)?"', r'\1="\2.html\3"', text)


def _convert(markdown_text: str) -> tuple[str, str]:
    converter = markdown.Markdown(
        extensions=["tables", "attr_list", "toc"],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2-3"}},
    )
    body = converter.convert(markdown_text)
    toc = str(getattr(converter, "toc", ""))
    clean = nh3.clean(body, tags=_TAGS, attributes=_ATTRIBUTES, link_rel=None)
    return _html_links(clean), nh3.clean(toc, tags=_TAGS, attributes=_ATTRIBUTES, link_rel=None)


PARALLEL_FROM = 64


def _convert_all(texts: list[str]) -> list[tuple[str, str]]:
    """Markdown -> clean HTML for many pages, on every core when there are many."""
    workers = min(os.cpu_count() or 1, 8)
    if len(texts) < PARALLEL_FROM or workers < 2:
        return [_convert(text) for text in texts]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_convert, texts, chunksize=max(1, len(texts) // (workers * 4))))


@dataclass(frozen=True)
class Page:
    file: str  # path of the .html file inside the site
    template: str
    title: str
    language: str
    body: str
    toc: str = ""
    overdue: bool = False


def _environment(user_templates: Path | None) -> Environment:
    return Environment(
        loader=template_loader(user_templates),
        autoescape=select_autoescape(default=True, default_for_string=True),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fold(text: str) -> str:
    """Accent- and case-blind text for search (`Παράπονο` -> `παραπονο`), as search.js does."""
    return sort_key(text)[0]


def search_index(sops: Sequence[Sop], role_files: Mapping[str, str]) -> list[dict[str, str]]:
    entries = []
    for sop in sops:
        entries.append({"t": sop.title, "k": sop.id, "u": f"{sop.id}.html"})
        for node in sop.nodes:
            entries.append(
                {"t": node.text, "k": sop.title, "u": f"{sop.id}.html#step-{node.index + 1}"}
            )
        for term in sop.terms:
            entries.append({"t": f"{term.name}: {term.definition}", "k": sop.title,
                            "u": f"{sop.id}.html#{term_anchor(term.name)}"})  # fmt: skip
        for role in sop.roles:
            page = role_files.get(role.id, "").removesuffix(".md") + ".html"
            entries.append({"t": f"{role.id}: {role.description}", "k": sop.title, "u": page})
    for entry in entries:
        entry["f"] = fold(entry["t"] + " " + entry["k"])
    return entries


def build_site(
    sops: Sequence[Sop],
    pages: Mapping[str, bytes],
    repo: Repository,
    user_templates: Path | None = None,
) -> dict[str, bytes]:
    """Every file of the site (paths relative to the site folder) from the Markdown pages."""
    env = _environment(user_templates)
    labels = labels_for(repo.language)
    by_id = {sop.id: sop for sop in sops}
    files: dict[str, bytes] = {}
    roles = {role.file: role for role in role_pages(sops, repo)}
    for role in roles.values():  # sopkit's own tables: straight to HTML, escaped by Jinja
        file = role.file.removesuffix(".md") + ".html"
        page = Page(file, "role.html.j2", f"{labels['role']}: {role.role_id}", repo.language, "")
        files[file] = (
            env.get_template(page.template)
            .render(page=page, role=role, body=Markup(""), toc=Markup(""), L=labels, root="../")
            .encode()
        )
    names = [n for n in sorted(pages) if n.endswith(".md") and n not in roles]
    converted = _convert_all([pages[n].decode("utf-8") for n in names])
    for name, (body, toc) in zip(names, converted, strict=True):
        stem = name.removesuffix(".md")
        sop = by_id.get(stem)
        if sop is not None:
            svg = pages.get(f"{stem}.svg")
            if svg is not None:
                figure = f'<figure class="flowchart">{_inline_svg(svg)}</figure>'
                body = _IMAGE.sub(figure.replace("\\", "\\\\"), body, count=1)
            page = Page(f"{stem}.html", "sop.html.j2", sop.title, sop.language or repo.language,
                        body, toc, bool(sop.review_by and repo.today > sop.review_by))  # fmt: skip
        elif name == "index.md":
            page = Page("index.html", "index.html.j2", labels["handbook"], repo.language, body)
        elif name == "glossary.md":
            page = Page(
                "glossary.html", "glossary.html.j2", labels["glossary"], repo.language, body
            )
        else:
            title = Markup(body.split("</h1>")[0]).striptags() if "</h1>" in body else stem
            page = Page(f"{stem}.html", "page.html.j2", title, repo.language, body)
        depth = page.file.count("/")
        html = env.get_template(page.template).render(
            page=page, body=Markup(page.body), toc=Markup(page.toc), L=labels,
            root="../" * depth,
        )  # fmt: skip
        files[page.file] = html.encode()
    assets = resources.files("sopkit.templates").joinpath("assets")
    for asset in ("style.css", "search.js"):
        files[f"assets/{asset}"] = assets.joinpath(asset).read_bytes()
    index = search_index(sops, repo.role_pages)
    payload = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    files["search-index.json"] = payload.encode()
    files["assets/search-index.js"] = f"window.SOPKIT_INDEX = {payload};\n".encode()
    return {f"{SITE}/{name}": data for name, data in files.items()}
