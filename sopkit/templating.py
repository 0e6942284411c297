"""The Jinja environment: user templates first, escaping on by default, strict undefined.

User text is passed as data and never compiled as a template. Every value a
template prints goes through `finalize`, which escapes it for Markdown unless
it is `Md` (Markdown that sopkit built and escaped itself).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from sopkit.errors import SopkitError
from sopkit.escape import Md, md_text


def _finalize(value: Any) -> Any:
    if isinstance(value, (Md, int)) or value is None:  # numbers need no escaping
        return value
    return md_text(str(value))


def _indent(value: str, width: int) -> Md:
    """Indent every line but the first (continuation lines of a list item)."""
    pad = " " * width
    first, *rest = str(value).splitlines() or [""]
    return Md("\n".join([first, *(pad + line if line.strip() else "" for line in rest)]))


def _join(values: list[Md], separator: str) -> Md:
    """`join` for Markdown that sopkit built: the result stays Markdown."""
    return Md(separator.join(values))


def template_loader(user_templates: Path | None) -> jinja2.BaseLoader:
    """The user's folder first, then sopkit's; sopkit's also as `sopkit/<name>`, so that a
    user's `base.html.j2` can extend `sopkit/base.html.j2` and change only a block."""
    packaged = jinja2.FileSystemLoader(str(resources.files("sopkit.templates")))
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None and user_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders += [packaged, jinja2.PrefixLoader({"sopkit": packaged})]
    return jinja2.ChoiceLoader(loaders)


def environment(user_templates: Path | None = None, markdown: bool = True) -> jinja2.Environment:
    """Templates for Markdown pages, or (markdown=False) for YAML, where values pass `yaml`."""
    env = jinja2.Environment(
        loader=template_loader(user_templates),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown is escaped by `_finalize`, not as HTML
        finalize=_finalize if markdown else None,
        keep_trailing_newline=True,
        # A render makes its own environment, so templates cannot change under it: without
        # this, every page would ask the file system whether its template had changed.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["indent_md"] = _indent
    env.filters["join_md"] = _join
    return env


def render_template(env: jinja2.Environment, name: str, **values: object) -> bytes:
    """One template to bytes; a broken (user) template is a clear error, not a traceback."""
    try:
        return env.get_template(name).render(**values).encode()
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = getattr(exc, "filename", None) or name
        raise TemplateFailure(
            f"{where}{f':{line}' if line else ''}: {exc.message or exc}; nothing was written"
        ) from None
    except RecursionError:
        raise TemplateFailure(
            f"{name}: the templates call or extend each other without end (does a template "
            "extend itself?); nothing was written"
        ) from None
    except Exception as exc:  # a user's template is code: whatever it raises is its error
        raise TemplateFailure(
            f"{name}: the template failed: {type(exc).__name__}: {exc}; nothing was written"
        ) from None


class TemplateFailure(SopkitError):
    """A template (usually the user's own) could not be rendered: fix the template."""
