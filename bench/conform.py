"""Time `sopkit conform`: on the help desk log against pm4py's token-based replay of the
same log on the same model, and on a generated log of 1,000,000 events.

    .venv/bin/python bench/conform.py [--events 1000000] [--repeat 3] [--log FILE]

- help desk: `--log` (default: ../shared/logs/helpdesk.csv, else the test subset)
  against sops/helpdesk/tickets.en.yaml with tests/conform/helpdesk.map.yaml. Both
  tools are timed from the CSV file to the fitting cases, in this process, after
  their imports (pm4py: pandas reading, its event log, token-based replay on the
  Petri net of tests/test_conform_pm4py.py); and `sopkit conform` as a whole process.
  Goal: sopkit 10x faster.
- generated: --events events over --events/10 cases, walks of the same SOP with
  random answers, 2% of them broken; `sopkit conform` as a whole process, its wall
  time and peak memory (getrusage of the child). Goal: under 10 s and 500 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from sopkit.conform.logs import Columns, read_logs  # noqa: E402
from sopkit.conform.mapping import read_map, resolve  # noqa: E402
from sopkit.conform.measure import measure  # noqa: E402
from sopkit.lookup import load_sop  # noqa: E402

SOPKIT = str(Path(sys.executable).parent / "sopkit")
SOP = ROOT / "sops" / "helpdesk" / "tickets.en.yaml"
MAP = ROOT / "tests" / "conform" / "helpdesk.map.yaml"
SHARED_LOG = ROOT.parent / "shared" / "logs" / "helpdesk.csv"
TEST_LOG = ROOT / "tests" / "conform" / "helpdesk-1000.csv"


def sopkit_in_process(log: Path) -> tuple[float, int]:
    started = time.perf_counter()
    sop = load_sop(str(SOP))
    events = read_logs([str(log)], Columns(), UTC)
    report = measure(sop, events, resolve(sop, events.activities, read_map(str(MAP))))
    return time.perf_counter() - started, report.fitting


def _pm4py_frame(log: Path) -> Any:
    """The help desk CSV as pm4py's event data frame."""
    import pandas as pd

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    frame = pd.read_csv(log)[["Case ID", "Activity", "Complete Timestamp"]]
    frame["Complete Timestamp"] = pd.to_datetime(
        frame["Complete Timestamp"], format="%Y/%m/%d %H:%M:%S.%f", utc=True
    )
    return pm4py.format_dataframe(
        frame, case_id="Case ID", activity_key="Activity", timestamp_key="Complete Timestamp"
    )


def pm4py_in_process(log: Path) -> tuple[float, int]:

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    sys.path.insert(0, str(ROOT / "tests"))
    from tests.test_conform_pm4py import _petri_net

    started = time.perf_counter()
    net, initial, final = _petri_net()
    frame = _pm4py_frame(log)
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        replayed = pm4py.conformance_diagnostics_token_based_replay(
            frame, net, initial, final, return_diagnostics_dataframe=False
        )
    return time.perf_counter() - started, sum(1 for r in replayed if r["trace_is_fit"])


def check_only(log: Path, repeat: int) -> tuple[float, float]:
    """Both tools given the log already read: sopkit's measuring against pm4py's token-based
    replay on its event log object (its fastest input). Medians of `repeat`."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import pm4py
    sys.path.insert(0, str(ROOT / "tests"))

    from tests.test_conform_pm4py import _petri_net

    sop = load_sop(str(SOP))
    events = read_logs([str(log)], Columns(), UTC)
    resolved = resolve(sop, events.activities, read_map(str(MAP)))
    ours = []
    for _ in range(repeat):
        started = time.perf_counter()
        measure(sop, events, resolved)
        ours.append(time.perf_counter() - started)
    net, initial, final = _petri_net()
    frame = _pm4py_frame(log)
    theirs = []
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        event_log = pm4py.convert_to_event_log(frame)
        for _ in range(repeat):
            started = time.perf_counter()
            pm4py.conformance_diagnostics_token_based_replay(event_log, net, initial, final)
            theirs.append(time.perf_counter() - started)
    return statistics.median(ours), statistics.median(theirs)


def pm4py_process(log: Path) -> float:
    """pm4py as a user runs it: a Python process that imports it, reads the log and replays."""
    script = (
        "import sys, contextlib, io; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path;"
        "from bench.conform import pm4py_in_process;"
        "pm4py_in_process(Path(sys.argv[1]))"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, str(log), str(ROOT)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def whole_process(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and the child's peak memory in MB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([SOPKIT, *arguments], check=True, stdout=subprocess.DEVNULL)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(peak, before) / 1024


def generate(path: Path, events: int, seed: int = 7) -> int:
    """Cases walked through the SOP with random answers, written shuffled a little."""
    sop = load_sop(str(SOP))
    activity = {node: name for name, node in read_map(str(MAP)).activities.items()}
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    written = cases = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Case ID", "Activity", "Resource", "Complete Timestamp"])
        while written < events:
            cases += 1
            moment = start + timedelta(minutes=rng.randrange(500_000))
            node = sop.flow.start
            rows: list[list[str]] = []
            while node is not None and len(rows) < 40:
                name = activity.get(sop.nodes[node].id)
                if name is not None:
                    moment += timedelta(minutes=rng.randrange(1, 3000))
                    rows.append([f"Case {cases}", name, f"Value {rng.randrange(30)}",
                                 moment.strftime("%Y/%m/%d %H:%M:%S.000")])  # fmt: skip
                ways = [e.target for e in sop.flow.edges[node] if e.target is not None]
                node = rng.choice(ways) if ways else None
            if rng.random() < 0.02 and len(rows) > 2:
                del rows[rng.randrange(len(rows))]
            writer.writerows(rows)
            written += len(rows)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--log", type=Path, default=SHARED_LOG if SHARED_LOG.is_file() else TEST_LOG
    )
    args = parser.parse_args()

    ours = [sopkit_in_process(args.log) for _ in range(args.repeat)]
    theirs = [pm4py_in_process(args.log) for _ in range(args.repeat)]
    process = [whole_process(["conform", str(SOP), str(args.log), "--map", str(MAP),
                              "--format", "json"]) for _ in range(args.repeat)]  # fmt: skip
    our_time = statistics.median(t for t, _ in ours)
    their_time = statistics.median(t for t, _ in theirs)
    print(
        f"help desk log {args.log.name}: fitting cases, sopkit {ours[0][1]}, pm4py {theirs[0][1]}"
    )
    print(f"  sopkit, file to report, in process:   {our_time * 1000:7.1f} ms")
    print(f"  pm4py token-based replay, in process: {their_time * 1000:7.1f} ms")
    print(f"  pm4py / sopkit:                       {their_time / our_time:7.1f}x  (goal: 10x)")
    measured, replayed = check_only(args.log, max(args.repeat, 5))
    print(f"  check only, the log already read: sopkit {measured * 1000:.1f} ms, pm4py "
          f"token-based replay {replayed * 1000:.1f} ms ({replayed / measured:.1f}x)")  # fmt: skip
    whole = statistics.median(t for t, _ in process)
    theirs_whole = statistics.median(pm4py_process(args.log) for _ in range(args.repeat))
    print(f"  sopkit conform, whole process:        {whole * 1000:7.1f} ms")
    print(f"  pm4py, whole process (imports too):   {theirs_whole * 1000:7.1f} ms"
          f"  ({theirs_whole / whole:.1f}x)")  # fmt: skip

    with tempfile.TemporaryDirectory() as scratch:
        big = Path(scratch) / "generated.csv"
        cases = generate(big, args.events)
        runs = [whole_process(["conform", str(SOP), str(big), "--map", str(MAP),
                               "--format", "json", "-o", str(Path(scratch) / "out.json")])
                for _ in range(args.repeat)]  # fmt: skip
        size = big.stat().st_size / 1e6
    print(f"generated log: {args.events} events, {cases} cases, {size:.0f} MB")
    print(f"  sopkit conform, whole process: {statistics.median(t for t, _ in runs):.2f} s "
          f"(goal: 10 s), peak memory {max(m for _, m in runs):.0f} MB (goal: 500 MB)")  # fmt: skip


if __name__ == "__main__":
    main()
