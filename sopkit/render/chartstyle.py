"""How flowcharts look: a render's option, apart from the code that draws them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartStyle:
    font: str = "DejaVu Sans"
    direction: str = "auto"  # auto | LR | TB
    link_suffix: str = ".md"  # how a `sop:` node links to the other SOP's page
    step_links: bool = True  # each node links to its numbered step on the page
