"""Fill every per-locality cache a page load and a hub drag use, once, before workers are forked.

Gunicorn runs this in the master (``when_ready`` in gunicorn.conf.py); each worker is a
fork of it and starts with the routers, the minutes to today's services, today's
fairness, the map's shapes and plotly's templates already in memory (shared, copy on
write) instead of building them on its first requests. Everything cached here is a pure
function of the locality's files: no user's state, no open connection.
"""

from __future__ import annotations

from dashboard import data_access, investment_panel, outcomes_panel, page_components
from dashboard.engine import weights_for
from dashboard.plan_money import placed_plan, plan_outcomes, service_ids
from dashboard.planning_panel import initial_plan
from geo.ingest.datasets import dataset_version_of
from geo.network import MODES
from geo.scenarios import scenario_from_dict


def warm_caches(folder: str) -> None:
    """Build the caches for ``folder``: a starting plan scored and costed in every travel mode."""
    locality = data_access.locality_for(folder)
    for shapes in (data_access.area_geojson, data_access.county_geojson, data_access.roads_geojson,
                   data_access.map_bounds):
        shapes(folder)
    weights_for(folder)
    plan = scenario_from_dict(initial_plan(folder, dataset_version_of(folder)))
    for mode in MODES:
        placed = placed_plan(folder, plan, mode)
    investment_panel.place_views(placed, plan, locality, district=None, hub=None, area_row=None)
    outcomes_panel.place_views(placed)
    money = plan_outcomes(folder, plan)
    investment_panel.money_views(money, list(service_ids(folder)))
    outcomes_panel.outcome_views(money)
    page_components(folder)
