"""Which node of the SOP each logged activity is.

An activity matches a node whose id or text equals it, case and runs of
whitespace ignored. A map file does the rest:

    activities: {"Take in charge ticket": take_charge}
    silent: [check_contract]      # nodes never logged: a case may lack them
    ignore: [Wait]                # activities that are not steps of the SOP

A decision is silent unless an activity maps to it, and so is an end node: a log
records what people did, and an outcome or a question is seldom an event.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sopkit.conform.logs import LogError
from sopkit.datafiles import load_data_file, where
from sopkit.model import Decision, End, Sop
from sopkit.values import did_you_mean

_SPACES = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).casefold()


@dataclass(frozen=True)
class ActivityMap:
    """What a map file says (empty: match by id and text alone)."""

    activities: Mapping[str, str] = field(default_factory=dict)
    silent: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    path: str | None = None
    places: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """`file:line:column` of each node id the file names, by ("activities", activity) and
    ("silent", node id): a wrong one is reported where it is written."""


def read_map(path: str) -> ActivityMap:
    data = load_data_file(path, LogError)
    if data is None:
        return ActivityMap(path=path)
    if not isinstance(data, dict):
        raise LogError(f"{path}:1:1: a map file is a mapping with activities, silent, ignore")
    unknown = [key for key in data if key not in ("activities", "silent", "ignore")]
    if unknown:
        hint = did_you_mean(str(unknown[0]), ["activities", "silent", "ignore"])
        raise LogError(f"{where(path, data, unknown[0])}: unknown key '{unknown[0]}'{hint}; "
                       "a map file has activities, silent and ignore")  # fmt: skip
    activities = data.get("activities") or {}
    if not isinstance(activities, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in activities.items()
    ):
        raise LogError(f"{where(path, data, 'activities')}: activities maps each activity "
                       'name to a node id: {"Take in charge ticket": take_charge}')  # fmt: skip
    lists = {}
    for name in ("silent", "ignore"):
        value = data.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise LogError(f"{where(path, data, name)}: {name} is a list of "
                           f"{'node ids' if name == 'silent' else 'activity names'}")  # fmt: skip
        lists[name] = tuple(value)
    places = {("activities", key): where(path, activities, key, value=True) for key in activities}
    silent = data.get("silent") or []
    places.update((("silent", node), where(path, silent, n, value=True))
                  for n, node in enumerate(silent))  # fmt: skip
    return ActivityMap(dict(activities), lists["silent"], lists["ignore"], path, places)


@dataclass
class Resolved:
    """The mapping worked out for one log: by activity code (`Log.activities`)."""

    node_of: list[int | None]  # the node an activity is, None: unknown
    ignored: list[bool]
    silent: frozenset[int]  # nodes a case may lack
    unknown: Counter[str]  # activity -> events, for the activities that match nothing
    never_logged: list[str]  # required nodes no activity maps to


def resolve(sop: Sop, activities: Sequence[str], chosen: ActivityMap) -> Resolved:
    by_key: dict[str, int] = {}
    for node in sop.nodes:  # ids first: an id beats another node's identical text
        by_key.setdefault(_key(node.id), node.index)
    for node in sop.nodes:
        by_key.setdefault(_key(node.text), node.index)
    source = chosen.path or "the map"
    declared: dict[str, int] = {}
    for activity, node_id in chosen.activities.items():
        index = sop.flow.first_index.get(node_id)
        if index is None:
            hint = did_you_mean(node_id, sop.flow.first_index)
            place = chosen.places.get(("activities", activity), source)
            raise LogError(f"{place}: '{activity}' is mapped to '{node_id}', which is no node "
                           f"of {sop.id}{hint}")  # fmt: skip
        declared[_key(activity)] = index
    silent_declared = set()
    for node_id in chosen.silent:
        index = sop.flow.first_index.get(node_id)
        if index is None:
            hint = did_you_mean(node_id, sop.flow.first_index)
            place = chosen.places.get(("silent", node_id), source)
            raise LogError(f"{place}: silent names '{node_id}', which is no node of "
                           f"{sop.id}{hint}")  # fmt: skip
        silent_declared.add(index)
    ignore = {_key(name) for name in chosen.ignore}
    node_of: list[int | None] = []
    ignored: list[bool] = []
    for activity in activities:
        key = _key(activity)
        ignored.append(key in ignore)
        node_of.append(declared.get(key, by_key.get(key)))
    for index in silent_declared:
        if index in node_of:
            names = sorted(a for a, n in zip(activities, node_of, strict=True) if n == index)
            raise LogError(f"{source}: '{sop.nodes[index].id}' is silent, but the log has it "
                           f"as {', '.join(names)}: map those elsewhere or do not list the "
                           "node as silent")  # fmt: skip
    logged = {
        index
        for index, skip in zip(node_of, ignored, strict=True)
        if index is not None and not skip
    }
    silent = set(silent_declared)
    for node in sop.nodes:
        if isinstance(node, Decision | End) and node.index not in logged:
            silent.add(node.index)
    never = [node.id for node in sop.nodes if node.index not in logged and node.index not in silent]
    return Resolved(node_of, ignored, frozenset(silent), Counter(), never)
