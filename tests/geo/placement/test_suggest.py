"""Tests for geo.placement.suggest: sites with kept hubs, the solve on a small grid, plain words, accepting."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from geo.access import area_weights, hub_access
from geo.errors import InfeasibleRequestError, PlannerInputError
from geo.placement.candidates import candidate_sites
from geo.placement.suggest import (
    KEPT_KIND,
    SuggestedSite,
    accept_suggestion,
    certificate_text,
    site_names,
    suggest_hubs,
    suggestion_sites,
)
from geo.scenarios import Hub, ScenarioContent
from geo.snapping import area_origins
from geo.traveltime import AreaRouter
from tests.support.grids import grid_graph, square_areas


@pytest.fixture(scope="module")
def grid():  # type: ignore[no-untyped-def]
    """Sixteen areas on a 2.6 km grid of roads, a router from them and about 20 candidate sites."""
    areas = square_areas()
    areas["need_weight"] = np.linspace(100, 2500, len(areas))
    areas["town"] = ["Bigton" if k in (5, 6) else "Rural" for k in range(len(areas))]
    areas["pop_total"] = areas["pop_total"].astype(float)
    graph = grid_graph(side=14)
    router = AreaRouter(graph, area_origins(areas), areas["code"].tolist())
    candidates = candidate_sites(areas, graph, n_lattice=20)
    candidates = candidates[(candidates["x"] > 0) & (candidates["y"] > 0)].reset_index(drop=True)
    return areas, router, candidates, area_weights(areas)


def plan_with(*hubs: Hub) -> ScenarioContent:
    return ScenarioContent(dataset_version="test", assumptions_version="test", hubs=hubs)


@pytest.mark.parametrize(("gap", "expected"), [
    (0.0, "the best possible (proved)"),
    (0.004, "within 0.01% of the best possible"),
    (0.0123, "within 0.013% of the best possible"),  # rounded up, never claiming more than is proved
    (3.094, "within 3.1% of the best possible"),
    (12.33, "within 13% of the best possible"),
])
def test_certificate_is_plain_and_rounds_up(gap: float, expected: str) -> None:
    assert certificate_text(gap) == expected
    assert certificate_text(gap, stopped_early=True).startswith(expected)
    assert certificate_text(math.inf) == "no proof of how close this is to the best possible"


def test_lattice_points_are_named_by_their_area_and_town() -> None:
    candidates = pd.DataFrame({"kind": ["lattice", "lattice", "town_centre"],
                               "name": ["Lattice point 1", "Lattice point 2", "Bigton town centre"],
                               "area": ["A1", "A2", "A1"]})
    areas = pd.DataFrame({"code": ["A1", "A2"], "name": ["Moor 001", "Bigton 004"], "town": ["Rural", "Bigton"]})
    assert site_names(candidates, areas) == ["Moor 001", "Bigton 004", "Bigton town centre"]
    areas["town"] = ["Rural", "Smallham"]
    assert site_names(candidates, areas)[1] == "Bigton 004, Smallham"
    across = pd.DataFrame({"kind": ["existing_service"], "name": ["Stamford day centre"], "area": [""]})
    assert site_names(across, areas) == ["Stamford day centre (outside the locality)"]  # in the roads' margin


def test_kept_hubs_become_sites_of_their_own(grid) -> None:  # type: ignore[no-untyped-def]
    areas, _, candidates, _ = grid
    kept = Hub(hub_id="H3", name="Old mill hub", x=1000.0, y=1200.0, locked=True)
    sites = suggestion_sites(candidates, areas, [kept])
    assert len(sites) == len(candidates) + 1
    last = sites.iloc[-1]
    assert (last["site_id"], last["kind"], last["name"], last["kept_hub_id"]) == ("H3", KEPT_KIND, "Old mill hub", "H3")
    assert sites["kept_hub_id"].iloc[:-1].isna().all()


def test_suggestion_keeps_locked_hubs_and_matches_the_plans_score(grid) -> None:  # type: ignore[no-untyped-def]
    areas, router, candidates, weights = grid
    kept = Hub(hub_id="H2", name="Old mill hub", x=2300.0, y=2300.0, locked=True)
    seen: list[int] = []
    suggestion = suggest_hubs(router, areas, candidates, weights, objective="p-median", n_hubs=3,
                              threshold_minutes=5.0, kept=[kept], time_limit_seconds=2.0,
                              progress=lambda done, total: seen.append(round(100 * done / total)))
    assert len(suggestion.sites) == 3
    assert [s.kept_hub_id for s in suggestion.sites].count("H2") == 1
    assert all(s.reason for s in suggestion.sites)
    assert seen[0] == 0 and seen[-1] == 100 and seen == sorted(seen)
    assert suggestion.proven and "best possible" in suggestion.certificate
    assert 0 <= suggestion.share_within_pct <= 100

    unlocked = Hub(hub_id="H1", name="Somewhere hub", x=500.0, y=500.0)
    plan = accept_suggestion(plan_with(unlocked, kept), suggestion.sites)
    assert len(plan.hubs) == 3 and plan.hubs[0] == dataclasses.replace(kept, label="B")
    assert [h.label for h in plan.hubs] == ["B", "C", "D"]  # A was the replaced hub's: not reused
    assert "H1" not in {h.name for h in plan.hubs}
    scored = hub_access(router, plan.hubs, weights).summary.set_index("group")
    assert scored.loc["population", "mean_minutes"] == pytest.approx(suggestion.mean_minutes, rel=1e-9)


def test_more_hubs_never_do_worse(grid) -> None:  # type: ignore[no-untyped-def]
    areas, router, candidates, weights = grid
    means = [suggest_hubs(router, areas, candidates, weights, objective="p-median", n_hubs=n, weight="need",
                          threshold_minutes=5.0, time_limit_seconds=2.0).mean_minutes for n in (1, 2, 4)]
    assert means[0] >= means[1] >= means[2]


@pytest.mark.parametrize("objective", ["coverage", "p-centre", "equity p-median"])
def test_every_objective_gives_figures_and_a_certificate(grid, objective) -> None:  # type: ignore[no-untyped-def]
    areas, router, candidates, weights = grid
    suggestion = suggest_hubs(router, areas, candidates, weights, objective=objective, n_hubs=2,
                              threshold_minutes=6.0, min_share_pct=20.0, time_limit_seconds=2.0)
    assert suggestion.objective == objective and len(suggestion.sites) == 2
    assert suggestion.gap_pct >= 0 and "best possible" in suggestion.certificate
    assert suggestion.max_minutes >= suggestion.mean_minutes > 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"objective": "cheapest"}, "objective"),
    ({"n_hubs": 0}, "number of hubs"),
    ({"n_hubs": 13}, "number of hubs"),
    ({"n_hubs": 1, "kept": 2}, "keeps 2 locked hubs"),
    ({"threshold_minutes": -5.0}, "time limit"),
    ({"weight": "pets"}, "weight"),
    ({"objective": "equity p-median", "min_share_pct": None}, "fairness floor"),
])
def test_bad_requests_are_refused_with_the_field_named(grid, changes, message) -> None:  # type: ignore[no-untyped-def]
    areas, router, candidates, weights = grid
    kept = [Hub(hub_id=f"H{k}", name=f"Hub {k}", x=1000.0 + k, y=1000.0, locked=True)
            for k in range(changes.pop("kept", 0))]
    request = {"objective": "p-median", "n_hubs": 2, "threshold_minutes": 10.0, "weight": "population",
               "min_share_pct": 50.0, **changes}
    with pytest.raises(PlannerInputError, match=message):
        suggest_hubs(router, areas, candidates, weights, kept=kept, **request)


def test_an_impossible_fairness_floor_is_refused_with_numbers(grid) -> None:  # type: ignore[no-untyped-def]
    areas, router, candidates, weights = grid
    with pytest.raises(InfeasibleRequestError, match=r"\d"):
        suggest_hubs(router, areas, candidates, weights, objective="equity p-median", n_hubs=1,
                     threshold_minutes=0.5, min_share_pct=100.0, time_limit_seconds=1.0)


def test_accepting_names_new_hubs_after_their_sites_and_refuses_a_lost_hub() -> None:
    sites = [SuggestedSite("L1", "Moor 001", "lattice", 1000.0, 1000.0, "near many"),
             SuggestedSite("L2", "Moor 001", "lattice", 2000.0, 1000.0, "near others"),
             SuggestedSite("H9", "Kept hub", KEPT_KIND, 10.0, 10.0, "kept", kept_hub_id="H9")]
    with pytest.raises(PlannerInputError, match="H9"):
        accept_suggestion(plan_with(Hub(hub_id="H1", name="A", x=5.0, y=5.0)), sites)
    plan = accept_suggestion(plan_with(Hub(hub_id="H9", name="Kept hub", x=10.0, y=10.0, locked=True)), sites)
    assert [h.name for h in plan.hubs] == ["Kept hub", "Moor 001 hub", "Moor 001 hub 2"]
    assert len({h.hub_id for h in plan.hubs}) == 3
    assert (plan.hubs[2].x, plan.hubs[2].y) == (2000.0, 1000.0)


def test_a_suggested_site_is_described_against_the_plan_as_it_is_now() -> None:
    from geo.placement.suggest import against_plan

    minutes = np.array([[5.0, 60.0], [20.0, 60.0], [30.0, 60.0]])  # three areas x two suggested sites
    words = against_plan(minutes, np.array([10.0, 50.0, np.inf]), np.array([1.0, 1.0, 2.0]), sites=[0, 1],
                         threshold_minutes=30.0, label="residents")
    # Site 0: 5 and 30 minutes quicker for one resident each (35 / 4 people = 8.75), two newly reached.
    assert words[0] == ("added to the current plan it cuts mean travel by 8.8 minutes across all residents, brings "
                        "3 more residents within 30 minutes, reaches 2 residents no hub reaches now")
    assert words[1] == ("added to the current plan it cuts mean travel very little, "
                        "reaches 2 residents no hub reaches now")
