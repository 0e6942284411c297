"""Where the handbook goes: a staging folder swapped in whole, and a manifest.

sopkit writes only inside the output folder the user named. It renders into
a staging folder beside it and swaps that in with renames, so a failed
build leaves the previous handbook whole. The manifest lists what sopkit
wrote; files the user added to the folder are carried over, never deleted,
and a non-empty folder without a manifest is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from sopkit import __version__
from sopkit.errors import RenderError, SopkitError

MANIFEST = ".sopkit-manifest.json"
SITE = "site"  # the HTML handbook's folder inside the output folder
OLD_CACHE = ".sopkit-cache"  # where earlier sopkits kept flowchart images: dropped


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(out: Path) -> dict[str, object]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_manifest(out: Path) -> dict[str, str] | None:
    return files_of(manifest(out))


def files_of(document: Mapping[str, object]) -> dict[str, str] | None:
    """The files a manifest lists, with their digests."""
    files = document.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else None


def is_current(out: Path, key: str, document: Mapping[str, object]) -> bool:
    """True when the handbook in `out`, whose manifest is `document`, was built from
    exactly these inputs and is all there."""
    if document.get("inputs") != key:
        return False
    folder = str(out)  # string paths: a handbook is thousands of files to look for
    return all(os.path.isfile(f"{folder}/{name}") for name in files_of(document) or {})


def check_target(out: Path, sources: Iterable[Path]) -> None:
    """Refuse an output folder that would destroy the user's files (`sources`: real paths)."""
    resolved = out.resolve()
    for source in sources:
        if resolved == source or resolved in source.parents:
            raise SopkitError(
                f"the output folder {out} contains the SOP sources ({source}); "
                "choose another folder with -o",
            )
    if out.exists() and not out.is_dir():
        raise SopkitError(f"the output path {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and read_manifest(out) is None:
        raise SopkitError(
            f"{out} is not empty and was not written by sopkit (it has no {MANIFEST}); "
            "refusing to replace it. Choose an empty or new folder with -o",
        )


def _manifest_bytes(digests: Mapping[str, str], key: str, layouts: Mapping[str, str]) -> bytes:
    document = {
        "generator": f"sopkit {__version__}",
        "inputs": key,
        "files": dict(sorted(digests.items())),
        "layouts": dict(sorted(layouts.items())),
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


class Sink(Protocol):
    """Where a render's files go: a staging folder, or a comparison with the handbook there."""

    digests: dict[str, str]

    def write(self, name: str, data: bytes) -> None: ...


class FolderSink:
    """Writes files into a folder (several processes may write into one), noting digests."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.digests: dict[str, str] = {}
        self._folders = {""}  # the folders made, relative to `folder`

    def write(self, name: str, data: bytes) -> None:
        # String paths, not Path objects: a handbook is thousands of small files, and
        # pathlib's joining, checks and opening cost more than the write itself.
        parent, _, _ = name.rpartition("/")
        if parent not in self._folders:
            os.makedirs(f"{self.folder}/{parent}", exist_ok=True)
            self._folders.add(parent)
        with open(f"{self.folder}/{name}", "wb") as handle:
            handle.write(data)
        self.digests[name] = digest(data)


class Staging:
    """A folder beside `out` that the new handbook is written into; `publish` swaps it in
    whole. Closing it unpublished removes it."""

    def __init__(self, out: Path) -> None:
        self.out = out.absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{self.out.name}.sopkit-staging-"
        self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=self.out.parent))

    def publish(self, key: str, digests: Mapping[str, str], layouts: Mapping[str, str]) -> None:
        """Swap the staged handbook, whose files have these digests, in place of `out`.

        `layouts` names, for each flowchart image, what it was laid out from, so that a
        later render can take the image instead of laying the graph out again.
        """
        (self.folder / MANIFEST).write_bytes(_manifest_bytes(digests, key, layouts))
        _carry_over_foreign_files(self.out, self.folder)
        _swap(self.folder, self.out)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)  # gone already once published


class Comparison:
    """`render --check`: files compared with the handbook in `out` instead of written."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.digests: dict[str, str] = {}
        self.changed: set[str] = set()

    def write(self, name: str, data: bytes) -> None:
        self.digests[name] = digest(data)
        target = self.out / name
        if not target.is_file() or target.read_bytes() != data:
            self.changed.add(name)
        else:
            self.changed.discard(name)


def stale(out: Path, digests: Mapping[str, str], changed: Iterable[str]) -> list[str]:
    """Files that differ from what would be written, are missing, or should be gone."""
    previous = read_manifest(out) or {}
    return sorted(changed) + sorted(name for name in previous if name not in digests)


def _carry_over_foreign_files(out: Path, staging: Path) -> None:
    ours = set(read_manifest(out) or {}) | {MANIFEST}
    if not out.is_dir():
        return
    for path in out.rglob("*"):
        name = path.relative_to(out).as_posix()
        if path.is_dir() or name in ours or name.startswith(OLD_CACHE + "/"):
            continue
        target = staging / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.sopkit-old-", dir=out.parent))
    old.rmdir()
    try:
        os.rename(out, old)
    except OSError as exc:
        raise RenderError(f"cannot replace {out}: {exc.strerror}") from None
    try:
        os.rename(staging, out)
    except OSError as exc:
        os.rename(old, out)  # put the previous handbook back
        raise RenderError(f"cannot replace {out}: {exc.strerror}") from None
    shutil.rmtree(old, ignore_errors=True)
