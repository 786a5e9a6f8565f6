"""Make the README's screenshots: start the app, open it in headless Chromium, save PNGs.

Usage: ``python -m docs.make_screenshot [folder]`` (default docs/): ``screenshot.png``, the
planner as it opens, ``money.png``, the Money and fairness tab open (a taller page), and
``transit.png``, journeys by public transport on the demo's bus timetable.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, running_app

DEFAULT_FOLDER = Path(__file__).resolve().parent
# Conditions are functions: under the app's Content-Security-Policy a bare expression (run through eval) is refused.
MAP_DRAWN = "() => window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0"


def take(browser: Browser, url: str, output: Path, *, height: int, tab: str | None = None,
         travel: str | None = None) -> None:
    """One screenshot of the planner, with ``tab`` of the side panels open and ``travel`` chosen if given."""
    page = browser.new_page(viewport={"width": 1600, "height": height})
    page.set_default_timeout(120_000)  # a busy machine: the first page builds every travel mode's router
    page.goto(url)
    page.wait_for_function(MAP_DRAWN)
    if travel is not None:
        painted = page.evaluate("window.dsp.paintCount")
        page.get_by_label(travel, exact=True).check()
        page.wait_for_function(f"() => window.dsp.paintCount > {painted}", timeout=120_000)
        page.get_by_label(travel, exact=True).scroll_into_view_if_needed()  # the choice and its note in view
    if tab is not None:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function("() => document.getElementById('kpi-gini-spend').innerText !== '-'")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(output))
    page.close()
    print(f"Saved {output}")


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else DEFAULT_FOLDER
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        take(browser, url, folder / "screenshot.png", height=1000)
        take(browser, url, folder / "money.png", height=2200, tab="Money and fairness")
        take(browser, url, folder / "transit.png", height=1000, travel="Public transport")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
