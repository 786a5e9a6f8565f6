"""Benchmark the money panels' server work: a hub move and a money edit, on the demo.

Each request goes through Flask exactly as a browser's does (``/_dash-update-component``:
parse the JSON, run the callback, build the components and figures, serialise the
response), in-process, so the figure is the server's work alone with no network or
browser time. Two callbacks are timed:

- ``recompute_places`` on ``HUB_MOVES`` moves of the biggest town's hub (what a drag costs
  the money, fairness and outcome panels; the map's own scoring of the move runs first, as
  in the app, and is not counted);
- ``recompute_money`` on ``MONEY_EDITS`` changes of a service decision and the IPS
  staffing (it does not run on a drag).

Medians of wall time and of process CPU time are reported: on a shared machine the CPU
time is the steadier measure of the work itself. The budget is the map's: well under 50 ms
for a hub move. There is no peer implementation.

Run: ``python -m benchmarks.run_all money_panels`` (or ``python -m benchmarks.bench_money_panels``).
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Figure, figure, print_table
from dashboard import create_app, ids
from dashboard.config import Settings
from dashboard.engine import score_plan
from dashboard.planning_panel import initial_plan
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.money import PlanMoney
from geo.scenarios import ScenarioContent, scenario_from_dict, scenario_to_dict
from tests.support.callback_client import callback_body

HUB_MOVES = 60
MONEY_EDITS = 30
UPDATE_PATH = "/_dash-update-component"


def _outputs(key: str) -> list[dict[str, Any]]:
    return [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]} for part in key.strip(".").split("...")]


def _places_request(client: Any, plan: ScenarioContent) -> dict[str, Any]:
    """The money-by-place callback's body, built from the app's own dependencies (as a browser does), with
    nothing shown yet, so every output is worked out and sent."""
    plan_data = scenario_to_dict(plan)
    return callback_body(client, f"{ids.KPI_GINI_SPEND}.children", {
        f"{ids.PLACES_PLAN}.data": plan_data, f"{ids.TRAVEL_MODE}.value": "drive",
        f"{ids.DISTRICT_SELECT}.value": "Kingsmere", f"{ids.SELECTED_AREA}.data": 42,
        f"{ids.HUB_SELECT}.value": "H1", f"{ids.PLAN}.data": plan_data, f"{ids.PLACES_SHOWN}.data": None,
    }, triggered=f"{ids.PLACES_PLAN}.data")


def _money_request(key: str, plan: ScenarioContent, service_ids: list[str]) -> dict[str, Any]:
    released = [{"service": s, "type": "service-released"} for s in service_ids]
    outputs = [[{"id": r, "property": "children"} for r in released] if o["id"].startswith("{") else o
               for o in _outputs(key)]
    return {"output": key, "outputs": outputs, "changedPropIds": ["money-key.data"],
            "inputs": [{"id": "money-key", "property": "data", "value": "bench"}],
            "state": [{"id": "plan", "property": "data", "value": scenario_to_dict(plan)},
                      [{"id": r, "property": "id", "value": r} for r in released]]}


def _timed(client: Any, body: dict[str, Any]) -> tuple[float, float, int]:
    start, cpu = time.perf_counter(), time.process_time()
    response = client.post(UPDATE_PATH, json=body)
    if response.status_code != 200:
        raise RuntimeError(f"{body['output'][:60]}: HTTP {response.status_code}: {response.data[:300]!r}")
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, len(response.data)


def _summary(runs: list[tuple[float, float, int]]) -> tuple[float, float, float, float]:
    wall = sorted(w for w, _, _ in runs)
    return (statistics.median(wall), wall[int(0.9 * (len(wall) - 1))], statistics.median(c for _, c, _ in runs),
            runs[-1][2] / 1024)


def run() -> dict[str, Figure]:
    with tempfile.TemporaryDirectory() as instance:
        app = create_app(Settings(instance_folder=Path(instance)))
        client = app.server.test_client()
        locality = load_locality()
        folder = str(DEMO_FOLDER)
        plan = scenario_from_dict(initial_plan())
        service_ids = [str(s) for s in locality.services["service_id"]]
        money_key = next(k for k in app.callback_map if "kpi-plan-cost.children" in k)
        _timed(client, _places_request(client, plan))  # warm the per-process values
        _timed(client, _money_request(money_key, plan, service_ids))

        moves = []
        for i in range(HUB_MOVES):
            hub = plan.hubs[0]
            moved = dataclasses.replace(hub, x=hub.x + 250.0 * (i % 9), y=hub.y + 150.0 * (i % 4))
            version = dataclasses.replace(plan, hubs=(moved, *plan.hubs[1:]))
            score_plan(folder, version.hubs)  # the map's own scoring of the move, not counted
            moves.append(_timed(client, _places_request(client, version)))
        edits = []
        for i in range(MONEY_EDITS):
            version = dataclasses.replace(plan, service_decisions={"S01": ("decommission", "reshape", "keep")[i % 3]},
                                          money=PlanMoney(ips_specialists_fte=8.0 + i % 5))
            edits.append(_timed(client, _money_request(money_key, version, service_ids)))

    rows = [("hub move: recompute_places", *_summary(moves)), ("money edit: recompute_money", *_summary(edits))]
    print_table("Money panels: server work per request on the demo (505 areas)",
                ["request", "wall median ms", "wall p90 ms", "CPU median ms", "response KiB"],
                [(name, f"{a:.1f}", f"{b:.1f}", f"{c:.1f}", f"{d:.0f}") for name, a, b, c, d in rows])
    (move_wall, _, move_cpu, _), (edit_wall, _, edit_cpu, _) = _summary(moves), _summary(edits)
    return {
        "money_panels_hub_move_server_ms": figure(move_wall, "ms"),
        "money_panels_hub_move_server_cpu_ms": figure(move_cpu, "ms"),
        "money_panels_money_edit_server_ms": figure(edit_wall, "ms"),
        "money_panels_money_edit_server_cpu_ms": figure(edit_cpu, "ms"),
    }


if __name__ == "__main__":
    run()
