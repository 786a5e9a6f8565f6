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
  ``/_dash-dependencies`` rather than written down here (:class:`Browser`): the
  moved plan (written in the browser by ``dsp.moveHub``, here by its twin
  :func:`hub_edit`) wakes the callbacks that take it as an input, what they return wakes
  the next ones, a callback waits while another one still to answer writes one of its
  inputs, and up to six are in flight at once. Clientside callbacks that wake server
  callbacks are run here as the browser would (:data:`CLIENTSIDE`). A drag's latency runs
  from the plan's change to the last answer of the whole cascade.
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

import concurrent.futures
import contextlib
import json
import os
import random
import re
import shutil
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

from benchmarks.common import Figure, figure, print_table
from geo.projection import grid_xy, lonlat

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WORKER_COUNTS = (1, 2, 4)
USERS = 30
DURATION_S = 30.0
DRAG_EVERY_S = (2.0, 4.0)
START_SPREAD_S = 5.0  # users open the page within the first few seconds
DRAG_RADIUS_M = 3000.0
REQUEST_TIMEOUT_S = 30.0
MATRIX_JOB = "matrix-job-result.data"  # the analyst job's callback, by its output
PARALLEL_POSTS = 6  # a browser's connections to one host over HTTP/1.1
MAX_REQUESTS_PER_RUN = 6000
TARGET_P95_MS = 500.0


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
def prop_key(component: Any, prop: str) -> str:
    """"id.prop" for a string id, or for a pattern id its JSON as Dash writes it (sorted keys)."""
    name = component if isinstance(component, str) else json.dumps(component, sort_keys=True, separators=(",", ":"))
    return f"{name}.{prop.split('@')[0]}"


def component_props(layout: Any) -> dict[str, dict[str, Any]]:
    """Every component's props in the layout JSON, by id (a pattern id as its JSON)."""
    found: dict[str, dict[str, Any]] = {}
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str | dict):
                found[prop_key(props["id"], "")[:-1]] = props
            stack.extend(node.values())
    return found


def parse_outputs(output: str) -> list[dict[str, str]] | dict[str, str]:
    """Dash's output string ("..a.b...c.d.." or "a.b") as the renderer's ``outputs`` field."""
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    component, _, prop = output.rpartition(".")
    return {"id": component, "property": prop}


def money_key(plan: dict[str, Any] | None, previous: str | None) -> str | None:
    """assets/money.js ``dspMoney.moneyKey``, in Python: None for no update."""
    if not plan:
        return None
    hubs = [[h["hub_id"], h.get("capacity_places"), len(h.get("outreach_points") or [])] for h in plan.get("hubs", [])]
    key = json.dumps({"decisions": plan.get("service_decisions") or {}, "money": plan.get("money") or {},
                      "assumptions": plan.get("assumptions") or {}, "hubs": hubs}, separators=(",", ":"))
    return None if key == previous else key


def hub_edit(event: dict[str, Any], plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """assets/dsp.js ``dsp.editHub`` (a drag or an arrow key on a hub), in Python: the new plan, or
    None when nothing moves. In the browser ``dsp.moveHub`` writes it (and the undo history and
    status, which wake nothing on the server) without a callback."""
    hubs = list((plan or {}).get("hubs") or [])
    index = next((i for i, hub in enumerate(hubs) if hub["hub_id"] == event.get("hub")), None)
    if plan is None or index is None or hubs[index].get("locked"):
        return None
    hub = hubs[index]
    x, y = ((hub["x"] + event["dx"], hub["y"] + event["dy"]) if event.get("kind") == "nudge"
            else grid_xy(event["lng"], event["lat"]))
    hubs[index] = {**hub, "x": x, "y": y}
    return {**plan, "hubs": hubs}


def plan_for_open_tab(plan: dict[str, Any] | None, tab: str | None, passed: Any) -> dict[str, Any] | None:
    """assets/money.js ``dspMoney.planForOpenTab``, in Python: the plan for money by place, or None."""
    return plan if plan and tab in ("money", "outcomes") and plan != passed else None


def hub_layer_key(plan: dict[str, Any]) -> str:
    """assets/dsp.js ``dsp.hubLayerKey``, in Python (the same changes change it; the text may differ)."""
    return json.dumps([[h["hub_id"], h.get("label"), h["name"], bool(h.get("locked")),
                        [[p["name"], p["x"], p["y"]] for p in h.get("outreach_points") or []]]
                       for h in plan.get("hubs", [])])


def follow_plan(plan: dict[str, Any] | None, tab: str | None, money: str | None, places: Any,
                layer: str | None, *_drawn: Any) -> dict[str, Any]:
    """assets/dsp.js ``dsp.followPlan``, in Python: what it writes that wakes server callbacks
    ("id.prop": value). Marker positions wake nothing and are left out."""
    if not plan:
        return {}
    writes: dict[str, Any] = {}
    if (key := money_key(plan, money)) is not None:
        writes["money-key.data"] = key
    if (passed := plan_for_open_tab(plan, tab, places)) is not None:
        writes["places-plan.data"] = passed
    if (drawn := hub_layer_key(plan)) != layer:
        writes["hub-layer-key.data"] = drawn
    return writes


# Clientside callbacks whose writes wake server callbacks, run here as the browser runs them
# (each returns what it writes, "id.prop": value); the others (highlighting a row or a marker)
# wake nothing on the server and are skipped.
CLIENTSIDE = {("dsp", "followPlan"): follow_plan}


@dataclass(frozen=True)
class Dependency:
    """One callback of /_dash-dependencies: what wakes it, what it writes, and how to post it."""

    name: str  # its first output, "id.prop"
    spec: dict[str, Any]
    inputs: frozenset[str]
    outputs: frozenset[str]
    initial: bool  # fired when the page loads
    clientside: tuple[str, str] | None

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Dependency:
        function = spec.get("clientside_function")
        clientside = (function["namespace"], function["function_name"]) if function else None
        inputs = frozenset(prop_key(i["id"], i["property"]) for i in spec["inputs"])
        initial = not spec.get("prevent_initial_call")
        if spec.get("no_output"):  # Dash names a callback without outputs by a hash in "output"
            return cls(name=spec["output"], spec=spec, inputs=inputs, outputs=frozenset(), initial=initial,
                       clientside=clientside)
        parsed = parse_outputs(spec["output"])
        outputs = [prop_key(o["id"], o["property"]) for o in (parsed if isinstance(parsed, list) else [parsed])]
        return cls(name=outputs[0], spec=spec, inputs=inputs, outputs=frozenset(outputs), initial=initial,
                   clientside=clientside)


@dataclass
class Callbacks:
    """Every callback of the app, from /_dash-dependencies; the renderer's rules for which run when."""

    all: list[Dependency]

    @classmethod
    def from_dependencies(cls, dependencies: list[dict[str, Any]]) -> Callbacks:
        return cls([Dependency.from_spec(spec) for spec in dependencies])

    def named(self, prefix: str) -> Dependency:
        """The one server callback whose output, as Dash writes it, starts with ``prefix``.

        ``"..plan.data..."`` is the hub edits' callback (the others writing the plan do so
        as ``plan.data@<hash>``), ``"matrix-job-result.data"`` the analyst job.
        """
        matches = [d for d in self.all if d.spec["output"].startswith(prefix) and d.clientside is None]
        if len(matches) != 1:
            raise RuntimeError(f"expected one server callback writing {prefix}, found {len(matches)}")
        return matches[0]

    def woken_by(self, changed: set[str]) -> list[Dependency]:
        return [d for d in self.all if d.inputs & changed]

    def on_load(self, present: set[str]) -> list[Dependency]:
        """The callbacks the renderer fires once the layout is in: not prevented, inputs and outputs on the page."""
        def there(keys: frozenset[str]) -> bool:
            return all(k.startswith("{") or k.rsplit(".", 1)[0] in present for k in keys)
        return [d for d in self.all if d.initial and there(d.inputs) and there(d.outputs)]


@dataclass
class Tally:
    """Latencies (ms) and errors, shared by every simulated user (guarded by a lock)."""

    requests_ms: list[float] = field(default_factory=list)
    requests_at: list[float] = field(default_factory=list)  # when each was sent (time.monotonic)
    all_loaded_at: float = 0.0  # when the last page load finished
    drags_ms: list[float] = field(default_factory=list)
    page_loads_ms: list[float] = field(default_factory=list)
    by_callback: dict[str, list[float]] = field(default_factory=dict)  # drags only
    requests_per_drag: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    jobs_done: int = 0
    job_seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, bucket: list[float], value: float) -> None:
        with self.lock:
            bucket.append(value)

    def add_callback(self, name: str, value: float) -> None:
        with self.lock:
            self.by_callback.setdefault(name, []).append(value)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)

    @property
    def n_requests(self) -> int:
        with self.lock:
            return len(self.requests_ms) + len(self.errors)


class Browser:
    """One workshop user's tab: its own HTTP session, page values and endId, and the renderer's cascade.

    A change of a component's property wakes every callback with it as an input; a woken
    callback waits while another running or waiting callback writes one of its inputs;
    the ready ones are posted at once, up to ``PARALLEL_POSTS`` at a time, and what they
    return wakes the next ones, until nothing is left. Which callbacks a drag costs is
    therefore read from the app itself, not written down here.
    """

    def __init__(self, url: str, tally: Tally, deadline: float) -> None:
        self.url = url
        self.tally = tally
        self.deadline = deadline
        self.http = requests.Session()
        self.values: dict[str, Any] = {}
        self.pattern_ids: list[dict[str, Any]] = []
        self.end_id = ""
        self.callbacks: Callbacks | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_POSTS)
        self.lock = threading.Lock()  # values are folded in from the pool's threads

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
        with self.tally.lock:
            self.tally.requests_ms.append(elapsed_ms)
            self.tally.requests_at.append(time.monotonic() - elapsed_ms / 1000)
        return answer

    def _matching(self, spec_id: str) -> list[dict[str, Any]] | None:
        """The page's components matching a pattern id (``{"service":["ALL"],...}``), None for a plain id."""
        if not spec_id.startswith("{"):
            return None
        pattern = json.loads(spec_id)
        return [i for i in self.pattern_ids if set(i) == set(pattern)
                and all(isinstance(v, list) or i[k] == v for k, v in pattern.items())]

    def body(self, dependency: Dependency, changed: list[str]) -> dict[str, Any]:
        """The JSON the renderer posts for ``dependency`` given the page's current values."""
        spec = dependency.spec

        def item(component: Any, prop: str) -> dict[str, Any]:
            value = self.values.get(prop_key(component, prop))
            return {"id": component, "property": prop} | ({} if value is None else {"value": value})

        def items(deps: list[dict[str, str]]) -> list[Any]:
            out: list[Any] = []
            for dep in deps:
                matched = self._matching(dep["id"])
                out.append(item(dep["id"], dep["property"]) if matched is None
                           else [item(m, dep["property"]) for m in matched])
            return out

        parsed = parse_outputs(spec["output"])
        outputs: list[Any] = []
        for out in parsed if isinstance(parsed, list) else [parsed]:
            prop = out["property"].split("@")[0]
            matched = self._matching(out["id"])
            outputs.append({"id": out["id"], "property": prop} if matched is None
                           else [{"id": m, "property": prop} for m in matched])
        with self.lock:
            return {"output": spec["output"], "outputs": outputs if isinstance(parsed, list) else outputs[0],
                    "inputs": items(spec["inputs"]), "changedPropIds": changed, "parsedChangedPropsIds": changed,
                    "state": items(spec["state"])}

    def fold(self, response: dict[str, Any]) -> set[str]:
        """Take a callback's outputs into the page; return the properties it wrote."""
        written = set()
        with self.lock:
            for component, props in response.items():
                for prop, value in props.items():
                    key = prop_key(json.loads(component) if component.startswith("{") else component, prop)
                    self.values[key] = value
                    written.add(key)
        return written

    def callback(self, dependency: Dependency, changed: list[str], *,
                 query: dict[str, str] | None = None) -> dict[str, Any] | None:
        """Post one server callback and fold its outputs into this page's values; None on an error."""
        params = "&".join(f"{k}={requests.utils.quote(v)}" for k, v in {"endId": self.end_id, **(query or {})}.items())
        answer = self._send("POST", f"/_dash-update-component?{params}", json=self.body(dependency, changed))
        if answer is None:
            return None
        if answer.status_code == 204:  # nothing to update
            return {}
        payload: dict[str, Any] = answer.json()
        self.fold(payload.get("response", {}))
        return payload

    def _timed(self, dependency: Dependency, changed: list[str], record: bool) -> tuple[Dependency, set[str]]:
        started = time.perf_counter()
        payload = self.callback(dependency, changed)
        if record:
            self.tally.add_callback(dependency.name, 1000 * (time.perf_counter() - started))
        return dependency, set() if payload is None else {
            prop_key(json.loads(c) if c.startswith("{") else c, p)
            for c, props in payload.get("response", {}).items() for p in props}

    def cascade(self, woken: list[tuple[Dependency, set[str]]], *, record: bool = False) -> int:
        """Run callbacks as the renderer does until nothing is left to run; return how many were posted."""
        assert self.callbacks is not None
        waiting: dict[str, tuple[Dependency, set[str]]] = {}
        running: dict[concurrent.futures.Future[tuple[Dependency, set[str]]], Dependency] = {}
        posted = 0

        def wake(dependencies: list[Dependency], changed: set[str]) -> None:
            for dependency in dependencies:
                _, already = waiting.get(dependency.name, (dependency, set()))
                waiting[dependency.name] = (dependency, already | (dependency.inputs & changed))

        for dependency, changed in woken:
            wake([dependency], changed or set(dependency.inputs))
        while waiting or running:
            busy = [d for d, _ in waiting.values()] + list(running.values())
            ready = [(d, c) for d, c in waiting.values()
                     if not any(d.inputs & other.outputs for other in busy if other is not d)]
            if not ready and not running:
                ready = list(waiting.values())[:1]  # a loop of callbacks: the renderer would still go on
            for dependency, changed in ready:
                del waiting[dependency.name]
                if dependency.clientside is not None:
                    function = CLIENTSIDE.get(dependency.clientside)
                    writes = {} if function is None else function(
                        *(self.values.get(prop_key(i["id"], i["property"]))
                          for i in [*dependency.spec["inputs"], *dependency.spec["state"]]))
                    with self.lock:
                        self.values.update(writes)
                    if writes:
                        wake(self.callbacks.woken_by(set(writes)), set(writes))
                    continue
                running[self.pool.submit(self._timed, dependency, sorted(changed), record)] = dependency
                posted += 1
            if not running:
                continue
            done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                del running[future]
                _, written = future.result()
                wake(self.callbacks.woken_by(written), written)
        return posted

    def load_layout(self) -> set[str] | None:
        """Fetch the page, its layout and its callbacks, as the renderer does first; the ids on the page."""
        page = self._send("GET", "/")
        layout = self._send("GET", "/_dash-layout")
        dependencies = self._send("GET", "/_dash-dependencies")
        if page is None or layout is None or dependencies is None:
            return None
        match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page.text, re.S)
        self.end_id = json.loads(match.group(1)).get("end_id", "") if match else ""
        self.callbacks = Callbacks.from_dependencies(dependencies.json())
        present = component_props(layout.json())
        for component, props in present.items():
            if component.startswith("{"):
                self.pattern_ids.append(json.loads(component))
            for prop, value in props.items():
                self.values[f"{component}.{prop}"] = value
        self.values.update({"url.pathname": "/", "url.search": ""})
        return set(present)

    def open_page(self) -> bool:
        """Load the page and run what the renderer fires once the layout is in, and whatever that wakes."""
        started = time.perf_counter()
        present = self.load_layout()
        if present is None or self.callbacks is None:
            return False
        self.cascade([(d, set()) for d in self.callbacks.on_load(present)])
        with self.tally.lock:
            self.tally.page_loads_ms.append(1000 * (time.perf_counter() - started))
            self.tally.all_loaded_at = max(self.tally.all_loaded_at, time.monotonic())
        return True

    def drag(self, rng: random.Random, homes: dict[str, tuple[float, float]]) -> None:
        """Drop a hub somewhere within DRAG_RADIUS_M of where it started, as ``dsp.hubDragEnd`` reports it."""
        assert self.callbacks is not None
        plan = self.values.get("plan.data") or {}
        movable = [hub for hub in plan.get("hubs", []) if not hub.get("locked")]
        if not movable:
            return
        hub = rng.choice(movable)
        home_x, home_y = homes.setdefault(hub["hub_id"], (hub["x"], hub["y"]))
        lng, lat = lonlat(home_x + rng.uniform(-DRAG_RADIUS_M, DRAG_RADIUS_M),
                          home_y + rng.uniform(-DRAG_RADIUS_M, DRAG_RADIUS_M))
        errors_before = len(self.tally.errors)
        started = time.perf_counter()
        moved = hub_edit({"kind": "move", "hub": hub["hub_id"], "lat": lat, "lng": lng}, plan)
        if moved is None:
            return
        self.values["plan.data"] = moved  # as dsp.moveHub writes it
        posted = self.cascade([(d, {"plan.data"}) for d in self.callbacks.woken_by({"plan.data"})], record=True)
        if len(self.tally.errors) == errors_before:  # from the plan's change to the last answer of the cascade
            self.tally.add(self.tally.drags_ms, 1000 * (time.perf_counter() - started))
            with self.tally.lock:
                self.tally.requests_per_drag.append(posted)

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


def load_run(workers: int, *, users: int = USERS, duration_s: float = DURATION_S) -> dict[str, Any]:
    """One run against ``workers`` gunicorn workers; the figures for the table.

    The searches the workers share (dashboard/engine.py) are cleared first, so no run
    reads what an earlier run searched.
    """
    from dashboard.engine import shared_search_folder

    shutil.rmtree(shared_search_folder(), ignore_errors=True)
    with (tempfile.TemporaryDirectory(prefix="dsp-load-") as instance,
          running_gunicorn({"INSTANCE_FOLDER": instance}, workers=workers) as (url, process)):
            tally = Tally()
            deadline = time.monotonic() + START_SPREAD_S + duration_s
            threads = [threading.Thread(target=Browser(url, tally, deadline).workshop, args=(1000 * workers + i,),
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
    runs = [load_run(workers) for workers in WORKER_COUNTS]
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
    return {
        "load_p95_ms_30_users": figure(round(best["p95_ms"], 1), unit),
        "load_errors_30_users": figure(best["errors"], f"errors ({USERS} users, {best['workers']} workers)"),
        "load_drag_p95_ms_30_users": figure(round(best["drag_p95_ms"], 1),
                                            f"ms (p95 from drag to figures, {best['workers']} workers)"),
        "load_recommended_workers": figure(best["workers"], f"workers on {cores} cores"),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
