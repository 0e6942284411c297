"""Searching SOPs the way the handbook's search box does, for programs (`sopkit mcp`).

Accent- and case-blind. Ranked as `templates/assets/search.js` ranks: a query
word that is a whole word of an entry beats one that starts a word, which beats
one found inside a word; then titles before terms, roles and steps; then the
order of the SOPs. Every word of the query must be found.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import NamedTuple

from sopkit.collation import fold
from sopkit.model import Sop

_WORDS = re.compile(r"[\W_]+")
QUERY_WORDS = 16  # the words of a query that count: its first, each once
_KIND_RANK = {"title": 3, "term": 2, "role": 1, "step": 0}


class Match(NamedTuple):
    kind: str  # title, term, role or step
    text: str
    node: str | None  # the step's node id


class Found(NamedTuple):
    sop_id: str
    title: str
    language: str | None
    score: int  # the best match's
    matches: tuple[Match, ...]  # best first
    together: bool = True  # one text has every word; else each word is somewhere in the SOP


class Text(NamedTuple):
    """A searchable text of a SOP, folded and split into words once."""

    match: Match
    folded: str
    words: tuple[str, ...]


def _text(match: Match) -> Text:
    folded = fold(match.text)
    return Text(match, folded, tuple(w for w in _WORDS.split(folded) if w))


def texts_of(sop: Sop) -> tuple[Text, ...]:
    """What search looks at in a SOP: its title, steps, terms and roles."""
    matches = [Match("title", sop.title, None)]
    matches += [Match("step", node.text, node.id) for node in sop.nodes]
    matches += [Match("term", f"{term.name}: {term.definition}", None) for term in sop.terms]
    matches += [Match("role", f"{role.id}: {role.description}", None) for role in sop.roles]
    return tuple(_text(match) for match in matches)


class SearchIndex:
    """The texts of a set of SOPs, folded once, with an index of their words: a search
    looks words up instead of reading every text (a thousand SOPs have 50,000)."""

    def __init__(
        self,
        sops: Sequence[Sop],
        default_language: str = "en",
        texts: Sequence[tuple[Text, ...]] | None = None,
    ) -> None:
        """`texts`: each SOP's `texts_of`, when they were made before (a cache)."""
        self.sops = list(sops)
        self.default_language = default_language
        own_texts = texts if texts is not None else [texts_of(sop) for sop in self.sops]
        self.places: list[tuple[int, int]] = []  # entry -> (SOP, its place in the SOP's texts)
        self.matches: list[Match] = []
        self.postings: dict[str, list[int]] = {}  # word -> the entries that have it
        for number, own in enumerate(own_texts):
            for order, text in enumerate(own):
                entry = len(self.matches)
                self.places.append((number, order))
                self.matches.append(text.match)
                for word in set(text.words):
                    self.postings.setdefault(word, []).append(entry)
        self.vocabulary = sorted(self.postings)

    def _qualities(self, word: str) -> dict[int, int]:
        """Entry -> 3 when `word` is one of its words, 2 when it starts one, 1 when it is
        inside one (the handbook's ranking)."""
        found: dict[int, int] = {}
        start = bisect.bisect_left(self.vocabulary, word)
        end = start
        while end < len(self.vocabulary) and self.vocabulary[end].startswith(word):
            end += 1
        for known in self.vocabulary[start:end]:
            quality = 3 if known == word else 2
            for entry in self.postings[known]:
                if found.get(entry, 0) < quality:
                    found[entry] = quality
        for known in self.vocabulary:
            if word in known and not known.startswith(word):
                for entry in self.postings[known]:
                    found.setdefault(entry, 1)
        return found

    def search(
        self, query: str, language: str | None = None, limit: int = 10, per_sop: int = 3
    ) -> list[Found]:
        """SOPs with an entry that has every word of `query`, best first; when no entry has
        them all, SOPs that have each word in some entry (`together` False). `language`
        (`el`, `sl-SI`) keeps the SOPs written in it (a SOP without `language` is in the
        handbook's)."""
        # Each word is looked for inside every word of the handbook: a query of thousands
        # of words (an agent pasting a ticket) would take seconds, and say no more.
        words = list(dict.fromkeys(w for w in _WORDS.split(fold(query)) if w))[:QUERY_WORDS]
        if not words:
            return []
        wanted = (language or "").split("-")[0].lower()
        qualities = [self._qualities(word) for word in words]
        weakest = qualities[0]
        for other in qualities[1:]:
            weakest = {e: min(q, other[e]) for e, q in weakest.items() if e in other}
        found = self._ranked(weakest, wanted, per_sop)
        if found or len(words) == 1:
            return self._results(found, limit, together=True)
        # No text has every word: the SOPs that have each word in some text, for readers (and
        # agents) who type "escalate shift lead" for a title and a step.
        best_of: list[dict[int, tuple[int, int]]] = []  # per word: SOP -> (score, entry)
        for quality in qualities:
            best: dict[int, tuple[int, int]] = {}
            for entry, level in quality.items():
                number = self.places[entry][0]
                score = level * 10 + _KIND_RANK[self.matches[entry].kind]
                known = best.get(number)
                if known is None or (score, -entry) > (known[0], -known[1]):
                    best[number] = (score, entry)  # the best, the earliest of equals
            best_of.append(best)
        spread: dict[int, list[tuple[int, Match]]] = {}
        for number in sorted(set.intersection(*(set(best) for best in best_of))):
            sop = self.sops[number]
            written_in = sop.language or self.default_language
            if wanted and written_in.split("-")[0].lower() != wanted:
                continue
            score = min(best[number][0] // 10 for best in best_of) * 10  # its weakest word
            entries = list(dict.fromkeys(best[number][1] for best in best_of))[:per_sop]
            spread[number] = [(score, self.matches[entry]) for entry in entries]
        return self._results(spread, limit, together=False)

    def _ranked(
        self, entries: dict[int, int], wanted: str, per_sop: int
    ) -> dict[int, list[tuple[int, Match]]]:
        """SOP -> its best entries with their scores."""
        scored = sorted(
            (-(quality * 10 + _KIND_RANK[self.matches[entry].kind]), *self.places[entry], entry)
            for entry, quality in entries.items()
        )
        found: dict[int, list[tuple[int, Match]]] = {}
        for negative, number, _, entry in scored:
            sop = self.sops[number]
            written_in = sop.language or self.default_language
            if wanted and written_in.split("-")[0].lower() != wanted:
                continue
            hits = found.setdefault(number, [])
            if len(hits) < per_sop:
                hits.append((-negative, self.matches[entry]))
        return found

    def _results(
        self, found: dict[int, list[tuple[int, Match]]], limit: int, together: bool
    ) -> list[Found]:
        ranked = sorted(found.items(), key=lambda item: (-item[1][0][0], item[0]))[:limit]
        return [
            Found(
                self.sops[number].id,
                self.sops[number].title,
                self.sops[number].language,
                hits[0][0],
                tuple(match for _, match in hits),
                together,
            )
            for number, hits in ranked
        ]
