"""Where the handbook goes: a staging folder swapped in whole, and a manifest.

sopkit writes only inside the output folder the user named. It renders into
a hidden staging folder inside it and moves the files into place with
renames only once everything is written, so a failed build leaves the
previous handbook whole. The manifest lists what sopkit wrote, with digests;
files the user added to the folder are never touched, and a non-empty folder
without a manifest is refused.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from sopkit import __version__
from sopkit.errors import SopkitError

MANIFEST = ".sopkit-manifest.json"
SITE = "site"  # the HTML handbook's folder inside the output folder
STAGING_PREFIX = ".sopkit-staging-"
"""Staging folders live inside the output folder: `.sopkit-staging-<pid>-<random>`."""


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
    """The files a manifest lists, with their digests: only names inside the handbook."""
    files = document.get("files")
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items() if is_own_name(str(k))}


def is_own_name(name: str) -> bool:
    """Whether a manifest's file name stays inside the handbook: relative, `/`-separated,
    no empty, `.` or `..` part. A manifest is read from disk, where a commit can change
    it: a name like `../notes.txt` had a render delete that file outside the folder."""
    parts = name.split("/")
    return "\\" not in name and "\0" not in name and all(p not in ("", ".", "..") for p in parts)


def is_current(out: Path, key: str, document: Mapping[str, object]) -> bool:
    """True when the handbook in `out`, whose manifest is `document`, was built from
    exactly these inputs, was complete, and every file still holds what was written."""
    if document.get("inputs") != key or previous_option(document, "complete") is not True:
        return False
    folder = str(out)  # string paths: a handbook is thousands of files to read
    for name, expected in (files_of(document) or {}).items():
        try:
            with open(f"{folder}/{name}", "rb") as handle:
                if digest(handle.read()) != expected:
                    return False
        except OSError:
            return False
    return True


def previous_option(document: Mapping[str, object], name: str) -> object:
    """An option the handbook there was rendered with (None when not recorded)."""
    options = document.get("options")
    return options.get(name) if isinstance(options, dict) else None


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
    if (
        out.is_dir()
        and read_manifest(out) is None
        and any(not entry.name.startswith(STAGING_PREFIX) for entry in out.iterdir())
    ):
        why = (f"its {MANIFEST} is not one sopkit wrote" if (out / MANIFEST).exists()
               else f"it has no {MANIFEST}")  # fmt: skip
        raise SopkitError(
            f"{out} is not empty and was not written by sopkit ({why}); "
            "refusing to replace it. Choose an empty or new folder with -o",
        )


def _manifest_bytes(
    digests: Mapping[str, str],
    key: str,
    layouts: Mapping[str, str],
    options: Mapping[str, object],
) -> bytes:
    document = {
        "generator": f"sopkit {__version__}",
        "inputs": key,
        "options": dict(sorted(options.items())),
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
    """A hidden folder inside `out` that the new handbook is written into; `move_in` moves
    its files into place and `vouch` puts the manifest last. Closing it before that
    removes it.

    Inside, not beside: `out` may be a mount point (a Docker volume) or a link whose
    target is elsewhere, and a rename works only within one file system. Files are
    moved one by one, each with an atomic rename, so the user's own files in `out`
    (a `.git`, links, empty folders) are never touched.
    """

    def __init__(self, out: Path) -> None:
        self.out = _real_folder(out)
        self.made_out = not self.out.exists()
        self.published = False
        try:
            os.makedirs(self.out, exist_ok=True)  # modes from the umask, as users expect
            remove_stale_staging(self.out)
            prefix = f"{STAGING_PREFIX}{os.getpid()}-"
            self.folder = Path(tempfile.mkdtemp(prefix=prefix, dir=self.out))
        except OSError as exc:
            raise SopkitError(f"cannot write the handbook to {out}: {exc.strerror}") from None

    def move_in(self, names: Iterable[str]) -> None:
        """Move these staged files into place, each with an atomic rename."""
        made: set[str] = {""}
        try:
            for name in names:
                parent = name.rpartition("/")[0]
                if parent not in made:
                    os.makedirs(f"{self.out}/{parent}", exist_ok=True)
                    made.add(parent)
                target = f"{self.out}/{name}"
                if os.path.lexists(target) and (
                    os.path.islink(target) or not os.path.isfile(target)
                ):
                    raise SopkitError(
                        f"{self.out / name} is in the way of the handbook's {name}: it is not "
                        "a regular file; move it away"
                    )
                os.replace(f"{self.folder}/{name}", target)
        except OSError as exc:
            raise SopkitError(f"cannot write the handbook to {self.out}: {exc.strerror}") from None

    def vouch(
        self,
        key: str,
        digests: Mapping[str, str],
        layouts: Mapping[str, str],
        options: Mapping[str, object],
    ) -> None:
        """Once every file in `digests` is in place (`move_in`): remove what the previous
        manifest listed and this one does not, then put the new manifest in place.

        `layouts` names, for each flowchart image, what it was laid out from, so that a
        later render can take the image instead of laying the graph out again.
        """
        previous = read_manifest(self.out) or {}
        try:
            (self.folder / MANIFEST).write_bytes(_manifest_bytes(digests, key, layouts, options))
            _remove_dropped(self.out, previous.keys() - digests.keys())
            os.replace(self.folder / MANIFEST, self.out / MANIFEST)  # last: it vouches for all
            self.published = True
        except OSError as exc:
            raise SopkitError(f"cannot write the handbook to {self.out}: {exc.strerror}") from None

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.made_out and not self.published:
            with contextlib.suppress(OSError):  # only if still empty
                os.rmdir(self.out)


def _real_folder(out: Path) -> Path:
    """The folder to write into: a link's target (the link stays), else `out` itself."""
    if out.is_symlink():
        target = Path(os.path.realpath(out))
        if not target.is_dir():
            raise SopkitError(f"the output folder {out} is a link to {target}, not a folder")
        return target
    return out.absolute()


def remove_stale_staging(out: Path) -> None:
    """Staging folders that earlier renders left behind when they were killed."""
    try:
        entries = list(os.scandir(out))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
            pid = entry.name[len(STAGING_PREFIX) :].partition("-")[0]
            if not (pid.isdigit() and _alive(int(pid))):
                shutil.rmtree(entry.path, ignore_errors=True)
    # sopkit 0.1 staged beside the output folder, in folders of exactly these two names
    # (a folder of the user's that only starts like them is left alone)
    for kind in ("staging", "old"):
        for legacy in out.parent.glob(f".{glob.escape(out.name)}.sopkit-{kind}-*"):
            if legacy.is_dir() and not legacy.is_symlink():
                shutil.rmtree(legacy, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process
        return True
    return True


def _remove_dropped(out: Path, names: Iterable[str]) -> None:
    """Files an earlier render wrote that this one did not, and their folders once empty;
    never a file that a link between folders puts outside the output folder."""
    emptied: set[str] = set()
    inside = os.path.join(os.path.realpath(out), "")
    for name in names:
        target = f"{out}/{name}"
        if not is_own_name(name) or not os.path.realpath(target).startswith(inside):
            continue
        if os.path.isfile(target) and not os.path.islink(target):
            os.unlink(target)
        parent = name.rpartition("/")[0]
        while parent:
            emptied.add(parent)
            parent = parent.rpartition("/")[0]
    for folder in sorted(emptied, key=lambda f: -f.count("/")):
        with contextlib.suppress(OSError):  # not empty: somebody keeps files there
            os.rmdir(f"{out}/{folder}")


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
