"""The content of a planning scenario as immutable values with a JSON round trip.

A scenario is what a steering group saves and compares: the hubs and their outreach
points, what happens to each existing service, the budget lines, and the assumptions
and dataset versions the figures were worked out with. Every value is checked when it
is built, so a `ScenarioContent` that exists is a valid one; the store only ever
writes and reads these.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, cast

from geo.errors import PlannerInputError
from geo.money import PlanMoney, money_from_budget_lines, money_from_dict, money_to_dict

ServiceDecision = Literal["keep", "reshape", "decommission"]
SERVICE_DECISIONS: tuple[ServiceDecision, ...] = ("keep", "reshape", "decommission")

FORMAT_NAME = "day-services-planner/scenario"
# 2: the money settings are typed (``money``: pounds, staff FTE); 1 kept them all in
# ``budgets_gbp``, staff counts beside pounds. Format 1 is still read (geo/money.py).
FORMAT_VERSION = 2
OLD_FORMAT_VERSIONS = (1,)

# The British National Grid (EPSG:27700) covers Great Britain within these metres.
GRID_X_RANGE_M = (0.0, 700_000.0)
GRID_Y_RANGE_M = (0.0, 1_300_000.0)

MAX_ID_CHARS = 64
# A hub's id is written into the page (marker attributes, element ids): letters, digits and . _ : - only.
HUB_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
MAX_LABEL_LETTERS = 3  # A ... Z, AA ... ZZ, AAA ...: more labels than any plan has hubs
MAX_NAME_CHARS = 200
MAX_NOTES_CHARS = 20_000
MAX_RELEASE_NOTE_CHARS = 2_000


def _fail(where: str, expected: str, found: object) -> PlannerInputError:
    return PlannerInputError(f"{where}: expected {expected}, found {found!r}")


def _text(where: str, value: object, *, max_chars: int, allow_blank: bool = False) -> str:
    if not isinstance(value, str):
        raise _fail(where, "text", value)
    if not allow_blank and not value.strip():
        raise _fail(where, "non-blank text", value)
    if len(value) > max_chars:
        raise _fail(where, f"at most {max_chars} characters", f"{len(value)} characters")
    return value


def _finite(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, "a number", value)
    number = float(value)
    if not math.isfinite(number):
        raise _fail(where, "a finite number", value)
    return number


def _grid_metres(where: str, value: object, axis_range: tuple[float, float]) -> float:
    number = _finite(where, value)
    low, high = axis_range
    if not low <= number <= high:
        raise _fail(where, f"EPSG:27700 metres between {low:.0f} and {high:.0f}", value)
    return number


def _freeze_json(where: str, value: object) -> object:
    """Return `value` as read-only JSON (mappings and tuples), refusing what JSON cannot hold."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return _finite(where, value) if isinstance(value, float) else value
    if isinstance(value, Mapping):
        frozen: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(f"{where} key", "text", key)
            frozen[key] = _freeze_json(f"{where}.{key}", item)
        return MappingProxyType(frozen)
    if isinstance(value, list | tuple):
        return tuple(_freeze_json(f"{where}[{i}]", item) for i, item in enumerate(value))
    raise _fail(where, "a JSON value (text, number, true/false, null, list or mapping)", value)


def _thaw_json(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _thaw_json(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thaw_json(item) for item in value]
    return value


@dataclass(frozen=True)
class OutreachPoint:
    """An access point attached to a hub (a room in a library, a GP surgery)."""

    name: str
    x: float
    y: float

    def __post_init__(self) -> None:
        where = f"outreach point {self.name!r}"
        _text(f"{where} name", self.name, max_chars=MAX_NAME_CHARS)
        object.__setattr__(self, "x", _grid_metres(f"{where} x", self.x, GRID_X_RANGE_M))
        object.__setattr__(self, "y", _grid_metres(f"{where} y", self.y, GRID_Y_RANGE_M))


def hub_label(number: int) -> str:
    """The label of the ``number``-th hub (from 1): A ... Z, then AA, AB ..., as spreadsheet columns."""
    if number < 1:
        raise ValueError(f"hub labels count from 1, found {number}")
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def label_number(label: str) -> int:
    """The inverse of :func:`hub_label`: "A" -> 1, "AA" -> 27."""
    number = 0
    for letter in label:
        number = 26 * number + ord(letter) - ord("A") + 1
    return number


def is_hub_label(text: object) -> bool:
    """Return whether ``text`` is a hub label: one to MAX_LABEL_LETTERS capital letters (A, B, ... AA)."""
    return (isinstance(text, str) and 1 <= len(text) <= MAX_LABEL_LETTERS
            and all("A" <= letter <= "Z" for letter in text))


def next_hub_label(labels: Iterable[str]) -> str:
    """The label after the furthest one in ``labels``: a new hub never takes a letter a living hub has,
    nor one between them, so "hub D" keeps meaning the same hub while others come and go."""
    return hub_label(max((label_number(label) for label in labels if label), default=0) + 1)


@dataclass(frozen=True)
class Hub:
    """A resource hub: a main site (EPSG:27700 metres) plus its outreach points.

    `locked` hubs stay put when the optimiser places the others; `capacity_places`
    is the number of people the hub can support at once (None when not yet set).
    `label` is the letter people call it by ("move hub D"): it stays the hub's for its
    life in the plan, on the map, in tables, the pack and the exports, whatever other
    hubs come and go. A hub built without one gets the next free letter from the
    `ScenarioContent` that holds it.
    """

    hub_id: str
    name: str
    x: float
    y: float
    locked: bool = False
    capacity_places: int | None = None
    outreach_points: tuple[OutreachPoint, ...] = ()
    label: str = ""

    def __post_init__(self) -> None:
        _text("hub hub_id", self.hub_id, max_chars=MAX_ID_CHARS)
        if not HUB_ID_PATTERN.fullmatch(self.hub_id):
            raise _fail("hub hub_id", "1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
                        self.hub_id)
        where = f"hub {self.hub_id!r}"
        _text(f"{where} name", self.name, max_chars=MAX_NAME_CHARS)
        if self.label != "" and not is_hub_label(self.label):
            raise _fail(f"{where} label", f"1 to {MAX_LABEL_LETTERS} capital letters (A, B, ... AA)",
                        self.label)
        object.__setattr__(self, "x", _grid_metres(f"{where} x", self.x, GRID_X_RANGE_M))
        object.__setattr__(self, "y", _grid_metres(f"{where} y", self.y, GRID_Y_RANGE_M))
        if not isinstance(self.locked, bool):
            raise _fail(f"{where} locked", "true or false", self.locked)
        capacity = self.capacity_places
        if capacity is not None and (
            isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0
        ):
            raise _fail(f"{where} capacity_places", "a whole number of places >= 0 or null",
                        capacity)
        if not isinstance(self.outreach_points, Sequence) or isinstance(
            self.outreach_points, str
        ):
            raise _fail(f"{where} outreach_points", "a list of outreach points",
                        self.outreach_points)
        for i, point in enumerate(self.outreach_points):
            if not isinstance(point, OutreachPoint):
                raise _fail(f"{where} outreach_points[{i}]", "an OutreachPoint", point)
        object.__setattr__(self, "outreach_points", tuple(self.outreach_points))


@dataclass(frozen=True)
class ScenarioContent:
    """Everything a saved scenario version holds, apart from who saved it and when.

    `service_decisions` maps an existing service's id to "keep", "reshape" or
    "decommission"; `money` holds the money settings (pounds a year and staff in
    full-time equivalents, each in its own field: :class:`geo.money.PlanMoney`);
    `assumptions` holds the rates and parameters used (JSON values) under the label
    `assumptions_version`, and `dataset_version` names the area data the figures
    came from, so a result can always be traced back. `release_note` says in plain
    words when and with whom a confidential version may be shared ("confidential until
    the council's cabinet decides on 12 May"); the briefing pack prints it.
    """

    dataset_version: str
    assumptions_version: str
    hubs: tuple[Hub, ...] = ()
    service_decisions: Mapping[str, ServiceDecision] = field(default_factory=dict)
    money: PlanMoney = field(default_factory=PlanMoney)
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    notes: str = ""
    release_note: str = ""

    def __post_init__(self) -> None:
        _text("scenario dataset_version", self.dataset_version, max_chars=MAX_NAME_CHARS)
        _text("scenario assumptions_version", self.assumptions_version,
              max_chars=MAX_NAME_CHARS)
        _text("scenario notes", self.notes, max_chars=MAX_NOTES_CHARS, allow_blank=True)
        _text("scenario release_note", self.release_note, max_chars=MAX_RELEASE_NOTE_CHARS,
              allow_blank=True)
        object.__setattr__(self, "hubs", self._checked_hubs(self.hubs))
        object.__setattr__(self, "service_decisions",
                           self._checked_decisions(self.service_decisions))
        if not isinstance(self.money, PlanMoney):
            raise _fail("scenario money", "a PlanMoney", self.money)
        if not isinstance(self.assumptions, Mapping):
            raise _fail("scenario assumptions", "a mapping of name to value", self.assumptions)
        object.__setattr__(self, "assumptions",
                           _freeze_json("scenario assumptions", self.assumptions))

    @staticmethod
    def _checked_hubs(hubs: object) -> tuple[Hub, ...]:
        if not isinstance(hubs, Sequence) or isinstance(hubs, str):
            raise _fail("scenario hubs", "a list of hubs", hubs)
        seen: set[str] = set()
        labels: set[str] = set()
        for i, hub in enumerate(hubs):
            if not isinstance(hub, Hub):
                raise _fail(f"scenario hubs[{i}]", "a Hub", hub)
            if hub.hub_id in seen:
                raise _fail(f"scenario hubs[{i}] hub_id", "an id not used by another hub",
                            hub.hub_id)
            if hub.label and hub.label in labels:
                raise _fail(f"scenario hubs[{i}] label", "a label not used by another hub",
                            hub.label)
            seen.add(hub.hub_id)
            labels.add(hub.label)
        return ScenarioContent._labelled(tuple(hubs))

    @staticmethod
    def _labelled(hubs: tuple[Hub, ...]) -> tuple[Hub, ...]:
        """Hubs without a label (new ones, or from a scenario saved before labels) get the next
        free ones in order: an old scenario's hubs read A, B, C ... as they were listed."""
        if all(hub.label for hub in hubs):
            return hubs
        labels = [hub.label for hub in hubs]
        labelled = []
        for hub in hubs:
            if not hub.label:
                hub = replace(hub, label=next_hub_label(labels))
                labels.append(hub.label)
            labelled.append(hub)
        return tuple(labelled)

    @staticmethod
    def _checked_decisions(decisions: object) -> Mapping[str, ServiceDecision]:
        if not isinstance(decisions, Mapping):
            raise _fail("scenario service_decisions", "a mapping of service_id to decision",
                        decisions)
        checked: dict[str, ServiceDecision] = {}
        for service_id, decision in decisions.items():
            _text("scenario service_decisions key", service_id, max_chars=MAX_ID_CHARS)
            if decision not in SERVICE_DECISIONS:
                raise _fail(f"scenario service_decisions[{service_id!r}]",
                            " or ".join(repr(d) for d in SERVICE_DECISIONS), decision)
            checked[service_id] = decision
        return MappingProxyType(checked)


_SCENARIO_KEYS = {
    "format", "format_version", "dataset_version", "assumptions_version", "assumptions",
    "hubs", "service_decisions", "money", "notes", "release_note",
}
_OLD_SCENARIO_KEYS = (_SCENARIO_KEYS - {"money"}) | {"budgets_gbp"}
_HUB_KEYS = {"hub_id", "label", "name", "x", "y", "locked", "capacity_places", "outreach_points"}
_POINT_KEYS = {"name", "x", "y"}


def scenario_to_dict(content: ScenarioContent) -> dict[str, Any]:
    """Return `content` as plain JSON-ready data (the stored format)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "dataset_version": content.dataset_version,
        "assumptions_version": content.assumptions_version,
        "assumptions": _thaw_json(content.assumptions),
        "hubs": [
            {
                "hub_id": hub.hub_id,
                "label": hub.label,
                "name": hub.name,
                "x": hub.x,
                "y": hub.y,
                "locked": hub.locked,
                "capacity_places": hub.capacity_places,
                "outreach_points": [
                    {"name": p.name, "x": p.x, "y": p.y} for p in hub.outreach_points
                ],
            }
            for hub in content.hubs
        ],
        "service_decisions": dict(content.service_decisions),
        "money": money_to_dict(content.money),
        "notes": content.notes,
        "release_note": content.release_note,
    }


def _keys_checked(where: str, data: object, allowed: set[str],
                  required: set[str]) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(where, "a mapping", data)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(where, f"only the keys {sorted(allowed)}", f"unknown keys {unknown}")
    missing = sorted(required - set(data))
    if missing:
        raise _fail(where, f"the keys {sorted(required)}", f"missing keys {missing}")
    return cast(Mapping[str, Any], data)


def _list(where: str, value: object) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _fail(where, "a list", value)
    return list(value)


def _hub_from_dict(where: str, data: object) -> Hub:
    hub = _keys_checked(where, data, _HUB_KEYS, {"hub_id", "name", "x", "y"})
    points = []
    for i, point_data in enumerate(_list(f"{where}.outreach_points",
                                         hub.get("outreach_points", []))):
        point = _keys_checked(f"{where}.outreach_points[{i}]", point_data, _POINT_KEYS,
                              _POINT_KEYS)
        points.append(OutreachPoint(name=point["name"], x=point["x"], y=point["y"]))
    return Hub(
        hub_id=hub["hub_id"],
        name=hub["name"],
        x=hub["x"],
        y=hub["y"],
        locked=hub.get("locked", False),
        capacity_places=hub.get("capacity_places"),
        outreach_points=tuple(points),
        label=hub.get("label", ""),
    )


def scenario_from_dict(data: object) -> ScenarioContent:
    """Build scenario content from stored JSON data, naming the first thing wrong.

    Format 1 (money settings in ``budgets_gbp``, staff counts beside pounds) is read too;
    a file that names no format version is taken as format 1 when it has ``budgets_gbp``.
    """
    if not isinstance(data, Mapping):
        raise _fail("scenario", "a mapping", data)
    version = data.get("format_version", 1 if "budgets_gbp" in data else FORMAT_VERSION)
    if version not in (FORMAT_VERSION, *OLD_FORMAT_VERSIONS):
        raise _fail("scenario format_version",
                    f"{FORMAT_VERSION} (a newer planner may have written this file)", version)
    old = version in OLD_FORMAT_VERSIONS
    scenario = _keys_checked("scenario", data, _OLD_SCENARIO_KEYS if old else _SCENARIO_KEYS,
                             {"dataset_version", "assumptions_version"})
    if scenario.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise _fail("scenario format", repr(FORMAT_NAME), scenario["format"])
    hubs = tuple(
        _hub_from_dict(f"scenario hubs[{i}]", hub_data)
        for i, hub_data in enumerate(_list("scenario hubs", scenario.get("hubs", [])))
    )
    money = (money_from_budget_lines(scenario.get("budgets_gbp", {})) if old
             else money_from_dict(scenario.get("money", {})))
    return ScenarioContent(
        dataset_version=scenario["dataset_version"],
        assumptions_version=scenario["assumptions_version"],
        hubs=hubs,
        service_decisions=scenario.get("service_decisions", {}),
        money=money,
        assumptions=scenario.get("assumptions", {}),
        notes=scenario.get("notes", ""),
        release_note=scenario.get("release_note", ""),
    )


def scenario_to_json(content: ScenarioContent) -> str:
    """Return `content` as a JSON document (stable key order, no NaN, ASCII only).

    ASCII escapes keep any text a browser sends (even a stray NUL or half a surrogate
    pair) storable in every database's text column.
    """
    return json.dumps(scenario_to_dict(content), ensure_ascii=True, allow_nan=False,
                      indent=None, separators=(",", ":"))


def scenario_from_json(text: str | bytes) -> ScenarioContent:
    """Parse a JSON document written by `scenario_to_json` (or by hand) and check it."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise PlannerInputError(
            f"scenario JSON: expected a JSON document, found invalid JSON at line "
            f"{exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return scenario_from_dict(data)


def _refuse_constant(name: str) -> None:
    raise PlannerInputError(f"scenario JSON: expected finite numbers, found {name}")
