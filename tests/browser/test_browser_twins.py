"""The browser's own scripts, run in Chromium on the same cases as the server and the Python twins.

``dsp.editHub`` (assets/dsp.js) is the hub edit a drag or an arrow key makes in the browser;
``geo/plan_edits.py`` is the server's. The load test's simulated browser
(tests/support/simulated_browser.py) stands in for the scripts with Python twins; each twin is
checked here against the script it copies, so a change to one without the other fails.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from playwright.sync_api import Page

from dashboard import ids
from dashboard.planning_panel import initial_plan, latlon
from geo import plan_edits
from geo.errors import PlannerInputError
from geo.projection import grid_xy, lonlat
from geo.scenarios import scenario_from_dict, scenario_to_dict
from tests.support.paths import PROJECT_ROOT
from tests.support.simulated_browser import follow_plan, hub_edit, hub_layer_key, money_key, plan_for_open_tab

pytestmark = pytest.mark.browser
SCRIPTS = ("00-proj4.js", "00-shared.js", "money.js", "dsp.js")  # in the order Dash serves them


@pytest.fixture
def scripts(page: Page) -> Page:
    """A blank page with the planner's scripts loaded, as the app serves them."""
    page.set_content("<!doctype html><html><body></body></html>")
    for name in SCRIPTS:
        page.add_script_tag(path=str(PROJECT_ROOT / "assets" / name))
    return page


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    """The demo's starting plan, with its second hub locked and an outreach point on the third."""
    plan = initial_plan()
    plan["hubs"][1]["locked"] = True
    plan["hubs"][2]["outreach_points"] = [{"name": "Library room", "x": 447000.0, "y": 214000.0}]
    return plan


def server_edit(plan: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The server's edit for a browser event: (new plan, None), or (None, its refusal)."""
    content = scenario_from_dict(plan)
    try:
        if event["kind"] == "nudge":
            return scenario_to_dict(plan_edits.nudge_hub(content, event["hub"], event["dx"], event["dy"])), None
        x, y = grid_xy(event["lng"], event["lat"])
        return scenario_to_dict(plan_edits.move_hub(content, event["hub"], x, y)), None
    except PlannerInputError as error:
        return None, str(error)


def events(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Moves across Great Britain, nudges both ways, a locked hub, a hub no longer there, a drop off the grid."""
    first, locked = plan["hubs"][0]["hub_id"], plan["hubs"][1]["hub_id"]
    places = [(-1.47, 52.92), (-3.2, 55.95), (1.29, 52.63), (-5.05, 50.26), (-2.24, 53.48)]
    return [*({"kind": "move", "hub": first, "lng": lng, "lat": lat} for lng, lat in places),
            {"kind": "nudge", "hub": first, "dx": 500.0, "dy": 0.0},
            {"kind": "nudge", "hub": first, "dx": 0, "dy": -2000},
            {"kind": "move", "hub": locked, "lng": -1.47, "lat": 52.92},
            {"kind": "nudge", "hub": locked, "dx": 500.0, "dy": 0.0},
            {"kind": "move", "hub": "H99", "lng": -1.47, "lat": 52.92},
            {"kind": "move", "hub": first, "lng": -30.0, "lat": 40.0}]


def same_places(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Whether two plans have the same hubs in the same places, to the centimetre."""
    return [h["hub_id"] for h in ours["hubs"]] == [h["hub_id"] for h in theirs["hubs"]] and all(
        abs(a["x"] - b["x"]) <= 0.01 and abs(a["y"] - b["y"]) <= 0.01
        for a, b in zip(ours["hubs"], theirs["hubs"], strict=True))


def test_the_browser_edit_and_the_server_edit_agree(scripts: Page, plan: dict[str, Any]) -> None:
    for event in events(plan):
        browser = scripts.evaluate("([event, plan]) => window.dsp.editHub(event, plan)", [event, plan])
        server, refusal = server_edit(plan, event)
        if server is None:
            assert browser["plan"] is None, event  # both refuse
            if "locked" in (refusal or ""):
                assert browser["status"] == refusal  # and say so in the same words
            continue
        assert browser["plan"] is not None, event
        assert same_places(browser["plan"], server), event


def test_the_python_hub_edit_twin_matches_the_browser(scripts: Page, plan: dict[str, Any]) -> None:
    for event in events(plan):
        browser = scripts.evaluate("([event, plan]) => window.dsp.editHub(event, plan).plan", [event, plan])
        twin = hub_edit(event, plan)
        if event["hub"] == "H99" or plan["hubs"][1]["hub_id"] == event["hub"]:
            assert browser is None and twin is None, event
        elif browser is None:  # off the grid: the browser refuses; the twin leaves it to the server
            assert event["lng"] == -30.0
        else:
            assert twin is not None and same_places(browser, twin), event


def variants(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Plans that differ from ``plan`` in one thing each: what the keys must notice, and what they must not."""
    moved, renamed, locked, decided, outreach, staffed = (copy.deepcopy(plan) for _ in range(6))
    moved["hubs"][0]["x"] += 1000.0
    renamed["hubs"][0]["name"] = "Renamed hub"
    locked["hubs"][0]["locked"] = True
    decided["service_decisions"] = {"S01": "decommission"}
    outreach["hubs"][0]["outreach_points"] = [{"name": "Hall", "x": 446000.0, "y": 213000.0}]
    staffed["money"] = {**(staffed.get("money") or {}), "ips_specialists_fte": 4.0}
    return [plan, moved, renamed, locked, decided, outreach, staffed]


def test_the_key_twins_change_exactly_when_the_scripts_keys_do(scripts: Page, plan: dict[str, Any]) -> None:
    plans = variants(plan)
    browser = scripts.evaluate("""plans => plans.map(plan => [
        window.dash_clientside.dspMoney.moneyKey(plan, null), window.dsp.hubLayerKey(plan)])""", plans)
    twins = [[money_key(p, None), hub_layer_key(p)] for p in plans]
    for (a, b), (twin_a, twin_b) in zip(itertools.combinations(browser, 2), itertools.combinations(twins, 2),
                                        strict=True):
        assert (a[0] == b[0]) == (twin_a[0] == twin_b[0])  # the money key
        assert (a[1] == b[1]) == (twin_a[1] == twin_b[1])  # the hub layer's key
    same_again = scripts.evaluate("""plan => { const money = window.dash_clientside.dspMoney;
        return money.moneyKey(plan, money.moneyKey(plan, null)) === window.dash_clientside.no_update; }""", plan)
    assert same_again and money_key(plan, money_key(plan, None)) is None  # unchanged: no update


@pytest.mark.parametrize("tab", [ids.TAB_PLAN, ids.TAB_MONEY, ids.TAB_OUTCOMES])
def test_the_follower_twin_writes_what_the_script_writes(scripts: Page, plan: dict[str, Any], tab: str) -> None:
    """``dsp.followPlan`` on a fresh page (no keys yet) and after a move: the stores it writes, the plan it passes."""
    moved = copy.deepcopy(plan)
    moved["hubs"][0]["x"] += 1000.0
    fresh_layer = hub_layer_key(plan)
    for fresh, later in ((plan, None), (moved, plan)):  # a fresh page; a move after the keys were written
        written = scripts.evaluate("""([plan, tab, before]) => {
            const writes = {};
            const clientside = window.dash_clientside;
            const key = before && clientside.dspMoney.moneyKey(before, null);
            const layer = before ? window.dsp.hubLayerKey(before) : null;
            clientside.set_props = (id, props) => { for (const p in props) { writes[id + "." + p] = props[p]; } };
            clientside.callback_context = {states_list: [null, null, null, [], []]};
            clientside.dsp.followPlan(plan, tab, key, null, layer === null ? null : "stale " + layer);
            return writes;
        }""", [fresh, tab, later])
        key = money_key(later, None) if later else None
        twin = follow_plan(fresh, tab, key, None, "stale" if later else None)
        assert set(written) == set(twin), (tab, later is not None)
        if f"{ids.PLACES_PLAN}.data" in twin:
            assert written[f"{ids.PLACES_PLAN}.data"] == twin[f"{ids.PLACES_PLAN}.data"]
    assert plan_for_open_tab(plan, tab, None) == (plan if tab in ids.MONEY_BY_PLACE_TABS else None)
    assert fresh_layer == hub_layer_key(copy.deepcopy(plan))


def test_map_coordinates_are_rounded_alike(scripts: Page, plan: dict[str, Any]) -> None:
    points = [(hub["x"], hub["y"]) for hub in plan["hubs"]]
    browser = scripts.evaluate("points => points.map(([x, y]) => window.dsp.latLng(x, y))", points)
    for (x, y), ours in zip(points, browser, strict=True):
        assert ours == pytest.approx(latlon(x, y), abs=2e-6)
        assert lonlat(x, y)[1] == pytest.approx(ours[0], abs=1e-6)
