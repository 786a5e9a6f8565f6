"""The planning panel's pure parts: applying edits, scoring, history and the builders."""

from __future__ import annotations

import numpy as np
import pytest

from dashboard import history, ids
from dashboard.engine import score_plan
from dashboard.layers import MINUTES_PALETTE, minutes_classes
from dashboard.planning_panel import (
    TO_LATLON,
    apply_edit,
    area_at,
    group_table,
    hub_markers,
    initial_plan,
    place_xy,
)
from geo.errors import PlannerInputError
from geo.io import DEMO_FOLDER, load_locality
from geo.scenarios import scenario_from_dict


@pytest.fixture(scope="module")
def locality():  # type: ignore[no-untyped-def]
    return load_locality()


def edit(plan, trigger, locality, **kwargs):  # type: ignore[no-untyped-def]
    options = {"selected": "H1", "event": None, "move_to": None, "rename_text": None, "locked": None,
               "map_click": None, "add_mode": None}
    return apply_edit(trigger, plan, locality=locality, **{**options, **kwargs})


def test_drag_event_moves_the_hub_to_the_dropped_point(locality) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan(locality))
    lon, lat = TO_LATLON.transform(433_000.0, 222_000.0)
    new, message = edit(plan, ids.HUB_EVENT, locality, event={"kind": "move", "hub": "H1", "lat": lat, "lng": lon})
    assert new.hubs[0].x == pytest.approx(433_000.0, abs=0.01)
    assert new.hubs[0].y == pytest.approx(222_000.0, abs=0.01)
    assert message == "Kingsmere hub moved."


def test_buttons_move_to_places_and_map_clicks_add(locality) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan(locality))
    north, _ = edit(plan, ids.HUB_MOVE_NORTH, locality)
    assert north.hubs[0].y == plan.hubs[0].y + 500
    to_town, message = edit(plan, ids.HUB_MOVE_TO_BUTTON, locality, move_to="town:Eastwick Marsh")
    assert (to_town.hubs[0].x, to_town.hubs[0].y) == place_xy(locality, "town:Eastwick Marsh")
    lon, lat = TO_LATLON.transform(440_000.0, 235_000.0)
    added, message = edit(plan, ids.MAP, locality, add_mode="hub", map_click={"latlng": {"lat": lat, "lng": lon}})
    assert len(added.hubs) == 7 and message == "Hub 7 added."
    with pytest.raises(PlannerInputError, match="Choose a hub first"):
        edit(plan, ids.HUB_REMOVE, locality, selected=None)


def test_history_keeps_the_previous_plan_and_clears_redo() -> None:
    recorded = history.record({"past": [{"n": 1}], "future": [{"n": 9}]}, {"n": 2})
    assert recorded == {"past": [{"n": 1}, {"n": 2}], "future": []}
    long = history.empty()
    for n in range(history.MAX_STEPS + 5):
        long = history.record(long, {"n": n})
    assert len(long["past"]) == history.MAX_STEPS and long["past"][-1] == {"n": history.MAX_STEPS + 4}


def test_scoring_a_plan_and_building_its_views(locality) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan(locality))
    result = score_plan(str(DEMO_FOLDER), plan.hubs)
    assert np.isfinite(result.minutes).all()
    table = group_table(result).to_plotly_json()
    assert "Women" in str(table) and "Most deprived fifth" in str(table)
    markers = [m for m in hub_markers(plan, "H1") if getattr(m, "title", "").startswith("Hub: ")]
    assert [m.title for m in markers] == [f"Hub: {h.name}" for h in plan.hubs]
    assert all(m.draggable for m in markers)


def test_minutes_classes_use_fixed_fifteen_minute_bands() -> None:
    classed = minutes_classes(np.array([3.0, 15.0, 29.9, 44.0, 59.0, 75.0, np.nan]))
    assert classed.classes == [0, 1, 1, 2, 3, 4, -1]
    assert classed.palette == MINUTES_PALETTE
    assert classed.legend_rows[-1][1] == "cannot reach any hub"


def test_area_at_finds_the_area_under_a_point(locality) -> None:  # type: ignore[no-untyped-def]
    row = 42
    x, y = locality.areas.loc[row, ["pwc_x", "pwc_y"]]
    assert area_at(locality, x, y) == row
    assert area_at(locality, 0.0, 0.0) is None
