"""The planning panel: applying edits, scoring, history, the builders, and what a drag asks of the server."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from dashboard import history, ids
from dashboard.engine import score_plan
from dashboard.layers import MINUTES_PALETTE, minutes_classes
from dashboard.planning_panel import (
    HEADLINE_KPIS,
    apply_edit,
    area_at,
    grid_option,
    group_table,
    hub_markers,
    initial_plan,
    latlon,
    place_xy,
)
from geo.errors import PlannerInputError
from geo.locality import DEMO_FOLDER
from geo.projection import lonlat
from geo.scenarios import scenario_from_dict
from tests.support.callback_client import post_callback
from tests.support.simulated_browser import Callbacks, component_props


def edit(plan, trigger, locality, **kwargs):  # type: ignore[no-untyped-def]
    options = {"selected": "H1", "move_to": None, "rename_text": None, "locked": None,
               "map_click": None, "add_mode": None}
    return apply_edit(trigger, plan, locality=locality, **{**options, **kwargs})


def test_buttons_move_to_places_and_map_clicks_add(locality) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan())
    north, _ = edit(plan, ids.HUB_MOVE_NORTH, locality)
    assert north.hubs[0].y == plan.hubs[0].y + 500
    to_town, message = edit(plan, ids.HUB_MOVE_TO_BUTTON, locality, move_to="town:Eastwick Marsh")
    assert (to_town.hubs[0].x, to_town.hubs[0].y) == place_xy(locality, "town:Eastwick Marsh")
    lon, lat = lonlat(440_000.0, 235_000.0)
    added, message = edit(plan, ids.MAP, locality, add_mode="hub", map_click={"latlng": {"lat": lat, "lng": lon}})
    assert len(added.hubs) == 7 and message == "Hub G added."
    with pytest.raises(PlannerInputError, match="Choose a hub first"):
        edit(plan, ids.HUB_REMOVE, locality, selected=None)


def test_a_hub_or_outreach_point_is_added_at_a_town_an_area_or_a_grid_reference(locality) -> None:  # type: ignore[no-untyped-def]
    """Adding needs no mouse: the place box takes a town, an area or a typed grid reference."""
    plan = scenario_from_dict(initial_plan())
    at_town, message = edit(plan, ids.HUB_ADD_AT, locality, move_to="town:Thornley")
    assert (at_town.hubs[-1].x, at_town.hubs[-1].y) == place_xy(locality, "town:Thornley")
    assert message == "Hub G added at Thornley."
    area = locality.areas.iloc[7]
    at_area, message = edit(plan, ids.OUTREACH_ADD_AT, locality, move_to=f"area:{area['code']}", selected="H2")
    assert len(at_area.hubs[1].outreach_points) == 1 and message.endswith(f"at {area['name']}.")
    x, y = plan.hubs[0].x + 3_000.0, plan.hubs[0].y - 2_000.0
    typed = f"{x:.0f}, {y:.0f}"
    option = grid_option(typed)
    assert option is not None and typed in option["label"]  # the box keeps it while it filters by what is typed
    at_grid, _ = edit(plan, ids.HUB_ADD_AT, locality, move_to=option["value"])
    assert (at_grid.hubs[-1].x, at_grid.hubs[-1].y) == (x, y)
    with pytest.raises(PlannerInputError, match="is outside"):
        edit(plan, ids.HUB_ADD_AT, locality, move_to="grid:90000,10000")  # the Isles of Scilly
    with pytest.raises(PlannerInputError, match="Choose a town, an area or a grid reference first"):
        edit(plan, ids.HUB_ADD_AT, locality, move_to=None)
    assert grid_option("Thornley") is None


def test_history_keeps_the_previous_plan_and_clears_redo() -> None:
    recorded = history.record({"past": [{"n": 1}], "future": [{"n": 9}]}, {"n": 2})
    assert recorded == {"past": [{"n": 1}, {"n": 2}], "future": []}
    long = history.empty()
    for n in range(history.MAX_STEPS + 5):
        long = history.record(long, {"n": n})
    assert len(long["past"]) == history.MAX_STEPS and long["past"][-1] == {"n": history.MAX_STEPS + 4}


def test_scoring_a_plan_and_building_its_views(locality) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan())
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


# ---------------------------------------------------------------------------------------
# What a drag costs the server: the callbacks it wakes, through the endpoint the browser uses
# ---------------------------------------------------------------------------------------
EDIT_PLAN = f"{ids.PLAN_STATUS}.children...{ids.ADD_MODE}.data"  # edit_plan's outputs, unique among callbacks
DRAW_HUBS = f"{ids.HUBS}.children"




def test_a_drag_wakes_only_the_access_figures_on_the_server_and_a_map_click_ends_the_add_mode(client, locality) -> None:  # type: ignore[no-untyped-def]
    # A drag writes the plan in the browser (assets/dsp.js moveHub); of the server's callbacks only
    # the access figures take the plan as an input: the hub layer and the money follow keys that a
    # move leaves alone (dashboard/plan_followers.py).
    callbacks = Callbacks.from_dependencies(client.get("/_dash-dependencies").get_json())
    on_plan = [d.name for d in callbacks.woken_by({f"{ids.PLAN}.data"}) if d.clientside is None]
    assert on_plan == [f"{ids.AREA_FILL}.data-fill"]
    values = {f"{ids.PLAN}.data": initial_plan(), f"{ids.PLAN_HISTORY}.data": history.empty(),
              f"{ids.HUB_SELECT}.value": "H1"}
    lon, lat = lonlat(440_000.0, 235_000.0)
    status, response = post_callback(client, EDIT_PLAN, {**values, f"{ids.ADD_MODE}.data": "hub",
                                                          f"{ids.MAP}.clickData": {"latlng": {"lat": lat, "lng": lon}}},
                                     triggered=f"{ids.MAP}.clickData")
    assert status == 200 and response[ids.ADD_MODE]["data"] is None  # placing a hub ends the add mode
    assert response[ids.PLAN]["data"]["hubs"][-1]["x"] == pytest.approx(440_000.0, abs=0.01)


@pytest.mark.parametrize(("box", "places"), [(40, 40), ("25", 25), (None, None), ("", None)])
def test_the_places_box_sets_a_hubs_capacity(client, locality, box, places) -> None:  # type: ignore[no-untyped-def]
    values = {f"{ids.PLAN}.data": initial_plan(), f"{ids.PLAN_HISTORY}.data": history.empty(),
              f"{ids.HUB_SELECT}.value": "H2", f"{ids.HUB_PLACES}.value": box}
    status, response = post_callback(client, EDIT_PLAN, values, triggered=f"{ids.HUB_PLACES_BUTTON}.n_clicks")
    assert status == 200
    assert [h["capacity_places"] for h in response[ids.PLAN]["data"]["hubs"]][:3] == [None, places, None]


@pytest.mark.parametrize("box", [-1, 2.5, "lots", 10_001])
def test_a_bad_places_box_changes_nothing_and_says_why(locality, box) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(initial_plan())
    with pytest.raises(PlannerInputError, match="Places: expected a whole number"):
        edit(plan, ids.HUB_PLACES_BUTTON, locality, places=box)


def hub_layer_values(plan: dict[str, Any]) -> dict[str, Any]:
    """What the hub layer's callback reads: the plan, with its first hub chosen and its controls in step."""
    first = plan["hubs"][0]
    return {f"{ids.PLAN}.data": plan, f"{ids.HUB_SELECT}.value": first["hub_id"],
            f"{ids.HUB_RENAME_TEXT}.value": first["name"], f"{ids.HUB_LOCK}.value": first["locked"]}


def test_a_redraw_keeps_the_selection_unless_its_controls_are_out_of_date(client, locality) -> None:  # type: ignore[no-untyped-def]
    plan = initial_plan()
    first = plan["hubs"][0]
    values = hub_layer_values(plan)
    status, response = post_callback(client, DRAW_HUBS, values, triggered=f"{ids.HUB_LAYER_KEY}.data")
    assert status == 200 and len(response[ids.HUBS]["children"]) >= len(plan["hubs"])
    assert "value" not in response[ids.HUB_SELECT]  # no name box, lock switch and lock edit to follow
    _, response = post_callback(client, DRAW_HUBS, {**values, f"{ids.HUB_RENAME_TEXT}.value": "Old name"},
                                triggered=f"{ids.HUB_LAYER_KEY}.data")
    assert response[ids.HUB_SELECT]["value"] == first["hub_id"]  # an undone rename: the name box follows
    _, response = post_callback(client, DRAW_HUBS, {**values, f"{ids.HUB_SELECT}.value": "removed"},
                                triggered=f"{ids.HUB_LAYER_KEY}.data")
    assert response[ids.HUB_SELECT]["value"] == plan["hubs"][-1]["hub_id"]


def test_a_redraw_puts_every_marker_where_the_plan_has_it(client, locality) -> None:  # type: ignore[no-untyped-def]
    plan = initial_plan()
    first = plan["hubs"][0]
    grown = {**plan, "hubs": [{**first, "x": first["x"] + 2_000.0}, *plan["hubs"][1:],
                              {**first, "hub_id": "H99", "name": "New hub", "label": "Z"}]}
    _, response = post_callback(client, DRAW_HUBS, {**hub_layer_values(plan), f"{ids.PLAN}.data": grown},
                                triggered=f"{ids.HUB_LAYER_KEY}.data")
    at = {m["props"]["title"]: m["props"]["position"] for m in response[ids.HUBS]["children"]
          if m["props"].get("title", "").startswith("Hub: ")}
    assert at["Hub: New hub"] == latlon(first["x"], first["y"])
    assert at[f"Hub: {first['name']}"] == latlon(first["x"] + 2_000.0, first["y"])


def test_the_money_controls_follow_the_money_key_not_every_plan_change(client) -> None:
    callbacks = Callbacks.from_dependencies(client.get("/_dash-dependencies").get_json())
    on_plan = {d.name for d in callbacks.woken_by({f"{ids.PLAN}.data"}) if d.clientside is None}
    on_key = {d.name for d in callbacks.woken_by({f"{ids.MONEY_KEY}.data"})}
    followers = {f"{ids.ASSUMPTIONS}.data", f"{ids.IPS_SPECIALISTS}.value"}
    assert {name.split("...")[0] for name in on_plan} & followers == set()
    assert f"{ids.ASSUMPTIONS}.data" in on_key
    assert any("service-decision" in name for name in on_key)


def test_the_plan_follower_runs_at_load_and_its_keys_wake_the_hub_layer_and_the_money(client) -> None:  # type: ignore[no-untyped-def]
    callbacks = Callbacks.from_dependencies(client.get("/_dash-dependencies").get_json())
    follower = [d for d in callbacks.all if d.clientside == ("dsp", "followPlan")]
    assert len(follower) == 1 and follower[0].outputs == frozenset() and follower[0].initial
    # What dsp.followPlan writes on a fresh page (these two keys) is checked on the real script in
    # tests/browser/test_browser_twins.py.
    woken = {d.name for d in callbacks.woken_by({f"{ids.MONEY_KEY}.data", f"{ids.HUB_LAYER_KEY}.data"})}
    assert f"{ids.HUBS}.children" in woken and f"{ids.ASSUMPTIONS}.data" in woken


def test_the_page_opens_with_the_starting_plans_map_and_figures(client, locality) -> None:  # type: ignore[no-untyped-def]
    """The layout carries what the score callback would answer for the starting plan, so the first screen
    needs no round trip; the callback does not run on load (it would cost every page load a request)."""
    props = component_props(client.get("/_dash-layout").get_json())
    plan = props[ids.PLAN]["data"]
    values = {f"{ids.PLAN}.data": plan, f"{ids.TRAVEL_MODE}.value": props[ids.TRAVEL_MODE]["value"],
              f"{ids.LAYER_PICKER}.value": props[ids.LAYER_PICKER]["value"]}
    _, answered = post_callback(client, f"{ids.AREA_FILL}.data-fill", values, triggered=f"{ids.PLAN}.data")
    assert props[ids.AREA_FILL]["data-fill"] == answered[ids.AREA_FILL]["data-fill"]
    for element in (ids.LEGEND, *HEADLINE_KPIS, ids.GROUP_TABLE, ids.WORST_AREAS):
        assert props[element]["children"] == answered[element]["children"] != "-", element
    callbacks = Callbacks.from_dependencies(client.get("/_dash-dependencies").get_json())
    assert f"{ids.AREA_FILL}.data-fill" not in {d.name for d in callbacks.all if d.initial}
