"""Edits a planner makes to a plan's hubs: add, move, rename, lock, remove, outreach points.

Each edit is a pure function from one :class:`~geo.scenarios.ScenarioContent` to a new one,
so the interface can keep the old value for undo and any edit can be replayed or tested
on its own. Coordinates are British National Grid metres.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from geo.errors import PlannerInputError
from geo.scenarios import Hub, OutreachPoint, ScenarioContent, next_hub_label

DEFAULT_HUB_COUNT = 6  # the papers' redesign proposed six resource hubs


def _hub_index(content: ScenarioContent, hub_id: str) -> int:
    for i, hub in enumerate(content.hubs):
        if hub.hub_id == hub_id:
            return i
    known = ", ".join(h.hub_id for h in content.hubs) or "none"
    raise PlannerInputError(f"hub_id: no hub {hub_id!r} in this plan (hubs: {known})")


def _replace_hub(content: ScenarioContent, hub_id: str, **changes: object) -> ScenarioContent:
    i = _hub_index(content, hub_id)
    hubs = list(content.hubs)
    hubs[i] = dataclasses.replace(hubs[i], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(content, hubs=tuple(hubs))


def next_hub_id(content: ScenarioContent) -> str:
    """The first unused id of the form H1, H2, ..."""
    used = {h.hub_id for h in content.hubs}
    n = 1
    while f"H{n}" in used:
        n += 1
    return f"H{n}"


def starting_plan(towns: pd.DataFrame, *, dataset_version: str, assumptions_version: str,
                  n_hubs: int = DEFAULT_HUB_COUNT) -> ScenarioContent:
    """A first draft to move around: one hub in each of the ``n_hubs`` most populous towns.

    ``towns`` needs ``name``, ``population`` and point geometry (or ``x``/``y``) in metres.
    """
    biggest = towns.sort_values("population", ascending=False).head(n_hubs)
    hubs = []
    for n, (_, town) in enumerate(biggest.iterrows(), start=1):
        x, y = (town.geometry.x, town.geometry.y) if "geometry" in town else (town["x"], town["y"])
        hubs.append(Hub(hub_id=f"H{n}", name=f"{town['name']} hub", x=float(x), y=float(y)))
    return ScenarioContent(dataset_version=dataset_version, assumptions_version=assumptions_version,
                           hubs=tuple(hubs))


def add_hub(content: ScenarioContent, x: float, y: float, *, name: str | None = None,
            label: str | None = None) -> ScenarioContent:
    """Add a new hub at (x, y) with the next free label (or ``label``); its name defaults to "Hub <label>"."""
    label = label or next_hub_label(h.label for h in content.hubs)
    hub = Hub(hub_id=next_hub_id(content), name=name or f"Hub {label}", x=x, y=y, label=label)
    return dataclasses.replace(content, hubs=(*content.hubs, hub))


def move_hub(content: ScenarioContent, hub_id: str, x: float, y: float) -> ScenarioContent:
    """Move a hub's main site; a locked hub refuses to move."""
    hub = content.hubs[_hub_index(content, hub_id)]
    if hub.locked:
        raise PlannerInputError(f"hub {hub.name!r} is locked: unlock it before moving it")
    return _replace_hub(content, hub_id, x=x, y=y)


def nudge_hub(content: ScenarioContent, hub_id: str, dx_m: float, dy_m: float) -> ScenarioContent:
    """Move a hub by (dx_m, dy_m) metres: what an arrow key does."""
    hub = content.hubs[_hub_index(content, hub_id)]
    return move_hub(content, hub_id, hub.x + dx_m, hub.y + dy_m)


def rename_hub(content: ScenarioContent, hub_id: str, name: str) -> ScenarioContent:
    """Give a hub a new name (trimmed; a blank name is refused)."""
    if not name.strip():
        raise PlannerInputError("name: a hub needs a name; found an empty one")
    return _replace_hub(content, hub_id, name=name.strip())


def set_hub_locked(content: ScenarioContent, hub_id: str, locked: bool) -> ScenarioContent:
    """Lock a hub (Suggest keeps it where it is and it cannot be dragged) or unlock it."""
    return _replace_hub(content, hub_id, locked=bool(locked))


def set_hub_capacity(content: ScenarioContent, hub_id: str, places: int | None) -> ScenarioContent:
    """Set how many people a hub can support at once (None: not known); the capacity figures follow it."""
    return _replace_hub(content, hub_id, capacity_places=places)


def remove_hub(content: ScenarioContent, hub_id: str) -> ScenarioContent:
    """Take a hub out of the plan."""
    i = _hub_index(content, hub_id)
    return dataclasses.replace(content, hubs=content.hubs[:i] + content.hubs[i + 1:])


def add_outreach_point(content: ScenarioContent, hub_id: str, x: float, y: float, *,
                       name: str | None = None) -> ScenarioContent:
    """Attach an outreach point to a hub: people can reach the hub there too."""
    hub = content.hubs[_hub_index(content, hub_id)]
    label = name or f"{hub.name} outreach {len(hub.outreach_points) + 1}"
    points = (*hub.outreach_points, OutreachPoint(name=label, x=x, y=y))
    return _replace_hub(content, hub_id, outreach_points=points)


def remove_outreach_point(content: ScenarioContent, hub_id: str, index: int) -> ScenarioContent:
    """Take a hub's outreach point number ``index`` (from 0) away."""
    hub = content.hubs[_hub_index(content, hub_id)]
    if not 0 <= index < len(hub.outreach_points):
        raise PlannerInputError(
            f"index: hub {hub.name!r} has {len(hub.outreach_points)} outreach points, found index {index}"
        )
    points = hub.outreach_points[:index] + hub.outreach_points[index + 1:]
    return _replace_hub(content, hub_id, outreach_points=points)
