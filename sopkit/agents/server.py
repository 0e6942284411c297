"""`sopkit mcp`: the team's SOPs served over the Model Context Protocol (stdio).

A thin layer over `runs`, `live`, `pages` and `sopkit.search`, built on the
official Python SDK (`mcp`): tools to search, read and follow SOPs with a way
out to a human, a resource per SOP and the glossary, and the `follow-sop` prompt.
"""

from __future__ import annotations

import logging
import urllib.parse
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp_types import Resource
from pydantic import Field

from sopkit import __version__
from sopkit.agents.live import LiveLibrary
from sopkit.agents.pages import Pages
from sopkit.agents.runs import AgentError, Runs
from sopkit.exportjson import sop_document
from sopkit.labels import labels_for
from sopkit.model import Sop
from sopkit.text import short_quotes
from sopkit.values import did_you_mean

logger = logging.getLogger("sopkit.mcp")

INSTRUCTIONS = """\
The team's Standard Operating Procedures (SOPs): how support work is done here.
Find a SOP with search_sops, read it with get_sop, and follow it with
start_procedure, then answer after each step (back undoes one). Follow the steps
as written; never guess a decision's answer. There is always a way out to a
human: hand_off(run, reason) returns a summary for the colleague who takes over.
The prompt follow-sop explains this in the SOP's language."""


def sop_uri(sop_id: str) -> str:
    return "sop://" + urllib.parse.quote(sop_id, safe="-._~")


class SopServer(MCPServer):
    """The SDK's server, with a resource listed for each SOP there is now."""

    def __init__(self, live: LiveLibrary, today: date | None = None) -> None:
        super().__init__(
            name="sopkit",
            version=__version__,
            instructions=INSTRUCTIONS,
            log_level="WARNING",
            warn_on_duplicate_tools=False,
        )
        self.live = live
        self.today = today
        self.runs = Runs(lambda: self.live.library, default_language=live.language)
        self._pages: Pages | None = None
        self._pages_generation = -1
        self._reported: dict[str, str] = {}  # broken files already logged, with why
        _register(self)

    def current(self) -> None:
        """Look for edited SOP files (at most every half second); say once what broke."""
        self.live.refresh()
        for path, problem in self.live.broken.items():
            if self._reported.get(path) != problem:
                logger.warning("%s does not load (%s): serving its last good version", path,
                               problem)  # fmt: skip
        self._reported = dict(self.live.broken)

    @property
    def pages(self) -> Pages:
        if self._pages is None or self._pages_generation != self.live.generation:
            self._pages = Pages(self.live.library, self.live.language, self.today or date.today())
            self._pages_generation = self.live.generation
        return self._pages

    def sop(self, sop_id: str) -> Sop:
        """A SOP by id; ids are unique ignoring case (the contract), so any case finds it."""
        sops = self.live.library.sops
        found = sops.get(sop_id)
        if found is None:
            folded = {known.casefold(): sop for known, sop in sops.items()}
            found = folded.get(sop_id.casefold())
        if found is None:
            raise ToolError(short_quotes(f"no SOP has the id '{sop_id}'"
                                         f"{did_you_mean(sop_id, sops)}; "
                                         "search_sops finds SOPs by words"))  # fmt: skip
        return found

    def broken_note(self, sop: Sop) -> str | None:
        problem = self.live.broken.get(sop.path)
        if problem is None:
            return None
        return f"{sop.path} has a problem now ({problem}); this is its last good version"

    async def list_resources(self) -> list[Resource]:
        self.current()
        listed = await super().list_resources()
        for sop in sorted(self.live.library.sops.values(), key=lambda s: s.id):
            listed.append(
                Resource(
                    uri=sop_uri(sop.id),
                    name=sop.id,
                    title=sop.title,
                    description=f"{sop.department}: {sop.title} (Markdown page)",
                    mime_type="text/markdown",
                )
            )
        return listed


def _tool(call: Any) -> Any:
    try:
        return call()
    except AgentError as problem:  # an agent's long argument is not sent back whole
        raise ToolError(short_quotes(str(problem))) from None


def _register(server: SopServer) -> None:
    @server.tool()
    async def search_sops(
        query: Annotated[str, Field(description="Words to find, in any case, accents optional.")],
        language: Annotated[
            str | None, Field(description="Only SOPs in this language (en, el, sl, ...).")
        ] = None,
    ) -> dict[str, Any]:
        """Find SOPs by words in their titles, steps, terms and roles, best first (as the
        handbook's search box: accent- and case-blind, whole words before parts)."""
        server.current()
        found = server.live.search.search(query, language)
        return {
            "results": [
                {
                    "id": hit.sop_id,
                    "title": hit.title,
                    "language": hit.language or server.live.language,
                    "matches": [m._asdict() for m in hit.matches],
                    "every_word_in_one_text": hit.together,
                }
                for hit in found
            ],
            "next": "get_sop(id) reads one; start_procedure(id) follows it step by step."
            if found else "Nothing found: try fewer or other words.",
        }  # fmt: skip

    @server.tool()
    async def get_sop(
        id: Annotated[str, Field(description="The SOP's id, e.g. CS-ESC-002.")],
        format: Annotated[
            Literal["markdown", "json"],
            Field(description="markdown: the handbook page; json: `sopkit export json`'s entry."),
        ] = "markdown",
    ) -> str:
        """A SOP whole: its handbook page in Markdown, or its data as JSON (the flow
        resolved: every node's successors explicit)."""
        server.current()
        sop = server.sop(id)
        note = server.broken_note(sop)
        if format == "json":
            import json

            data = sop_document(sop)
            if note:
                data = {**data, "note": note}
            return json.dumps(data, ensure_ascii=False, indent=2)
        page = server.pages.sop(sop)
        return f"> {note}\n\n{page}" if note else page

    @server.tool()
    async def start_procedure(
        id: Annotated[str, Field(description="The SOP's id.")],
    ) -> dict[str, Any]:
        """Begin following a SOP: returns a run id and the first step (its text, role,
        expected time, details, and the answers when it is a decision)."""
        server.current()
        sop = server.sop(id)
        return _tool(lambda: server.runs.start(sop.id))  # type: ignore[no-any-return]

    @server.tool()
    async def answer(
        run: Annotated[str, Field(description="The run id from start_procedure.")],
        answer: Annotated[
            str,
            Field(
                description="For a decision: one of its answers (or its number). "
                "For a step: leave empty when it is done."
            ),
        ] = "",
    ) -> dict[str, Any]:
        """The current step is done (a decision: with this answer): returns the next step.
        A step that follows another SOP enters it, and comes back when it ends."""
        return _tool(lambda: server.runs.answer(run, answer))  # type: ignore[no-any-return]

    @server.tool()
    async def back(
        run: Annotated[str, Field(description="The run id.")],
    ) -> dict[str, Any]:
        """Undo the last answer: returns the step before."""
        return _tool(lambda: server.runs.back(run))  # type: ignore[no-any-return]

    @server.tool()
    async def hand_off(
        run: Annotated[str, Field(description="The run id.")],
        reason: Annotated[str, Field(description="Why a human should take over.")],
    ) -> dict[str, Any]:
        """Hand the case to a human colleague: returns a summary (the SOP, the path taken
        with its answers, the time spent against the SLA) and who should take over (the
        current step's role, else the SOP's owner). The run ends."""
        return _tool(lambda: server.runs.hand_off(run, reason))  # type: ignore[no-any-return]

    @server.resource("sop://{sop_id}", name="sop", mime_type="text/markdown",
                     description="A SOP's handbook page in Markdown.")  # fmt: skip
    async def sop_page(sop_id: str) -> str:
        server.current()
        try:
            sop = server.sop(urllib.parse.unquote(sop_id))
        except ToolError as problem:
            raise ResourceNotFoundError(str(problem)) from None
        return server.pages.sop(sop)

    @server.resource("sopkit://glossary", name="glossary", mime_type="text/markdown",
                     description="Every term the SOPs define, and where.")  # fmt: skip
    async def glossary() -> str:
        server.current()
        return server.pages.glossary()

    @server.prompt(name="follow-sop", title="Follow a SOP",
                   description="How to follow a SOP with these tools.")  # fmt: skip
    async def follow_sop(
        id: Annotated[str, Field(description="The SOP's id.")],
    ) -> str:
        server.current()
        try:
            sop = server.sop(id)
        except ToolError as problem:
            raise ValueError(str(problem)) from None
        words = labels_for(sop.language or server.live.language)
        return words["agent_prompt"].format(title=sop.title, id=sop.id)


def serve(source: Path, language: str, use_cache: bool = True) -> None:
    server = SopServer(LiveLibrary(source, language, use_cache=use_cache))
    server.run("stdio")
