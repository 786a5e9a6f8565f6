"""The starting points a room chooses from (geo.starting_points) for a locality, costed by its ledger.

The papers' redesign places its six hubs with the optimiser: the shortest need-weighted
journeys by road among the candidate sites Suggest placements uses. For the demo the
answer is kept beside its data (``papers_redesign.json``, written by
``python -m data.papers_redesign``) so the first screen does not wait for the optimiser;
any other locality works it out once per process.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from dashboard.data_access import locality_for
from dashboard.engine import router_for, weights_for
from dashboard.plan_money import costed_plan, money_services, today_ledger
from geo import plan_edits
from geo.errors import PlannerError
from geo.locality import Locality
from geo.money import budget_gbp
from geo.placement.candidates import candidate_sites
from geo.placement.suggest import suggest_hubs
from geo.plan_equity import areas_at_points
from geo.scenarios import ScenarioContent, scenario_to_dict
from geo.starting_points import (
    REDESIGN_HUBS,
    STARTING_POINTS,
    HubSite,
    blank_plan,
    papers_redesign,
    today_plan,
)
from geo.traveltime import AreaRouter

REDESIGN_FILE = "papers_redesign.json"
ASSUMPTIONS_VERSION = "default"
REDESIGN_LATTICE = 300  # candidate road points, as Suggest placements uses
REDESIGN_THRESHOLD_MIN = 30.0
# The first screen waits for this answer on a locality without a kept one, so the optimiser has a few
# seconds: the demo's answer is proved best in under one. At 35,000 areas (England and Wales) 5 s gives
# hubs within 2% of the best possible (an average journey 0.4 min longer than a 30 s search finds)
# and a first page in about 12 s instead of 41 s.
REDESIGN_TIME_LIMIT_S = 5.0


def plan_cost_gbp(folder: str) -> Any:
    """A function costing a plan for a full year on ``folder``'s ledger."""
    return lambda plan: costed_plan(folder, plan).ledger.plan_gbp


def redesign_sites_by_optimiser(folder: str) -> list[HubSite]:
    """Six hubs for the shortest need-weighted journeys by road, proved within 0.01% where a few seconds allow
    (else the best found in them)."""
    locality = locality_for(folder)
    router = router_for(folder, "drive")
    assert isinstance(router, AreaRouter)
    candidates = candidate_sites(locality.areas, router.graph, towns=locality.towns, services=locality.services,
                                 n_lattice=REDESIGN_LATTICE)
    try:
        suggestion = suggest_hubs(router, locality.areas, candidates, weights_for(folder), objective="p-median",
                                  n_hubs=min(REDESIGN_HUBS, len(candidates)), threshold_minutes=REDESIGN_THRESHOLD_MIN,
                                  weight="need", time_limit_seconds=REDESIGN_TIME_LIMIT_S)
    except PlannerError:
        # A locality too small or too cut up for six hubs: one in each of its biggest towns instead.
        draft = plan_edits.starting_plan(locality.towns, dataset_version="-", assumptions_version="-")
        return [HubSite(name=hub.name, x=hub.x, y=hub.y) for hub in draft.hubs]
    return named_by_town(locality, [(site.name, round(site.x, 1), round(site.y, 1)) for site in suggestion.sites])


def named_by_town(locality: Locality, sites: list[tuple[str, float, float]]) -> list[HubSite]:
    """Each hub named after the town it is in (else its site), the biggest town's first (H1, H2, ...)."""
    rows = areas_at_points(locality.areas, np.array([[x, y] for _, x, y in sites]))
    towns = locality.areas["town"].astype(str).to_numpy()[rows]
    population = dict(zip(locality.towns["name"].astype(str), locality.towns["population"], strict=True))
    named = []
    for (name, x, y), town in zip(sites, towns, strict=True):
        known = town in population
        named.append((-float(population[town]) if known else 0.0, HubSite(f"{town if known else name} hub", x, y)))
    named.sort(key=lambda pair: pair[0])
    seen: dict[str, int] = {}
    result = []
    for _, site in named:
        seen[site.name] = seen.get(site.name, 0) + 1
        result.append(site if seen[site.name] == 1 else HubSite(f"{site.name} {seen[site.name]}", site.x, site.y))
    return result


@functools.lru_cache(maxsize=8)
def redesign_sites(folder: str) -> tuple[HubSite, ...]:
    """The redesign's hub sites: kept beside the locality's data, else worked out now."""
    path = Path(folder) / REDESIGN_FILE
    if path.is_file():
        data = json.loads(path.read_text())
        return tuple(HubSite(name=str(s["name"]), x=float(s["x"]), y=float(s["y"])) for s in data["hubs"])
    return tuple(redesign_sites_by_optimiser(folder))


@functools.lru_cache(maxsize=24)
def _starting_plan(folder: str, key: str, dataset_version: str) -> str:
    # Only services with a budget and clients can be closed or re-shaped: the others are not in the
    # money (the ledger refuses decisions about them), though they stay on the map.
    services = money_services(folder)
    if key == "today":
        plan = today_plan(dataset_version=dataset_version, assumptions_version=ASSUMPTIONS_VERSION)
    elif key == "blank":
        plan = blank_plan(services, dataset_version=dataset_version, assumptions_version=ASSUMPTIONS_VERSION)
    elif key == "redesign":
        today = today_ledger(folder).current_gbp
        plan = papers_redesign(services, redesign_sites(folder), dataset_version=dataset_version,
                               assumptions_version=ASSUMPTIONS_VERSION, plan_cost_gbp=plan_cost_gbp(folder),
                               budget_gbp=budget_gbp(ScenarioContent("x", "x").money, today))
    else:
        raise KeyError(f"starting point: expected one of {', '.join(STARTING_POINTS)}, found {key!r}")
    return json.dumps(scenario_to_dict(plan))


def starting_plan(folder: str, key: str, dataset_version: str) -> dict[str, Any]:
    """The starting point ``key`` ("redesign", "today" or "blank") as the plan store's data (a fresh copy)."""
    data: dict[str, Any] = json.loads(_starting_plan(folder, key, dataset_version))
    return data
