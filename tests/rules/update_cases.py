"""Rewrite the messages pinned in tests/rules/cases after an intended change of wording.

    .venv/bin/python -m tests.rules.update_cases

Every expected place must still be found (a moved or lost problem stops it); only the
words after the place are taken from what sopkit reports now. Comments and layout of
the case files are kept. Review the diff like code.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

from tests.rules.test_rule_cases import CASES, _load, run_case


def main() -> int:
    yaml = YAML()
    yaml.width = 4096
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    for path in sorted(CASES.glob("*.yaml")):
        document = yaml.load(path.read_text(encoding="utf-8"))
        plain = _load(path)
        for case, plain_case in zip(document["cases"], plain["cases"], strict=True):
            with tempfile.TemporaryDirectory() as folder:
                found = run_case(plain, plain_case, Path(folder))
            places = sorted(problem.split(": ", 1)[0] for problem in found)
            wanted = sorted(str(expected).split(": ", 1)[0] for expected in case["expect"])
            if places != wanted:
                sys.stderr.write(f"{path.name}: {case['name']}: found {places}, not {wanted}\n")
                return 1
            case["expect"].clear()
            case["expect"].extend(found)
        with path.open("w", encoding="utf-8") as handle:
            yaml.dump(document, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
