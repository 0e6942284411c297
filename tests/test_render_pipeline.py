"""The render pipeline end to end: worker processes give the handbook one process gives,
failures are named and leave nothing behind, unchanged flowcharts are not laid out
again. Real files, the real `dot` (behind a recording wrapper where a test needs to
see or break its calls), the CLI as users run it."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sopkit import parallel
from sopkit.checker import Job
from sopkit.render import graphviz_run, pool
from sopkit.render.graphviz_run import LayoutFailure
from sopkit.render.layouts import SMALLEST_BATCH, LayoutQueue
from sopkit.render.worker import Settings
from tests.conftest import EXAMPLES, TODAY, RunCli
from tests.generate import generate
from tests.helpers import render_examples, tree

NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
MANY = parallel.PARALLEL_FROM + 12  # enough files for worker processes
PARALLEL_COUNT = 2 * parallel.PARALLEL_FROM + 30


@pytest.fixture
def recording_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `dot` first on PATH that logs how many graphs each call gets and fails on any
    input that contains `cursed`; otherwise it is the real `dot`."""
    real = shutil.which("dot")
    assert real is not None
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    log = tmp_path / "dot-calls.log"
    script = folder / "dot"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "-V" ]; then exec "{real}" -V; fi\n'
        'input=$(cat; echo x); input="${input%x}"\n'
        f'printf "%s\\n" "$input" | grep -c "^digraph" >> "{log}"\n'
        'case "$input" in *cursed*) echo "Error: this graph is cursed" >&2; exit 3;; esac\n'
        f'printf "%s" "$input" | exec "{real}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return log


def graphs_laid_out(log: Path) -> int:
    if not log.exists():
        return 0
    return sum(int(line) for line in log.read_text(encoding="utf-8").split())


def many_sops(workdir: Path, count: int = MANY) -> Path:
    generate(workdir / "sops", count=count, nodes=12)
    return workdir / "sops"


@NEEDS_DOT
def test_worker_processes_write_the_handbook_one_process_writes(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many_sops(workdir)
    opened: list[str] = []
    open_shards = pool.open_shards

    def spy(settings: Settings, jobs: list[Job]) -> pool.Shards:
        shards = open_shards(settings, jobs)
        opened.append(type(shards).__name__)
        return shards

    monkeypatch.setattr(pool, "open_shards", spy)
    pooled = cli("render", "sops", "-o", "pooled", "--today", TODAY, "--html")
    assert pooled.exit_code == 0, pooled.output
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**9)
    alone = cli("render", "sops", "-o", "alone", "--today", TODAY, "--html")
    assert alone.exit_code == 0, alone.output
    assert opened == ["ProcessShards", "LocalShards"]
    assert tree(workdir / "pooled") == tree(workdir / "alone")
    files = tree(workdir / "pooled")
    assert sum(name.endswith(".svg") for name in files) == MANY
    assert sum(name.startswith("site/BENCH-") for name in files) == 2 * MANY  # page, card


@NEEDS_DOT
def test_a_flowchart_dot_cannot_lay_out_is_named_and_the_others_are_drawn(
    cli: RunCli, workdir: Path, recording_dot: Path
) -> None:
    sops = many_sops(workdir)
    cursed = sops / "team3" / "sop-00013.yaml"
    cursed.write_text(
        cursed.read_text(encoding="utf-8").replace("step: ", "step: A cursed step, ", 1),
        encoding="utf-8",
    )
    result = cli("render", "sops", "-o", "out", "--today", TODAY, "--html")
    assert result.exit_code == 1, result.output
    assert "could not lay out the flowchart of BENCH-00013" in result.stderr
    out = workdir / "out"
    assert not (out / "BENCH-00013.svg").exists()
    page = (out / "BENCH-00013.md").read_text(encoding="utf-8")
    assert "BENCH-00013.svg" not in page
    site_page = (out / "site" / "BENCH-00013.html").read_text(encoding="utf-8")
    assert '<figure class="flowchart">' not in site_page
    assert "A cursed step" in site_page
    assert (out / "BENCH-00013.dot").is_file()
    assert len(list(out.glob("*.svg"))) == MANY - 1
    assert "![" in (out / "BENCH-00012.md").read_text(encoding="utf-8")


@NEEDS_DOT
def test_only_changed_flowcharts_are_laid_out_again(
    cli: RunCli, workdir: Path, recording_dot: Path
) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    first = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert first.exit_code == 0, first.output
    assert graphs_laid_out(recording_dot) == 3
    recording_dot.unlink()
    edited = next((workdir / "examples").glob("escalation*.yaml"))
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("step: ", "step: Now ", 1), encoding="utf-8")
    second = cli("render", "examples", "-o", "out", "--today", TODAY)
    assert second.exit_code == 0, second.output
    assert graphs_laid_out(recording_dot) == 1
    assert "Now" in (workdir / "out" / "CS-ESC-001.dot").read_text(encoding="utf-8")
    fresh = workdir / "fresh"
    again = cli("render", "examples", "-o", "fresh", "--today", TODAY)
    assert again.exit_code == 0
    assert {n: d for n, d in tree(fresh).items() if not n.startswith(".")} == {
        n: d for n, d in tree(workdir / "out").items() if not n.startswith(".")
    }


@NEEDS_DOT
def test_an_edited_image_in_the_handbook_is_not_taken_as_a_layout(
    cli: RunCli, workdir: Path, recording_dot: Path
) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    assert cli("render", "examples", "-o", "out", "--today", TODAY).exit_code == 0
    svg = workdir / "out" / "CS-ESC-001.svg"
    original = svg.read_bytes()
    svg.write_bytes(original.replace(b"</svg>", b"<!-- edited --></svg>"))
    recording_dot.unlink()
    again = cli("render", "examples", "-o", "out", "--today", "2026-11-24")
    assert again.exit_code == 0
    assert graphs_laid_out(recording_dot) == 1
    assert svg.read_bytes() == original


def test_a_failure_in_a_worker_is_a_clear_error_and_leaves_nothing(
    cli: RunCli, workdir: Path
) -> None:
    many_sops(workdir)
    templates = workdir / "my-templates"
    templates.mkdir()
    (templates / "sop.md.j2").write_text("# {{ page.title }\n", encoding="utf-8")
    (workdir / "sopkit.toml").write_text('templates = "my-templates"\n', encoding="utf-8")
    result = cli("render", "sops", "-o", "out", "--today", TODAY, "--flowchart", "mermaid")
    assert result.exit_code == 2, result.output
    assert re.search(r"error: .*sop\.md\.j2.*nothing was written", result.stderr)
    assert "Traceback" not in result.output
    assert not (workdir / "out").exists()
    assert not [p for p in workdir.iterdir() if "sopkit-staging" in p.name]


@NEEDS_DOT
def test_asking_for_the_site_later_builds_it(cli: RunCli, workdir: Path) -> None:
    shutil.copytree(EXAMPLES, workdir / "examples")
    assert cli("render", "examples", "-o", "out", "--today", TODAY).exit_code == 0
    with_site = cli("render", "examples", "-o", "out", "--today", TODAY, "--html")
    assert with_site.exit_code == 0
    assert "up to date" not in with_site.stderr
    assert (workdir / "out" / "site" / "index.html").is_file()


@NEEDS_DOT
def test_the_flowchart_goes_where_the_page_puts_it_not_where_a_sop_puts_an_image(
    cli: RunCli, write: Path, workdir: Path
) -> None:
    source = (EXAMPLES / "escalation.en.yaml").read_text(encoding="utf-8")
    assert "purpose: |\n" in source
    source = source.replace("purpose: |\n", "purpose: |\n  ![a picture](CS-ESC-001.svg)\n\n", 1)
    (workdir / "sops").mkdir()
    (workdir / "sops" / "escalation.yaml").write_text(source, encoding="utf-8")
    result = cli("render", "sops", "-o", "out", "--today", TODAY, "--html")
    assert result.exit_code == 0, result.output
    html = (workdir / "out" / "site" / "CS-ESC-001.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<figure class="flowchart(?: wide)?">', html)) == 1
    assert html.index('alt="a picture"') < html.index('<figure class="flowchart')
    assert 'class="sopkit-flowchart"' not in html


def test_workers_get_shares_of_about_the_same_size(tmp_path: Path) -> None:
    from datetime import date

    from sopkit.discovery import SourceFile

    sizes = [9000, 100, 100, 100, 4000, 4000, 50, 800, 800, 7000, 20, 3000]
    jobs = []
    for number, size in enumerate(sizes):
        path = tmp_path / f"sop-{number:02d}.yaml"
        path.write_bytes(b"#" * size)
        jobs.append(Job(SourceFile(str(path), str(path)), date(2026, 1, 1), (), True, True))
    jobs.append(Job(SourceFile("gone.yaml", str(tmp_path / "gone.yaml")), date(2026, 1, 1),
                    (), True, True))  # fmt: skip
    parts = pool.shares(jobs, 2)
    places = [index for part in parts for index, _ in part]
    assert sorted(places) == list(range(len(jobs)))  # every job once
    assert all(part == sorted(part, key=lambda pair: pair[0]) for part in parts)  # plan order
    loads = [sum(sizes[index] for index, _ in part if index < len(sizes)) for part in parts]
    assert abs(loads[0] - loads[1]) <= max(sizes) // 4, loads
    assert pool.shares(jobs, 2) == parts  # the same every time


@NEEDS_DOT
def test_batches_larger_than_a_pipe_holds_cross_between_the_processes(workdir: Path) -> None:
    """A batch of large graphs is more than a pipe holds. Sent to a worker that was itself
    sending its laid-out batch, each process waited for the other to read: the render
    never ended. A real process, so that a hang is a timeout, not a stuck test run."""
    count = PARALLEL_COUNT
    generate(workdir / "sops", count=count, nodes=60)
    command = [sys.executable, "-m", "sopkit", "render", "sops", "-o", "out", "--today", TODAY]
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert len(list((workdir / "out").glob("*.svg"))) == count


def test_the_layout_queue_hands_out_full_batches_that_shrink_towards_the_end() -> None:
    queue = LayoutQueue(takers=2, expected=1000)
    sizes: list[int] = []
    for number in range(1000):
        queue.add(f"key{number}", f"graph {number}")
        queue.expect(999 - number)
        while (batch := queue.take()) is not None:
            sizes.append(len(batch))
            queue.done([key for key, _ in batch], [{"svg": b"<svg/>"}] * len(batch))
    assert sum(sizes) == 1000
    assert queue.finished
    assert max(sizes) == graphviz_run.BATCH
    assert min(sizes[:-1]) >= SMALLEST_BATCH  # only the very last may be smaller
    assert sizes[-3:] == sorted(sizes[-3:], reverse=True)
    assert sizes[0] > 4 * sizes[-2]


def test_the_layout_queue_waits_for_a_full_batch_while_more_may_come() -> None:
    queue = LayoutQueue(takers=2, expected=100)
    for number in range(10):
        queue.add(f"key{number}", "digraph {}")
    queue.add("key0", "digraph {}")  # one layout per key
    queue.expect(90)
    assert queue.take() is None  # 10 wait, batches of 25 are due
    queue.expect(0)
    first, rest = queue.take(), queue.take()
    assert first is not None
    assert rest is not None
    assert (len(first), len(rest)) == (SMALLEST_BATCH, 10 - SMALLEST_BATCH)
    assert queue.take() is None
    queue.done([key for key, _ in first], [LayoutFailure("no")] * len(first))
    assert not queue.finished  # a batch is out
    queue.done([key for key, _ in rest], [LayoutFailure("no")] * len(rest))
    assert queue.finished
    assert queue.results["key3"] == LayoutFailure("no")


@NEEDS_DOT
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two worker processes")
def test_the_layout_queue_really_spreads_batches_over_the_workers(tmp_path: Path) -> None:
    """Outputs would be right with every batch on one worker, only slower: this counts
    which worker laid out what."""
    from datetime import date

    from sopkit.discovery import discover
    from sopkit.render.charts import Graphviz
    from sopkit.render.chartstyle import ChartStyle

    generate(tmp_path / "sops", count=PARALLEL_COUNT, nodes=30)
    executable, version = graphviz_run.dot_executable(), graphviz_run.dot_version()
    assert executable is not None
    assert version is not None
    settings = Settings(ChartStyle(), "graphviz", False, None,
                        Graphviz(executable, version, ("svg",)))  # fmt: skip
    jobs = [Job(source, date(2026, 11, 23), (), True, True)
            for source in discover([str(tmp_path / "sops")])]  # fmt: skip
    shards = pool.ProcessShards(settings, jobs, 2)
    try:
        assert len(list(shards.analysed())) == len(jobs)
        images = shards.laid_out(lambda count: None)
        assert len(images) == len(jobs)  # every SOP's chart differs
        counts = [worker.laid_out for worker in shards.workers]
        assert sum(counts) == len(jobs)
        assert min(counts) >= len(jobs) // 4, counts  # both workers ran `dot`, neither idle
    finally:
        shards.close()


def test_a_render_reads_each_source_once(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key of the inputs and the check share one read of every SOP."""
    from collections import Counter

    from sopkit import reading, sources
    from sopkit.render import handbook

    render_examples(cli, workdir, "out", "--flowchart", "mermaid")
    reads: Counter[str] = Counter()
    real = sources.read_source

    def counted(path: str) -> bytes | sources.Unreadable:
        reads[Path(path).name] += 1
        return real(path)

    for module in (reading, handbook):
        monkeypatch.setattr(module, "read_source", counted)
    for today in (TODAY, "2027-06-01"):  # up to date, then a render with work to do
        reads.clear()
        result = cli("render", "examples", "-o", "out", "--today", today, "--flowchart", "mermaid")
        assert result.exit_code == 0, result.output
        sops = {name: count for name, count in reads.items() if name.endswith(".yaml")}
        assert sops == {path.name: 1 for path in EXAMPLES.glob("*.yaml")}, today
