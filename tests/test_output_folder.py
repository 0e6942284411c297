"""The output folder is the user's: links, their files, owners and modes survive a render;
a stopped render leaves nothing behind; `render` and `render --check` agree.

Real renders through the CLI, real processes where signals are involved.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import Result

from sopkit.parallel import PARALLEL_FROM
from sopkit.render.output import MANIFEST, STAGING_PREFIX
from tests.conftest import TODAY, RunCli, python_env
from tests.generate import generate
from tests.helpers import NEEDS_DOT, render_examples, tree

AS_ROOT = os.geteuid() == 0


@NEEDS_DOT
def test_a_linked_output_folder_is_rendered_into_its_target(cli: RunCli, workdir: Path) -> None:
    target = workdir / "srv" / "www" / "hb"
    target.mkdir(parents=True)
    (workdir / "handbook").symlink_to(target, target_is_directory=True)
    out = render_examples(cli, workdir, "handbook")
    assert out.is_symlink()
    assert (target / "CS-ESC-001.md").is_file()
    assert (target / MANIFEST).is_file()
    again = cli("render", "examples", "-o", "handbook", "--today", TODAY)
    assert again.exit_code == 0
    assert "up to date" in again.stderr
    assert out.is_symlink()


@NEEDS_DOT
def test_the_users_files_in_the_output_folder_are_kept_exactly(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    git = out / ".git"
    (git / "refs").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/gh-pages\n", encoding="utf-8")
    (out / "empty").mkdir()
    (out / "CNAME").write_text("handbook.example.com\n", encoding="utf-8")
    (out / "latest").symlink_to("CS-ESC-001.md")
    (out / "dangling").symlink_to("no-such-file")
    os.mkfifo(out / "pipe")
    outside = workdir / "shared.txt"
    outside.write_text("shared", encoding="utf-8")
    os.link(outside, out / "hard.txt")
    os.chmod(out / "CNAME", 0o600)
    if AS_ROOT:
        os.chown(out / "CNAME", 12345, 23456)
    keep = ["CNAME", "hard.txt", ".git/HEAD", ".git", "empty", "latest", "dangling", "pipe"]
    before = {name: os.lstat(out / name) for name in keep}
    source = workdir / "examples" / "klic.sl.yaml"
    source.write_text(source.read_text("utf-8").replace("Klic je zaključen", "Konec"), "utf-8")
    result = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr
    for name in keep:
        after = os.lstat(out / name)
        assert (after.st_ino, after.st_mode, after.st_uid, after.st_gid, after.st_nlink) == (
            before[name].st_ino, before[name].st_mode, before[name].st_uid,
            before[name].st_gid, before[name].st_nlink,
        ), name  # fmt: skip
    assert os.readlink(out / "latest") == "CS-ESC-001.md"
    assert os.readlink(out / "dangling") == "no-such-file"
    assert "Konec" in (out / "CS-CALL-003.md").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_manifest_never_reaches_outside_the_output_folder(cli: RunCli, workdir: Path) -> None:
    """The manifest is read from disk, where a commit can change it. Files it lists that
    this render does not write are removed, but only inside the output folder: `../x`
    once deleted a file beside it, and a link to another folder would have led there."""
    import json

    out = render_examples(cli, workdir)
    outside = workdir / "outside"
    outside.mkdir()
    victims = [workdir / "notes.txt", outside / "keep.md"]
    for victim in victims:
        victim.write_text("precious", encoding="utf-8")
    (out / "linked").symlink_to(outside)
    document = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    for name in ("../notes.txt", str(workdir / "notes.txt"), "a/../../notes.txt",
                 "linked/keep.md", "./../notes.txt"):  # fmt: skip
        document["files"][name] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(document), encoding="utf-8")
    result = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert [victim.read_text(encoding="utf-8") for victim in victims] == ["precious"] * 2
    assert "../notes.txt" not in (out / MANIFEST).read_text(encoding="utf-8")


@NEEDS_DOT
def test_the_output_folder_itself_is_never_replaced(cli: RunCli, workdir: Path) -> None:
    """A mount point (a Docker volume) cannot be renamed: its contents are swapped."""
    out = render_examples(cli, workdir)
    inode = out.stat().st_ino
    source = workdir / "examples" / "klic.sl.yaml"
    source.write_text(source.read_text("utf-8").replace("Klic je zaključen", "Konec"), "utf-8")
    assert cli("render", "examples", "-o", "out", "--today", TODAY).exit_code == 0
    assert out.stat().st_ino == inode


@NEEDS_DOT
def test_folders_and_files_get_modes_from_the_umask(cli: RunCli, workdir: Path) -> None:
    previous = os.umask(0o022)
    try:
        out = render_examples(cli, workdir, "out", "--html")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "site").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "roles").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "CS-ESC-001.svg").stat().st_mode) == 0o644
    assert stat.S_IMODE((out / "site" / "index.html").stat().st_mode) == 0o644


@NEEDS_DOT
def test_a_dropped_sop_takes_its_files_and_only_its_files(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    (out / "roles" / "mine.md").write_text("my notes", encoding="utf-8")
    (workdir / "examples" / "klic.sl.yaml").unlink()
    assert cli("render", "examples", "-o", "out", "--today", TODAY).exit_code == 0
    assert not (out / "CS-CALL-003.md").exists()
    assert not (out / "CS-CALL-003.svg").exists()
    assert (out / "roles" / "mine.md").read_text(encoding="utf-8") == "my notes"


@NEEDS_DOT
def test_stale_staging_folders_of_killed_renders_are_cleaned_up(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    dead = out / f"{STAGING_PREFIX}999999999-x1y2"
    (dead / "roles").mkdir(parents=True)
    (dead / "CS-ESC-001.md").write_text("half", encoding="utf-8")
    legacy = workdir / ".out.sopkit-staging-abc"
    legacy.mkdir()
    users = workdir / ".out.sopkit-notes"  # beside the handbook, only named like sopkit's
    users.mkdir()
    source = workdir / "examples" / "klic.sl.yaml"
    source.write_text(source.read_text("utf-8").replace("Klic je zaključen", "Konec"), "utf-8")
    assert cli("render", "examples", "-o", "out", "--today", TODAY).exit_code == 0
    assert not dead.exists()
    assert not legacy.exists()
    assert users.is_dir()


# -- render and render --check agree --------------------------------------------------


@NEEDS_DOT
def test_a_hand_edited_page_is_stale_for_both_render_and_check(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir)
    page = out / "CS-ESC-001.md"
    original = page.read_bytes()
    page.write_bytes(original + b"\nedited by hand\n")
    check = cli("render", "examples", "-o", "out", "--check", "--today", TODAY)
    assert check.exit_code == 1
    assert "CS-ESC-001.md" in check.stderr
    again = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert again.exit_code == 0
    assert "up to date" not in again.stderr
    assert page.read_bytes() == original
    assert cli("render", "examples", "-o", "out", "--check", "--today", TODAY).exit_code == 0


@NEEDS_DOT
def test_check_after_an_html_render_checks_the_site_too(cli: RunCli, workdir: Path) -> None:
    out = render_examples(cli, workdir, "out", "--html")
    fresh = cli("render", "examples", "-o", "out", "--check", "--today", TODAY)
    assert fresh.exit_code == 0, fresh.stderr
    (out / "site" / "index.html").write_text("<p>edited</p>", encoding="utf-8")
    stale = cli("render", "examples", "-o", "out", "--check", "--today", TODAY)
    assert stale.exit_code == 1
    assert stale.stderr.splitlines()[1:] == ["  site/index.html"]


def test_a_render_without_dot_stays_incomplete(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(workdir / "no-graphviz-here"))
    for attempt in (1, 2):
        result = render_examples_raw(cli, workdir)
        assert result.exit_code == 1, attempt
        assert "up to date" not in result.stderr
        assert "apt-get install graphviz" in result.stderr


def render_examples_raw(cli: RunCli, workdir: Path) -> Result:
    from tests.conftest import EXAMPLES

    shutil.copytree(EXAMPLES, workdir / "examples", dirs_exist_ok=True)
    return cli("render", "examples", "-o", "out", "--today", TODAY)


# -- stopped renders ------------------------------------------------------------------


def _children_of(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_a_long_render(workdir: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    generate(workdir / "sops", count=2 * PARALLEL_FROM + 100, nodes=40)
    command = [sys.executable, "-m", "sopkit", "render", "sops", "-o", "out", "--today", TODAY,
               "--flowchart", "mermaid"]  # fmt: skip
    process = subprocess.Popen(command, cwd=workdir, env=python_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        workers = _children_of(process.pid)
        staging = list((workdir / "out").glob(f"{STAGING_PREFIX}*")) if workers else []
        if len(workers) >= 2 and staging:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the render ended before it could be stopped"
    assert len(workers) >= 2
    return process, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs worker processes")
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_stopped_render_leaves_no_workers_and_no_staging(
    how: signal.Signals, workdir: Path
) -> None:
    process, workers = _start_a_long_render(workdir)
    process.send_signal(how)
    process.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "orphaned workers"
    if how == signal.SIGTERM:
        assert process.returncode == 128 + signal.SIGTERM
        # the render made the output folder: its staging folder and the folder are gone
        assert not (workdir / "out").exists()
    else:  # nothing can clean up after SIGKILL: the next render does
        done = subprocess.run(
            [sys.executable, "-m", "sopkit", "render", "sops", "-o", "out", "--today", TODAY,
             "--flowchart", "mermaid"],
            cwd=workdir, env=python_env(), capture_output=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not list((workdir / "out").glob(f"{STAGING_PREFIX}*"))
        assert tree(workdir / "out")


def _mount_tmpfs(folder: Path) -> bool:
    if not AS_ROOT or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "sopkit-test", str(folder)],
                          capture_output=True, check=False)  # fmt: skip
    return done.returncode == 0


@NEEDS_DOT
def test_an_output_folder_that_is_a_mount_point_works(cli: RunCli, workdir: Path) -> None:
    """A Docker volume: the folder cannot be renamed, so its contents are swapped."""
    out = workdir / "out"
    out.mkdir()
    if not _mount_tmpfs(out):
        pytest.skip("this machine lets no test mount a file system (needs root)")
    try:
        render_examples(cli, workdir)
        source = workdir / "examples" / "klic.sl.yaml"
        source.write_text(source.read_text("utf-8").replace("Klic je zaključen", "Konec"), "utf-8")
        again = cli("render", "examples", "-o", "out", "--today", TODAY)
        assert again.exit_code == 0, again.output
        assert "Konec" in (out / "CS-CALL-003.md").read_text(encoding="utf-8")
        assert os.path.ismount(out)
    finally:
        subprocess.run(["umount", str(out)], check=False)
