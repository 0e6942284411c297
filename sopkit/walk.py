"""`sopkit walk`: practise a procedure step by step. A pure state machine; the CLI does I/O.

A `sop:` step is stepped into: the called procedure runs from its start, and
when it ends the walk returns to the caller and goes on after the calling
step. "Back" undoes the last move, whatever it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sopkit.lookup import Library
from sopkit.model import Decision, End, Node, Sop, Step, seconds_of


def answer_of(reply: str, options: list[str]) -> str | None:
    """The answer a reply means: its number (from 1) or its label in any case; None when
    it is neither (`sopkit walk` in a terminal, and agents through `sopkit mcp`)."""
    given = reply.strip()
    if given.isdigit() and 1 <= int(given) <= len(options):
        return options[int(given) - 1]
    return {option.casefold(): option for option in options}.get(given.casefold())


@dataclass(frozen=True)
class Frame:
    sop: Sop
    index: int


@dataclass(frozen=True)
class Visit:
    sop_id: str
    node_id: str
    answer: str | None
    seconds: int
    depth: int = 0  # 0: the SOP walked; 1 and more: a procedure it calls


@dataclass
class Walk:
    library: Library
    frames: list[Frame]
    taken: list[Visit] = field(default_factory=list)
    history: list[tuple[list[Frame], list[Visit]]] = field(default_factory=list)
    finished: bool = False

    @classmethod
    def start(cls, sop: Sop, library: Library) -> Walk:
        first = sop.flow.start if sop.flow.start is not None else 0
        return cls(library, [Frame(sop, first)], finished=not sop.nodes)

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    @property
    def node(self) -> Node:
        return self.frame.sop.nodes[self.frame.index]

    @property
    def depth(self) -> int:
        return len(self.frames) - 1

    def answers(self) -> list[str]:
        node = self.node
        return [b.label for b in node.branches] if isinstance(node, Decision) else []

    def choose(self, answer: str | None = None) -> str | None:
        """Move on (a decision needs an answer). Returns an event: "call", "return" or None."""
        node = self.node
        if isinstance(node, Decision) and answer not in self.answers():
            raise ValueError(answer)
        self.history.append((list(self.frames), list(self.taken)))
        self.taken.append(Visit(self.frame.sop.id, node.id, answer, seconds_of(node), self.depth))
        if isinstance(node, Step) and node.sop is not None:
            called = self.library.get(node.sop.id)
            calling_ids = {f.sop.id for f in self.frames}
            if called is not None and called.id not in calling_ids and called.nodes:
                start = called.flow.start if called.flow.start is not None else 0
                self.frames.append(Frame(called, start))
                return "call"
        return self._follow(answer)

    def _follow(self, answer: str | None) -> str | None:
        frame = self.frame
        edges = frame.sop.flow.edges[frame.index]
        target = next((e.target for e in edges if answer is None or e.label == answer), None)
        if target is not None and not isinstance(self.node, End):
            self.frames[-1] = Frame(frame.sop, target)
            return None
        if len(self.frames) == 1:
            self.finished = True
            return None
        self.frames.pop()  # the called procedure ended: go on after the calling step
        self._follow(None)
        return "return"

    def back(self) -> bool:
        if not self.history:
            return False
        frames, taken = self.history.pop()
        self.frames, self.taken, self.finished = frames, taken, False
        return True

    @property
    def seconds(self) -> int:
        """The expected time as `sopkit paths` counts it (the contract): a `sop:` step
        counts its own duration, not the called procedure's steps."""
        return sum(v.seconds for v in self.taken if v.depth == 0)
