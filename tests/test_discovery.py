"""Paths -> SOP files: sorted, without repeats, links resolved to the file they name."""

from __future__ import annotations

import os
from pathlib import Path

from sopkit.discovery import discover


def test_a_linked_file_is_found_once_under_its_real_path(tmp_path: Path) -> None:
    real_folder = tmp_path / "real"
    (real_folder / "team").mkdir(parents=True)
    sop = real_folder / "team" / "a.yaml"
    sop.write_text("id: A\n", encoding="utf-8")
    (real_folder / "team" / "b.yml").write_text("id: B\n", encoding="utf-8")
    (real_folder / "team" / ".hidden.yaml").write_text("id: H\n", encoding="utf-8")
    os.symlink(sop, real_folder / "link-to-a.yaml")
    os.symlink(real_folder, tmp_path / "alias")  # the folder under another name

    found = discover([str(tmp_path / "alias"), str(real_folder)])

    assert sorted(f.real for f in found) == [
        str((real_folder / "team" / "a.yaml").resolve()),
        str((real_folder / "team" / "b.yml").resolve()),
    ]
    assert all(Path(f.display).exists() for f in found)
