"""Generate a synthetic SOP repository for tests and benchmarks: N valid SOPs of about
50 nodes.

Deterministic for a given seed. Every third SOP is Greek, every third
Slovenian; SOPs call the next one through `sop:` (never in a circle), and
every SOP is clean under `sopkit check --strict` so the benchmark measures
the normal case.

    python -m tests.generate OUT_DIR --count 1000 [--nodes 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TEXTS = {
    "en": (
        "Check the customer's account and the ticket history",
        "Send the customer a short written summary",
        "Ask the shift lead to confirm the refund",
        "Write down what the customer tried already",
        "Call the customer back at the agreed time",
    ),
    "el": (
        "Ελέγξτε τον λογαριασμό και το ιστορικό του πελάτη",
        "Στείλτε στον πελάτη σύντομη γραπτή περίληψη",
        "Ζητήστε από τον υπεύθυνο βάρδιας να εγκρίνει την επιστροφή",
        "Καταγράψτε τι έχει ήδη δοκιμάσει ο πελάτης",
        "Καλέστε τον πελάτη την ώρα που συμφωνήθηκε",
    ),
    "sl": (
        "Preverite račun stranke in zgodovino zahtevkov",
        "Stranki pošljite kratek pisni povzetek",
        "Vodjo izmene prosite, naj potrdi vračilo",
        "Zapišite, kaj je stranka že poskusila",
        "Stranko pokličite ob dogovorjenem času",
    ),
}
QUESTIONS = {
    "en": "Is the problem solved for the customer?",
    "el": "Λύθηκε το πρόβλημα του πελάτη;",
    "sl": "Ali je težava stranke rešena?",
}
ANSWERS = {"en": ("Yes", "No"), "el": ("Ναι", "Όχι"), "sl": ("Da", "Ne")}


def sop_yaml(number: int, count: int, nodes: int, rng: random.Random) -> str:
    language = ("en", "el", "sl")[number % 3]
    yes, no = ANSWERS[language]
    lines = [
        "sopkit: 1",
        f"id: BENCH-{number:05d}",
        f'title: "Procedure {number}: {TEXTS[language][number % 5]}"',
        "department: Customer Support",
        "owner: Bench Owner <bench@example.com>",
        'version: "1.0"',
        "review_by: 2099-01-01",
        f"language: {language}",
        "purpose: |",
        "  Keep every customer informed and answer within the SLA.",
        "  The steps below are generated for the benchmark.",
        "sla: 52w",
        "roles:",
        "  agent: Tier-1 support agent",
        "  lead: Shift lead",
        "terms:",
        "  SLA: Service level agreement.",
        "kpis:",
        "  - name: First response time",
        '    target: "< 1h"',
        "steps:",
    ]
    for index in range(nodes - 1):
        node_id = f"n{index}"
        role = "agent" if index % 4 else "lead"
        if index % 7 == 3 and index + 3 < nodes - 1:
            lines += [
                f"  - id: {node_id}",
                f"    decision: {QUESTIONS[language]}",
                f"    role: {role}",
                "    branches:",
                f'      "{yes}": n{index + 1}',
                f'      "{no}": n{index + 2}',
            ]
        else:
            lines += [
                f"  - id: {node_id}",
                f"    step: {TEXTS[language][rng.randrange(5)]}",
                f"    role: {role}",
                f"    duration: {rng.randrange(1, 30)}m",
            ]
            if index % 5 == 0:
                lines += [
                    "    details: |",
                    f"      {TEXTS[language][rng.randrange(5)]}.",
                    f"      {TEXTS[language][rng.randrange(5)]}.",
                ]
            if index == 10 and number + 1 < count:
                lines.append(f"    sop: BENCH-{number + 1:05d}")
    lines += [f"  - id: n{nodes - 1}", "    end: The customer has an answer"]
    return "\n".join(lines) + "\n"


def generate(out: Path, count: int, nodes: int = 50, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(count):
        path = out / f"team{number % 10}" / f"sop-{number:05d}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(sop_yaml(number, count, nodes, rng), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    files = generate(args.out, args.count, args.nodes, args.seed)
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} SOPs, {size / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
