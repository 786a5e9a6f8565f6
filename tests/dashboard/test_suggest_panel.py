"""The suggest panel: reading the controls, the job on the demo, ghost markers, using and discarding."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import plotly
import pytest
from dash import no_update

from dashboard import create_app, history, ids, suggest_panel
from dashboard.config import Settings
from dashboard.engine import router_for, score_plan
from dashboard.planning_panel import initial_plan
from dashboard.suggest_panel import (
    SuggestRequest,
    answer,
    ghost_markers,
    job_failed,
    result_view,
    suggest_request,
    use_or_discard,
)
from geo.errors import PlannerInputError
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.placement.candidates import candidate_sites
from geo.scenarios import scenario_from_dict, scenario_to_dict
from tests.support.callback_client import post_callback

FOLDER = str(DEMO_FOLDER)
CONTROLS = (3, "p-median", 30, 60, "population", True)


@pytest.fixture(scope="module")
def few_candidates():  # type: ignore[no-untyped-def]
    """The demo's candidate sites with a coarse lattice, so the matrix takes a second, not ten."""
    locality = load_locality()
    sites = candidate_sites(locality.areas, router_for(FOLDER, "drive").graph, towns=locality.towns,
                            services=locality.services, n_lattice=25)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(suggest_panel, "candidates_for", lambda folder, mode: sites)
        yield sites


@pytest.fixture(scope="module")
def plan_data() -> dict[str, Any]:
    plan = scenario_from_dict(initial_plan())
    locked = dataclasses.replace(plan.hubs[1], locked=True)
    return scenario_to_dict(dataclasses.replace(plan, hubs=(plan.hubs[0], locked, *plan.hubs[2:])))


@pytest.fixture(scope="module")
def suggested(few_candidates, plan_data):  # type: ignore[no-untyped-def]
    seen: list[int] = []
    data, message = answer(CONTROLS, plan_data, "drive", FOLDER, progress=lambda done, total: seen.append(done))
    assert message is None
    return data, seen


def test_controls_are_read_into_a_checked_request() -> None:
    request = suggest_request("4", "coverage", "25", None, "need", [])
    assert request == SuggestRequest(objective="coverage", n_hubs=4, threshold_minutes=25.0, weight="need",
                                     min_share_pct=suggest_panel.DEFAULT_FLOOR_PCT, keep_locked=False)
    assert suggest_request(2, "equity p-median", 30, 75, None, True).min_share_pct == 75.0


@pytest.mark.parametrize(("controls", "message"), [
    ((None, "p-median", 30, 60, "population", True), "Number of hubs"),
    ((13, "p-median", 30, 60, "population", True), "Number of hubs"),
    ((2.5, "p-median", 30, 60, "population", True), "whole number"),
    ((3, "cheapest", 30, 60, "population", True), "Aim"),
    ((3, "coverage", "soon", 60, "population", True), "Time within reach"),
    ((3, "equity p-median", 30, 0, "population", True), "Fairness floor"),
])
def test_bad_controls_are_refused_in_plain_words(controls: tuple[Any, ...], message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        suggest_request(*controls)


def test_the_job_suggests_sites_keeping_the_locked_hub(suggested, plan_data) -> None:  # type: ignore[no-untyped-def]
    data, seen = suggested
    json.dumps(data, cls=plotly.utils.PlotlyJSONEncoder, allow_nan=False)  # fits the browser's store
    assert len(data["sites"]) == 3
    locked_id = plan_data["hubs"][1]["hub_id"]
    assert [s["kept_hub_id"] for s in data["sites"]].count(locked_id) == 1
    assert seen[0] == 0 and seen[-1] == 100
    assert "best possible" in data["certificate"]
    assert 0 < data["share_within_pct"] <= 100


def test_ghost_markers_and_figures_name_each_site(suggested) -> None:  # type: ignore[no-untyped-def]
    data, _ = suggested
    markers = ghost_markers(data)
    names = [s["name"] for s in data["sites"]]
    assert [m.title for m in markers] == [f"Suggested site: {n}" for n in names]
    assert all("ghost-icon" in m.iconOptions["html"] and not getattr(m, "draggable", False) for m in markers)
    text = json.dumps(result_view(data), cls=plotly.utils.PlotlyJSONEncoder)
    assert "Average journey" in text and data["certificate"][1:] in text
    assert all(s["reason"][1:] in text for s in data["sites"])
    assert result_view(None) == []


def test_using_the_suggestion_replaces_unlocked_hubs_with_undo(suggested, plan_data) -> None:  # type: ignore[no-untyped-def]
    data, _ = suggested
    plan, past, status, suggestion, _ = use_or_discard(ids.SUGGEST_USE, data, plan_data, history.empty())
    assert suggestion is None and "3 suggested hubs" in status
    assert past["past"][-1] == plan_data  # Undo brings the old hubs back
    new = scenario_from_dict(plan)
    assert len(new.hubs) == 3 and plan_data["hubs"][1]["hub_id"] in {h.hub_id for h in new.hubs}
    scored = score_plan(FOLDER, new.hubs, "drive").summary.set_index("group")
    assert scored.loc["population", "mean_minutes"] == pytest.approx(data["mean_minutes"], rel=1e-9)


def test_discarding_clears_the_suggestion_and_keeps_the_plan(suggested, plan_data) -> None:  # type: ignore[no-untyped-def]
    data, _ = suggested
    plan, past, status, suggestion, message = use_or_discard(ids.SUGGEST_DISCARD, data, plan_data, history.empty())
    assert (plan, past, status, suggestion) == (no_update, no_update, no_update, None)
    assert "discarded" in message.children


def test_impossible_requests_show_the_solvers_message(few_candidates, plan_data) -> None:  # type: ignore[no-untyped-def]
    data, message = answer((2, "equity p-median", 1, 100, "population", False), plan_data, "drive", FOLDER)
    assert data is None and message.color == "warning" and "Traceback" not in message.children
    assert any(ch.isdigit() for ch in message.children) and "No placement can meet this request" in message.children
    two_locked = {**plan_data, "hubs": [{**h, "locked": True} for h in plan_data["hubs"][:2]]}
    data, message = answer((1, "p-median", 30, 60, "population", True), two_locked, "drive", FOLDER)
    assert data is None and "locked hubs" in message.children
    data, message = use_or_discard(ids.SUGGEST_USE, None, plan_data, history.empty())[3:]
    assert data is no_update and "ask for one first" in message.children


def test_a_lost_job_is_reported_plainly() -> None:
    _, message = job_failed(RuntimeError("The computer process running this job stopped before it finished."))
    assert "stopped before it finished" in message.children and message.color == "warning"
    _, message = job_failed(RuntimeError("boom"))
    assert "fault in the planner" in message.children and "boom" not in message.children


def test_choosing_through_the_app_writes_the_plan_and_the_history(tmp_path: Path, suggested,  # type: ignore[no-untyped-def]
                                                                  plan_data) -> None:
    data, _ = suggested
    client = create_app(Settings(instance_folder=tmp_path)).server.test_client()
    values = {f"{ids.SUGGEST_USE}.n_clicks": 1, f"{ids.SUGGESTION}.data": data, f"{ids.PLAN}.data": plan_data,
              f"{ids.PLAN_HISTORY}.data": history.empty()}
    status, response = post_callback(client, f"{ids.SUGGESTION}.data@", values, triggered=f"{ids.SUGGEST_USE}.n_clicks")
    assert status == 200
    assert len(response[ids.PLAN]["data"]["hubs"]) == 3
    assert response[ids.PLAN_HISTORY]["data"]["past"][-1] == plan_data
    assert response[ids.SUGGESTION]["data"] is None
    dependencies = client.get("/_dash-dependencies").get_json()
    ghosts = [d for d in dependencies if f"{ids.SUGGESTED_SITES}.children" in d["output"]]
    assert len(ghosts) == 1 and ghosts[0]["inputs"] == [{"id": ids.SUGGESTION, "property": "data"}]


def test_the_budget_sets_how_many_hubs_and_a_higher_budget_allows_more(plan_data) -> None:  # type: ignore[no-untyped-def]
    plan = scenario_from_dict(plan_data)  # the redesign: six hubs within today's spend, one locked
    count, budget = suggest_panel.hubs_the_budget_allows(plan, FOLDER, keep_locked=True)
    assert (count, budget) == (6, 3_500_000)
    richer = dataclasses.replace(plan, money=dataclasses.replace(plan.money, budget_cap_gbp=4_500_000))
    more, _ = suggest_panel.hubs_the_budget_allows(richer, FOLDER, keep_locked=True)
    poorer = dataclasses.replace(plan, money=dataclasses.replace(plan.money, budget_cap_gbp=3_000_000))
    fewer, _ = suggest_panel.hubs_the_budget_allows(poorer, FOLDER, keep_locked=True)
    assert fewer < count < more <= suggest_panel.MAX_HUBS


def test_places_keep_every_hub_within_its_places(few_candidates, plan_data) -> None:  # type: ignore[no-untyped-def]
    controls = (6, "p-median", 30, 60, "need", False, True, 160)
    data, message = answer(controls, plan_data, "drive", FOLDER)
    assert message is None, message
    assert "No hub takes more than its places (160 at each new hub)" in data["places_note"]
    assert data["certificate"]  # the certificate is still shown
    refused = answer((6, "coverage", 30, 60, "need", False, True, 160), plan_data, "drive", FOLDER)
    assert refused[0] is None and "hub places apply to the shortest-average-journey aim" in str(refused[1])
    too_few = answer((2, "p-median", 30, 60, "need", False, True, 100), plan_data, "drive", FOLDER)
    assert too_few[0] is None and "No placement can meet this request" in str(too_few[1])
