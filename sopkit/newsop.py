"""`sopkit new`: a SOP file from a template, valid from its first second."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sopkit.config import Config
from sopkit.discovery import shown
from sopkit.errors import ExitCode, SopkitError
from sopkit.fmt import reformat_text
from sopkit.guards import control_character_in
from sopkit.labels import labels_for
from sopkit.lookup import ids_in
from sopkit.templating import environment, render_template
from sopkit.values import is_language_tag, is_valid_id

SCHEMA_FILE = "sopkit-1.schema.json"

_STARTERS = {
    "en": ("Describe the first thing to do", "The request is handled", "Support agent"),
    "el": ("Περιγράψτε το πρώτο βήμα", "Το αίτημα ολοκληρώθηκε", "Εκπρόσωπος εξυπηρέτησης"),
    "sl": ("Opišite prvi korak", "Zahtevek je rešen", "Predstavnik službe za stranke"),
}


class ExistsError(SopkitError):
    exit_code = ExitCode.PROBLEMS


def create_sop(
    config: Config, *, sop_id: str, title: str, department: str, language: str,
    folder: Path | None,
) -> Path:  # fmt: skip
    if not is_valid_id(sop_id):
        raise SopkitError(
            f"'{sop_id}' is not a valid SOP id: start with a letter or digit, then letters, "
            "digits, '.', '_' or '-' (at most 64 characters)"
        )
    if not is_language_tag(language):
        raise SopkitError(f"--language '{language}' is not a BCP 47 tag (en, el, sl, sl-SI)")
    for label, value in (("--title", title), ("--department", department)):
        if not value.strip():
            raise SopkitError(f"{label} must not be empty")
        control = control_character_in(value)
        if control is not None:  # the new SOP would not check clean
            raise SopkitError(f"{label} holds {control}: remove it")
    target_folder = folder or config.source
    if target_folder.exists() and not target_folder.is_dir():
        raise SopkitError(f"--dir {shown(target_folder)} is a file, not a folder")
    path = target_folder / f"{sop_id}.yaml"
    if path.exists():
        raise ExistsError(f"{shown(path)} already exists; sopkit new never overwrites a file")
    taken = {known.casefold(): (known, path) for known, path in
             ids_in(config.source, target_folder).items()}  # fmt: skip
    if sop_id.casefold() in taken:
        known, where = taken[sop_id.casefold()]
        spelt = "" if known == sop_id else f" as '{known}' (ids ignore case)"
        raise ExistsError(f"the SOP id '{sop_id}' is already used by {where}{spelt}")
    step, outcome, agent = _STARTERS.get(language.split("-")[0], _STARTERS["en"])
    labels = labels_for(language)
    env = environment(config.templates, markdown=False)
    env.filters["yaml"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    schema = os.path.relpath(config.root / SCHEMA_FILE, target_folder.resolve())
    text = render_template(env, "new.yaml.j2",
        id=sop_id, title=title, department=department, language=language, schema=schema,
        owner="Your Name <you@example.com>", agent=agent, first_step=step, outcome=outcome,
        purpose=f"{labels['purpose']}: why this procedure exists and who it is for.",
    ).decode()  # fmt: skip
    text = reformat_text(text, str(path)).formatted or text  # canonical from the start
    target_folder.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite, even in a race
        handle.write(text)
    return Path(shown(path))
