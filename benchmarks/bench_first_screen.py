"""Benchmark the first screen: from opening the link to a usable planner, in a real Chromium.

"Usable" is the map painted (``dsp.paintAreas`` has coloured the areas) with the headline
figures shown (``kpi-mean-minutes`` no longer "-"), timed from ``page.goto`` in a fresh
browser context, so nothing is cached: a person in the room opening the link for the first
time. The server has answered one page load first (as after gunicorn's warm-up). The
conditions are the drag benchmark's (Debian's Chromium, headless, 1600x900, the demo).

Bytes are every response until then, as sent (compressed; Playwright's ``request.sizes()``).

The peer is another build of the app, a checkout named by ``DSP_PEER_CHECKOUT`` (for example
the commit before a change, ``git worktree add /tmp/peer <commit>``): both run at once and
their loads alternate, so the machine's other work falls on both alike. Without it, the
figures have no peer.

Run: ``python -m benchmarks.run_all first_screen`` (``DSP_PEER_CHECKOUT=/tmp/peer`` for a peer).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Request, sync_playwright

from benchmarks.common import Figure, figure, print_table
from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, running_app

LOADS = 9
VIEWPORT = {"width": 1600, "height": 900}
USABLE = ("() => window.dsp && window.dsp.lastPaint && Object.keys(window.dsp.areaLayers).length > 0"
          " && document.getElementById('kpi-mean-minutes').innerText !== '-'")


@dataclass
class Build:
    """One build of the app and its loads."""

    name: str
    root: Path
    url: str = ""
    load_ms: list[float] = field(default_factory=list)
    page_bytes: list[int] = field(default_factory=list)


def first_load(browser: Browser, url: str) -> tuple[float, int]:
    """One first visit: (ms to usable, bytes as sent until then)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        finished: list[Request] = []
        page.on("requestfinished", lambda request: finished.append(request))
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function(USABLE, timeout=120_000, polling="raf")
        elapsed_ms = 1000 * (time.perf_counter() - started)
        return elapsed_ms, sum(int(r.sizes()["responseBodySize"]) for r in finished)
    finally:
        context.close()


def measure(builds: list[Build], loads: int = LOADS) -> None:
    """Serve every build at once, warm each with one load, then alternate fresh first loads."""
    with contextlib.ExitStack() as stack, sync_playwright() as playwright:
        for build in builds:
            instance = stack.enter_context(tempfile.TemporaryDirectory())
            build.url = stack.enter_context(running_app({"INSTANCE_FOLDER": instance}, root=build.root,
                                                        timeout_s=120))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for build in builds:
            first_load(browser, build.url)  # the server's first page: its caches filled, as after warm-up
        for _ in range(loads):
            for build in builds:
                ms, sent = first_load(browser, build.url)
                build.load_ms.append(ms)
                build.page_bytes.append(sent)
        browser.close()


def run() -> dict[str, Figure]:
    peer_root = os.environ.get("DSP_PEER_CHECKOUT")
    builds = [Build("this build", PROJECT_ROOT)] + ([Build(f"peer ({peer_root})", Path(peer_root))]
                                                    if peer_root else [])
    print(f"load average at start (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    measure(builds)
    print_table("First screen: a fresh browser opening the planner on the demo until map and figures show",
                ["build", "loads", "median ms", "min ms", "max ms", "bytes as sent (median)"],
                [[b.name, len(b.load_ms), statistics.median(b.load_ms), min(b.load_ms), max(b.load_ms),
                  statistics.median(b.page_bytes)] for b in builds])
    print(f"load average at end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    ours = builds[0]
    peer = builds[1] if len(builds) > 1 else None
    peer_name = f"the build at {peer_root}, same run, loads alternating" if peer else None
    return {
        "first_screen_ms_demo": figure(statistics.median(ours.load_ms), "ms (median, a fresh browser)",
                                       peer=statistics.median(peer.load_ms) if peer else None, peer_name=peer_name),
        "first_page_bytes_demo": figure(statistics.median(ours.page_bytes), "bytes (compressed, as sent)",
                                        peer=statistics.median(peer.page_bytes) if peer else None,
                                        peer_name=peer_name),
    }


if __name__ == "__main__":
    run()
