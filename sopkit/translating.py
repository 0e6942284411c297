"""`sopkit translations`: every SOP in every language the team wants, and the translator's
two commands: a scaffold to translate (`new`) and the record of a review (`ack`).

A translation's state against its source: up to date (`translated_from` is the
source's translation hash), not reviewed (no `translated_from`), outdated (which
nodes changed, from the source's git history), structure differs (its graph is
not its source's), or missing. The contract: `../SOP-FORMAT.md`, "Translations".
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sopkit.errors import SopkitError
from sopkit.escape import md_cell
from sopkit.model import Sop
from sopkit.translation import first_difference, translation_hash, translation_key
from sopkit.values import is_language_tag

SOURCE, CURRENT, UNREVIEWED, OUTDATED, STRUCTURE, MISSING = (
    "source", "up to date", "not reviewed", "outdated", "structure differs", "missing",
)  # fmt: skip


def primary(language: str | None) -> str:
    return (language or "").split("-")[0].lower()


@dataclass(frozen=True)
class Cell:
    source: str  # the source SOP's id
    title: str
    language: str
    state: str
    sop: str | None = None  # the translation's id
    file: str | None = None
    changed: tuple[str, ...] | None = None  # outdated: what changed; None: unknown
    why: str = ""  # outdated without `changed`: why it is unknown; structure: how


def structure_problem(source: Sop, translation: Sop) -> str | None:
    theirs, ours = translation_key(source), translation_key(translation)
    index = first_difference(theirs, ours)
    if index is not None:
        node = ours.nodes[index].id if index < len(ours.nodes) else theirs.nodes[index].id
        return f"differs at node '{node}'"
    if theirs.start != ours.start:
        return "start differs"
    if theirs.roles != ours.roles:
        return "role ids differ"
    return None


def state_of(source: Sop, translation: Sop, language: str) -> Cell:
    base = Cell(source.id, source.title, language, CURRENT, translation.id, translation.path)
    problem = structure_problem(source, translation)
    if problem is not None:
        return Cell(**{**base.__dict__, "state": STRUCTURE, "why": problem})
    recorded = translation.translated_from.id if translation.translated_from else None
    if recorded is None:
        return Cell(**{**base.__dict__, "state": UNREVIEWED})
    if recorded != translation_hash(source):
        from sopkit.history import changes_since

        changes = changes_since(source.path, recorded)
        return Cell(**{**base.__dict__, "state": OUTDATED, "changed": changes.names,
                       "why": changes.why})  # fmt: skip
    return base


def table(sops: Iterable[Sop], languages: Sequence[str], default_language: str) -> list[Cell]:
    """Every source SOP in every language: the source itself, a translation's state, or
    missing."""
    everything = sorted(sops, key=lambda sop: (sop.id, sop.path))
    translations: dict[tuple[str, str], Sop] = {}
    for sop in everything:
        if sop.translation_of is not None:
            translations.setdefault((sop.translation_of.id, primary(sop.language)), sop)
    cells = []
    for source in everything:
        if source.translation_of is not None:
            continue
        own = primary(source.language or default_language)
        for language in languages:
            wanted = primary(language)
            if wanted == own:
                cells.append(Cell(source.id, source.title, language, SOURCE, source.id,
                                  source.path))  # fmt: skip
                continue
            found = translations.get((source.id, wanted))
            cells.append(state_of(source, found, language) if found is not None
                         else Cell(source.id, source.title, language, MISSING))  # fmt: skip
    return cells


def _word(cell: Cell) -> str:
    if cell.state == OUTDATED:
        if cell.changed is None:
            return f"outdated (which nodes changed cannot be told: {cell.why})"
        return f"outdated: {', '.join(cell.changed) or 'layout only'} changed"
    if cell.state == STRUCTURE:
        return f"structure differs ({cell.why})"
    return cell.state


def text_table(cells: Sequence[Cell]) -> str:
    if not cells:
        return "no SOPs\n"
    lines, current = [], None
    for cell in cells:
        if cell.source != current:
            current = cell.source
            lines.append(f"{cell.source}  {cell.title}")
        where = f"  {cell.sop} ({cell.file})" if cell.sop and cell.state != SOURCE else ""
        lines.append(f"  {cell.language:<6} {_word(cell)}{where}")
    behind = sum(1 for c in cells if c.state not in (SOURCE, CURRENT))
    lines.append(f"{behind} translations to do" if behind else "every translation is up to date")
    return "\n".join(lines) + "\n"


def markdown_table(cells: Sequence[Cell]) -> str:
    languages = list(dict.fromkeys(cell.language for cell in cells))
    lines = ["| SOP | " + " | ".join(languages) + " |",
             "|---|" + "---|" * len(languages)]  # fmt: skip
    by_source: dict[str, list[Cell]] = {}
    for cell in cells:
        by_source.setdefault(cell.source, []).append(cell)
    for source, row in by_source.items():
        words = {cell.language: _word(cell) for cell in row}
        lines.append(
            f"| {md_cell(source)} {md_cell(row[0].title)} | "
            + " | ".join(md_cell(words.get(lang, "")) for lang in languages)
            + " |"
        )
    return "\n".join(lines) + "\n"


def json_table(cells: Sequence[Cell]) -> str:
    data: list[dict[str, Any]] = [
        {**cell.__dict__, "changed": list(cell.changed) if cell.changed is not None else None}
        for cell in cells
    ]
    return json.dumps({"translations": data}, ensure_ascii=False, indent=2) + "\n"


TABLE_FORMATS: dict[str, Callable[[Sequence[Cell]], str]] = {
    "text": text_table,
    "json": json_table,
    "markdown": markdown_table,
}


SCAFFOLD_NOTE = """\
# A translation of {source} ({source_language}) into {language}, made by
# `sopkit translations new`. Translate every text marked "translate": the title,
# purpose, scope, the steps, questions, outcomes and details, the answers (the
# keys under `branches`), role descriptions, terms and KPIs. Keep every id, `next`,
# the targets of the branches, `sop:` and the role ids. Then record the review:
#   sopkit translations ack {file}
"""


def scaffold_path(source: Sop, language: str) -> Path:
    """Beside the source: `escalation.en.yaml` -> `escalation.el.yaml`."""
    path = Path(source.path)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    own = primary(source.language)
    if own and stem.lower().endswith(f".{own}"):
        stem = stem[: -len(own) - 1]
    return path.with_name(f"{stem}.{primary(language)}{path.suffix or '.yaml'}")


def scaffold(source: Sop, text: str, language: str, new_id: str, file: str) -> str:
    """The source's YAML as a translation to do: its own id and language, the texts to
    translate marked, every comment of the source kept."""
    from ruamel.yaml.comments import CommentedMap

    from sopkit.fmt import reformat_text, round_trip_yaml

    yaml = round_trip_yaml()
    data = yaml.load(text)
    assert isinstance(data, CommentedMap)
    data["id"] = new_id
    data["language"] = language
    data["translation_of"] = source.id
    data.pop("translated_from", None)
    data.pop("changelog", None)  # the source's history is not the translation's
    for key in ("title", "purpose", "scope"):
        _mark(data, key, 0)
    for node in data.get("steps") or []:
        if isinstance(node, CommentedMap):
            for key in ("step", "decision", "end", "details", "branches"):
                _mark(node, key, 4)
    for key in ("roles", "terms", "kpis"):
        if key in data:
            data.yaml_add_eol_comment("translate the descriptions, keep the ids"
                                      if key == "roles" else "translate", key)  # fmt: skip
    out = io.StringIO()
    yaml.dump(data, out)
    note = SCAFFOLD_NOTE.format(source=source.id, source_language=source.language or "?",
                                language=language, file=file)  # fmt: skip
    formatted = reformat_text(note + out.getvalue(), file)
    if formatted.formatted is None:
        raise SopkitError(f"cannot make the translation of {source.id}: {formatted.reason}")
    return formatted.formatted


def _mark(mapping: Any, key: str, indent: int) -> None:
    """A `# translate` after the value, or on the line before a block of several lines."""
    if key not in mapping:
        return
    value = mapping[key]
    if isinstance(value, str) and "\n" in value.rstrip("\n"):
        mapping.yaml_set_comment_before_after_key(key, before="translate", indent=indent)
    else:
        mapping.yaml_add_eol_comment("translate", key)


def check_new(source: Sop, language: str) -> None:
    if not is_language_tag(language):
        raise SopkitError(f"'{language}' is not a BCP 47 language tag (en, el, sl, sl-SI)")
    if source.translation_of is not None:
        raise SopkitError(f"{source.id} is itself a translation (of {source.translation_of.id}): "
                          "translate the original")  # fmt: skip
    if primary(source.language) == primary(language):
        raise SopkitError(f"{source.id} is written in {source.language} already")


def new_id_for(source: Sop, language: str, known: Iterable[str], chosen: str | None) -> str:
    new_id = chosen or f"{source.id}-{primary(language)}"
    if new_id.casefold() in {sop_id.casefold() for sop_id in known}:
        raise SopkitError(f"a SOP has the id '{new_id}' already (ids are compared ignoring "
                          "case)", hint="choose another with --id")  # fmt: skip
    return new_id
