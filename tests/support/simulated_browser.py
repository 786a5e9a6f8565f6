"""A browser tab simulated in Python: the page's values and Dash's renderer rules, over HTTP.

Which callbacks a change wakes is read from the app's own ``/_dash-dependencies``, as
Dash's renderer does; the clientside callbacks whose writes wake the server are run by
their Python twins (:data:`CLIENTSIDE`), which tests/browser/test_browser_twins.py checks
against the JavaScript in assets/ on the same inputs. Used by the serving tests and the load
benchmark (benchmarks/bench_load.py).
"""

from __future__ import annotations

import concurrent.futures
import json
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from geo.projection import grid_xy, lonlat

DRAG_RADIUS_M = 3000.0
REQUEST_TIMEOUT_S = 30.0
MATRIX_JOB = "matrix-job-result.data"  # the analyst job's callback, by its output
PARALLEL_POSTS = 6  # a browser's connections to one host over HTTP/1.1
MAX_REQUESTS_PER_RUN = 6000


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


SCORE = "..area-fill.data-fill..."  # the access figures' callback, by its output: the first request of a drag


class ServedPage:
    """One page of a served app, as the tests drive it: a drag's figures and the analyst's job over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.browser = Browser(url, Tally(), deadline=time.monotonic() + 600)
        assert self.browser.load_layout() is not None and self.browser.callbacks is not None
        self.http, self.end_id, self.values = self.browser.http, self.browser.end_id, self.browser.values
        self.callbacks = self.browser.callbacks

    def post(self, output: str, changed: list[str], **query: str) -> requests.Response:
        return self.http.post(f"{self.url}/_dash-update-component",
                              params={"endId": self.end_id, **query},
                              json=self.browser.body(self.callbacks.named(output), changed), timeout=60)

    def drag_body(self, hub_id: str) -> dict[str, Any]:
        """What the browser posts for the figures once a drag has moved the hub (in the browser)."""
        event = {"kind": "move", "hub": hub_id, "lat": 52.3, "lng": -1.1}
        moved = hub_edit(event, self.values["plan.data"])
        assert moved is not None and moved != self.values["plan.data"]  # the hub did move
        self.values["plan.data"] = moved
        return self.browser.body(self.callbacks.named(SCORE), ["plan.data"])

    def run_job(self, request: dict[str, Any], timeout_s: float = 90) -> dict[str, Any]:
        self.values["matrix-job-request.data"] = request
        handles = self.post(MATRIX_JOB, ["matrix-job-request.data"]).json()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            time.sleep(0.5)
            answer = self.post(MATRIX_JOB, ["matrix-job-request.data"],
                               cacheKey=handles["cacheKey"], job=handles["job"])
            assert answer.status_code == 200, answer.text[:300]
            if "response" in answer.json():
                result: dict[str, Any] = answer.json()["response"]["matrix-job-result"]["data"]
                return result
        raise AssertionError(f"the job did not finish within {timeout_s:.0f} s")
