"""Suggest placements in a real Chromium: ask for 3 hubs, see ghost markers, use them, figures change."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_suggesting_three_hubs_and_using_them(page: Page, app_url: str) -> None:
    page.goto(app_url)
    page.wait_for_function(  # the map drawn and coloured (slower than usual when the machine is busy)
        "window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0", timeout=90_000)
    mean = page.locator("#kpi-mean-minutes")
    expect(mean).not_to_have_text("-")
    before = mean.inner_text()

    page.get_by_label("Number of hubs", exact=True).fill("3")
    page.get_by_label("Shortest average journey (p-median)", exact=False).check()
    page.get_by_role("button", name="Suggest placements").click()
    ghosts = page.locator(".ghost-marker")
    expect(ghosts).to_have_count(3, timeout=90_000)  # a cold travel-time matrix to ~300 sites, then the solve
    expect(page.get_by_title("Suggested site:", exact=False)).to_have_count(3)
    expect(page.locator("#suggest-result")).to_contain_text("of the best possible")
    expect(page.locator("#suggest-progress-box")).to_be_hidden()

    page.get_by_role("button", name="Use these hubs").click()
    expect(ghosts).to_have_count(0)
    expect(page.locator(".hub-marker")).to_have_count(3)
    page.wait_for_function("b => document.querySelector('#kpi-mean-minutes').innerText !== b", arg=before,
                           timeout=15_000)
    assert float(mean.inner_text()) != float(before)
    expect(page.locator("#plan-status")).to_contain_text("Using the 3 suggested hubs")
