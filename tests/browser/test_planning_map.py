"""Dragging hubs in a real Chromium: figures and colours change; keyboard moves; undo restores."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, Response, expect

from dashboard.planning_panel import MOVE_HELP
from geo.ingest.locality_files import load_locality
from geo.projection import grid_xy
from tests.support.browser import wait_for_map

pytestmark = pytest.mark.browser

HUB = "Hub: Kingsmere hub"


def figures(page: Page) -> dict[str, str]:
    return {element: page.locator(f"#{element}").inner_text()
            for element in ("kpi-mean-minutes", "kpi-share-within-30", "kpi-p90-minutes",
                            "kpi-mean-minutes-need", "access-group-table", "worst-areas")}


def area_colours(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(window.dsp.areaLayers).sort((a, b) => a - b)"
        ".map(i => window.dsp.areaLayers[i].options.fillColor)"
    )


def ready(page: Page, app_url: str) -> dict[str, str]:
    page.goto(app_url)
    wait_for_map(page)
    expect(page.locator("#kpi-mean-minutes")).not_to_have_text("-")
    return figures(page)


def wait_for_new_figures(page: Page, before: dict[str, str]) -> None:
    page.wait_for_function(
        "before => document.querySelector('#kpi-mean-minutes').innerText !== before",
        arg=before["kpi-mean-minutes"], timeout=15_000,
    )


def test_dragging_a_hub_changes_figures_and_colours(page: Page, app_url: str) -> None:
    before = ready(page, app_url)
    colours_before = area_colours(page)
    marker = page.get_by_title(HUB, exact=True)
    box = marker.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # a real, gradual drag 250 px north-east
        page.mouse.move(x + 25 * step, y - 20 * step)
    page.mouse.up()
    wait_for_new_figures(page, before)
    after = figures(page)
    assert float(after["kpi-mean-minutes"]) != float(before["kpi-mean-minutes"])
    page.wait_for_function("n => window.dsp.paintCount > n", arg=1)
    assert area_colours(page) != colours_before
    expect(page.locator("#plan-status")).to_contain_text("Kingsmere hub moved")


def test_the_browser_puts_a_dropped_hub_where_the_server_would(page: Page, app_url: str) -> None:
    """A drag is applied in the browser (dsp.moveHub): its grid metres must equal geo/projection.py's."""
    ready(page, app_url)
    points = [(-1.278, 51.697), (-0.1, 51.5), (-3.2, 55.95), (-5.5, 50.1), (1.5, 52.6)]
    in_browser = page.evaluate("points => points.map(([lng, lat]) => window.dsp.gridXY(lng, lat))", points)
    for (lng, lat), (x, y) in zip(points, in_browser, strict=True):
        assert (x, y) == pytest.approx(grid_xy(lng, lat), abs=0.01)


def answers_the_access_figures(response: Response) -> bool:
    return "_dash-update-component" in response.url and "area-fill.data-fill" in (response.request.post_data or "")


def marker_centre(page: Page) -> tuple[float, float]:
    box = page.get_by_title(HUB, exact=True).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_keyboard_move_then_undo_and_redo(page: Page, app_url: str) -> None:
    before = ready(page, app_url)
    start = marker_centre(page)
    marker = page.get_by_role("button", name=HUB, exact=True)  # the letter on the disc does not name it
    expect(marker).to_have_accessible_description("Labelled A on the map. " + MOVE_HELP)
    expect(page.locator("#hub-select")).not_to_contain_text("Kingsmere")  # another hub is chosen
    marker.focus()
    sent: dict[str, Any] = {}  # the last headline figure the server sent (one that reads as before is not sent)
    for _ in range(6):  # six 2 km steps east, from the keyboard alone
        with page.expect_response(answers_the_access_figures) as answer:
            page.keyboard.press("Shift+ArrowRight")
        sent.update(answer.value.json()["response"].get("kpi-mean-minutes", {}))
        expect(page.get_by_title(HUB, exact=True)).to_be_focused()
    expect(page.locator("#plan-status")).to_have_text("Kingsmere hub moved.")
    expect(page.locator("#hub-select")).to_contain_text("A. Kingsmere hub")  # moving it chose it
    expect(page.locator("#kpi-mean-minutes")).to_have_text(sent["children"])
    moved = figures(page)
    assert moved["kpi-mean-minutes"] != before["kpi-mean-minutes"]
    assert marker_centre(page)[0] > start[0] + 20  # 12 km east
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#plan-status")).to_have_text("Undone.")
    for _ in range(5):
        page.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "before => document.querySelector('#kpi-mean-minutes').innerText === before",
        arg=before["kpi-mean-minutes"],
    )
    page.wait_for_timeout(300)
    assert figures(page) == before  # undo restores the previous figures exactly
    assert marker_centre(page) == pytest.approx(start, abs=1.0)  # and puts the marker back
    for _ in range(6):
        page.get_by_role("button", name="Redo").click()
    page.wait_for_function(
        "moved => document.querySelector('#kpi-mean-minutes').innerText === moved",
        arg=moved["kpi-mean-minutes"],
    )


def test_arrow_buttons_and_move_to_a_town(page: Page, app_url: str) -> None:
    ready(page, app_url)
    page.get_by_role("button", name="Move the hub 500 metres north").click()
    expect(page.locator("#plan-status")).to_contain_text("moved 500 m")
    page.locator("#hub-move-to").click()
    page.keyboard.type("Town: Eastwick")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Move here").click()
    expect(page.locator("#plan-status")).to_contain_text("moved to Eastwick Marsh")


def test_clicking_an_area_shows_its_figures(page: Page, app_url: str) -> None:
    ready(page, app_url)
    row = int(load_locality().areas["area_km2"].to_numpy().argmax())  # a big rural area, free of markers
    x, y = page.evaluate(
        """i => { const a = window.dsp.areaLayers[i], map = a._map;
                  const p = map.latLngToContainerPoint(a.getCenter());
                  const box = map.getContainer().getBoundingClientRect();
                  return [box.left + p.x, box.top + p.y]; }""", row)
    page.mouse.click(x, y)
    details = page.locator("#area-details")
    expect(details).to_contain_text("residents")
    expect(details).to_contain_text("Served by")
    expect(details).to_contain_text("Kingsmere hub:")
