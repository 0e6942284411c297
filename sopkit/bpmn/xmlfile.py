"""Reading an XML file safely: no DTD, no entities, no network, a bounded size.

A BPMN file never needs a document type, so one with a DOCTYPE is refused
before parsing: no "billion laughs", no external entity can be expanded.
"""

from __future__ import annotations

import re

from lxml import etree

from sopkit.errors import ExitCode, SopkitError
from sopkit.sources import Unreadable, read_source
from sopkit.xmlerrors import xml_problem


class BpmnError(SopkitError):
    """A BPMN file sopkit cannot read: says which file, and the line when there is one."""

    exit_code = ExitCode.PROBLEMS


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT_TAG = re.compile(rb"<[A-Za-z_]")  # in any ASCII-compatible encoding; UTF-16 has NULs
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def read_xml(path: str) -> etree._Element:
    data = read_source(path)
    if isinstance(data, Unreadable):
        raise BpmnError(f"{path}: {data.message}")
    return parse_xml(data, path)


def parse_xml(data: bytes, path: str) -> etree._Element:
    root_tag = _ROOT_TAG.search(data)
    doctype = _DOCTYPE.search(data, 0, root_tag.start() if root_tag else len(data))
    if doctype is not None:
        line = data[: doctype.start()].count(b"\n") + 1
        raise BpmnError(f"{path}:{line}: a DOCTYPE is not accepted in BPMN (no DTDs, no entities)")
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, message = xml_problem(exc)
        raise BpmnError(f"{path}:{line}: {message}") from None
    except (LookupError, ValueError) as exc:  # an encoding Python or libxml2 does not know
        raise BpmnError(f"{path}: cannot read it: {exc}") from None
    if root is None:
        raise BpmnError(f"{path}: an empty XML document")
    if root.getroottree().docinfo.doctype:  # one the byte search could not see (UTF-16)
        raise BpmnError(f"{path}:1: a DOCTYPE is not accepted in BPMN (no DTDs, no entities)")
    return root
