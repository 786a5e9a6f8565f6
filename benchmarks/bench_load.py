"""Load test: 30 workshop users dragging hubs while an analyst job runs, against 1, 2 and 4 workers.

For each worker count the app is started under gunicorn (``gunicorn app:server`` with the
project's gunicorn.conf.py) on a free loopback port with a fresh instance folder. Then:

- 30 simulated users (one thread each) open the page as the browser does (``/``,
  ``/_dash-layout``, ``/_dash-dependencies`` and the callbacks the renderer fires on
  load), then drag a hub every 2 to 4 seconds (uniformly random) for ``DURATION_S``.
  A drag is what the renderer sends, built from ``/_dash-dependencies`` and the
  layout's own values: ``edit_plan`` (the hub-event), then ``show_add_mode``,
  ``draw_hubs`` and ``score`` at once, then ``follow_selection``; the plan and its
  undo history travel back and forth as in the browser.
- One analyst keeps a background job running the whole time: the travel-time matrix
  from every area to every candidate site (dashboard/jobs.py), for a changing mode and
  number of sites so no build comes from the cache, started and polled every second
  through the callback endpoint as the renderer does. On the default disk-cache
  backend the job is a process forked from a web worker: it competes for the same cores.

Reported per worker count: latency p50/p95/p99 of every request, of a whole drag (from
sending the hub-event to the last figure arriving) and of the page load, the error
count (HTTP status 400 or more, timeouts, refused connections) and the analyst jobs
finished. The load generator runs on the same machine as the server and takes some of
its CPU; the figures are for this machine, stated in the table title.

Bounded: at most MAX_REQUESTS_PER_RUN requests and DURATION_S + about 15 s per worker
count; loopback only; the server is stopped at the end of each run.

Run: ``python -m benchmarks.run_all load`` (or ``python -m benchmarks.bench_load``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil
import requests
from pyproj import Transformer

from benchmarks.common import Figure, figure, print_table

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER_COUNTS = (1, 2, 4)
USERS = 30
DURATION_S = 30.0
DRAG_EVERY_S = (2.0, 4.0)
START_SPREAD_S = 5.0  # users open the page within the first few seconds
DRAG_RADIUS_M = 3000.0
REQUEST_TIMEOUT_S = 30.0
MAX_REQUESTS_PER_RUN = 6000
TARGET_P95_MS = 500.0
TO_LATLON = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


# ---------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_gunicorn(env: dict[str, str] | None = None, *, workers: int = 2, log_path: Path | None = None,
                     timeout_s: float = 120.0) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run ``gunicorn app:server`` (gunicorn.conf.py) on a free loopback port; yield its URL and process.

    The server runs in its own process group; it is stopped with SIGTERM (then SIGKILL)
    at the end unless the caller has already stopped it.
    """
    port = free_port()
    child_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": str(workers),
                 **(env or {})}
    url = f"http://127.0.0.1:{port}"
    opened: IO[bytes] = open(log_path, "ab") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    with opened as log:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "app:server"], cwd=PROJECT_ROOT,
                                   env=child_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_for_health(url, process, timeout_s)
            yield url, process
        finally:
            stop_group(process)


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> dict[str, Any]:
    """Wait until /healthz answers (any status); return its JSON."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped while starting (exit {process.returncode})")
        try:
            answer: dict[str, Any] = requests.get(url + "/healthz", timeout=5).json()
            return answer
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer at {url} within {timeout_s:.0f} s") from None
            time.sleep(0.25)


def stop_group(process: subprocess.Popen[bytes], *, timeout_s: float = 30.0) -> None:
    """Stop a server started in its own process group: TERM, then KILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers: background jobs of the workers
    process.wait()


# ---------------------------------------------------------------------------------------
# Talking to Dash as its renderer does
# ---------------------------------------------------------------------------------------
def component_props(layout: Any) -> dict[str, dict[str, Any]]:
    """Every component's props in the layout JSON, by (string) id."""
    found: dict[str, dict[str, Any]] = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                found[props["id"]] = props
            stack.extend(node.values())
    return found


def parse_outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    """Dash's output string ("..a.b...c.d.." or "a.b") as the renderer's ``outputs`` field."""
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    component, _, prop = output.rpartition(".")
    return {"id": component, "property": prop}


@dataclass
class Callbacks:
    """The server-side callbacks a drag exercises, found in /_dash-dependencies by what they write."""

    by_name: dict[str, dict[str, Any]]

    @classmethod
    def from_dependencies(cls, dependencies: list[dict[str, Any]]) -> Callbacks:
        wanted = {"edit_plan": "..plan.data...", "score": "..area-fill.data...", "draw_hubs": "..map-hubs.children...",
                  "follow_selection": "..hub-rename-text.value...", "show_add_mode": "..add-mode-banner.is_open...",
                  "route": "..planner-view.hidden...", "build_matrix": "matrix-job-result.data"}
        found = {}
        for name, prefix in wanted.items():
            matches = [dep for dep in dependencies
                       if dep["output"].startswith(prefix) and dep.get("clientside_function") is None]
            if len(matches) != 1:
                raise RuntimeError(
                    f"callback {name}: expected one server callback writing {prefix}, found {len(matches)}")
            found[name] = matches[0]
        return cls(found)

    def body(self, name: str, values: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        """The JSON the renderer posts for callback ``name`` given the page's current ``values``."""
        spec = self.by_name[name]

        def items(deps: list[dict[str, str]]) -> list[dict[str, Any]]:
            out = []
            for dep in deps:
                key = f"{dep['id']}.{dep['property']}"
                item: dict[str, Any] = {"id": dep["id"], "property": dep["property"]}
                if values.get(key) is not None:
                    item["value"] = values[key]
                out.append(item)
            return out

        return {"output": spec["output"], "outputs": parse_outputs(spec["output"]), "inputs": items(spec["inputs"]),
                "changedPropIds": changed, "parsedChangedPropsIds": changed, "state": items(spec["state"])}


@dataclass
class Tally:
    """Latencies (ms) and errors, shared by every simulated user (guarded by a lock)."""

    requests_ms: list[float] = field(default_factory=list)
    drags_ms: list[float] = field(default_factory=list)
    page_loads_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    jobs_done: int = 0
    job_seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, bucket: list[float], value: float) -> None:
        with self.lock:
            bucket.append(value)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    @property
    def n_requests(self) -> int:
        with self.lock:
            return len(self.requests_ms) + len(self.errors)


class Browser:
    """One workshop user's tab: its own HTTP session, page values and endId."""

    def __init__(self, url: str, tally: Tally, deadline: float) -> None:
        self.url = url
        self.tally = tally
        self.deadline = deadline
        self.http = requests.Session()
        self.values: dict[str, Any] = {}
        self.end_id = ""
        self.callbacks: Callbacks | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=3)  # the renderer's parallel posts

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        if self.tally.n_requests >= MAX_REQUESTS_PER_RUN:
            return None
        started = time.perf_counter()
        try:
            answer = self.http.request(method, self.url + path, timeout=REQUEST_TIMEOUT_S, **kwargs)
        except requests.RequestException as error:
            self.tally.error(f"{method} {path.split('?')[0]}: {type(error).__name__}")
            return None
        elapsed_ms = 1000 * (time.perf_counter() - started)
        if answer.status_code >= 400:
            self.tally.error(f"{method} {path.split('?')[0]}: HTTP {answer.status_code}")
            return None
        self.tally.add(self.tally.requests_ms, elapsed_ms)
        return answer

    def callback(self, name: str, changed: list[str], *, query: dict[str, str] | None = None) -> dict[str, Any] | None:
        """Post one callback and fold its outputs into this page's values."""
        assert self.callbacks is not None
        params = "&".join(f"{k}={requests.utils.quote(v)}" for k, v in {"endId": self.end_id, **(query or {})}.items())
        answer = self._send("POST", f"/_dash-update-component?{params}",
                            json=self.callbacks.body(name, self.values, changed))
        if answer is None or answer.status_code == 204:
            return None
        payload: dict[str, Any] = answer.json()
        for component, props in payload.get("response", {}).items():
            for prop, value in props.items():
                self.values[f"{component}.{prop}"] = value
        return payload

    def open_page(self) -> bool:
        started = time.perf_counter()
        page = self._send("GET", "/")
        layout = self._send("GET", "/_dash-layout")
        dependencies = self._send("GET", "/_dash-dependencies")
        if page is None or layout is None or dependencies is None:
            return False
        match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page.text, re.S)
        self.end_id = json.loads(match.group(1)).get("end_id", "") if match else ""
        self.callbacks = Callbacks.from_dependencies(dependencies.json())
        for component, props in component_props(layout.json()).items():
            for prop, value in props.items():
                self.values[f"{component}.{prop}"] = value
        self.values.update({"url.pathname": "/", "url.search": ""})
        # What the renderer fires once the layout is in: the router, then the plan's views.
        self.callback("route", ["url.pathname", "url.search"])
        self.callback("show_add_mode", ["add-mode.data"])
        self.callback("score", [])
        self.callback("draw_hubs", [])
        self.callback("follow_selection", ["hub-select.value"])
        self.tally.add(self.tally.page_loads_ms, 1000 * (time.perf_counter() - started))
        return True

    def drag(self, rng: random.Random, homes: dict[str, tuple[float, float]]) -> None:
        plan = self.values.get("plan.data") or {}
        movable = [hub for hub in plan.get("hubs", []) if not hub.get("locked")]
        if not movable:
            return
        hub = rng.choice(movable)
        home_x, home_y = homes.setdefault(hub["hub_id"], (hub["x"], hub["y"]))
        lng, lat = TO_LATLON.transform(home_x + rng.uniform(-DRAG_RADIUS_M, DRAG_RADIUS_M),
                                       home_y + rng.uniform(-DRAG_RADIUS_M, DRAG_RADIUS_M))
        started = time.perf_counter()
        self.values["hub-event.data"] = {"kind": "move", "hub": hub["hub_id"], "lat": lat, "lng": lng,
                                         "at": int(time.time() * 1000)}
        if self.callback("edit_plan", ["hub-event.data"]) is None:
            return
        # The renderer sends these three at once.
        after = [self.pool.submit(self.callback, name, changed) for name, changed in
                 (("show_add_mode", ["add-mode.data"]), ("draw_hubs", ["plan.data"]), ("score", ["plan.data"]))]
        if after[1].result() is not None:
            self.callback("follow_selection", ["hub-select.value"])
        scored = after[2].result()
        if scored is not None:
            self.tally.add(self.tally.drags_ms, 1000 * (time.perf_counter() - started))

    def workshop(self, seed: int) -> None:
        rng = random.Random(seed)
        time.sleep(rng.uniform(0, START_SPREAD_S))
        try:
            if not self.open_page():
                return
            homes: dict[str, tuple[float, float]] = {}
            while True:
                pause = rng.uniform(*DRAG_EVERY_S)
                if time.monotonic() + pause > self.deadline:
                    return
                time.sleep(pause)
                self.drag(rng, homes)
        finally:
            self.pool.shutdown()


def analyst(url: str, tally: Tally, deadline: float, seed: int) -> None:
    """Keep one travel-time matrix job running until the deadline, polled once a second."""
    rng = random.Random(seed)
    tab = Browser(url, tally, deadline)
    if not tab.open_page():
        return
    modes = ["drive", "walk", "bus"]
    while time.monotonic() < deadline:
        request = {"mode": modes[tally.jobs_done % 3], "n_lattice": rng.randint(300, 3000)}
        tab.values["matrix-job-request.data"] = request
        started = tab.callback("build_matrix", ["matrix-job-request.data"])
        if started is None or "cacheKey" not in started:
            return
        handles = {"cacheKey": started["cacheKey"], "job": started["job"]}
        began = time.monotonic()
        while time.monotonic() < deadline + 60:
            time.sleep(1.0)  # the renderer's polling interval for background callbacks
            polled = tab.callback("build_matrix", ["matrix-job-request.data"], query=handles)
            if polled is None:
                return
            if "response" in polled:
                if polled["response"]["matrix-job-result"]["data"].get("status") != "done":
                    tally.error(f"analyst job failed: {polled['response']}")
                with tally.lock:
                    tally.jobs_done += 1
                    tally.job_seconds.append(time.monotonic() - began)
                break


def server_cpu_s(process: subprocess.Popen[bytes]) -> tuple[float, float]:
    """CPU seconds used so far by the web processes (master and workers) and by their background jobs."""
    web = jobs = 0.0
    with contextlib.suppress(psutil.Error):
        master = psutil.Process(process.pid)
        times = master.cpu_times()
        web += times.user + times.system
        for worker in master.children():
            with contextlib.suppress(psutil.Error):
                times = worker.cpu_times()
                web += times.user + times.system
                jobs += times.children_user + times.children_system  # finished jobs
                for job in worker.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        job_times = job.cpu_times()
                        jobs += job_times.user + job_times.system
    return web, jobs


def server_memory_mb(process: subprocess.Popen[bytes]) -> float:
    """Unique memory of the gunicorn master and its workers (MB), the real cost of a worker."""
    total = 0
    root = psutil.Process(process.pid)
    for proc in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_full_info().uss
    return total / 1e6


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def load_run(workers: int, *, users: int = USERS, duration_s: float = DURATION_S) -> dict[str, Any]:
    """One run against ``workers`` gunicorn workers; the figures for the table."""
    with (tempfile.TemporaryDirectory(prefix="dsp-load-") as instance,
          running_gunicorn({"INSTANCE_FOLDER": instance}, workers=workers) as (url, process)):
            tally = Tally()
            deadline = time.monotonic() + START_SPREAD_S + duration_s
            threads = [threading.Thread(target=Browser(url, tally, deadline).workshop, args=(i,), daemon=True)
                       for i in range(users)]
            threads.append(threading.Thread(target=analyst, args=(url, tally, deadline, 999), daemon=True))
            load_before = os.getloadavg()[0]
            web_before, jobs_before = server_cpu_s(process)
            client_before = psutil.Process().cpu_times()
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=max(1.0, deadline + 90 - time.monotonic()))
            wall_s = time.monotonic() - started
            web_after, jobs_after = server_cpu_s(process)
            client_after = psutil.Process().cpu_times()
            load_after = os.getloadavg()[0]
            memory_mb = server_memory_mb(process)
    web_cpu_s = web_after - web_before
    return {
        "workers": workers, "requests": len(tally.requests_ms), "errors": len(tally.errors),
        "error_kinds": sorted(set(tally.errors))[:5],
        "p50_ms": percentile(tally.requests_ms, 0.50), "p95_ms": percentile(tally.requests_ms, 0.95),
        "p99_ms": percentile(tally.requests_ms, 0.99),
        "drags": len(tally.drags_ms), "drag_p50_ms": percentile(tally.drags_ms, 0.50),
        "drag_p95_ms": percentile(tally.drags_ms, 0.95), "drag_p99_ms": percentile(tally.drags_ms, 0.99),
        "page_load_p95_ms": percentile(tally.page_loads_ms, 0.95),
        "jobs_done": tally.jobs_done,
        "job_median_s": statistics.median(tally.job_seconds) if tally.job_seconds else None,
        "memory_mb": memory_mb, "wall_s": wall_s,
        "web_cpu_s": web_cpu_s, "jobs_cpu_s": jobs_after - jobs_before,
        "client_cpu_s": (client_after.user + client_after.system) - (client_before.user + client_before.system),
        "web_cpu_ms_per_drag": 1000 * web_cpu_s / max(1, len(tally.drags_ms)),
        "load_before": load_before, "load_after": load_after,
    }


def recommended(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fewest workers with no errors and p95 within the target, else the lowest p95 with fewest errors."""
    good = [run for run in runs if run["errors"] == 0 and run["p95_ms"] <= TARGET_P95_MS]
    if good:
        return min(good, key=lambda run: run["workers"])
    return min(runs, key=lambda run: (run["errors"], run["p95_ms"]))


def run() -> dict[str, Figure]:
    runs = [load_run(workers) for workers in WORKER_COUNTS]
    cores = os.cpu_count()
    print_table(
        f"Load: {USERS} users dragging a hub every 2-4 s for {DURATION_S:.0f} s, one analyst matrix job always "
        f"running; gunicorn sync workers, loopback, load generator on the same {cores}-core machine",
        ["workers", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "drags", "drag p50 ms", "drag p95 ms",
         "drag p99 ms", "page load p95 ms", "analyst jobs", "server MB"],
        [[r["workers"], r["requests"], r["errors"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["drags"],
          r["drag_p50_ms"], r["drag_p95_ms"], r["drag_p99_ms"], r["page_load_p95_ms"], r["jobs_done"],
          r["memory_mb"]] for r in runs],
    )
    print_table(
        "Where the CPU went (seconds over the run) and how busy the machine was (1-minute load average)",
        ["workers", "web CPU s", "web CPU ms per drag", "analyst job CPU s", "load generator CPU s",
         "load before", "load after"],
        [[r["workers"], r["web_cpu_s"], r["web_cpu_ms_per_drag"], r["jobs_cpu_s"], r["client_cpu_s"],
          r["load_before"], r["load_after"]] for r in runs],
    )
    for r in runs:
        if r["error_kinds"]:
            print(f"  errors with {r['workers']} workers, e.g.: {'; '.join(r['error_kinds'])}")
    best = recommended(runs)
    verdict = "meets" if best["p95_ms"] <= TARGET_P95_MS and best["errors"] == 0 else "misses"
    print(f"\nRecommended: {best['workers']} workers; p95 {best['p95_ms']:.0f} ms with {best['errors']} errors "
          f"{verdict} the target (p95 under {TARGET_P95_MS:.0f} ms, no errors).")
    unit = f"ms (p95 of every request, {USERS} users, {best['workers']} workers)"
    return {
        "load_p95_ms_30_users": figure(round(best["p95_ms"], 1), unit),
        "load_errors_30_users": figure(best["errors"], f"errors ({USERS} users, {best['workers']} workers)"),
        "load_drag_p95_ms_30_users": figure(round(best["drag_p95_ms"], 1),
                                            f"ms (p95 from drag to figures, {best['workers']} workers)"),
        "load_recommended_workers": figure(best["workers"], f"workers on {cores} cores"),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
