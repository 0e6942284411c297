"""A parse error of lxml in the words a user reads: one line, and no advice to lift the
limits (`XML_PARSE_HUGE`) that keep the reader safe. BPMN and XES files share it."""

from __future__ import annotations

from lxml import etree


def xml_problem(error: etree.XMLSyntaxError) -> tuple[int, str]:
    """The line the error is on, and what is wrong there."""
    said = " ".join(str(error.msg or error).split(", line ")[0].split())
    if "Excessive depth" in said:
        return error.lineno or 1, "elements nested more than 256 deep: not read (a safety limit)"
    if "XML_PARSE_HUGE" in said or "Resource limit exceeded" in said:
        return error.lineno or 1, "a text or value over 10 MB: not read (a safety limit)"
    return error.lineno or 1, f"not well-formed XML: {said}"
