"""Time `sopkit mcp` on COUNT generated SOPs, through the stdio transport with the SDK's
own client, as an agent's host would talk to it.

    .venv/bin/python bench/agents.py [--count 1000] [--calls 100] [--repeat 3]

- first call: from starting the server process to the answer of its first tool call
  (`search_sops`, which needs every SOP), with an empty model cache (the first start
  in a repository) and with the cache the first start wrote in the background
  (every later start; the run waits for the cache file). Goal: 1 s.
- `answer` and `search_sops`: the median over --calls calls each, one after another,
  as the client sees them (the transport included). Goal: 20 ms each.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from mcp import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from bench.run import corpus_arguments, generated  # noqa: E402

SOPKIT = str(Path(sys.executable).parent / "sopkit")
QUERIES = ("customer account", "πελατη", "stranke", "refund", "zgodovino", "ιστορικο")


async def _session(corpus: Path, cache: Path, calls: int) -> dict[str, float]:
    params = StdioServerParameters(
        command=SOPKIT,
        args=["mcp", "--source", str(corpus)],
        cwd=str(cache.parent),
        env={"SOPKIT_CACHE_DIR": str(cache)},
    )
    started = time.perf_counter()
    async with Client(params, cache=None, read_timeout_seconds=120) as client:
        await client.call_tool("search_sops", {"query": "customer"})
        first = time.perf_counter() - started
        searches = []
        for number in range(calls):
            before = time.perf_counter()
            await client.call_tool("search_sops", {"query": QUERIES[number % len(QUERIES)]})
            searches.append(time.perf_counter() - before)
        answers: list[float] = []
        sop_number = 0
        while len(answers) < calls:
            step = await client.call_tool("start_procedure", {"id": f"BENCH-{sop_number:05d}"})
            assert step.structured_content is not None, step.content
            run = step.structured_content["run"]
            sop_number += 1
            while len(answers) < calls and not step.structured_content["finished"]:
                choices = step.structured_content.get("answers") or [""]
                before = time.perf_counter()
                step = await client.call_tool("answer", {"run": run, "answer": choices[-1]})
                answers.append(time.perf_counter() - before)
                assert step.structured_content is not None, step.content
    return {
        "first": first,
        "search": statistics.median(searches),
        "answer": statistics.median(answers),
    }


def _wait_for_the_cache(cache: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(cache.glob("models-*.pickle")):
            return
        time.sleep(0.1)
    raise SystemExit(f"no model cache in {cache} after {seconds} s")


def main() -> None:
    parser = corpus_arguments(__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    args = parser.parse_args()
    corpus = generated(args.out, args.count)
    cold, warm = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            cache = Path(scratch) / "cache"
            cold.append(asyncio.run(_session(corpus, cache, args.calls)))
            _wait_for_the_cache(cache)  # written in the background after the first start
            warm.append(asyncio.run(_session(corpus, cache, args.calls)))

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs)

    print(f"sopkit mcp on {args.count} SOPs, medians of {args.repeat} runs")
    print(f"  first tool call, no cache:       {median(cold, 'first'):.2f} s")
    print(f"  first tool call, cache:          {median(warm, 'first'):.2f} s   (goal: 1 s)")
    print(f"  search_sops, median of {args.calls}:    "
          f"{median(warm, 'search') * 1000:.1f} ms  (goal: 20 ms)")  # fmt: skip
    print(f"  answer, median of {args.calls}:         "
          f"{median(warm, 'answer') * 1000:.1f} ms  (goal: 20 ms)")  # fmt: skip


if __name__ == "__main__":
    main()
