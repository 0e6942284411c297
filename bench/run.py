"""Time `sopkit check` against its floor and a JSON-Schema validator, in one run.

    .venv/bin/python bench/run.py [--count 1000] [--repeat 3]

Measures, on a generated repository of COUNT SOPs of about 50 nodes:
  floor        composing every file with ruamel.yaml's C path in one process
  sopkit       `sopkit check` on the whole repository (a real process)
  jsonschema   check-jsonschema with sopkit's JSON Schema (if installed)
and for the pre-commit case, one file:
  import       `python -c "import ruamel.yaml"` as a whole process
  single       `sopkit check ONE_FILE` as a whole process
With --render, also, in --repeat interleaved rounds (the ratio is the median of
the rounds' ratios, since this VM's speed drifts by a third from minute to minute):
  dot floor    the real `dot` laying out the same graphs as two batched processes
  cold         `sopkit render` into a new folder
  warm         `sopkit render` again, nothing changed (alternating with `check`)
  html         the same two with --html; the HTML step is the difference
Each other figure is the median wall time of --repeat runs (single-file: 21 runs).
Bytecode is compiled first, as it is for any installed package.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
FLOOR = """
import sys
from pathlib import Path
from ruamel.yaml import YAML
yaml = YAML(typ="safe", pure=False)
for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    yaml.compose(path.read_text(encoding="utf-8"))
"""


def corpus_arguments(description: str) -> argparse.ArgumentParser:
    """The options every benchmark on a generated repository shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    return parser


def generated(out: Path, count: int) -> Path:
    """The repository of `count` generated SOPs in `out`, made the first time it is asked for."""
    corpus = out / f"sops-{count}"
    if not corpus.is_dir():
        generate(corpus, count)
    return corpus


def median_seconds(command: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       check=False)  # fmt: skip
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = corpus_arguments(__doc__.splitlines()[1])
    parser.add_argument("--render", action="store_true", help="time sopkit render too")
    args = parser.parse_args()

    corpus = generated(args.out, args.count)
    size = sum(p.stat().st_size for p in corpus.rglob("*.yaml"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "sopkit")], check=True)

    sopkit = str(BIN / "sopkit")
    one_file = str(next(iter(sorted(corpus.rglob("*.yaml")))))
    rows: list[tuple[str, float]] = []
    floor = median_seconds([sys.executable, "-c", FLOOR, str(corpus)], args.repeat, env)
    rows.append(("floor: compose with the C parser, one process", floor))
    check = median_seconds([sopkit, "check", "-q", str(corpus)], args.repeat, env)
    rows.append(("sopkit check", check))
    validator = shutil.which("check-jsonschema", path=str(BIN))
    schema = ROOT / "sopkit" / "data" / "sopkit-1.schema.json"
    files = [str(p) for p in sorted(corpus.rglob("*.yaml"))]
    jsonschema = None
    if validator:
        jsonschema = median_seconds([validator, "--schemafile", str(schema), *files], 1, env)
        rows.append(("check-jsonschema with sopkit's schema", jsonschema))
    imports = median_seconds([sys.executable, "-c", "import ruamel.yaml"], 21, env)
    single = median_seconds([sopkit, "check", one_file], 21, env)
    rows.append(("python -c 'import ruamel.yaml'", imports))
    rows.append(("sopkit check ONE_FILE", single))

    print(f"{args.count} SOPs, {size / 1e6:.1f} MB; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")  # fmt: skip
    for label, seconds in rows:
        print(f"  {label:<45} {seconds:7.3f} s")
    print(f"  sopkit / floor              {check / floor:5.2f}x   (goal <= 1.0x)")
    if jsonschema:
        print(f"  check-jsonschema / sopkit   {jsonschema / check:5.2f}x   (goal >= 5x)")
    print(f"  single file / import        {single / imports:5.2f}x   (goal <= 3x)")
    if args.render:
        render_figures(corpus, args.out, args.repeat, env)


def render_figures(corpus: Path, out: Path, repeat: int, env: dict[str, str]) -> None:
    """Cold renders and the dot floor, interleaved round by round on a noisy machine.

    Every timed run writes into a folder of its own and nothing is deleted until all
    runs are done: on a filesystem without a journal, ext4 skips the inodes freed in
    the last minutes one by one, so creating files right after deleting thousands
    (the previous handbook) costs up to a millisecond a file, which no cold render in
    a fresh clone pays.
    """
    runs = out / f"render-runs-{os.getpid()}"
    runs.mkdir(parents=True)
    sopkit = str(BIN / "sopkit")

    def command(folder: Path, *extra: str) -> list[str]:
        return [sopkit, "render", str(corpus), "-o", str(folder), "--today", "2026-11-24", *extra]

    try:
        first = runs / "first"
        median_seconds(command(first), 1, env)  # the graphs the floor lays out
        dots = sorted(first.glob("*.dot"))
        colds, floors, html_colds = [], [], []
        for round_number in range(repeat):
            colds.append(median_seconds(command(runs / f"cold-{round_number}"), 1, env))
            floors.append(dot_floor(dots, runs / f"floor-{round_number}"))
            html = command(runs / f"html-{round_number}", "--html")
            html_colds.append(median_seconds(html, 1, env))
        # Warm renders alternate with `check`, as cold renders do with the floor: the
        # `check` timed at the start is minutes away on a machine whose speed drifts.
        warms, checks = [], []
        check_command = [sopkit, "check", "-q", str(corpus)]
        for _ in range(repeat):
            warms.append(median_seconds(command(runs / "cold-0"), 1, env))
            checks.append(median_seconds(check_command, 1, env))
        warm = statistics.median(warms)
        warm_ratio = statistics.median(w / c for w, c in zip(warms, checks, strict=True))
        warm_html = median_seconds(command(runs / "html-0", "--html"), repeat, env)
    finally:
        shutil.rmtree(runs, ignore_errors=True)
    ratios = sorted(c / f for c, f in zip(colds, floors, strict=True))
    html_ratios = sorted(h / f for h, f in zip(html_colds, floors, strict=True))
    cold, floor = statistics.median(colds), statistics.median(floors)
    cold_html = statistics.median(html_colds)
    print(f"  {'dot floor: two batched dot processes':<45} {floor:7.3f} s")
    print(f"  {'sopkit render, cold':<45} {cold:7.3f} s")
    print(f"  {'sopkit render, warm (nothing changed)':<45} {warm:7.3f} s")
    print(f"  {'sopkit render --html, cold':<45} {cold_html:7.3f} s")
    print(f"  {'sopkit render --html, warm':<45} {warm_html:7.3f} s")
    rounds = "  ".join(f"{c:.2f}/{f:.2f}" for c, f in zip(colds, floors, strict=True))
    print(f"  rounds, cold/floor (s)      {rounds}")
    print(f"  cold render / dot floor     {statistics.median(ratios):5.2f}x   (goal <= 1.5x; "
          f"{ratios[0]:.2f} to {ratios[-1]:.2f})")  # fmt: skip
    print(f"  warm render / check         {warm_ratio:5.2f}x   (goal <= 1.2x; rounds alternated)")
    print(f"  cold render --html / floor  {statistics.median(html_ratios):5.2f}x   (goal <= 1.5x; "
          f"{html_ratios[0]:.2f} to {html_ratios[-1]:.2f})")  # fmt: skip
    print(f"  HTML step (cold --html - cold) {cold_html - cold:6.2f} s")


def dot_floor(dots: list[Path], folder: Path) -> float:
    """The real `dot` laying out the graphs as two batched processes of half each."""
    folder.mkdir()
    for dot_file in dots:
        shutil.copy(dot_file, folder)
    names = [p.name for p in dots]
    half = len(names) // 2
    start = time.perf_counter()
    batches = [
        subprocess.Popen(["dot", "-Tsvg", "-O", *part], cwd=folder)
        for part in (names[:half], names[half:])
    ]
    for process in batches:
        process.wait()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
