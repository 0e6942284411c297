"""Time BPMN interchange: the import of the 13 MIWG reference models, and the export of
COUNT generated SOPs against the `dot` floor measured in the same run.

    .venv/bin/python bench/bpmn.py [--count 1000] [--repeat 3]

Import: `sopkit import bpmn tests/bpmn/reference/*.bpmn` as a whole process (goal:
under 1 s). Export: `sopkit export bpmn CORPUS -o DIR` as a whole process, against
two batched `dot` processes laying out the handbook's flowcharts of the same SOPs
(goal: within 1.5x of that floor). Medians of --repeat runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.run import corpus_arguments, dot_floor, generated, median_seconds  # noqa: E402

SOPKIT = str(Path(sys.executable).parent / "sopkit")


def main() -> None:
    args = corpus_arguments(__doc__.splitlines()[0]).parse_args()
    corpus = generated(args.out, args.count)
    env = {**os.environ, "NO_COLOR": "1"}
    models = sorted(str(p) for p in (ROOT / "tests" / "bpmn" / "reference").glob("*.bpmn"))
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        imports = []
        for round_number in range(args.repeat):
            folder = work / f"import-{round_number}"
            folder.mkdir()
            imports.append(median_seconds([SOPKIT, "import", "bpmn", *models, "-o", str(folder)],
                                          1, env))  # fmt: skip
        handbook = work / "handbook"
        subprocess.run([SOPKIT, "render", str(corpus), "-o", str(handbook), "-q"], env=env,
                       check=True, capture_output=True)  # fmt: skip
        dots = sorted(handbook.glob("*.dot"))
        exports, floors = [], []
        for round_number in range(args.repeat):
            target = work / f"export-{round_number}"
            exports.append(median_seconds([SOPKIT, "export", "bpmn", str(corpus), "-o",
                                           str(target)], 1, env))  # fmt: skip
            floors.append(dot_floor(dots, work / f"floor-{round_number}"))
            shutil.rmtree(work / f"floor-{round_number}")
    print(f"import of the {len(models)} reference models: {statistics.median(imports):.3f} s "
          "(goal < 1 s)")  # fmt: skip
    ratios = sorted(e / f for e, f in zip(exports, floors, strict=True))
    print(f"export of {args.count} SOPs: {statistics.median(exports):.3f} s; dot floor "
          f"{statistics.median(floors):.3f} s; export / floor {statistics.median(ratios):.2f}x "
          f"(goal <= 1.5x; {ratios[0]:.2f} to {ratios[-1]:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
