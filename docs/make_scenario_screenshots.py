"""Make the README's compare and present screenshots from three saved demo scenarios.

Usage: ``python -m docs.make_scenario_screenshots [folder]`` (default docs/): writes
compare.png and present.png, and the planner and present mode as a 1024x768 projector shows
them (projector-planner.png, projector-present.png). The app runs on a throwaway instance
folder holding three steering-group scenarios of the single-user mode's local account.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, running_app
from data.example_plans import example_plans
from docs.make_screenshot import MAP_DRAWN
from geo.workspace.store import init_store, sqlite_url

DEFAULT_FOLDER = Path(__file__).resolve().parent
VIEWPORT = {"width": 1440, "height": 900}
PROJECTOR = {"width": 1024, "height": 768}  # the room's projector (tests/browser/test_projector_layout.py)
PRESENT_DRAWN = "() => document.querySelector('#present-title') && document.querySelector('#present-map .main-svg')"
NAMES = ("compare.png", "present.png", "projector-planner.png", "projector-present.png")


def saved_slugs(instance: Path) -> list[str]:
    """Save three scenarios that differ: the papers' redesign, two hubs fewer, two hubs moved north."""
    plans = example_plans()
    with init_store(sqlite_url(instance)) as store:
        local = store.create_user("local", "a long random password", "admin", steering_group=True)
        return [store.create_scenario(local, title, content, visibility="group").scenario.slug
                for title, content in (("The papers' redesign", plans["six"]),
                                       ("Redesign, four hubs", plans["four"]),
                                       ("Redesign, two hubs moved north", plans["north"]))]


def shrink(path: Path) -> None:
    """Keep the PNG small for the repository: 256 colours are plenty for flat maps and text."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(argv: list[str]) -> None:
    folder = Path(argv[0]) if argv else DEFAULT_FOLDER
    with tempfile.TemporaryDirectory() as instance:
        slugs = saved_slugs(Path(instance))
        with running_app({"INSTANCE_FOLDER": instance}) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"{url}/compare?ids={','.join(slugs)}")
            page.locator("#difference-summary").wait_for(timeout=120_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(folder / "compare.png"), full_page=True)
            page.goto(f"{url}/present?ids={','.join(slugs)}")
            page.wait_for_function(PRESENT_DRAWN, timeout=120_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(folder / "present.png"))
            page.set_viewport_size(PROJECTOR)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(folder / "projector-present.png"))
            page.goto(url)
            page.wait_for_function(MAP_DRAWN, timeout=120_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(folder / "projector-planner.png"))
            browser.close()
    for name in NAMES:
        shrink(folder / name)
    print(f"Saved {', '.join(str(folder / name) for name in NAMES)}")


if __name__ == "__main__":
    main(sys.argv[1:])
