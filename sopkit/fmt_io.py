"""`sopkit fmt`'s side that touches files: read a SOP's bytes (a BOM and CRLF line ends
remembered), format them (`fmt.reformat_text`), and write the result only over the
bytes that were read (`files.replace_file`: atomic, links and owners kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sopkit.files import replace_file
from sopkit.fmt import Formatted, reformat_text
from sopkit.sources import Unreadable, read_source

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Encoding:
    """How a file was stored, so that its formatting is stored the same way."""

    bom: bool = False
    crlf: bool = False

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (_BOM if self.bom else b"") + text.encode("utf-8")


def decode(data: bytes) -> tuple[str, Encoding]:
    """A file's text with `\n` line ends, and how it was stored (raises UnicodeDecodeError)."""
    bom = data.startswith(_BOM)
    text = data[len(_BOM) if bom else 0 :].decode("utf-8")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:
        text = text.replace("\r\n", "\n")
    return text, Encoding(bom, crlf)


def format_bytes(data: bytes, path: str) -> tuple[Formatted, Encoding]:
    """Format a file's bytes: a BOM and CRLF line ends are kept as they were."""
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError:
        return Formatted(path, "", None, "it is not valid UTF-8"), Encoding()
    return reformat_text(text, path), encoding


class FileFormatting(NamedTuple):
    """One file's formatting, with the bytes it was made from (to write only over those)."""

    result: Formatted
    real: str
    read: bytes
    encoding: Encoding

    @property
    def output(self) -> bytes:
        assert self.result.formatted is not None
        return self.encoding.encode(self.result.formatted)


def format_files(paths: Iterable[tuple[str, str]]) -> list[FileFormatting]:
    """(display path, real path) pairs -> their formatting, nothing written yet."""
    results = []
    for display, real in paths:
        data = read_source(display)  # as the user named it: a dangling link says so
        if isinstance(data, Unreadable):
            results.append(FileFormatting(Formatted(display, "", None, data.message), real, b"",
                                          Encoding()))  # fmt: skip
            continue
        result, encoding = format_bytes(data, display)
        results.append(FileFormatting(result, real, data, encoding))
    return results


def write_formatted(file: FileFormatting) -> None:
    """Write a file's new layout, only if it still holds the bytes that were formatted.

    Raises `files.ChangedMeanwhile` when it was edited since: the edit wins.
    """
    replace_file(file.real, file.output, expected=file.read)
