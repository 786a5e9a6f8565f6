"""Load test: 30 workshop users dragging hubs while an analyst job runs, against 1, 2 and 4 workers.

For each worker count the app is started under gunicorn (``gunicorn app:server`` with the
project's gunicorn.conf.py) on a free loopback port with a fresh instance folder. Then:

- 30 simulated users (one thread each) open the page as the browser does (``/``,
  ``/_dash-layout``, ``/_dash-dependencies`` and every callback the renderer fires on
  load), all within the first ``START_SPREAD_S`` seconds ("everyone open the link
  now"), then each drags a hub every 2 to 4 seconds (uniformly random) for
  ``DURATION_S``. A person drops a hub, reads the figures and drags again: every 2 to 4
  seconds is about the quickest that happens, so this is the busiest moment of a
  workshop, all 30 at it at once, not its average (most of a workshop is talk).
- A drag is what the renderer would send, worked out from the app's own
  ``/_dash-dependencies`` rather than written down here (``Browser`` in
  tests/support/simulated_browser.py): the moved plan (written in the browser by
  ``dsp.moveHub``, here by its Python twin ``hub_edit``) wakes the callbacks that take it
  as an input, what they return wakes the next ones, a callback waits while another one
  still to answer writes one of its inputs, and up to six are in flight at once.
  Clientside callbacks that wake server callbacks are run by their twins (``CLIENTSIDE``),
  which tests/browser/test_browser_twins.py checks against the scripts. A drag's latency
  runs from the plan's change to the last answer of the whole cascade.
- One analyst keeps a background job running the whole time: the travel-time matrix
  from every area to every candidate site (dashboard/jobs.py), for a changing mode and
  number of sites so no build comes from the cache, started and polled every second
  through the callback endpoint as the renderer does. On the default disk-cache
  backend the job is a process forked from a web worker: it competes for the same cores.

Reported per worker count: latency p50/p95/p99 of every request, of a whole drag (from
the plan's change to the last figure arriving) and of the page load; the p95 of the
requests sent once every user has the page (the room dragging, without the opening
rush; an extra view, the headline p95 is over every request); the error
count (HTTP status 400 or more, timeouts, refused connections) and the analyst jobs
finished. The load generator runs on the same machine as the server and takes some of
its CPU; the figures are for this machine, stated in the table title.

Bounded: at most MAX_REQUESTS_PER_RUN requests and DURATION_S + about 15 s per worker
count; loopback only; the server is stopped at the end of each run.

Run: ``python -m benchmarks.run_all load`` (or ``python -m benchmarks.bench_load``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from benchmarks.common import Figure, figure, print_table
from tests.support.paths import PROJECT_ROOT
from tests.support.servers import running_gunicorn
from tests.support.simulated_browser import MATRIX_JOB, Browser, Tally

WORKER_COUNTS = (1, 2, 4)
USERS = 30
DURATION_S = 30.0
DRAG_EVERY_S = (2.0, 4.0)
START_SPREAD_S = 5.0  # users open the page within the first few seconds
TARGET_P95_MS = 500.0


def workshop(tab: Browser, seed: int) -> None:
    """One user's session: open the page within the first seconds, then drag every 2 to 4 s until the deadline."""
    rng = random.Random(seed)
    time.sleep(rng.uniform(0, START_SPREAD_S))
    try:
        if not tab.open_page():
            return
        homes: dict[str, tuple[float, float]] = {}
        while True:
            pause = rng.uniform(*DRAG_EVERY_S)
            if time.monotonic() + pause > tab.deadline:
                return
            time.sleep(pause)
            tab.drag(rng, homes)
    finally:
        tab.pool.shutdown()


def analyst(url: str, tally: Tally, deadline: float, seed: int) -> None:
    """Keep one travel-time matrix job running until the deadline, polled once a second."""
    rng = random.Random(seed)
    tab = Browser(url, tally, deadline)
    if not tab.open_page():
        return
    assert tab.callbacks is not None
    build_matrix = tab.callbacks.named(MATRIX_JOB)
    modes = ["drive", "walk", "bus"]
    while time.monotonic() < deadline:
        request = {"mode": modes[tally.jobs_done % 3], "n_lattice": rng.randint(300, 3000)}
        tab.values["matrix-job-request.data"] = request
        started = tab.callback(build_matrix, ["matrix-job-request.data"])
        if started is None or "cacheKey" not in started:
            return
        handles = {"cacheKey": started["cacheKey"], "job": started["job"]}
        began = time.monotonic()
        while time.monotonic() < deadline + 60:
            time.sleep(1.0)  # the renderer's polling interval for background callbacks
            polled = tab.callback(build_matrix, ["matrix-job-request.data"], query=handles)
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


def load_run(workers: int, *, users: int = USERS, duration_s: float = DURATION_S,
             root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """One run against ``workers`` gunicorn workers; the figures for the table.

    The searches the workers share (dashboard/engine.py) are cleared first, so no run
    reads what an earlier run searched.
    """
    from dashboard.engine import shared_search_folder

    shutil.rmtree(shared_search_folder(), ignore_errors=True)
    with (tempfile.TemporaryDirectory(prefix="dsp-load-") as instance,
          running_gunicorn({"INSTANCE_FOLDER": instance}, workers=workers, root=root) as (url, process)):
            tally = Tally()
            deadline = time.monotonic() + START_SPREAD_S + duration_s
            threads = [threading.Thread(target=workshop, args=(Browser(url, tally, deadline), 1000 * workers + i),
                                        daemon=True) for i in range(users)]
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
        "settled_p95_ms": percentile([ms for at, ms in zip(tally.requests_at, tally.requests_ms, strict=True)
                                      if at > tally.all_loaded_at], 0.95),
        "requests_per_drag": statistics.median(tally.requests_per_drag) if tally.requests_per_drag else 0,
        "by_callback": {name: (len(ms), percentile(ms, 0.50), percentile(ms, 0.95))
                        for name, ms in sorted(tally.by_callback.items())},
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
    peer_root = os.environ.get("DSP_PEER_CHECKOUT")  # another build, run in turn with this one, worker count by count
    runs, peer_runs = [], []
    for workers in WORKER_COUNTS:
        runs.append(load_run(workers))
        if peer_root:
            peer_runs.append(load_run(workers, root=Path(peer_root)))
    cores = os.cpu_count()
    print_table(
        f"Load: {USERS} users dragging a hub every 2-4 s for {DURATION_S:.0f} s, one analyst matrix job always "
        f"running; gunicorn sync workers, loopback, load generator on the same {cores}-core machine",
        ["workers", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "drags", "requests per drag",
         "drag p50 ms", "drag p95 ms", "drag p99 ms", "page load p95 ms", "p95 ms once all have the page",
         "analyst jobs", "server MB"],
        [[r["workers"], r["requests"], r["errors"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["drags"],
          r["requests_per_drag"], r["drag_p50_ms"], r["drag_p95_ms"], r["drag_p99_ms"], r["page_load_p95_ms"],
          r["settled_p95_ms"], r["jobs_done"], r["memory_mb"]] for r in runs],
    )
    print_table(
        "Where the CPU went (seconds over the run) and how busy the machine was (1-minute load average)",
        ["workers", "web CPU s", "web CPU ms per drag", "analyst job CPU s", "load generator CPU s",
         "load before", "load after"],
        [[r["workers"], r["web_cpu_s"], r["web_cpu_ms_per_drag"], r["jobs_cpu_s"], r["client_cpu_s"],
          r["load_before"], r["load_after"]] for r in runs],
    )
    print_table(
        "What a drag posts: each server callback of the cascade, its count and latency (ms) under the load",
        ["workers", "callback (first output)", "posted", "p50 ms", "p95 ms"],
        [[r["workers"], name, n, p50, p95] for r in runs for name, (n, p50, p95) in r["by_callback"].items()],
    )
    for r in runs:
        if r["error_kinds"]:
            print(f"  errors with {r['workers']} workers, e.g.: {'; '.join(r['error_kinds'])}")
    best = recommended(runs)
    verdict = "meets" if best["p95_ms"] <= TARGET_P95_MS and best["errors"] == 0 else "misses"
    print(f"\nRecommended: {best['workers']} workers; p95 {best['p95_ms']:.0f} ms with {best['errors']} errors "
          f"{verdict} the target (p95 under {TARGET_P95_MS:.0f} ms, no errors).")
    unit = f"ms (p95 of every request, {USERS} users, {best['workers']} workers)"
    peer_best = recommended(peer_runs) if peer_runs else None
    if peer_runs:
        print_table(f"Page loads in the opening rush, this build and the build at {peer_root} (in turn, same run)",
                    ["workers", "page load p95 ms", "peer's page load p95 ms", "p95 ms", "peer's p95 ms"],
                    [[r["workers"], r["page_load_p95_ms"], p["page_load_p95_ms"], r["p95_ms"], p["p95_ms"]]
                     for r, p in zip(runs, peer_runs, strict=True)])
    page_unit = f"ms (p95 of whole page loads, {USERS} users opening within {START_SPREAD_S:.0f} s, " \
                f"{best['workers']} workers)"
    return {
        "load_page_p95_ms_30_users": figure(round(best["page_load_p95_ms"], 1), page_unit,
                                            peer=round(peer_best["page_load_p95_ms"], 1) if peer_best else None,
                                            peer_name=f"the build at {peer_root}, its recommended worker count, "
                                                      "same run" if peer_best else None),
        "load_p95_ms_30_users": figure(round(best["p95_ms"], 1), unit),
        "load_errors_30_users": figure(best["errors"], f"errors ({USERS} users, {best['workers']} workers)"),
        "load_drag_p95_ms_30_users": figure(round(best["drag_p95_ms"], 1),
                                            f"ms (p95 from drag to figures, {best['workers']} workers)"),
        "load_recommended_workers": figure(best["workers"], f"workers on {cores} cores"),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
