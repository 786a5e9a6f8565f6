"""The planner from the keyboard alone: skip links, one Tab stop per radio group, adding a hub or an
outreach point without a mouse, and focus that lands somewhere sensible after an action."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import wait_for_map

pytestmark = pytest.mark.browser

FOCUSED_ID = "document.activeElement && (document.activeElement.id || document.activeElement.tagName)"


def ready(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_map(page)
    expect(page.locator("#kpi-mean-minutes")).not_to_have_text("-")


def test_skip_links_lead_to_what_each_page_has(page: Page, app_url: str) -> None:
    ready(page, app_url)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the map")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED_ID) == "map-column"
    page.goto(f"{app_url}/compare")
    expect(page.locator(".compare-body")).to_be_visible(timeout=30_000)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the page")
    expect(skip).to_be_focused()  # the planner's links are not offered where the planner is hidden
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED_ID) == "page-view"


def test_a_radio_group_is_one_tab_stop(page: Page, app_url: str) -> None:
    ready(page, app_url)
    page.get_by_role("radio", name="Drive").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") != "radio"  # out of the group, not on to "Bus"
    page.get_by_role("radio", name="Drive").focus()
    page.keyboard.press("ArrowRight")  # within the group the arrow keys choose
    expect(page.locator("#travel-mode input[type=radio]").nth(1)).to_be_checked()


def test_a_hub_and_an_outreach_point_added_from_the_keyboard(page: Page, app_url: str) -> None:
    ready(page, app_url)
    places = page.get_by_role("button", name="A town, an area or a grid reference")
    places.focus()
    page.keyboard.press("Enter")  # opens the list, its search box focused
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.type("Town: Thornley")
    expect(page.locator(".dash-dropdown-option").first).to_contain_text("Town: Thornley")  # the list filtered
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(places).to_contain_text("Thornley")
    page.get_by_role("button", name="Add a hub here").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#plan-status")).to_have_text("Hub G added at Thornley.")
    expect(page.get_by_role("button", name="Hub: Hub G", exact=True)).to_be_visible()
    page.get_by_role("button", name="Add an outreach point here").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#plan-status")).to_contain_text("Outreach point added to Hub G at Thornley.")


def test_focus_goes_to_the_answer_after_suggest_and_use(page: Page, app_url: str) -> None:
    ready(page, app_url)
    page.get_by_label("Number of hubs", exact=True).fill("3")
    page.get_by_role("button", name="Suggest placements").focus()
    page.keyboard.press("Enter")  # the button is disabled while the job runs
    use = page.get_by_role("button", name="Use these hubs")
    expect(use).to_be_visible(timeout=90_000)
    assert page.evaluate(FOCUSED_ID) == "suggest-message"  # not dropped to the page
    use.focus()
    page.keyboard.press("Enter")  # the button hides once used
    expect(page.locator("#suggest-message")).to_contain_text("Using the 3 suggested hubs")
    expect(page.locator("#suggest-message")).to_be_focused()
