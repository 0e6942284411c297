"""`sopkit.toml` or `[tool.sopkit]` in `pyproject.toml` -> a validated, typed `Config`.

Found by walking up from the working directory; the first folder holding
either file wins. Paths in it are relative to that folder. Every key is
checked here, once, with messages that name the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sopkit.errors import ConfigError
from sopkit.problems import Severity
from sopkit.values import did_you_mean, is_language_tag, parse_date

CONFIG_FILE = "sopkit.toml"
PYPROJECT = "pyproject.toml"
FLOWCHARTS = ("graphviz", "mermaid")
DIRECTIONS = ("auto", "LR", "TB")


@dataclass(frozen=True)
class Config:
    root: Path
    file: Path | None = None
    source: Path = Path("sops")
    output: Path = Path("handbook")
    language: str = "en"
    today: date | None = None
    severities: Mapping[str, Severity] = field(default_factory=dict)
    font: str = "DejaVu Sans"
    flowchart: str = "graphviz"
    direction: str = "auto"
    html: bool = False
    png: bool = False
    templates: Path | None = None
    max_nodes: int = 40
    languages: tuple[str, ...] = ()
    """The languages every SOP should be in (`sopkit translations`); empty: `language` only."""
    team: Path | None = None
    """The team file (`team.yaml` beside the config unless set)."""

    @property
    def team_file(self) -> Path:
        return self.team if self.team is not None else self.root / "team.yaml"

    @property
    def wanted_languages(self) -> tuple[str, ...]:
        return self.languages or (self.language,)

    def severity(self, rule: str, default: Severity) -> Severity:
        return self.severities.get(rule, default)


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest config file at or above `start` and its sopkit table."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if _is_file(candidate):
            return candidate, _read_toml(candidate)
        candidate = folder / PYPROJECT
        if _is_file(candidate):
            tool = _read_toml(candidate).get("tool", {})
            table = tool.get("sopkit") if isinstance(tool, dict) else None
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(f"{candidate}: [tool.sopkit] must be a table")
                return candidate, table
    return None


def _looks(question: Callable[[], bool]) -> bool:
    """A file system question: a folder above that we may not look into is not an error."""
    try:
        return question()
    except OSError:
        return False


def _is_file(path: Path) -> bool:
    return _looks(path.is_file)


def load_config(start: Path | None = None, known_rules: Mapping[str, object] = {}) -> Config:
    start = (start or Path.cwd()).resolve()
    found = find_config(start)
    if found is None:
        root = project_root(start)
        return Config(root=root, source=root / "sops", output=root / "handbook")
    path, table = found
    return parse_config(table, path, known_rules)


def project_root(start: Path) -> Path:
    """Without a config file: the nearest folder at or above `start` that holds `sops/`,
    else the root of the git work tree, else `start` (as ruff and mkdocs find theirs)."""
    for folder in (start, *start.parents):
        if _looks((folder / "sops").is_dir):
            return folder
    for folder in (start, *start.parents):
        if _looks((folder / ".git").exists):
            return folder
    return start


def starter_config() -> str:
    """The commented `sopkit.toml` that `sopkit init` writes."""
    from importlib import resources

    return resources.files("sopkit").joinpath("data", CONFIG_FILE).read_text(encoding="utf-8")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}") from None


_KEYS = (
    "source", "output", "language", "today", "rules", "font", "flowchart",
    "direction", "html", "png", "templates", "max_nodes", "languages", "team",
)  # fmt: skip


def parse_config(table: Mapping[str, Any], path: Path, known_rules: Mapping[str, object]) -> Config:
    root = path.parent

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{place_of(path, key)}: `{key}` {message}")

    for key in table:
        if key not in _KEYS:
            raise fail(key, f"is not a setting{did_you_mean(key, _KEYS)}")

    def text(key: str, default: str, choices: tuple[str, ...] = ()) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "must be a non-empty string")
        if choices and value not in choices:
            raise fail(key, f"must be one of {', '.join(choices)}{did_you_mean(value, choices)}")
        return value

    def flag(key: str) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise fail(key, "must be true or false")
        return value

    language = text("language", "en")
    if not is_language_tag(language):
        raise fail("language", f"'{language}' is not a BCP 47 language tag (en, el, sl)")
    today = None
    if "today" in table:
        raw = table["today"]
        if isinstance(raw, datetime):
            raise fail("today", f"must be a date without a time: today = {raw.date()}")
        today = raw if isinstance(raw, date) else parse_date(str(raw))
        if today is None:
            raise fail("today", "must be a date, YYYY-MM-DD")
    templates = root / text("templates", "templates") if "templates" in table else None
    max_nodes = table.get("max_nodes", 40)
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise fail("max_nodes", "must be a whole number of at least 1")
    languages = table.get("languages", [])
    if not isinstance(languages, list) or not all(
        isinstance(tag, str) and is_language_tag(tag) for tag in languages
    ):
        raise fail("languages", 'must be a list of BCP 47 language tags: ["en", "el", "sl"]')
    team = root / text("team", "team.yaml") if "team" in table else None
    rules = table.get("rules", {})
    severities = parse_severities(rules, known_rules, f"{path}: `rules`",
                                  lambda rule: place_of(path, rule, "rules"))  # fmt: skip
    return Config(
        languages=tuple(languages),
        team=team,
        root=root,
        file=path,
        source=root / text("source", "sops"),
        output=root / text("output", "handbook"),
        language=language,
        today=today,
        severities=severities,
        font=text("font", "DejaVu Sans"),
        flowchart=text("flowchart", "graphviz", FLOWCHARTS),
        direction=text("direction", "auto", DIRECTIONS),
        html=flag("html"),
        png=flag("png"),
        templates=templates,
        max_nodes=max_nodes,
    )


def parse_severities(
    table: object,
    known_rules: Mapping[str, object],
    where: str,
    place: Callable[[str], str] | None = None,
) -> dict[str, Severity]:
    """Rule severities; `place` says where a rule's line is (`file:line:column`)."""
    if not isinstance(table, dict):
        raise ConfigError(f'{where} must be a table of rule = "error" | "warning" | "off"')
    severities: dict[str, Severity] = {}
    for rule, level in table.items():
        at = place(rule) if place else where
        if known_rules and rule not in known_rules:
            raise ConfigError(f"{at}: '{rule}' is not a rule{did_you_mean(rule, known_rules)}")
        try:
            severities[rule] = Severity(level)
        except ValueError:
            raise ConfigError(
                f'{at}: \'{rule}\' must be "error", "warning" or "off", not {level!r}'
            ) from None
    return severities


def place_of(path: Path, key: str, table: str = "") -> str:
    """`path:line:column` of `key` in the file's sopkit settings (`table`: a table inside
    them, such as `rules`); the path alone when the line cannot be found. tomllib keeps
    no positions, so the line is looked for: settings are one `key = value` a line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return str(path)
    prefix = "tool.sopkit" if path.name == PYPROJECT else ""
    wanted = ".".join(part for part in (prefix, table) if part)
    section = ""
    pattern = re.compile(rf"""\s*(["']?){re.escape(key)}\1\s*=""")
    for number, line in enumerate(lines, start=1):
        header = _SECTION.match(line)
        if header:
            section = header.group(1).replace(" ", "")
            continue
        found = pattern.match(line)
        if section == wanted and found:
            return f"{path}:{number}:{found.start(1) + 1}"
    return str(path)


_SECTION = re.compile(r"\s*\[([^\[\]]+)\]\s*(?:#.*)?$")
