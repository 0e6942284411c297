"""Markdown to the site's HTML: one converter per process, sanitised by nh3.

The SOP's own Markdown (purpose, details, definitions, table cells) is all a site page
converts (see `sitepage`); most of it is plain sentences, which convert to themselves
inside a paragraph, so those skip the converter: it costs ~0.1 ms a call, and a page
has a hundred such texts.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from html import unescape

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup, escape

TAGS = nh3.ALLOWED_TAGS | {"a"}
ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": {"href", "hreflang", "id", "title", "class"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
    "div": {"class"},
    "p": {"class"},
    "span": {"class"},
}
# Where a page's flowchart goes: no Markdown or template text can make this element (every
# `<` of user text is escaped), so after sanitising it is sopkit's (`site.place_figure`).
FIGURE_SLOT = '<div class="sopkit-flowchart"></div>'
_MD_LINK = re.compile(r'href="(?![a-z]+:|#)([^"#]*?)\.md(#[^"]*)?"')
_IMAGE = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE = re.compile(r'\b(src|alt)="([^"]*)"')
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# Text Python-Markdown gives back unchanged inside one paragraph: every line starts with
# a letter (no list, heading, quote or code block can start it) and holds only letters,
# digits, single spaces and punctuation that no inline pattern or extension reacts to;
# no trailing spaces (a line break) and no blank line (a second paragraph).
# Lines are joined by a required newline: with an optional one, a long line could be
# split into "lines" in exponentially many ways, and a text that is not plain took
# seconds to refuse (13 s for one 300-character purpose ending in `*`).
_WORD = r"[\w.,;:?!'\"()/%+=@$€£–—’‘“”«»„…·-]"
_LINE = rf"[^\W\d_]{_WORD}*(?: {_WORD}+)*"
_PLAIN = re.compile(rf"{_LINE}(?:\n{_LINE})*")


@functools.cache
def converter() -> markdown.Markdown:
    """One converter per process, reset between texts: building its extensions for every
    text would cost more than converting it."""
    return markdown.Markdown(
        extensions=["tables", "attr_list", "toc"],
        extension_configs={"toc": {"slugify": slugify_unicode, "toc_depth": "2-3"}},
    )


FORMATTED_CHARS = 100_000
"""A longer text is shown on the site as plain paragraphs, its Markdown not applied:
Python-Markdown rebuilds the rest of a paragraph for each emphasis, link or escape it
finds, which took 10 s for a paragraph of 400,000 characters (and hours for 7 MB)."""


def unformatted(text: str) -> str:
    """A text as paragraphs of plain, escaped text (`&lt;` and `\\[`, as `escape.md_block`
    writes them, as what they say)."""
    paragraphs = (_as_written(part.strip()) for part in text.split("\n\n"))
    return "\n".join(f"<p>{escape(part)}</p>" for part in paragraphs if part)


def _as_written(text: str) -> str:
    return unescape(text.replace("\\[", "["))


def _plain(text: str) -> bool:
    return _PLAIN.fullmatch(text) is not None


def convert(text: str) -> str:
    """A SOP's Markdown as safe HTML, its links to other pages pointing at the site's."""
    if _plain(text):
        return f"<p>{text}</p>"
    if len(text) > FORMATTED_CHARS:
        return unformatted(text)
    html = converted(text)
    return wrapping_code(html_links(clean(external_images_as_links(html))))


def converted(text: str) -> str:
    """Python-Markdown's HTML of a text, not yet sanitised; a text nested deeper than the
    converter can follow (a list in a list, thousands deep: it recurses for each level)
    is shown as its source instead, as data."""
    engine = converter()
    engine.reset()
    try:
        return str(engine.convert(text))
    except RecursionError:
        converter.cache_clear()  # its state is half-way through the text: never reuse it
        return f"<pre>{escape(_as_written(text))}</pre>"


def inline(text: str) -> Markup:
    """Markdown that is one line of a paragraph or a table cell, as HTML: emphasis, code
    and links, but no block (`> 90%` is not a quote, `1. x` not a list), as Python-Markdown
    treats a table cell: the text goes straight to its inline processing."""
    if _plain(text):
        return Markup(text)
    if len(text) > FORMATTED_CHARS:
        return Markup(escape(_as_written(" ".join(text.split()))))
    engine = converter()
    engine.reset()
    root = etree.Element("div")
    etree.SubElement(root, "p").text = text
    for processor in engine.treeprocessors:
        root = processor.run(root) or root
    html: str = engine.serializer(root)
    html = html[html.index("<p>") + 3 : html.rindex("</p>")]
    for processor in engine.postprocessors:
        html = processor.run(html)
    return Markup(wrapping_code(html_links(clean(external_images_as_links(html)))))


def block(text: str) -> Markup:
    return Markup(convert(text))


def heading_id(text: str, taken: set[str]) -> str:
    """The id a heading gets, as Python-Markdown's `toc` gives it: its slug, made unique."""
    base: str = slugify_unicode(text, "-")
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def html_links(html: str) -> str:
    """Links between pages point at the .html files of the site."""
    return _MD_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', html)


WHOLE_CODE_CHARS = 24
"""Inline code up to this long (an id, a role, a short command) is never broken across
lines; longer code (a path, a command line) may wrap, or a phone would scroll sideways."""
_LONG_CODE = re.compile(rf"(?<!<pre>)<code>([^<]{{{WHOLE_CODE_CHARS + 1},}})</code>")


def wrapping_code(html: str) -> str:
    """Long inline code marked `wrap` (style.css lets it break anywhere)."""
    return _LONG_CODE.sub(r'<code class="wrap">\1</code>', html)


def inline_code(text: str) -> Markup:
    """`<code>` for a template's own value (a role id), marked as `wrapping_code` marks."""
    wrap = ' class="wrap"' if len(text) > WHOLE_CODE_CHARS else ""
    return Markup(f"<code{wrap}>{escape(text)}</code>")


def external_images_as_links(html: str) -> str:
    """An image from another host becomes a link to it: the site promises that opening a
    page loads nothing from outside (a reader's address would reach that host)."""

    def relink(match: re.Match[str]) -> str:
        attributes = dict(_ATTRIBUTE.findall(match.group(0)))
        source = attributes.get("src", "")
        if not _EXTERNAL.match(source):
            return match.group(0)
        text = attributes.get("alt") or source
        return f'<a href="{source}" class="external-image">{text}</a>'

    return _IMAGE.sub(relink, html) if "<img" in html else html


def clean(html: str) -> str:
    """Only the tags and attributes a handbook page uses; no script, style or handler."""
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, link_rel=None)
