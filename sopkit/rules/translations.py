"""Rules about translations: a translation follows its source's graph and its current text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from sopkit.model import Ref, SopRefs
from sopkit.problems import SCHEMA, Loc, Severity
from sopkit.rules.registry import Report, Repository, repository_check_of, repository_rule
from sopkit.translation import NodeShape, TranslationKey, first_difference


class Pairing(NamedTuple):
    """A reported translation, where it names its source, the source and the source's key."""

    refs: SopRefs
    of: Ref
    source: SopRefs
    key: TranslationKey


def _translations(repo: Repository) -> Iterator[Pairing]:
    """Each reported translation with its source, when the source is known and readable."""
    by_id = {refs.id: refs for refs in reversed(repo.sops) if refs.id}
    for refs in repo.sops:
        if refs.path not in repo.reported or refs.translation_of is None:
            continue
        source = by_id.get(refs.translation_of.id)
        if source is not None and source.translation is not None:
            yield Pairing(refs, refs.translation_of, source, source.translation)


@repository_rule("translation-structure", Severity.ERROR)
def translation_structure(repo: Repository) -> Iterator[tuple[str, Report]]:
    """A translation's graph differs from its source's.

    A translation says the same procedure in another language: the same nodes
    (ids and kinds), the same successors, branch targets in the same order, the
    same `sop:` calls and role ids. Texts, answer labels, details, terms and role
    descriptions are translated and may differ. Reported at the translation's
    first differing node, or at `translation_of` when `start` or the roles
    differ. A translation of a translation, or one in its source's language, is
    a `schema` problem.

    Bad (the source's "No" leads to `voicemail`):

        translation_of: CS-CB-015
        steps:
          - id: reached
            decision: Απάντησε ο πελάτης;
            branches: {"Ναι": solve, "Όχι": done}

    Good:

            branches: {"Ναι": solve, "Όχι": voicemail}
    """
    for refs, of, source, theirs in _translations(repo):
        at = of.at
        if source.translation_of is not None or source.language == refs.language:
            continue  # a `schema` problem (`translation_sources`), not a graph to compare
        ours = refs.translation
        if ours is None:
            continue
        index = first_difference(theirs, ours)
        if index is not None:
            yield refs.path, Report(*_node_difference(
                index, theirs.nodes, ours.nodes, source.id, at
            ))  # fmt: skip
        elif theirs.start != ours.start:
            message = f"start is '{ours.start}', but {source.id} starts at '{theirs.start}'"
            yield refs.path, Report(at, message)
        elif theirs.roles != ours.roles:
            message = (
                f"role ids differ from {source.id}'s: {', '.join(ours.roles) or 'none'} "
                f"instead of {', '.join(theirs.roles) or 'none'} (translate the descriptions, "
                "keep the ids)"
            )
            yield refs.path, Report(at, message)


def _node_difference(
    index: int,
    theirs: tuple[NodeShape, ...],
    ours: tuple[NodeShape, ...],
    source_id: str,
    fallback: Loc,
) -> tuple[Loc, str]:
    if index >= len(ours):
        missing = ", ".join(shape.id for shape in theirs[index:])
        return fallback, f"nodes of {source_id} missing here: {missing}"
    mine = ours[index]
    if index >= len(theirs):
        return mine.at, f"node '{mine.id}' is not in {source_id}; remove it or add it there first"
    other = theirs[index]
    if mine.id != other.id:
        said = f"node {index + 1} is '{mine.id}', but in {source_id} it is '{other.id}'"
    elif mine.kind != other.kind:
        said = f"node '{mine.id}' is {mine.kind}, but in {source_id} it is {other.kind}"
    elif mine.sop != other.sop:
        said = f"node '{mine.id}' calls {mine.sop or 'no SOP'}, but in {source_id} {other.sop}"
    else:
        said = (
            f"node '{mine.id}' leads to {', '.join(mine.targets) or 'the end'}, but in "
            f"{source_id} to {', '.join(other.targets) or 'the end'}"
        )
    return mine.at, said + " (a translation keeps its source's graph)"


@repository_check_of(SCHEMA)
def translation_sources(repo: Repository) -> Iterator[tuple[str, Report]]:
    """A translation of a translation, or one in its source's language."""
    for refs, of, source, _ in _translations(repo):
        if source.translation_of is not None:
            message = (
                f"translation_of '{source.id}' is itself a translation (of "
                f"'{source.translation_of.id}'): name the original instead"
            )
            yield refs.path, Report(of.at, message)
        elif source.language is not None and source.language == refs.language:
            message = (
                f"this translation has the language of its source ({refs.language}): "
                "set `language` to the language it is written in"
            )
            yield refs.path, Report(of.at, message)


@repository_rule("translation-outdated", Severity.WARNING)
def translation_outdated(repo: Repository) -> Iterator[tuple[str, Report]]:
    """A translation was made from an older text of its source, or says not from which.

    `translated_from` records the source's translation hash when the translation
    was last brought up to date. When the source changes, readers of the
    translation follow an old procedure; this warns until a translator has
    reviewed the change and recorded the new hash. Reported at `translated_from`
    (at `translation_of` when it is missing).

    Bad: `translated_from: "3f9a1c0e5b7d"` while the source's hash is now
    `"8e21d4a09c3f"`. The message names the source's nodes that changed since
    `3f9a1c0e5b7d`, found in the git history of the source's file (or says why it
    cannot tell).

    Good: the translation is reviewed against the source and says
    `translated_from: "8e21d4a09c3f"`.
    """
    for refs, of, source, theirs in _translations(repo):
        current = theirs.hash
        recorded = refs.translated_from
        if recorded is None:
            message = (
                f"no translated_from: it is not known which text of {source.id} this "
                f'translates; after a review, add `translated_from: "{current}"`'
            )
            yield refs.path, Report(of.at, message)
        elif recorded.id != current:
            from sopkit.history import changes_since  # git is asked only for these

            changes = changes_since(source.path, recorded.id)
            if changes.names is not None:
                said = f"changed since: {', '.join(changes.names) or 'nothing a reader sees'}"
            else:
                said = f"which nodes changed cannot be told: {changes.why}"
            message = (
                f"{source.id} has changed since this was translated from it ({recorded.id}, "
                f"now {current}; {said}); review the translation, then set "
                f'translated_from: "{current}"'
            )
            yield refs.path, Report(recorded.at, message)
