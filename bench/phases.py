"""One stage of a render, repeated in one process, for counting its instructions.

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/phases.py bench/out/sops-1000 STAGE 4

Stages: load, build, rules, dot, page, template, index (or `none`, the set-up
alone). Each runs REPEAT times over the first 30 SOPs, after a set-up that does
every stage once; (instructions with REPEAT - instructions with 0) / (30 * REPEAT)
is the stage's cost per SOP. Instruction counts are repeatable where seconds on a
shared VM are not. The garbage collector is off, as it is in a render.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sopkit.build import build_sop
from sopkit.loader import load_bytes
from sopkit.model import Sop
from sopkit.render import context, overviews
from sopkit.render.assemble import index_pages
from sopkit.render.chartstyle import ChartStyle
from sopkit.render.flowchart import to_dot
from sopkit.rules.registry import SopContext, sop_rules
from sopkit.templating import environment, render_template

TODAY = date(2026, 11, 24)


def main() -> None:
    gc.disable()
    corpus, stage, repeat = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    datas = [path.read_bytes() for path in sorted(corpus.rglob("*.yaml"))[:30]]
    documents = [load_bytes(data, "sop.yaml") for data in datas]
    sops: list[Sop] = []
    for document in documents:
        sop, _ = build_sop(document.root, document.path)
        assert sop is not None
        sops.append(sop)
    digests = [context.digest_of(sop) for sop in sops]
    repo = context.Handbook(
        titles={d.id: d.title for d in digests},
        today=TODAY,
        language="en",
        role_pages=overviews.role_files(digests),
    )
    env = environment(None)
    pages = [context.sop_page(sop, repo, f"{sop.id}.svg") for sop in sops]
    index_pages(digests, repo, env)  # compiles every template once

    def rules() -> None:
        for sop, document in zip(sops, documents, strict=True):
            ctx = SopContext(TODAY, document.text)
            for _, check in sop_rules():
                list(check(sop, ctx))

    stages: dict[str, Callable[[], object]] = {
        "none": lambda: None,
        "load": lambda: [load_bytes(data, "sop.yaml") for data in datas],
        "build": lambda: [build_sop(d.root, d.path) for d in documents],
        "rules": rules,
        "dot": lambda: [to_dot(s, ChartStyle(), {r.id: r.description for r in s.roles})
                        for s in sops],
        "page": lambda: [context.sop_page(sop, repo, f"{sop.id}.svg") for sop in sops],
        "template": lambda: [render_template(env, "sop.md.j2", page=page) for page in pages],
        "index": lambda: index_pages(digests, repo, env),
    }  # fmt: skip
    for _ in range(repeat):
        stages[stage]()


if __name__ == "__main__":
    main()
