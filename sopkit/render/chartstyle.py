"""How flowcharts look: a render's option, apart from the code that draws them."""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK_FONTS = ("DejaVu Sans", "Noto Sans", "Arial", "sans-serif")
"""After the chosen font: fonts with Greek and Latin Extended glyphs, then any sans-serif,
so that a reader without DejaVu never gets a serif fallback."""


def font_stack(font: str) -> str:
    """The chart's font as a CSS-style list: Graphviz lays out with the first one fontconfig
    has, and writes the whole list into the SVG for the reader's browser."""
    return ",".join((font, *(other for other in FALLBACK_FONTS if other != font)))


@dataclass(frozen=True)
class ChartStyle:
    font: str = "DejaVu Sans"
    direction: str = "auto"  # auto | LR | TB
    link_suffix: str = ".md"  # how a `sop:` node links to the other SOP's page
    step_links: bool = True  # each node links to its numbered step on the page
