"""The first screen in a real Chromium: map, the 13 services, the summary, the layer switcher."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from geo.ingest.locality_files import load_locality
from tests.support.browser import wait_for_map

pytestmark = pytest.mark.browser


def area_colours(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(window.dsp.areaLayers).sort((a, b) => a - b)"
        ".map(i => window.dsp.areaLayers[i].options.fillColor)"
    )


def test_first_screen_shows_map_services_and_summary(page: Page, app_url: str) -> None:
    page.goto(app_url)
    expect(page.locator("#map")).to_be_visible()
    wait_for_map(page)
    names = load_locality().services["name"]
    for name in names:
        expect(page.get_by_title(f"Service: {name}", exact=True)).to_have_count(1)
    assert page.locator(".service-marker").count() == 13
    expect(page.locator("#provision-total-spend")).to_have_text("£3,500,000")
    expect(page.locator("#provision-clients")).to_have_text(re.compile(r"^8\d\d$"))
    expect(page.locator("#provision-biggest-town")).to_contain_text("Kingsmere")
    expect(page.get_by_text("Fictional demo data")).to_be_visible()
    split_chart_text = page.locator("#provision-split-chart").inner_text()
    assert "88%" in split_chart_text and "10%" in split_chart_text and "2%" in split_chart_text
    # Today's spend is one figure, written one way: the summary card says what the Money tab says.
    today = page.locator("#provision-total-spend").inner_text()
    page.get_by_role("tab", name="Money and fairness").click()
    expect(page.locator("#kpi-today-cost")).to_have_text(today, timeout=30_000)


def test_switching_layer_changes_legend_and_colours(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_map(page)
    legend = page.locator("#map-legend")
    expect(legend).to_contain_text("Minutes to the nearest hub")
    before_colours = area_colours(page)
    before_paints = page.evaluate("window.dsp.paintCount")

    page.get_by_label("Colour the map by").select_option(label="Black and minority ethnic residents")
    expect(legend).to_contain_text("Black and minority ethnic residents")
    expect(legend).to_contain_text("% of residents")
    page.wait_for_function(f"window.dsp.paintCount > {before_paints}")
    after_colours = area_colours(page)
    assert len(after_colours) == len(before_colours) == len(load_locality().areas)
    assert after_colours != before_colours


def test_service_markers_are_keyboard_reachable(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_map(page)
    marker = page.locator(".service-marker").first
    assert marker.get_attribute("tabindex") == "0"
    assert marker.get_attribute("role") == "button"
