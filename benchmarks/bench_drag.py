"""Benchmark dragging a hub in a real Chromium: from mouse up to every panel updated.

For the demo (505 areas) and for England and Wales (34,753 areas, built by
:mod:`data.national_locality` from the shared data), the app runs in a child process
and Debian's Chromium, driven by Playwright, drags the biggest town's hub with real mouse
events, 2 warm-up drags then ``DRAGS`` measured ones, each to a new place (a golden-angle
spiral around the start, so the engine never answers from its cache of searches).

The side panels are in tabs and only the open tab is on the page. The demo is measured
twice: with the Plan tab open (the default: headline figures, plan card, map) and with the
Money and fairness tab open (headline figures, map, investment and fairness-of-spend
panels, charts included). Money by place is worked out only while a tab showing it is
open, so with the Plan tab a drag does not ask for it.

Timestamps are taken in the page with ``performance.now()``:

- start: the ``pointerup`` that ends the drag (a capture listener on ``window``, before
  Leaflet sees it);
- end ("every panel updated"): the latest of the frame painted after the map's last
  recolouring (``dsp.paintAreas`` ran; an answer whose colours are the same as before
  changes nothing on the page and is not painted again) and the frame painted after the last DOM change
  (a ``MutationObserver``: children, text or attributes) inside any panel on the page
  that a drag can change: the headline figures, the plan card (figures by group,
  worst-served areas), the investment, fairness-of-spend and outcomes panels (charts
  included), whichever the open tab shows. A panel whose content
  rightly stays the same changes nothing in the DOM, so once the page is quiet every figure
  on the page with a ``kpi-`` id (``kpi-mean-minutes`` ... ``kpi-gini-spend``) is checked against the
  last value the server sent for it in this or an earlier drag (a figure that reads as before
  is not sent again), and a mismatch stops the run. "The next painted frame"
  is ``requestAnimationFrame`` then a zero timeout. A drag that no request follows within
  ``MISSED_DRAG_S`` was not taken by the map (the marker was being redrawn) and is redone;
  drag targets are only places where the map itself is on top (no control or other marker).

Bytes per update are the bodies of every ``/_dash-update-component`` response the drag
caused, as sent (compressed; Playwright's ``request.sizes()``), with the decoded size and
the bytes sent up beside them. The page's first load is measured the same way.

There is no peer implementation in this run (resending the whole GeoJSON was measured by
the prototype in ../shared/design/MAP.md); the 35,000-area figures carry the demo's as their
peer, so the ratio says how much slower the national case is. Without the shared data the
national case is skipped with a message.

Run: ``python -m benchmarks.run_all drag`` (or ``python -m benchmarks.bench_drag``); set
``DSP_DRAG_DEMO_ONLY=1`` to measure the demo's cases alone, a quicker look.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Request, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from benchmarks.common import Figure, figure, print_table
from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, PROJECT_ROOT, running_app
from data.national_locality import SharedDataMissingError, national_locality
from geo.locality import DEMO_FOLDER

DRAGS = 24
WARMUP_DRAGS = 2
DRAG_STEPS = 10
SPIRAL_RADII_PX = (90.0, 160.0)
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
QUIET_MS = 400  # no request in flight for this long: the drag's work is over
KPI_IDS = ("kpi-mean-minutes", "kpi-share-within-30", "kpi-p90-minutes",
           "kpi-mean-minutes-need", "kpi-share-within-30-need", "kpi-p90-minutes-need",
           "kpi-gini-spend", "kpi-biggest-town-share", "kpi-concentration-spend")
# Every panel a drag can change, watched for DOM changes: (name, CSS selector). The map's
# recolouring is watched separately (dsp.paintAreas), as are the hub markers (they move).
PANELS = (("headline figures", ".kpi-band"), ("plan card", "#plan-card"),
          ("investment", "#investment-panel"), ("fairness of spend", "#fairness-panel"),
          ("outcomes", "#outcomes-panel"))
MONEY_TAB = "Money and fairness"  # the side tab with the investment and fairness-of-spend panels
SCORE_OUTPUT = "kpi-mean-minutes.children"  # the access callback: map colours and headline figures
PLACES_OUTPUT = "kpi-gini-spend.children"  # the money-by-place callback: fairness, investment, outcomes
UPDATE_PATH = "/_dash-update-component"
MISSED_DRAG_S = 15  # a drag with no request by then was not taken as a drag: try again
MISSED_DRAG_RETRIES = 3

# Installed before the app's scripts: wraps fetch to time Dash's requests and keep the
# headline figures every response carries; records the pointerup.
PROBE = """
(() => {
  const B = window.__bench = {upAt: null, inFlight: 0, lastActivity: 0, requests: [], expected: {},
                              paints: [], changes: [], paintBase: 0};
  const now = () => performance.now();
  const afterFrame = (record) => requestAnimationFrame(() => setTimeout(() => record(now()), 0));
  B.reset = () => { B.upAt = null; B.requests = []; B.paints = []; B.changes = [];
                    B.paintBase = (window.dsp && window.dsp.paintCount) || 0; };
  window.addEventListener("pointerup", () => { if (B.upAt === null) { B.upAt = now(); } }, true);
  const originalFetch = window.fetch;
  window.fetch = async function (input, init) {
    const url = typeof input === "string" ? input : input.url;
    if (!url.includes("_dash-update-component")) { return originalFetch.apply(this, arguments); }
    const record = {sentAt: now(), output: "", headersAt: null, bodyAt: null};
    try { record.output = JSON.parse(init.body).output; } catch (error) { record.output = "?"; }
    B.requests.push(record);
    B.inFlight += 1;
    B.lastActivity = now();
    try {
      const response = await originalFetch.apply(this, arguments);
      record.headersAt = now();
      response.clone().text().then((text) => {
        record.bodyAt = now();
        const body = text ? (JSON.parse(text).response || {}) : {};
        for (const [id, props] of Object.entries(body)) {
          const shown = props && props.children;
          if (id.startsWith("kpi-") && (typeof shown === "string" || typeof shown === "number")) {
            B.expected[id] = String(shown);
          }
        }
        B.inFlight -= 1;
        B.lastActivity = now();
      }, () => { B.inFlight -= 1; });
      return response;
    } catch (error) {
      B.inFlight -= 1;
      throw error;
    }
  };
  // Called once the app has drawn: watch every panel and the map's recolouring.
  B.attach = (panels) => {
    for (const [name, selector] of panels) {
      if (!document.querySelector(selector)) { continue; }  // in a closed tab: not on the page
      new MutationObserver(() => afterFrame((at) => B.changes.push({panel: name, at: at})))
        .observe(document.querySelector(selector),
                 {childList: true, characterData: true, attributes: true, subtree: true});
    }
    const paint = window.dsp.paintAreas;
    window.dsp.paintAreas = function () {
      const calledAt = now();
      const result = paint.apply(this, arguments);
      const count = window.dsp.paintCount;
      const returnedAt = now();
      afterFrame((at) => B.paints.push({count: count, calledAt: calledAt, returnedAt: returnedAt, at: at}));
      return result;
    };
  };
  B.answered = (output) => B.requests.some((r) => r.output.includes(output) && r.bodyAt !== null);
  B.texts = (ids) => Object.fromEntries(ids.filter((id) => document.getElementById(id))
                                            .map((id) => [id, document.getElementById(id).innerText]));
})();
"""


@dataclass
class DragSample:
    """One drag: time to every panel updated, and what went over the wire."""

    ms: float
    to_first_request_ms: float
    score_round_trip_ms: float
    places_round_trip_ms: float | None  # None: not asked for (its tabs closed)
    response_to_panels_ms: float
    reply_to_paint_call_ms: float | None  # None: the map's colours did not change
    paint_call_ms: float | None
    paint_to_frame_ms: float | None
    bytes_down: int
    bytes_down_decoded: int
    bytes_up: int
    requests: int
    figures_changed: int
    panel_done_ms: dict[str, float]
    last_panel: str


@dataclass
class CaseResult:
    """All drags on one locality, and its first page."""

    name: str
    areas: int
    first_page_bytes: int = 0
    first_page_bytes_decoded: int = 0
    layout_bytes: int = 0
    layout_bytes_decoded: int = 0
    load_to_map_ms: float = 0.0
    samples: list[DragSample] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    missed_drags: int = 0

    def median_ms(self) -> float:
        return statistics.median(s.ms for s in self.samples)

    def p90_ms(self) -> float:
        return percentile([s.ms for s in self.samples], 90)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by linear interpolation between the sorted values."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wire_bytes(requests: list[Request]) -> tuple[int, int, int, int]:
    """Bytes of the update responses as sent, decoded, the bytes sent up, and how many."""
    down = decoded = up = 0
    count = 0
    for request in requests:
        response = request.response()
        if response is None:
            continue
        sizes = request.sizes()
        down += int(sizes["responseBodySize"])
        up += int(sizes["requestBodySize"])
        decoded += len(response.body())
        count += 1
    return down, decoded, up, count


def measure_case(name: str, folder: Path, *, drags: int = DRAGS, start_timeout_s: float = 60.0,
                 tab: str | None = None, root: Path = PROJECT_ROOT) -> CaseResult:
    """Start the app (the build in ``root``) on ``folder``, load the page, open the side ``tab`` (default:
    the first, Plan), then drag the first hub ``drags`` times."""
    with tempfile.TemporaryDirectory() as instance, \
            running_app({"DATA_FOLDER": str(folder), "INSTANCE_FOLDER": instance}, timeout_s=start_timeout_s,
                        root=root) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
        result = CaseResult(name=name, areas=0)
        page.on("console", lambda m: result.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: result.console_errors.append(str(error)))
        finished: list[Request] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.add_init_script(PROBE)
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_function("() => window.dsp && window.dsp.lastPaint"
                               " && Object.keys(window.dsp.areaLayers).length > 0"
                               " && document.getElementById('kpi-mean-minutes').innerText !== '-'",
                               timeout=300_000, polling=100)
        result.load_to_map_ms = (time.perf_counter() - started) * 1000
        _settle(page)
        first = [r for r in finished if r.url.startswith(url)]
        result.first_page_bytes = sum(int(r.sizes()["responseBodySize"]) for r in first)
        result.first_page_bytes_decoded = sum(len(r.response().body()) for r in first if r.response())
        layout = [r for r in first if r.url.endswith("/_dash-layout")]
        result.layout_bytes = sum(int(r.sizes()["responseBodySize"]) for r in layout)
        result.layout_bytes_decoded = sum(len(r.response().body()) for r in layout if r.response())
        result.areas = int(page.evaluate("Object.keys(window.dsp.areaLayers).length"))
        if tab is not None:
            page.get_by_role("tab", name=tab).click()
            _settle(page)
        page.evaluate("panels => window.__bench.attach(panels)", [list(p) for p in PANELS])
        hub = page.locator(".leaflet-marker-icon.hub-marker").first.get_attribute("title")
        origin = _centre(page, str(hub))
        spiral = (_spiral_point(origin, j) for j in range(10_000))
        for k in range(drags + WARMUP_DRAGS):
            sample = None
            for _ in range(MISSED_DRAG_RETRIES + 1):
                target = next(p for p in spiral if _open_map_at(page, p))
                finished.clear()
                sample = _drag(page, str(hub), target, finished, places=tab is not None)
                if sample is not None:
                    break
                result.missed_drags += 1
            if sample is None:
                raise RuntimeError(f"{MISSED_DRAG_RETRIES + 1} drags in a row caused no request")
            if k >= WARMUP_DRAGS:
                result.samples.append(sample)
        browser.close()
    return result


def _spiral_point(origin: tuple[float, float], j: int) -> tuple[float, float]:
    """The j-th drag target: golden-angle steps around the start, alternately near and far."""
    radius = SPIRAL_RADII_PX[j % 2]
    return origin[0] + radius * math.cos(j * GOLDEN_ANGLE), origin[1] + radius * math.sin(j * GOLDEN_ANGLE)


def _open_map_at(page: Page, point: tuple[float, float]) -> bool:
    """True when ``point`` shows bare map: a hub left there can be picked up again (no control,
    legend or other marker on top of it)."""
    return bool(page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return !!e && !!e.closest('.leaflet-map-pane')"
        " && !e.closest('.leaflet-marker-icon'); }", list(point)))


def _centre(page: Page, title: str) -> tuple[float, float]:
    box = page.get_by_title(title, exact=True).bounding_box()
    if box is None:
        raise RuntimeError(f"the hub marker {title!r} is not on screen")
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page: Page, title: str, target: tuple[float, float], finished: list[Request], *,
          places: bool) -> DragSample | None:
    """One real mouse drag of the hub to ``target``; None when the map did not take it as a drag
    (no request followed within MISSED_DRAG_S: e.g. the marker was being redrawn at mouse down).
    ``places``: the open tab shows money by place, so the drag must also bring its answer."""
    x, y = _centre(page, title)
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, DRAG_STEPS + 1):
        page.mouse.move(x + (target[0] - x) * step / DRAG_STEPS, y + (target[1] - y) * step / DRAG_STEPS)
    before = page.evaluate("ids => { window.__bench.reset(); return window.__bench.texts(ids); }", list(KPI_IDS))
    page.mouse.up()
    try:
        page.wait_for_function("() => window.__bench.requests.length > 0", timeout=MISSED_DRAG_S * 1000,
                               polling=50)
    except PlaywrightTimeoutError:
        return None
    record = _settle(page, scored=True, places=places)
    updates = [r for r in finished if UPDATE_PATH in r.url]
    while len(updates) < len(record["requests"]):  # let Playwright deliver the last events
        page.wait_for_timeout(20)
        updates = [r for r in finished if UPDATE_PATH in r.url]
    return _sample(record, before, updates)


def _settle(page: Page, *, scored: bool = False, places: bool = False) -> dict[str, Any]:
    """Wait until the page has no request in flight for QUIET_MS (after a drag: its answers and a repaint)."""
    condition = ("q => { const B = window.__bench; return B.inFlight === 0 && performance.now() - B.lastActivity > q"
                 + (" && B.upAt !== null && B.answered('" + SCORE_OUTPUT + "')"
                    if scored else "")
                 + (" && B.answered('" + PLACES_OUTPUT + "')" if places else "") + "; }")
    try:
        page.wait_for_function(condition, arg=QUIET_MS, timeout=120_000, polling=50)
    except PlaywrightTimeoutError:
        state = page.evaluate("() => { const B = window.__bench; return {upAt: B.upAt, inFlight: B.inFlight, "
                              "answered: Object.keys(B.expected), paints: B.paints.length, "
                              "requests: B.requests.map(r => [r.output.slice(0, 60), r.headersAt !== null])}; }")
        raise RuntimeError(f"the page did not settle within 2 minutes after the drag: {state}") from None
    return dict(page.evaluate("ids => Object.assign({}, window.__bench, {shown: window.__bench.texts(ids)})",
                              list(KPI_IDS)))


def _sample(record: dict[str, Any], before: dict[str, str], updates: list[Request]) -> DragSample:
    """One drag's figures. The drag is done at the latest of: the frame after the map's last
    recolouring, and the frame after the last DOM change in any watched panel; the headline
    and money figures on screen must then equal the last value the server sent for each."""
    up = float(record["upAt"])
    expected, texts = record["expected"], record["shown"]
    wrong = {k: (texts[k], v) for k, v in expected.items() if k in texts and texts[k] != v}
    if wrong:
        raise RuntimeError(f"figures on screen differ from the server's answer: {wrong}")
    scoring = [r for r in record["requests"] if SCORE_OUTPUT in r["output"]][-1]
    paint = record["paints"][-1] if record["paints"] else None
    panel_done = {} if paint is None else {"map recolour": paint["at"] - up}
    for change in record["changes"]:
        panel_done[change["panel"]] = max(panel_done.get(change["panel"], 0.0), change["at"] - up)
    if not panel_done:  # the answer changed nothing on the page: done when it arrived
        panel_done["nothing changed"] = scoring["bodyAt"] - up
    last_panel = max(panel_done, key=lambda name: panel_done[name])
    done = up + panel_done[last_panel]
    asked = [r for r in record["requests"] if PLACES_OUTPUT in r["output"]]
    places = asked[-1] if asked else None  # not asked for while its tabs are closed
    down, decoded, sent_up, count = wire_bytes(updates)
    return DragSample(
        ms=done - up,
        to_first_request_ms=record["requests"][0]["sentAt"] - up,
        score_round_trip_ms=scoring["headersAt"] - scoring["sentAt"],
        places_round_trip_ms=None if places is None else places["headersAt"] - places["sentAt"],
        response_to_panels_ms=done - max(scoring["bodyAt"], places["bodyAt"] if places else 0.0),
        reply_to_paint_call_ms=None if paint is None else paint["calledAt"] - scoring["bodyAt"],
        paint_call_ms=None if paint is None else paint["returnedAt"] - paint["calledAt"],
        paint_to_frame_ms=None if paint is None else paint["at"] - paint["returnedAt"],
        bytes_down=down, bytes_down_decoded=decoded, bytes_up=sent_up, requests=count,
        figures_changed=sum(before[k] != texts[k] for k in KPI_IDS if k in before and k in texts),
        panel_done_ms=panel_done, last_panel=last_panel,
    )


def _when_done(case: CaseResult, panel: str) -> str:
    done = [s.panel_done_ms[panel] for s in case.samples if panel in s.panel_done_ms]
    if not done:
        return "-"
    return f"{statistics.median(done):,.0f} ({sum(s.last_panel == panel for s in case.samples)})"


def report(results: list[CaseResult]) -> None:
    """Print the tables people read."""
    def med(case: CaseResult, attribute: str) -> float | str:
        values = [getattr(s, attribute) for s in case.samples if getattr(s, attribute) is not None]
        return statistics.median(values) if values else "-"

    print_table("Drag end to every panel updated (real Chromium, real mouse drags)",
                ["case", "areas", "drags", "median ms", "p90 ms", "min ms", "max ms"],
                [[c.name, c.areas, len(c.samples), c.median_ms(), c.p90_ms(), min(s.ms for s in c.samples),
                  max(s.ms for s in c.samples)] for c in results])
    print_table("Where the time goes (medians, ms)",
                ["case", "up to 1st request", "access round trip", "money-by-place round trip",
                 "last reply to all panels", "access reply to recolour call", "recolour call",
                 "recolour to painted frame"],
                [[c.name, med(c, "to_first_request_ms"), med(c, "score_round_trip_ms"),
                  med(c, "places_round_trip_ms"), med(c, "response_to_panels_ms"), med(c, "reply_to_paint_call_ms"),
                  med(c, "paint_call_ms"), med(c, "paint_to_frame_ms")] for c in results])
    names = ["map recolour", *(name for name, _ in PANELS)]
    print_table("When each panel was done (median ms after mouse up; how often it was the last)",
                ["case", *names],
                [[c.name, *(_when_done(c, n) for n in names)] for c in results])
    print("  -: the panel never changed in these drags (in a closed tab it is not on the page)")
    print_table("Bytes per drag (all /_dash-update-component responses one drag causes; median)",
                ["case", "requests", "down, as sent", "down, decoded", "sent up", "headline figures changed"],
                [[c.name, med(c, "requests"), med(c, "bytes_down"), med(c, "bytes_down_decoded"),
                  med(c, "bytes_up"), med(c, "figures_changed")] for c in results])
    print_table("First page (every response until the map is coloured, scripts included; the layout alone)",
                ["case", "bytes as sent", "bytes decoded", "layout as sent", "layout decoded",
                 "load to coloured map ms"],
                [[c.name, c.first_page_bytes, c.first_page_bytes_decoded, c.layout_bytes, c.layout_bytes_decoded,
                  c.load_to_map_ms] for c in results])
    for c in results:
        if c.missed_drags:
            print(f"  {c.name}: {c.missed_drags} drag(s) not taken by the map (no request followed) and redone")
        if c.console_errors:
            print(f"  {c.name}: {len(c.console_errors)} browser console error(s), first: {c.console_errors[0][:200]}")


def run() -> dict[str, Figure]:
    """Measure the demo and, when the shared data is present, England and Wales."""
    print(f"load average at start (1, 5, 15 min): {', '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores")
    results = [measure_case("demo", DEMO_FOLDER), measure_case("demo, money tab", DEMO_FOLDER, tab=MONEY_TAB)]
    peer_root = os.environ.get("DSP_PEER_CHECKOUT")  # another build, e.g. the commit before a change
    peer_money = (measure_case("peer build, demo, money tab", DEMO_FOLDER, tab=MONEY_TAB, root=Path(peer_root))
                  if peer_root else None)
    try:
        national = None if os.environ.get("DSP_DRAG_DEMO_ONLY") else national_locality()
        if national is None:
            print("35,000-area case skipped: DSP_DRAG_DEMO_ONLY is set")
    except SharedDataMissingError as error:
        print(f"35,000-area case skipped: {error}")
    if national is not None:
        results.append(measure_case("national_35k", national, start_timeout_s=300.0))
    report(results + ([peer_money] if peer_money else []))
    print(f"load average at end: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    demo = results[0]
    figures: dict[str, Figure] = {
        "drag_to_panels_ms_median_demo": figure(demo.median_ms(), "ms"),
        "drag_to_panels_ms_p90_demo": figure(demo.p90_ms(), "ms"),
        "bytes_per_drag_update_demo": figure(statistics.median(s.bytes_down for s in demo.samples),
                                             "bytes (compressed, as sent)"),
    }  # the first page's bytes and time: benchmarks/bench_first_screen.py
    money_tab = results[1]
    peer, peer_name = (peer_money, f"the build at {peer_root}, same drags, same run") if peer_money else \
        (demo, "the same drags with the Plan tab open")
    figures |= {
        "drag_to_panels_ms_median_demo_money_tab": figure(money_tab.median_ms(), "ms", peer=peer.median_ms(),
                                                          peer_name=peer_name),
        "drag_to_panels_ms_p90_demo_money_tab": figure(money_tab.p90_ms(), "ms", peer=peer.p90_ms(),
                                                       peer_name=peer_name),
    }
    if len(results) > 2:
        big = results[2]
        peer = "the same drags on the demo (505 areas)"
        figures |= {
            "drag_to_panels_ms_median_35k": figure(big.median_ms(), "ms", peer=demo.median_ms(), peer_name=peer),
            "drag_to_panels_ms_p90_35k": figure(big.p90_ms(), "ms", peer=demo.p90_ms(), peer_name=peer),
            "bytes_per_drag_update_35k": figure(statistics.median(s.bytes_down for s in big.samples),
                                                "bytes (compressed, as sent)",
                                                peer=figures["bytes_per_drag_update_demo"]["value"], peer_name=peer),
            "first_page_bytes_35k": figure(big.first_page_bytes, "bytes (compressed, as sent)",
                                           peer=demo.first_page_bytes, peer_name="the demo's first page"),
        }
    return figures


if __name__ == "__main__":
    run()
