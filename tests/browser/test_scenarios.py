"""Save a plan in a real Chromium, change and save it again, then reopen the first version by its URL."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import wait_for_map

pytestmark = pytest.mark.browser


def test_save_then_reopen_a_version_by_its_address(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_map(page)
    expect(page.locator("#kpi-mean-minutes")).not_to_have_text("-")
    expect(page.locator("#worst-areas")).not_to_be_empty()
    first_figure = page.locator("#kpi-mean-minutes").inner_text()
    first_worst = page.locator("#worst-areas").inner_text()
    page.get_by_text("Scenario", exact=True).click()  # unfold the scenario card
    page.get_by_label("Scenario name").fill("Browser round trip")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#scenario-message")).to_contain_text("Saved as a new scenario")
    expect(page).to_have_url(re.compile(r"/scenario/browser-round-trip-[0-9a-f]{6}\?version=1$"))
    first_address = page.url

    page.locator("#hub-move-to").click()  # move the chosen hub to the rural north, where no hub is
    page.keyboard.type("Town: Harrowfield")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Move here").click()
    expect(page.locator("#plan-status")).to_contain_text("moved to Harrowfield")
    page.wait_for_function("before => document.querySelector('#worst-areas').innerText !== before",
                           arg=first_worst, timeout=15_000)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#scenario-message")).to_contain_text("Saved as version 2")
    expect(page).to_have_url(re.compile(r"\?version=2$"))
    expect(page.locator("#scenario-heading")).to_contain_text("Browser round trip: version 2 of 2")

    page.goto(first_address)  # a fresh page load, as from a bookmark or an e-mailed link
    wait_for_map(page)
    expect(page.locator("#scenario-heading")).to_contain_text("Browser round trip: version 1 of 2")
    expect(page.locator("#kpi-mean-minutes")).to_have_text(first_figure)
    assert page.locator("#worst-areas").inner_text() == first_worst  # same callback as the figure above
    expect(page.locator("#scenario-message")).to_contain_text("Opened 'Browser round trip', version 1")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#plan-status")).to_have_text("Nothing to undo.")  # opening resets the history
