"""`sopkit mcp` as an agent meets it: the MCP SDK's own client over stdio, talking to a
real `sopkit mcp` subprocess serving SOP files on disk."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import ROOT, SOPS, python_env

Session = Callable[[Client], Awaitable[None]]


def _serve(source: Path, work: Path, session: Session) -> None:
    """Start `sopkit mcp` on `source` (its own cache folder, no config above it) and run
    `session` against it with the SDK's client."""
    (work / "sopkit.toml").write_text("", encoding="utf-8")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "sopkit", "mcp", "--source", str(source)],
        cwd=str(work),
        env={"SOPKIT_CACHE_DIR": str(work / "cache"), "PYTHONPATH": str(ROOT)},
    )

    async def main() -> None:
        async with Client(params, cache=None, read_timeout_seconds=30) as client:
            await session(client)

    asyncio.run(main())


async def _call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def _error(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error
    text = result.content[0]
    assert text.type == "text"
    return str(text.text)


def test_an_agent_follows_a_sop_through_a_decision_and_a_call_to_its_end(tmp_path: Path) -> None:
    async def session(client: Client) -> None:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        assert tools == {"search_sops", "get_sop", "start_procedure", "answer", "back",
                         "hand_off"}  # fmt: skip

        step = await _call(client, "start_procedure", id="CS-TRIAGE-001")
        run = step["run"]
        assert step["step"]["id"] == "read"
        assert step["step"]["role"] == {"id": "agent", "description": "Tier-1 support agent"}
        assert step["step"]["expected_time"] == "3m"
        assert "hand_off" in step["hand_off"]  # every step says how to get a human

        step = await _call(client, "answer", run=run)
        assert step["step"]["kind"] == "decision"
        assert step["answers"] == ["Yes", "No"]
        step = await _call(client, "answer", run=run, answer="yes")  # any case
        assert step["step"]["id"] == "escalate"
        title = "Escalating a ticket to the shift lead"
        assert step["step"]["follows"] == {"id": "CS-ESC-002", "title": title}

        step = await _call(client, "answer", run=run)  # into the called SOP
        assert step["sop"]["id"] == "CS-ESC-002"
        assert step["within"] == ["CS-TRIAGE-001"]
        assert step["step"]["id"] == "summary"
        for answer in ["", "", "Yes", "", "", "1"]:  # "1": the first answer, by number
            step = await _call(client, "answer", run=run, answer=answer)
        assert step["step"]["id"] == "solved"
        assert step["step"]["kind"] == "end"

        step = await _call(client, "answer", run=run)  # the called SOP ends: back in triage
        assert step["sop"]["id"] == "CS-TRIAGE-001"
        assert step["within"] == []
        assert step["step"]["id"] == "acknowledged"

        back = await _call(client, "back", run=run)
        assert back["sop"]["id"] == "CS-ESC-002"
        assert back["step"]["id"] == "solved"

        await _call(client, "answer", run=run)
        await _call(client, "answer", run=run)
        done = await _call(client, "answer", run=run)
        assert done["finished"] is True
        assert done["outcome"] == "The ticket has a priority, an owner and an answer time"
        nodes = [(hop["sop"], hop["node"], hop["answer"]) for hop in done["path"]]
        triage = "CS-TRIAGE-001"
        assert nodes[:4] == [
            (triage, "read", None),
            (triage, "outage", "Yes"),
            (triage, "escalate", None),
            ("CS-ESC-002", "summary", None),
        ]
        assert nodes[-2:] == [("CS-TRIAGE-001", "acknowledged", None),
                              ("CS-TRIAGE-001", "queued", None)]  # fmt: skip
        assert done["expected_time"] == "10m"  # as `sopkit paths` counts path 1
        assert "finished" in await _error(client, "answer", run=run)

    _serve(SOPS, tmp_path, session)


def test_wrong_answers_unknown_ids_and_two_runs_at_once(tmp_path: Path) -> None:
    async def session(client: Client) -> None:
        message = await _error(client, "start_procedure", id="CS-ESC-02")
        assert "no SOP has the id 'CS-ESC-02'" in message
        assert "did you mean 'CS-ESC-002'" in message

        first = (await _call(client, "start_procedure", id="CS-TRIAGE-001"))["run"]
        second = (await _call(client, "start_procedure", id="cs-esc-002"))["run"]  # any case
        assert first != second
        await _call(client, "answer", run=first)
        message = await _error(client, "answer", run=first, answer="Perhaps")
        assert "'Perhaps' is not an answer" in message
        assert "'Yes', 'No'" in message

        step = await _call(client, "answer", run=first, answer="No")
        assert step["step"]["id"] == "vip"
        other = await _call(client, "answer", run=second)
        assert other["sop"]["id"] == "CS-ESC-002"
        assert other["step"]["id"] == "hand_over"  # the runs do not share a state

        assert "no run 'run-0'" in await _error(client, "answer", run="run-0")
        long = "x" * 100_000  # an agent's long argument is not sent back whole
        for tool, arguments in (("start_procedure", {"id": long}), ("answer", {"run": long}),
                                ("answer", {"run": first, "answer": long})):  # fmt: skip
            message = await _error(client, tool, **arguments)
            assert f"'{'x' * 79}…'" in message
            assert len(message) < 1_000
        assert "nothing to go back to" in await _error(
            client, "back", run=(await _call(client, "start_procedure", id="CS-ESC-002"))["run"]
        )

    _serve(SOPS, tmp_path, session)


def test_a_hand_off_midway_names_who_takes_over_and_ends_the_run(tmp_path: Path) -> None:
    async def session(client: Client) -> None:
        run = (await _call(client, "start_procedure", id="CS-ESC-002"))["run"]
        await _call(client, "answer", run=run)
        await _call(client, "answer", run=run)
        await _call(client, "answer", run=run, answer="No")  # the specialist's step is next
        summary = await _call(client, "hand_off", run=run,
                              reason="The customer asks for a person")  # fmt: skip
        assert summary["take_over"]["kind"] == "role"
        assert summary["take_over"]["name"] == "specialist"
        assert summary["stopped_at"]["node"] == "specialist"
        assert [hop["node"] for hop in summary["path"]] == ["summary", "hand_over",
                                                           "lead_can_solve"]  # fmt: skip
        assert summary["path"][-1]["answer"] == "No"
        assert summary["sla_s"] == 8 * 3600
        assert summary["within_sla"] is True
        text = summary["summary"]
        assert "The customer asks for a person" in text
        assert "Escalating a ticket to the shift lead (CS-ESC-002)" in text
        assert "/ Target time (SLA) 8h" in text
        assert "handed off to specialist" in await _error(client, "answer", run=run)

        # A SOP in Greek is handed over in Greek; with no role on the step, to its owner.
        run = (await _call(client, "start_procedure", id="CS-COMP-003"))["run"]
        greek = await _call(client, "hand_off", run=run, reason="Θέλει προϊστάμενο")
        assert "## Παράδοση" in greek["summary"]
        assert greek["take_over"]["name"] in {"agent", greek["sop"]["owner"]}

    _serve(SOPS, tmp_path, session)


def test_search_in_greek_without_accents_pages_resources_and_the_prompt(tmp_path: Path) -> None:
    async def session(client: Client) -> None:
        found = await _call(client, "search_sops", query="ΠΑΡΑΠΟΝΟ")
        assert found["results"][0]["id"] == "CS-COMP-003"
        assert found["results"][0]["language"] == "el"
        only_slovenian = await _call(client, "search_sops", query="CRM", language="sl")
        assert {hit["language"] for hit in only_slovenian["results"]} == {"sl"}
        assert (await _call(client, "search_sops", query="zzzz"))["results"] == []

        page = await client.call_tool("get_sop", {"id": "CS-ESC-002"})
        text = page.content[0]
        assert text.type == "text"
        assert text.text.startswith("# Escalating a ticket to the shift lead")
        data = await client.call_tool("get_sop", {"id": "CS-ESC-002", "format": "json"})
        assert data.content[0].type == "text"
        assert json.loads(data.content[0].text)["start"] == "summary"

        listed = {resource.uri for resource in (await client.list_resources()).resources}
        assert {"sop://CS-ESC-002", "sop://CS-COMP-003", "sopkit://glossary"} <= listed
        read = await client.read_resource("sop://CS-COMP-003")
        assert read.contents[0].text.startswith("# Διαχείριση παραπόνου πελάτη")  # type: ignore[union-attr]
        glossary = await client.read_resource("sopkit://glossary")
        assert "CRM" in glossary.contents[0].text  # type: ignore[union-attr]

        prompt = await client.get_prompt("follow-sop", {"id": "CS-COMP-003"})
        words = prompt.messages[0].content
        assert words.type == "text"
        assert "Ακολουθείτε τη διαδικασία «Διαχείριση παραπόνου πελάτη» (CS-COMP-003)" in words.text
        assert "hand_off" in words.text

    _serve(SOPS, tmp_path, session)


def test_an_edited_sop_is_served_and_a_broken_one_keeps_its_last_good_version(
    tmp_path: Path,
) -> None:
    source = tmp_path / "sops"
    shutil.copytree(SOPS, source)
    escalation = source / "support" / "escalation.en.yaml"
    original = escalation.read_text(encoding="utf-8")
    title = "Escalating a ticket to the shift lead"

    async def title_of(client: Client) -> str:
        data = await client.call_tool("get_sop", {"id": "CS-ESC-002", "format": "json"})
        assert data.content[0].type == "text"
        return str(json.loads(data.content[0].text)["title"])

    async def session(client: Client) -> None:
        assert await title_of(client) == title
        run = (await _call(client, "start_procedure", id="CS-ESC-002"))["run"]
        escalation.write_text(original.replace(title, "Escalating, edited"), encoding="utf-8")
        await asyncio.sleep(0.6)  # files are looked at again at most every half second
        assert await title_of(client) == "Escalating, edited"
        step = await _call(client, "answer", run=run)  # a run goes on with what it started with
        assert step["sop"]["title"] == title

        escalation.write_text(original.replace("steps:", "steps: [", 1), encoding="utf-8")
        await asyncio.sleep(0.6)
        assert await title_of(client) == "Escalating, edited"
        note = await client.call_tool("get_sop", {"id": "CS-ESC-002"})
        assert note.content[0].type == "text"
        assert "this is its last good version" in note.content[0].text

        (source / "support" / "triage.en.yaml").unlink()
        await asyncio.sleep(0.6)
        assert "no SOP has the id" in await _error(client, "start_procedure", id="CS-TRIAGE-001")

    _serve(source, tmp_path, session)


def test_a_second_start_reads_the_models_from_the_cache(tmp_path: Path) -> None:
    source = tmp_path / "sops"
    shutil.copytree(SOPS, source)

    async def session(client: Client) -> None:
        found = await _call(client, "search_sops", query="escalate")
        assert found["results"]

    _serve(source, tmp_path, session)
    cached = list((tmp_path / "cache").glob("models-*.pickle"))
    assert len(cached) == 1
    before = cached[0].stat().st_mtime_ns
    time.sleep(0.01)
    _serve(source, tmp_path, session)  # nothing changed: the cache is read, not written
    assert cached[0].stat().st_mtime_ns == before


def test_without_the_sdk_it_says_how_to_install_it(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "mcp").mkdir()
    (blocker / "mcp" / "__init__.py").write_text(
        "raise ModuleNotFoundError('no mcp here', name='mcp')\n", encoding="utf-8"
    )
    (tmp_path / "sopkit.toml").write_text("", encoding="utf-8")
    env = {**python_env(), "PYTHONPATH": f"{blocker}:{ROOT}"}
    done = subprocess.run([sys.executable, "-m", "sopkit", "mcp", "--source", str(SOPS)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    assert done.returncode == 2
    assert "sopkit mcp needs the MCP SDK" in done.stderr
    assert "pip install 'sopkit[mcp]'" in done.stderr
    assert "Traceback" not in done.stderr
