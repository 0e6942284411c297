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

from sopkit import __version__
from sopkit.errors import RenderError, SopkitError

MANIFEST = ".sopkit-manifest.json"
CACHE = ".sopkit-cache"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(out: Path) -> dict[str, object]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_manifest(out: Path) -> dict[str, str] | None:
    files = _manifest(out).get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else None


def is_current(out: Path, key: str) -> bool:
    """True when the handbook in `out` was built from exactly these inputs and is all there."""
    if _manifest(out).get("inputs") != key:
        return False
    files = read_manifest(out) or {}
    return all((out / name).is_file() for name in files)


def check_target(out: Path, sources: Iterable[Path]) -> None:
    """Refuse an output folder that would destroy the user's files."""
    resolved = out.resolve()
    for source in sources:
        if resolved == source.resolve() or resolved in source.resolve().parents:
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


def manifest_bytes(files: Mapping[str, bytes], key: str = "") -> bytes:
    document = {
        "generator": f"sopkit {__version__}",
        "inputs": key,
        "files": {name: digest(data) for name, data in sorted(files.items())},
    }
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode()


def stale(out: Path, files: Mapping[str, bytes]) -> list[str]:
    """Files that differ from what would be written, are missing, or should be gone."""
    previous = read_manifest(out) or {}
    changed = []
    for name, data in sorted(files.items()):
        target = out / name
        if not target.is_file() or target.read_bytes() != data:
            changed.append(name)
    changed.extend(sorted(name for name in previous if name not in files))
    return changed


def publish(
    out: Path, files: Mapping[str, bytes], cache: Mapping[str, bytes], key: str = ""
) -> None:
    """Write `files` into a staging folder and swap it in place of `out`."""
    out = out.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.sopkit-staging-", dir=out.parent))
    try:
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for name, data in cache.items():
            target = staging / CACHE / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MANIFEST).write_bytes(manifest_bytes(files, key))
        _carry_over_foreign_files(out, staging)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _carry_over_foreign_files(out: Path, staging: Path) -> None:
    ours = set(read_manifest(out) or {}) | {MANIFEST}
    if not out.is_dir():
        return
    for path in out.rglob("*"):
        name = path.relative_to(out).as_posix()
        if path.is_dir() or name in ours or name.startswith(CACHE + "/"):
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


def read_cache(out: Path) -> dict[str, bytes]:
    folder = out / CACHE
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
