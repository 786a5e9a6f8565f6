"""Compare two saved scenarios, present them with one click, and follow the presenter from a second screen."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.live_server import running_app
from data.example_plans import example_plans
from geo.workspace.store import init_store, sqlite_url
from tests.support.browser import csp_safe

pytestmark = pytest.mark.browser

# Followers poll every second, so they normally follow within two; how fast is measured in
# benchmarks/bench_follow.py. Here the limit only says "it follows", with room for a busy CI machine.
FOLLOW_TIMEOUT_MS = 10_000


@dataclasses.dataclass(frozen=True)
class Served:
    url: str
    six: str
    four: str
    north: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on a store holding three saved scenarios of the single-user mode's local account."""
    instance: Path = tmp_path_factory.mktemp("present-instance")
    plans = example_plans()
    with init_store(sqlite_url(instance)) as store:
        local = store.create_user("local", "a long random password", "admin", steering_group=True)
        slugs = [store.create_scenario(local, title, content, visibility="group").scenario.slug
                 for title, content in (("Six hubs", plans["six"]), ("Four hubs", plans["four"]),
                                                ("Two moved north", plans["north"]))]
    with running_app({"INSTANCE_FOLDER": str(instance)}) as url:
        yield Served(url, *slugs)


TITLE_STARTS = ("start => { const t = document.querySelector('#present-title');"
                " return t && t.innerText.startsWith(start); }")


def title_is(page: Page, start: str, *, timeout_ms: float = 15_000) -> None:
    page.wait_for_function(TITLE_STARTS, arg=start, timeout=timeout_ms, polling=50)


def test_compare_then_present_then_follow(page: Page, browser: Browser, served: Served) -> None:
    page.goto(f"{served.url}/compare?ids={served.six},{served.four}")
    table = page.locator("#compare-table")
    expect(table).to_contain_text("Four hubs", timeout=60_000)
    expect(table).to_contain_text("Average journey to the nearest hub")
    expect(table).to_contain_text("higher: worse")  # two hubs fewer: longer journeys, said in words
    expect(page.locator("#difference-summary")).to_contain_text("at least a minute more")

    page.get_by_role("link", name="Present", exact=True).click()  # the header's navigation
    expect(page.locator("#present-picker")).to_be_visible(timeout=15_000)
    page.goto(f"{served.url}/present?ids={served.six},{served.four},{served.north}")
    title_is(page, "Six hubs", timeout_ms=60_000)
    expect(page.locator(".present-mode").locator("input, select, textarea")).to_have_count(0)  # read-only
    page.get_by_role("button", name="2 Four hubs").click()  # one click
    title_is(page, "Four hubs")
    expect(page.get_by_role("button", name="2 Four hubs")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("3")  # or one key
    title_is(page, "Two moved north")

    page.get_by_role("button", name="Let the room follow").click()
    code = page.locator(".room-code").inner_text(timeout=15_000)
    viewer_context = browser.new_context(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    viewer = csp_safe(viewer_context.new_page())
    viewer.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    viewer.on("pageerror", lambda error: errors.append(str(error)))
    try:
        viewer.goto(f"{served.url}/follow/{code}")
        title_is(viewer, "Two moved north", timeout_ms=60_000)
        # The first switch is not timed: the planner behind every screen is still drawing itself
        # for the first few seconds after the page opens, which holds back the screen's timer.
        viewer.wait_for_function("window.dsp && window.dsp.lastPaint", timeout=60_000)
        page.get_by_role("button", name="1 Six hubs").click()
        title_is(viewer, "Six hubs")
        for button, title in (("2 Four hubs", "Four hubs"), ("3 Two moved north", "Two moved north")):
            page.get_by_role("button", name=button).click()
            title_is(viewer, title, timeout_ms=FOLLOW_TIMEOUT_MS)
        page.get_by_role("button", name="Who is reached").click()
        expect(viewer.locator(".present-table")).to_contain_text("Women", timeout=FOLLOW_TIMEOUT_MS)
    finally:
        viewer_context.close()
    assert errors == [], f"the follower's console reported errors: {errors}"
