"""The planning map at England scale: 34,753 real LSOAs still draw, and dragging a hub still updates.

The locality is built once from ../shared/data by data/national_locality.py into
instance/cache/national/ (about half a minute the first time, reused afterwards).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.live_server import running_app
from data.national_locality import national_locality

pytestmark = [pytest.mark.browser, pytest.mark.shared_data, pytest.mark.slow]

LSOA_COUNT = 34_753
LOAD_TIMEOUT_MS = 150_000  # 12 MB of polygons (2 MB as sent) on a busy 2-core machine


@pytest.fixture(scope="session")
def national_url(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = national_locality(shared_data)
    instance = tmp_path_factory.mktemp("national-instance")
    with running_app({"DATA_FOLDER": str(folder), "INSTANCE_FOLDER": str(instance)}, timeout_s=240.0) as url:
        yield url


def area_colours(page: Page) -> list[str]:
    return page.evaluate("Object.values(window.dsp.areaLayers).map(layer => layer.options.fillColor)")


def test_dragging_a_hub_updates_figures_and_map_at_national_scale(page: Page, national_url: str) -> None:
    page.goto(national_url, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function("window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0"
                           " && document.getElementById('kpi-mean-minutes').innerText !== '-'",
                           timeout=LOAD_TIMEOUT_MS, polling=250)  # the figures come with the page, areas later
    assert page.evaluate("Object.keys(window.dsp.areaLayers).length") == LSOA_COUNT
    expect(page.locator(".app-header")).to_contain_text("benchmark build")
    before = page.locator("#kpi-mean-minutes").inner_text()
    colours_before = area_colours(page)
    paints = page.evaluate("window.dsp.paintCount")

    marker = page.locator(".leaflet-marker-icon.hub-marker").first
    title = marker.get_attribute("title")
    assert title is not None and title.startswith("Hub: ")
    box = marker.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # a real, gradual drag about 150 km east at this zoom
        page.mouse.move(x + 20 * step, y + 5 * step)
    page.mouse.up()

    page.wait_for_function("before => document.getElementById('kpi-mean-minutes').innerText !== before",
                           arg=before, timeout=60_000, polling=100)
    page.wait_for_function("n => window.dsp.paintCount > n", arg=paints, timeout=60_000, polling=100)
    assert float(page.locator("#kpi-mean-minutes").inner_text()) != float(before)
    changed = sum(a != b for a, b in zip(area_colours(page), colours_before, strict=True))
    assert changed > 0, "the map was repainted but no area changed colour"

    # From the keyboard: 34,753 areas are found by typing, not listed.
    moved = page.locator("#kpi-mean-minutes").inner_text()
    page.locator("#hub-move-to").click()
    page.keyboard.type("Leeds 001")
    expect(page.get_by_text("Area: Leeds 001A", exact=True)).to_be_visible(timeout=30_000)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Move here").click()
    expect(page.locator("#plan-status")).to_contain_text("moved to", timeout=60_000)
    page.wait_for_function("moved => document.getElementById('kpi-mean-minutes').innerText !== moved",
                           arg=moved, timeout=60_000, polling=100)
