"""axe-core finds no critical or serious WCAG 2.2 A/AA problem in any view, in any state a room sees.

Every view is checked at a projector's 1024x768: the planner with each tab open and with a saved
scenario, Compare empty and with three scenarios, Appraise empty and filled in, Present in each
view and Follow, Data empty and with a check's report, the public page, the briefing pack's web
page and the sign-in page. A new problem anywhere fails the test with axe's own words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.live_server import running_app
from tests.support.axe import blocking_violations
from tests.support.browser import PROJECTOR, ExampleApp, wait_for_map

pytestmark = pytest.mark.browser

def passes_axe(page: Page, state: str) -> None:
    problems = blocking_violations(page)
    assert problems == [], f"{state}: " + "\n".join(problems)


def projector(page: Page) -> Page:
    page.set_viewport_size(PROJECTOR)
    return page


def test_the_planner_with_each_tab_open_and_a_saved_scenario(page: Page, example_app: ExampleApp) -> None:
    projector(page).goto(example_app.url)
    wait_for_map(page)
    expect(page.locator("#kpi-mean-minutes")).not_to_have_text("-")
    passes_axe(page, "planner, Plan tab")
    page.get_by_role("tab", name="Money and fairness").click()
    expect(page.locator("#kpi-gini-spend")).not_to_have_text("-", timeout=30_000)
    passes_axe(page, "planner, Money and fairness tab")
    page.get_by_role("tab", name="Outcomes").click()
    expect(page.locator("#outcomes-panel")).to_be_visible()
    page.wait_for_timeout(500)
    passes_axe(page, "planner, Outcomes tab")
    page.goto(f"{example_app.url}/scenario/{example_app.six}")
    wait_for_map(page)
    expect(page.locator("#scenario-heading")).to_contain_text("Six hubs", timeout=30_000)
    page.locator("#scenario-card > summary").click()  # the scenario card unfolded
    passes_axe(page, "planner with a saved scenario open")


def test_compare_empty_and_with_three(page: Page, example_app: ExampleApp) -> None:
    projector(page).goto(f"{example_app.url}/compare")
    expect(page.locator(".compare-body")).to_contain_text("Pick at least two scenarios", timeout=30_000)
    passes_axe(page, "compare, nothing picked")
    page.goto(f"{example_app.url}/compare?ids={example_app.all}")
    expect(page.locator("#difference-summary")).to_be_visible(timeout=60_000)
    passes_axe(page, "compare, three scenarios")


def test_appraise_empty_and_filled_in(page: Page, example_app: ExampleApp) -> None:
    projector(page).goto(f"{example_app.url}/appraise")
    expect(page.get_by_label("The join code the facilitator gives you")).to_be_visible(timeout=30_000)
    passes_axe(page, "appraise, the list")
    page.get_by_label("Title").fill("Options for the steering group")
    page.get_by_role("button", name="Open the appraisal").click()
    options = page.get_by_role("button", name="Saved scenarios to appraise")
    expect(options).to_be_visible(timeout=30_000)
    page.locator("#appraisal-new-name").fill("Sam")
    page.get_by_role("button", name="Add participant").click()
    expect(page.locator(".participants-list")).to_contain_text("Sam", timeout=30_000)
    expect(page.locator("#appraisal-score-sheet")).to_contain_text("Sam declares using", timeout=30_000)
    passes_axe(page, "appraise, one participant")


def test_present_in_each_view_and_follow(page: Page, browser: Browser, example_app: ExampleApp) -> None:
    projector(page).goto(f"{example_app.url}/present")
    expect(page.locator("#present-picker")).to_be_visible(timeout=30_000)
    passes_axe(page, "present, choosing the shortlist")
    page.goto(f"{example_app.url}/present?ids={example_app.all}")
    expect(page.locator("#present-title")).to_contain_text("Six hubs", timeout=60_000)
    for view, ready in (("Who is reached", ".present-table"), ("Fairness of spend", ".present-chart"),
                        ("Map and figures", ".present-tiles")):
        page.get_by_role("button", name=view).click()
        expect(page.locator(ready)).to_be_visible(timeout=30_000)
        page.wait_for_timeout(300)
        passes_axe(page, f"present, {view}")
    page.get_by_role("button", name="Let the room follow").click()
    code = page.locator(".room-code").inner_text(timeout=15_000)
    passes_axe(page, "present, room open")
    follower = browser.new_context(viewport=PROJECTOR).new_page()
    try:
        follower.goto(f"{example_app.url}/follow/{code}")
        expect(follower.locator("#present-title")).to_contain_text("Six hubs", timeout=60_000)
        passes_axe(follower, "follow")
    finally:
        follower.context.close()


def test_data_empty_and_with_a_report(page: Page, example_app: ExampleApp) -> None:
    projector(page).goto(f"{example_app.url}/data")
    page.wait_for_selector("#data-upload-areas input[type=file]", state="attached", timeout=60_000)
    passes_axe(page, "data, nothing chosen")
    page.set_input_files("#data-upload-areas input[type=file]",
                         files=[{"name": "areas.geojson", "mimeType": "application/geo+json", "buffer": b"not a map"}])
    page.get_by_role("button", name="Check the files").click()
    expect(page.locator("#data-report .data-report-table")).to_be_visible(timeout=60_000)
    passes_axe(page, "data, a check's report")


def test_public_page_and_briefing_pack(page: Page, example_app: ExampleApp) -> None:
    projector(page).goto(f"{example_app.url}/public/{example_app.four}")
    expect(page.locator("h1")).to_be_visible(timeout=60_000)
    passes_axe(page, "public page")
    page.goto(f"{example_app.url}/export/{example_app.six}/briefing.html")
    expect(page.locator("h1")).to_be_visible(timeout=60_000)
    passes_axe(page, "briefing pack, web page")


def test_sign_in_page(page: Page, tmp_path: Path) -> None:
    with running_app({"INSTANCE_FOLDER": str(tmp_path), "AUTH_MODE": "accounts"}) as url:
        projector(page).goto(f"{url}/login")
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        passes_axe(page, "sign-in")
        page.goto("about:blank")  # leave before the server stops
