"""Make the README's picture of the Money and fairness tab: the app in headless Chromium, that tab open.

Usage: ``python -m docs.make_money_screenshot [output.png]`` (default docs/money.png).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, running_app

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "money.png"


def main(argv: list[str]) -> None:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 2200})
        page.goto(url)
        page.wait_for_function("window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0")
        page.get_by_role("tab", name="Money and fairness").click()
        page.wait_for_function("document.getElementById('kpi-gini-spend').innerText !== '-'")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(output))
        browser.close()
    print(f"Saved {output}")


if __name__ == "__main__":
    main(sys.argv[1:])
