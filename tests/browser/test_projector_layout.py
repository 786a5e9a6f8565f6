"""On a projector's screen (1024x768, 1280x800) the room sees the map, its key and the open tab together,
and present mode fits one screen: measured from the boxes the browser lays out.

"On screen" means the whole box is inside the window without scrolling the page. No service
symbol may sit under a hub's disc: every service keeps a clear 24-pixel target (WCAG 2.5.8).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ExampleApp, wait_for_map

pytestmark = pytest.mark.browser

SCREENS = [(1024, 768), (1280, 800)]
MIN_MAP_PX = (450, 300)  # the map is the point of the screen: at least this wide and high
MIN_TAB_BODY_PX = 250  # of the open tab's panels in view, not just its heading

# Boxes of every element matching a selector, in window coordinates.
BOXES = """selector => Array.from(document.querySelectorAll(selector))
  .filter(e => e.getClientRects().length > 0)
  .map(e => { const b = e.getBoundingClientRect();
              return {text: (e.innerText || e.getAttribute('title') || e.tagName).slice(0, 40),
                      left: b.left, top: b.top, right: b.right, bottom: b.bottom}; })"""


def boxes(page: Page, selector: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(BOXES, selector)
    assert found, f"nothing on the page matches {selector}"
    return found


def off_screen(page: Page, selector: str) -> list[str]:
    """The elements matching ``selector`` that are not wholly in the window."""
    size = page.viewport_size
    assert size is not None
    return [f"{selector} {b['text']!r} at {b['top']:.0f}-{b['bottom']:.0f} x {b['left']:.0f}-{b['right']:.0f}"
            for b in boxes(page, selector)
            if b["top"] < -0.5 or b["left"] < -0.5 or b["bottom"] > size["height"] + 0.5
            or b["right"] > size["width"] + 0.5]


def overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    return (max(0.0, min(a["right"], b["right"]) - max(a["left"], b["left"]))
            * max(0.0, min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])))


def page_scrolls(page: Page) -> bool:
    return bool(page.evaluate("document.scrollingElement.scrollHeight > window.innerHeight + 1"))


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_planner_shows_the_map_its_key_and_the_open_tab_together(page: Page, app_url: str, width: int,
                                                                     height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url)
    wait_for_map(page)
    expect(page.locator("#kpi-mean-minutes")).not_to_have_text("-")
    for tab, panel in (("Plan", "#plan-card"), ("Money and fairness", "#investment-panel"),
                       ("Outcomes", "#outcomes-panel")):
        page.get_by_role("tab", name=tab).click()
        expect(page.locator(panel)).to_be_visible()
        page.wait_for_timeout(300)
        missing = [found for selector in ("#map", ".kpi-band .headline", ".map-key-picker", ".map-key .legend-row",
                                          ".map-key .service-key li", ".side-tabs-parent .tab",
                                          f"{panel} .card-header")
                   for found in off_screen(page, selector)]
        assert missing == [], f"{tab} tab at {width}x{height}: off screen: {missing}"
        the_map = boxes(page, "#map")[0]
        assert (the_map["right"] - the_map["left"], the_map["bottom"] - the_map["top"]) >= MIN_MAP_PX
        tab_body = boxes(page, ".side-tab-body")[0]
        assert height - tab_body["top"] >= MIN_TAB_BODY_PX, f"{tab}: only its top is in view"
        assert overlap(the_map, boxes(page, "#side-column")[0]) == 0
        assert not page_scrolls(page), f"{tab} tab at {width}x{height}: the page scrolls"


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_no_service_symbol_hides_under_a_hub(page: Page, app_url: str, width: int, height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_url)
    wait_for_map(page)
    page.wait_for_timeout(500)  # symbols are moved clear in the frame after the markers are drawn
    services, hubs = boxes(page, ".service-marker"), boxes(page, ".hub-marker")
    assert len(services) == 13 and len(hubs) == 6
    hidden = [f"{s['text']} under {h['text']}" for s in services for h in hubs if overlap(s, h) > 0]
    crowded = [f"{a['text']} and {b['text']}" for i, a in enumerate(services) for b in services[i + 1:]
               if overlap(a, b) > 0]
    assert hidden == [] and crowded == []
    assert all(s["right"] - s["left"] >= 24 and s["bottom"] - s["top"] >= 24 for s in services)


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_present_mode_fits_one_screen_in_every_view(page: Page, example_app: ExampleApp, width: int,
                                                    height: int) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{example_app.url}/present?ids={example_app.all}")
    expect(page.locator("#present-title")).to_contain_text("Six hubs", timeout=60_000)
    for view, parts in (("Map and figures", ("#present-map", ".present-tile", ".present-legend .legend-row")),
                        ("Who is reached", (".present-table caption", ".present-table tr")),
                        ("Fairness of spend", (".present-sentence", ".present-chart"))):
        page.get_by_role("button", name=view).click()
        expect(page.locator(parts[-1]).first).to_be_visible(timeout=30_000)
        page.wait_for_timeout(500)
        missing = [found for selector in (".present-button", ".present-leave", "#present-title", *parts)
                   for found in off_screen(page, selector)]
        assert missing == [], f"{view} at {width}x{height}: off screen: {missing}"
        assert not page_scrolls(page)
        assert page.evaluate("(s => s.scrollHeight <= s.clientHeight + 1)(document.querySelector('.present-stage'))"), \
            f"{view} at {width}x{height}: the stage scrolls"
