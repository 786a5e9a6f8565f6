"""Benchmark follow mode: how long a viewer's screen takes to show the presenter's next scenario.

The app runs in a child process on a store holding two saved scenarios. A presenter's page
switches between them with one click; a viewer's page follows the room. We time, in a real
browser, from the presenter's click to the viewer's title changing, over ``SWITCHES`` switches.
The peer is what a viewer would do without follow mode: open the presenter's scenario
afresh (a full page load of its present-mode address until its title shows), in the same run.

Run: ``python -m benchmarks.run_all follow``. Target (issue 7): viewers follow within 2 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from benchmarks.common import Figure, figure, print_table
from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, running_app
from dashboard.planning_panel import initial_plan
from geo import plan_edits
from geo.scenarios import scenario_from_dict
from geo.workspace.store import init_store, sqlite_url

SWITCHES = 12
TITLE_STARTS = ("start => { const t = document.querySelector('#present-title');"
                " return t && t.innerText.startsWith(start); }")
SCENARIOS = ("Six hubs", "Four hubs")


def _seed_store(instance: Path) -> list[str]:
    """Save the demo's six-hub plan and a four-hub variant for the single-user account."""
    six = scenario_from_dict(initial_plan())
    four = plan_edits.remove_hub(plan_edits.remove_hub(six, "H6"), "H5")
    with init_store(sqlite_url(instance)) as store:
        local = store.create_user("local", "a long random password", "admin", steering_group=True)
        return [store.create_scenario(local, title, content, visibility="group").scenario.slug
                for title, content in zip(SCENARIOS, (six, four), strict=True)]


def _wait_for_title(page: Page, start: str) -> None:
    page.wait_for_function(TITLE_STARTS, arg=start, timeout=30_000, polling=20)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run() -> dict[str, Figure]:
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        slugs = _seed_store(instance)
        with running_app({"INSTANCE_FOLDER": str(instance)}) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            presenter = browser.new_page(viewport={"width": 1280, "height": 800})
            presenter.goto(f"{url}/present?ids={','.join(slugs)}")
            _wait_for_title(presenter, SCENARIOS[0])
            presenter.get_by_role("button", name="Let the room follow").click()
            code = presenter.locator(".room-code").inner_text(timeout=15_000)
            viewer = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            viewer.goto(f"{url}/follow/{code}")
            _wait_for_title(viewer, SCENARIOS[0])
            viewer.wait_for_function("() => window.dsp && window.dsp.lastPaint", timeout=60_000)

            follow_s: list[float] = []
            for switch in range(SWITCHES):
                number = (switch + 1) % 2
                title = SCENARIOS[number]
                started = time.perf_counter()
                presenter.get_by_role("button", name=f"{number + 1} {title}").click()
                _wait_for_title(viewer, title)
                follow_s.append(time.perf_counter() - started)

            reload_s: list[float] = []
            for switch in range(SWITCHES // 2):
                fresh = browser.new_page(viewport={"width": 1280, "height": 800})
                started = time.perf_counter()
                fresh.goto(f"{url}/present?ids={slugs[switch % 2]}")
                _wait_for_title(fresh, SCENARIOS[switch % 2])
                reload_s.append(time.perf_counter() - started)
                fresh.close()
            browser.close()

    median_ms = statistics.median(follow_s) * 1000
    p90_ms = _percentile(follow_s, 0.9) * 1000
    reload_ms = statistics.median(reload_s) * 1000
    print_table("Follow mode: presenter's click to the viewer's screen changing",
                ["measure", "median ms", "90th percentile ms", "runs"],
                [["viewer following", median_ms, p90_ms, len(follow_s)],
                 ["peer: open the scenario afresh", reload_ms, _percentile(reload_s, 0.9) * 1000, len(reload_s)]])
    return {
        "follow_ms_median": figure(median_ms, "ms (presenter's click to viewer's screen)", peer=reload_ms,
                                   peer_name="opening the scenario's present page afresh"),
        "follow_ms_p90": figure(p90_ms, "ms (90th percentile)"),
    }


if __name__ == "__main__":
    run()
