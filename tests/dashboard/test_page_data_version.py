"""A page answers for the data version it was drawn from, whatever is activated after it opened.

Posted to Dash's endpoint as the browser does (assets/data_version.js stamps the page's
version on every callback request): a page drawn from the demo keeps getting the demo's
505 areas and figures after an analyst puts a six-area version in use, and a page whose
version this server does not hold is told to reload instead of being answered from other data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dashboard import ids
from dashboard.auth import current_user
from dashboard.engine import score_plan
from dashboard.planning_panel import initial_plan
from dashboard.store_access import scenario_store
from geo.locality import DEMO_FOLDER
from geo.scenarios import scenario_from_dict
from tests.support.callback_client import post_callback
from tests.support.upload_samples import good_upload_set, save_with_one_road

DEMO_AREAS = 505




def page_version(client: Any) -> str:
    """The data version a page loaded now is drawn from: the store first in its layout."""
    first = client.get("/_dash-layout").get_json()[0]
    assert first["props"]["id"] == ids.PAGE_DATA_VERSION
    return str(first["props"]["data"])


def drag(client: Any, plan: dict[str, Any], data_version: str | None) -> dict[str, Any]:
    """What the map's scores answer a moved plan from a page on ``data_version``."""
    values = {f"{ids.PLAN}.data": plan, f"{ids.TRAVEL_MODE}.value": "drive", f"{ids.LAYER_PICKER}.value": "access"}
    status, response = post_callback(client, f"{ids.AREA_FILL}.data-fill", values, triggered=f"{ids.PLAN}.data",
                                     data_version=data_version)
    assert status == 200, response
    return response


def areas_coloured(answer: dict[str, Any]) -> int:
    """How many areas the map's colours are for."""
    return len(json.loads(answer[ids.AREA_FILL]["data-fill"])["classes"])


def test_a_page_keeps_its_version_while_another_is_activated(app: Any, tmp_path: Path) -> None:
    client = app.server.test_client()
    root = app.server.config["DSP_SETTINGS"].datasets_folder
    assert page_version(client) == "demo"
    demo_plan = initial_plan()
    demo_hub = demo_plan["hubs"][0]
    moved = {**demo_plan, "hubs": [{**demo_hub, "x": demo_hub["x"] + 800.0}, *demo_plan["hubs"][1:]]}

    first = save_with_one_road(root, good_upload_set(tmp_path), "Squareshire")  # the analyst activates v0001
    try:
        assert page_version(client) == "v0001"  # a page opened now is drawn from it ...
        answer = drag(client, moved, "demo")  # ... but the page opened before keeps the demo
        assert areas_coloured(answer) == DEMO_AREAS
        demo = score_plan(str(DEMO_FOLDER), scenario_from_dict(moved).hubs, "drive").summary.set_index("group")
        shown = answer[ids.KPI_MEAN_MINUTES]["children"]
        assert shown == f"{demo.loc['population', 'mean_minutes']:.1f}"

        squares = initial_plan(str(first.path), "v0001")
        assert areas_coloured(drag(client, squares, "v0001")) == 6
        assert areas_coloured(drag(client, squares, None)) == 6  # not from a page: the version in use
        assert areas_coloured(drag(client, squares, "../v0001")) == 6  # not a version's name: ignored

        gone = drag(client, moved, "v0042")  # a version this server does not hold: reload, never other data
        assert ids.AREA_FILL not in gone
        notice = gone[ids.DATA_CHANGED_NOTICE]
        assert notice["hidden"] is False and "Reload the page" in notice["children"]
    finally:
        (root / "ACTIVE").unlink()  # back to the demo for other tests


def test_a_download_offered_on_a_page_holds_that_pages_figures(app: Any, tmp_path: Path) -> None:
    client = app.server.test_client()
    root = app.server.config["DSP_SETTINGS"].datasets_folder
    with app.server.test_request_context("/"):
        opened = scenario_store().create_scenario(current_user(), "Demo plan",
                                                  scenario_from_dict(initial_plan()))
    slug = opened.scenario.slug
    values = {f"{ids.SCENARIO}.data": {"slug": slug, "version": 1, "deleted": False},
              f"{ids.TRAVEL_MODE}.value": "drive"}
    save_with_one_road(root, good_upload_set(tmp_path), "Squareshire")
    try:
        _, offered = post_callback(client, f"{ids.SCENARIO_DOWNLOADS}.children", values,
                                   triggered=f"{ids.SCENARIO}.data", data_version="demo")
        link = next(a["props"]["href"] for a in _anchors(offered[ids.SCENARIO_DOWNLOADS]["children"])
                    if "areas.csv" in a["props"]["href"])
        assert "data=demo" in link
        rows = client.get(link).get_data(as_text=True).strip().splitlines()
        assert len(rows) == 1 + DEMO_AREAS  # the demo's areas, as the page shows them
        in_use = client.get(link.replace("&data=demo", "")).get_data(as_text=True).strip().splitlines()
        assert len(in_use) == 1 + 6  # a plain address: the data in use
    finally:
        (root / "ACTIVE").unlink()


def _anchors(tree: Any) -> list[dict[str, Any]]:
    """Every link in a component tree as Dash sends it."""
    found: list[dict[str, Any]] = []
    if isinstance(tree, dict):
        if tree.get("type") == "A":
            found.append(tree)
        for value in tree.get("props", {}).values():
            found.extend(_anchors(value))
    elif isinstance(tree, list):
        for item in tree:
            found.extend(_anchors(item))
    return found
